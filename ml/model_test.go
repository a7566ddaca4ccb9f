package ml

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/pdv"
)

var allKinds = []Kind{Logistic, MLP, KNN}

// fastHyper keeps the reproducibility and codec tests quick.
var fastHyper = map[Kind]string{Logistic: "epochs=20", MLP: "epochs=20,hidden=8", KNN: "k=3"}

func cloneSet(s []Example) []Example {
	out := make([]Example, len(s))
	for i, e := range s {
		out[i] = Example{Features: slices.Clone(e.Features), Label: e.Label}
	}
	return out
}

func TestTrainErrors(t *testing.T) {
	iris := irisSet(t)
	one := []Example{{Features: []int64{1, 2}, Label: 3}, {Features: []int64{2, 3}, Label: 3}}
	ragged := []Example{{Features: []int64{1, 2}, Label: 0}, {Features: []int64{2}, Label: 1}}
	big := []Example{{Features: []int64{pdv.MaxFeature + 1}, Label: 0}, {Features: []int64{0}, Label: 1}}
	many := make([]Example, MaxClasses+1)
	for i := range many {
		many[i] = Example{Features: []int64{int64(i)}, Label: int64(i)}
	}
	for _, c := range []struct {
		name  string
		kind  Kind
		hyper Hyper
		in    Input
		train []Example
		want  string
	}{
		{"empty", Logistic, mustHyper(t, Logistic, ""), tabular, nil, "empty"},
		{"one class", KNN, mustHyper(t, KNN, ""), tabular, one, "one class"},
		{"ragged", MLP, mustHyper(t, MLP, ""), tabular, ragged, "same number of features"},
		{"dims mismatch", Logistic, mustHyper(t, Logistic, ""), Input{PoolKind: pdv.KindTabular, Dims: 5}, iris, "not 5"},
		{"feature range", Logistic, mustHyper(t, Logistic, ""), tabular, big, "beyond"},
		{"pool kind", Logistic, mustHyper(t, Logistic, ""), Input{PoolKind: "image"}, iris, "unknown pool kind"},
		{"text dims", Logistic, mustHyper(t, Logistic, ""), Input{PoolKind: pdv.KindText}, iris, "needs Dims"},
		{"hyper kind", MLP, mustHyper(t, Logistic, ""), tabular, iris, "not \"mlp\""},
		{"zero hyper", KNN, Hyper{}, tabular, iris, "ParseHyper"},
		{"too many classes", KNN, mustHyper(t, KNN, ""), tabular, many, "classes are more than"},
	} {
		_, err := Train(c.kind, c.hyper, c.in, c.train)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Train = %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestReproducible trains each kind twice, once on a copy of the data, and
// requires identical bytes and commitments; a different seed or data must
// change them.
func TestReproducible(t *testing.T) {
	train, _ := split(wineSet(t))
	for _, kind := range allKinds {
		a := mustTrain(t, kind, fastHyper[kind], tabular, train)
		b := mustTrain(t, kind, fastHyper[kind], tabular, cloneSet(train))
		ab, _ := a.MarshalBinary()
		bb, _ := b.MarshalBinary()
		if !bytes.Equal(ab, bb) || a.Commitment() != b.Commitment() {
			t.Errorf("%s: two trainings differ", kind)
		}
		if ab2, _ := a.MarshalBinary(); !bytes.Equal(ab, ab2) {
			t.Errorf("%s: MarshalBinary is not stable", kind)
		}
		changed := cloneSet(train)
		// Relabel one example (a feature change of one unit can fall below
		// the models' Q16 precision and legitimately change nothing).
		changed[7].Label = changed[8].Label
		if changed[7].Label == train[7].Label {
			changed[7].Label = train[0].Label + 1
		}
		c := mustTrain(t, kind, fastHyper[kind], tabular, changed)
		if c.Commitment() == a.Commitment() {
			t.Errorf("%s: changing one label kept the commitment", kind)
		}
		if kind != KNN {
			d := mustTrain(t, kind, fastHyper[kind]+",seed=99", tabular, train)
			if d.Commitment() == a.Commitment() {
				t.Errorf("%s: changing the seed kept the commitment", kind)
			}
		}
	}
}

func TestDataCommitment(t *testing.T) {
	iris := irisSet(t)
	base := DataCommitment(iris)
	if DataCommitment(cloneSet(iris)) != base {
		t.Fatal("a copy commits differently")
	}
	swapped := cloneSet(iris)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	relabeled := cloneSet(iris)
	relabeled[3].Label++
	shorter := cloneSet(iris)
	shorter[5].Features = shorter[5].Features[:3]
	// Moving a feature to the next example must not collide either.
	moved := []Example{{Features: []int64{1, 2}, Label: 0}, {Features: []int64{3}, Label: 0}}
	moved2 := []Example{{Features: []int64{1}, Label: 0}, {Features: []int64{2, 3}, Label: 0}}
	for name, c := range map[string][32]byte{
		"swapped": DataCommitment(swapped), "relabeled": DataCommitment(relabeled),
		"shorter": DataCommitment(shorter), "prefix": DataCommitment(iris[:149]),
		"empty": DataCommitment(nil),
	} {
		if c == base {
			t.Errorf("%s: same commitment", name)
		}
	}
	if DataCommitment(moved) == DataCommitment(moved2) {
		t.Error("moving a feature between examples keeps the commitment")
	}
}

func TestRoundTrip(t *testing.T) {
	train, val := split(irisSet(t))
	for _, kind := range allKinds {
		m := mustTrain(t, kind, fastHyper[kind], tabular, train)
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		u, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if u.Commitment() != m.Commitment() || u.Kind() != kind || u.Input() != m.Input() ||
			u.Hyper() != m.Hyper() || !slices.Equal(u.Classes(), m.Classes()) {
			t.Errorf("%s: decoded model differs", kind)
		}
		for _, e := range val {
			l1, s1 := m.Predict(e.Features)
			l2, s2 := u.Predict(e.Features)
			if l1 != l2 || !slices.Equal(s1, s2) {
				t.Fatalf("%s: predictions differ after a round trip", kind)
			}
		}
		if m.Accuracy(val) != u.Accuracy(val) {
			t.Errorf("%s: accuracy differs after a round trip", kind)
		}
		// Every truncation fails, and so does a trailing byte.
		for n := range len(b) {
			if _, err := Unmarshal(b[:n]); err == nil {
				t.Fatalf("%s: Unmarshal of %d of %d bytes succeeded", kind, n, len(b))
			}
		}
		if _, err := Unmarshal(append(slices.Clone(b), 0)); err == nil {
			t.Errorf("%s: trailing byte accepted", kind)
		}
	}
}

// TestUnmarshalCorrupt changes single fields of a valid encoding.
func TestUnmarshalCorrupt(t *testing.T) {
	train, _ := split(irisSet(t))
	m := mustTrain(t, Logistic, fastHyper[Logistic], tabular, train)
	b, _ := m.MarshalBinary()
	hl := int(b[6])<<24 | int(b[7])<<16 | int(b[8])<<8 | int(b[9])
	hyperAt := 10
	poolAt := hyperAt + hl
	dimsAt := poolAt + 1
	classesAt := dimsAt + 8 // after dims and the class count
	meanAt := classesAt + 3*8
	stdAt := meanAt + 4*8
	weightsAt := stdAt + 4*8
	set64 := func(b []byte, at int, v uint64) {
		for i := range 8 {
			b[at+i] = byte(v >> (56 - 8*i))
		}
	}
	for _, c := range []struct {
		name string
		edit func([]byte) []byte
	}{
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }},
		{"version", func(b []byte) []byte { b[4] = 2; return b }},
		{"kind", func(b []byte) []byte { b[5] = 9; return b }},
		{"kind mismatch with hyper", func(b []byte) []byte { b[5] = 3; return b }},
		{"non-canonical hyper", func(b []byte) []byte { b[hyperAt] = 'B'; return b }},
		{"pool kind", func(b []byte) []byte { b[poolAt] = 7; return b }},
		{"dims zero", func(b []byte) []byte { b[dimsAt+3] = 0; return b }},
		{"dims huge", func(b []byte) []byte { b[dimsAt] = 0xff; return b }},
		{"class count", func(b []byte) []byte { b[dimsAt+7] = 1; return b }},
		{"class order", func(b []byte) []byte { set64(b, classesAt+8, 0); return b }},
		{"mean range", func(b []byte) []byte { set64(b, meanAt, uint64(pdv.MaxFeature+1)); return b }},
		{"negative std", func(b []byte) []byte { set64(b, stdAt, 1<<63); return b }},
		{"weight range", func(b []byte) []byte { set64(b, weightsAt, wMax+1); return b }},
		{"empty", func([]byte) []byte { return nil }},
	} {
		if _, err := Unmarshal(c.edit(slices.Clone(b))); err == nil {
			t.Errorf("%s: corrupted model accepted", c.name)
		}
	}
	// A KNN class index beyond the classes.
	k := mustTrain(t, KNN, "", tabular, train)
	kb, _ := k.MarshalBinary()
	// The first example's class index follows the stored example count.
	at := len(kb) - len(train)*(4+8*4)
	kb[at] = 0x7f
	if _, err := Unmarshal(kb); err == nil {
		t.Error("KNN class index out of range accepted")
	}
}

// TestKNNTies checks the documented tie-breaking on a hand-made set.
func TestKNNTies(t *testing.T) {
	ex := func(x, label int64) Example { return Example{Features: []int64{x * pdv.FeatureScale}, Label: label} }
	for _, c := range []struct {
		name  string
		train []Example
		k     string
		query int64
		want  int64
	}{
		// One vote each at equal distance: the smaller index wins, whatever the label.
		{"index first", []Example{ex(0, 5), ex(2, 3)}, "k=2", 1, 5},
		{"index first swapped", []Example{ex(2, 3), ex(0, 5)}, "k=2", 1, 3},
		// Equal votes, different distances: the nearer neighbour's class wins.
		{"distance", []Example{ex(0, 1), ex(3, 2), ex(10, 1), ex(12, 2)}, "k=2", 2, 2},
		// Majority beats distance.
		{"majority", []Example{ex(0, 1), ex(4, 2), ex(5, 2), ex(40, 1)}, "k=3", 1, 2},
		// Equal distances for the k-th place: the smaller index is kept.
		{"kth place", []Example{ex(0, 1), ex(4, 2), ex(2, 3), ex(4, 1)}, "k=2", 2, 3},
		// k larger than the training set.
		{"k above n", []Example{ex(0, 1), ex(1, 2), ex(2, 2)}, "k=10", 0, 2},
	} {
		m := mustTrain(t, KNN, c.k, tabular, c.train)
		got, scores := m.Predict([]int64{c.query * pdv.FeatureScale})
		if got != c.want {
			t.Errorf("%s: predicted %d, want %d (scores %v)", c.name, got, c.want, scores)
		}
	}
}

func TestPredictScores(t *testing.T) {
	train, val := split(irisSet(t))
	for _, kind := range allKinds {
		m := mustTrain(t, kind, fastHyper[kind], tabular, train)
		for _, e := range val {
			label, scores := m.Predict(e.Features)
			if len(scores) != 3 {
				t.Fatalf("%s: %d scores", kind, len(scores))
			}
			var sum int64
			for _, s := range scores {
				if s < 0 || s > ScoreScale {
					t.Fatalf("%s: score %d out of range", kind, s)
				}
				sum += s
			}
			if sum < ScoreScale-3 || sum > ScoreScale+3 {
				t.Fatalf("%s: scores %v sum to %d", kind, scores, sum)
			}
			if !slices.Contains(m.Classes(), label) {
				t.Fatalf("%s: label %d is not a class", kind, label)
			}
			if best := m.Classes()[slices.Index(scores, slices.Max(scores))]; kind != KNN && scores[slices.Index(m.Classes(), label)] != slices.Max(scores) {
				t.Fatalf("%s: label %d does not have the top score (%d)", kind, label, best)
			}
		}
		// Wrong lengths and extreme values do not panic.
		m.Predict(nil)
		m.Predict([]int64{1 << 62, -1 << 62, 0, 0, 0, 0, 0})
	}
	if got := mustTrain(t, KNN, "", tabular, train).Accuracy(nil); got != 0 {
		t.Errorf("Accuracy(nil) = %d", got)
	}
}

// textSet builds a two-topic text set featurised like a text pool.
func textSet(dims int) []Example {
	topics := [][]string{
		{"goal", "match", "team", "score", "player", "league", "coach", "stadium"},
		{"recipe", "oven", "flour", "butter", "sugar", "bake", "knead", "dough"},
	}
	var out []Example
	for i := range 60 {
		label := int64(i % 2)
		w := topics[label]
		text := fmt.Sprintf("the %s and the %s with a %s", w[i%8], w[(i*3+1)%8], w[(i*5+2)%8])
		out = append(out, Example{Features: pdv.TextFeatures(text, dims), Label: label})
	}
	return out
}

func TestInfer(t *testing.T) {
	train, val := split(irisSet(t))
	textIn := Input{PoolKind: pdv.KindText, Dims: 64}
	textTrain, textVal := split(textSet(64))
	for _, kind := range allKinds {
		m := mustTrain(t, kind, fastHyper[kind], tabular, train)
		// Good input: the output agrees with Predict and is deterministic.
		in := []byte(`{"features":[5.1,3.5,1.4,0.2]}`)
		out, err := m.Infer(in)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		label, scores := m.Predict([]int64{51000, 35000, 14000, 2000})
		want := fmt.Sprintf(`{"label":%d,"scores":{"0":%d,"1":%d,"2":%d}}`, label, scores[0], scores[1], scores[2])
		if string(out) != want {
			t.Errorf("%s: Infer = %s, want %s", kind, out, want)
		}
		if !json.Valid(out) {
			t.Errorf("%s: output is not JSON", kind)
		}
		if label != 0 {
			t.Errorf("%s: the first iris flower is predicted %d", kind, label)
		}
		for _, e := range val[:5] {
			var b strings.Builder
			b.WriteString(`{ "features" : [`)
			for j, f := range e.Features {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(pdv.FormatFixed(f))
			}
			b.WriteString("] }\n")
			out, err := m.Infer([]byte(b.String()))
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			l, _ := m.Predict(e.Features)
			if !strings.HasPrefix(string(out), fmt.Sprintf(`{"label":%d,`, l)) {
				t.Errorf("%s: Infer(%s) = %s, Predict says %d", kind, b.String(), out, l)
			}
		}
		for _, c := range []struct{ in, want string }{
			{`{"features":[5.1,3.5,1.4]}`, "has 3 numbers"},
			{`{"features":[5.1,3.5,1.4,0.2,1]}`, "more than 4"},
			{`{"features":[5.1,"3.5",1.4,0.2]}`, "features[1] is not a number"},
			{`{"features":[5.1,3.5,1.4,1e300]}`, "features[3]"},
			{`{"features":[5.1,3.5,1.4,100000.0001]}`, "out of the supported range"},
			{`{"features":[5.1,3.5,1.4,null]}`, "not a number"},
			{`{"features":5}`, "not an array"},
			{`{"features":[1,2,3,4],"features":[1,2,3,4]}`, "twice"},
			{`{"features":[1,2,3,4],"label":1}`, "unexpected property"},
			{`{"text":"hello"}`, "unexpected property"},
			{`{}`, "missing property"},
			{`[1,2,3,4]`, "not a JSON object"},
			{`{"features":[1,2,3,4]} {}`, "not valid JSON"},
			{`{"features":[1,2,3,4]`, "not valid JSON"},
			{``, "not valid JSON"},
			{`{"features":[` + strings.Repeat("1,", MaxInferBytes/2) + `1]}`, "more than"},
		} {
			out, err := m.Infer([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				short := c.in
				if len(short) > 60 {
					short = short[:60] + "..."
				}
				t.Errorf("%s: Infer(%s) = %s, %v; want an error containing %q", kind, short, out, err, c.want)
			}
		}

		// Text models.
		tm := mustTrain(t, kind, fastHyper[kind], textIn, textTrain)
		if acc := tm.Accuracy(textVal); acc < 800_000 {
			t.Errorf("%s: text accuracy %d ppm", kind, acc)
		}
		out, err = tm.Infer([]byte(`{"text":"the coach and the team with a goal"}`))
		if err != nil {
			t.Fatalf("%s: text: %v", kind, err)
		}
		l, s := tm.Predict(pdv.TextFeatures("the coach and the team with a goal", 64))
		if want := fmt.Sprintf(`{"label":%d,"scores":{"0":%d,"1":%d}}`, l, s[0], s[1]); string(out) != want || l != 0 {
			t.Errorf("%s: text Infer = %s, want %s and label 0", kind, out, want)
		}
		for _, c := range []struct{ in, want string }{
			{`{"text":5}`, "not a string"},
			{`{"features":[1]}`, "unexpected property"},
			{`{"text":"a","text":"b"}`, "twice"},
			{`{"text":"` + strings.Repeat("a", MaxInferBytes) + `"}`, "more than"},
		} {
			if _, err := tm.Infer([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: text Infer(%.40s) = %v, want an error containing %q", kind, c.in, err, c.want)
			}
		}
	}
}

// TestKNNReference compares KNN predictions on digits with a brute-force
// reference that sorts all training examples by (distance, index).
func TestKNNReference(t *testing.T) {
	train, val := split(digitsSet(t))
	for _, k := range []string{"k=1", "k=4", "k=7"} {
		m := mustTrain(t, KNN, k, tabular, train)
		kk := m.Hyper().K
		d := m.Input().Dims
		z := make([]int64, d)
		for _, e := range val[:120] {
			m.scale.apply(e.Features, z)
			type cand struct {
				dist  int64
				index int
			}
			cands := make([]cand, len(m.ys))
			for i := range cands {
				var dist int64
				for j := range d {
					diff := m.pts[i*d+j] - z[j]
					dist += diff * diff
				}
				cands[i] = cand{dist, i}
			}
			slices.SortFunc(cands, func(a, b cand) int {
				if a.dist != b.dist {
					return int(min(max(a.dist-b.dist, -1), 1))
				}
				return a.index - b.index
			})
			votes := make([]int64, len(m.classes))
			for _, c := range cands[:kk] {
				votes[m.ys[c.index]]++
			}
			top := slices.Max(votes)
			want := -1
			for _, c := range cands[:kk] {
				if votes[m.ys[c.index]] == top {
					want = int(m.ys[c.index])
					break
				}
			}
			label, scores := m.Predict(e.Features)
			if label != m.classes[want] {
				t.Fatalf("%s: predicted %d, reference %d", k, label, m.classes[want])
			}
			for c, v := range votes {
				if scores[c] != v*ScoreScale/int64(kk) {
					t.Fatalf("%s: scores %v, votes %v", k, scores, votes)
				}
			}
		}
	}
}

// TestInferSyntax covers valid JSON spellings the input scanner must read
// like encoding/json does.
func TestInferSyntax(t *testing.T) {
	train, _ := split(irisSet(t))
	m := mustTrain(t, Logistic, "epochs=5", tabular, train)
	want, err := m.Infer([]byte(`{"features":[5.1,3.5,1.4,0.2]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		" \t\r\n{ \"features\" :\n[ 5.1 , 3.5,1.4 ,0.2 ] } \n",
		`{"feat\u0075res":[5.1,3.5,1.4,0.2]}`,
		`{"features":[51e-1,0.35E1,1.40,2e-1]}`,
		`{"features":[5.10000,3.5,1.4,0.20004]}`,
	} {
		got, err := m.Infer([]byte(in))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("Infer(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	tm := mustTrain(t, KNN, "", Input{PoolKind: pdv.KindText, Dims: 32}, textSet(32))
	for _, c := range []struct{ escaped, plain string }{
		{`{"text":"the \"coach\"\n\u0041nd a goal\\"}`, "the \"coach\"\nAnd a goal\\"},
		{`{"text":""}`, ""},
	} {
		got, err := tm.Infer([]byte(c.escaped))
		if err != nil {
			t.Fatalf("Infer(%s): %v", c.escaped, err)
		}
		l, s := tm.Predict(pdv.TextFeatures(c.plain, 32))
		if w := fmt.Sprintf(`{"label":%d,"scores":{"0":%d,"1":%d}}`, l, s[0], s[1]); string(got) != w {
			t.Errorf("Infer(%s) = %s, want %s", c.escaped, got, w)
		}
	}
}
