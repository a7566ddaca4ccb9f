package pdv

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const irisSchema = `{"type":"object","additionalProperties":false,"required":["features","label"],
 "properties":{"features":{"type":"array","minItems":4,"maxItems":4,"items":{"type":"number","minimum":0,"maximum":10}},
 "label":{"type":"integer","enum":[0,1,2]}}}`

const digitsSchema = `{"type":"object","additionalProperties":false,"required":["features","label"],
 "properties":{"features":{"type":"array","minItems":64,"maxItems":64,"items":{"type":"integer","minimum":0,"maximum":16}},
 "label":{"type":"integer","minimum":0,"maximum":9}}}`

// dataset reads a testdata file and returns its lines; a missing file fails.
func dataset(t testing.TB, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatalf("reading the test data set: %v", err)
	}
	return bytes.Split(bytes.TrimSpace(data), []byte("\n"))
}

func joinLines(lines [][]byte) []byte {
	return append(bytes.Join(lines, []byte("\n")), '\n')
}

// split deals lines into pool (i%5 in {0,1}), validation (i%5 == 2) and
// contribution (i%5 in {3,4}) parts.
func split(lines [][]byte) (pool, val, contrib [][]byte) {
	for i, l := range lines {
		switch i % 5 {
		case 0, 1:
			pool = append(pool, l)
		case 2:
			val = append(val, l)
		default:
			contrib = append(contrib, l)
		}
	}
	return
}

func mustParse(t testing.TB, cfg Config, data []byte) ([]Record, ParseReport) {
	t.Helper()
	recs, rep, err := Parse(cfg, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return recs, rep
}

func config(t testing.TB, schema string) Config {
	t.Helper()
	s, err := ParseSchema(KindTabular, []byte(schema))
	if err != nil {
		t.Fatal(err)
	}
	return Config{Kind: KindTabular, Schema: s, K: 5, MinScorePPM: 400_000}
}

// knnAccuracy is U(all): the mean over validation points of the share of
// their k nearest training points (ties to the lower index) sharing their
// label, in parts per million (floored).
func knnAccuracyPPM(train, val []Record, k int) int64 {
	var num, den int64
	for _, v := range val {
		idx := make([]int, len(train))
		for i := range idx {
			idx[i] = i
		}
		dist := func(i int) int64 {
			var s int64
			for d := range v.Features {
				x := train[i].Features[d] - v.Features[d]
				s += x * x
			}
			return s
		}
		slices.SortStableFunc(idx, func(a, b int) int { return int(dist(a) - dist(b)) })
		for _, i := range idx[:min(k, len(idx))] {
			if train[i].Label == v.Label {
				num++
			}
		}
		den += int64(k)
	}
	return num * PPM / den
}

func TestScoreIris(t *testing.T) {
	testScoreDataset(t, "iris.jsonl", irisSchema)
}

func TestScoreDigits(t *testing.T) {
	testScoreDataset(t, "digits.jsonl", digitsSchema)
}

func testScoreDataset(t *testing.T, file, schema string) {
	lines := dataset(t, file)
	cfg := config(t, schema)
	poolLines, valLines, contribLines := split(lines)
	_, prep := mustParse(t, cfg, joinLines(poolLines))
	val, vrep := mustParse(t, cfg, joinLines(valLines))
	if prep.Valid != len(poolLines) || vrep.Valid != len(valLines) {
		t.Fatalf("real data has invalid lines: %v %v", prep.Errors, vrep.Errors)
	}

	// The first contributor fills an empty pool: the contribution's value
	// is the whole game, U(all) - U(∅), the KNN accuracy on validation
	// (up to the dataset's own near-duplicates, which are dropped).
	var state PoolState
	first := mustParseScore(t, cfg, &state, val, joinLines(poolLines))
	if !first.Accepted || first.ValidityPPM != PPM || first.Unique == 0 {
		t.Fatalf("first contribution: %+v", first.summary())
	}
	acc := knnAccuracyPPM(first.Added, val, cfg.K)
	if d := int64(first.ValuePPM) - acc; d < -1 || d > 1 {
		t.Fatalf("value of the only contributor %d ppm, KNN accuracy %d ppm", first.ValuePPM, acc)
	}
	state.Add(first.Added)
	if state.Len() != first.Unique {
		t.Fatalf("pool has %d records, want %d", state.Len(), first.Unique)
	}

	// A fresh contribution has value > 0 and is accepted.
	contribRecs, crep := mustParse(t, cfg, joinLines(contribLines))
	fresh := Score(cfg, &state, val, contribRecs, crep)
	if !fresh.Accepted || fresh.ValuePPM == 0 || fresh.UniquenessPPM < 900_000 || fresh.Reason != "" {
		t.Fatalf("fresh contribution: %+v", fresh.summary())
	}
	t.Logf("first: %s", first.summary())
	t.Logf("fresh: %s", fresh.summary())
	// Its value is the Shapley sum of its unique records in the joint game,
	// converted by floor(S / 10^6).
	phi := KNNShapley(append(slices.Clone(state.Records()), fresh.Added...), val, cfg.K)
	var sum int64
	for _, v := range phi[state.Len():] {
		sum += v
	}
	if want := uint32(max(0, min(sum/1_000_000, PPM))); fresh.ValuePPM != want {
		t.Fatalf("ValuePPM %d, want %d", fresh.ValuePPM, want)
	}
	w := DefaultWeights()
	if want := (uint64(w.Validity)*uint64(fresh.ValidityPPM) + uint64(w.Uniqueness)*uint64(fresh.UniquenessPPM) +
		uint64(w.Value)*uint64(fresh.ValuePPM)) / 10000; uint64(fresh.ScorePPM) != want {
		t.Fatalf("ScorePPM %d, want %d", fresh.ScorePPM, want)
	}

	// Determinism: twice, with 1 and 2 threads, and after a state round trip.
	again := Score(cfg, &state, val, contribRecs, crep)
	prev := runtime.GOMAXPROCS(1)
	single := Score(cfg, &state, val, contribRecs, crep)
	runtime.GOMAXPROCS(prev)
	blob, err := state.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var restored PoolState
	if err := restored.UnmarshalBinary(blob); err != nil {
		t.Fatal(err)
	}
	blob2, _ := restored.MarshalBinary()
	if !bytes.Equal(blob, blob2) {
		t.Fatal("state bytes differ after a round trip")
	}
	afterTrip := Score(cfg, &restored, val, contribRecs, crep)
	for name, r := range map[string]Result{"again": again, "GOMAXPROCS=1": single, "round trip": afterTrip} {
		if !reflect.DeepEqual(r, fresh) {
			t.Fatalf("%s: %+v differs from %+v", name, r.summary(), fresh.summary())
		}
	}

	// Resubmitting pool records: uniqueness 0, rejected.
	resub := mustParseScore(t, cfg, &state, val, joinLines(poolLines))
	if resub.Accepted || resub.UniquenessPPM != 0 || resub.ValuePPM != 0 || resub.Added != nil ||
		!strings.Contains(resub.Reason, "no unique records") {
		t.Fatalf("resubmission: %+v", resub.summary())
	}

	// A file repeating its own records: the second copies are duplicates.
	doubled := mustParseScore(t, cfg, &state, val, joinLines(append(slices.Clone(contribLines), contribLines...)))
	if doubled.Unique != fresh.Unique || doubled.UniquenessPPM != uint32(fresh.Unique*PPM/(2*len(contribLines))) {
		t.Fatalf("doubled: %+v, fresh unique %d", doubled.summary(), fresh.Unique)
	}

	// Garbage is rejected naming the first errors.
	garbage := mustParseScore(t, cfg, &state, val, []byte("not json\n{\"features\":[1,2],\"label\":0}\n{\"features\":\"x\",\"label\":0}\n"))
	if garbage.Accepted || garbage.ValidityPPM != 0 ||
		!strings.Contains(garbage.Reason, "no valid records (0 of 3 lines)") ||
		!strings.Contains(garbage.Reason, "line 1: not valid JSON") ||
		!strings.Contains(garbage.Reason, "line 2: features: 2 items, fewer than minItems") ||
		!strings.Contains(garbage.Reason, "line 3: features: expected an array") {
		t.Fatalf("garbage: %+v", garbage.summary())
	}

	// Half garbage, half fresh records: validity 50%.
	var mixed [][]byte
	for _, l := range contribLines[:20] {
		mixed = append(mixed, l, []byte(`{"features":[],"label":0}`))
	}
	m := mustParseScore(t, cfg, &state, val, joinLines(mixed))
	if m.ValidityPPM != 500_000 || m.Valid != 20 || m.Records != 40 {
		t.Fatalf("mixed: %+v", m.summary())
	}

	// A pool minimum above the score rejects with the score in the reason.
	strict := cfg
	strict.MinScorePPM = fresh.ScorePPM + 1
	r := Score(strict, &state, val, contribRecs, crep)
	if r.Accepted || r.Added != nil || !strings.Contains(r.Reason, fmt.Sprintf("score %d ppm is below", fresh.ScorePPM)) {
		t.Fatalf("strict: %+v", r.summary())
	}

	// Once anchored, the same contribution is a duplicate.
	state.Add(fresh.Added)
	if r := Score(cfg, &state, val, contribRecs, crep); r.Accepted || r.UniquenessPPM != 0 {
		t.Fatalf("after anchoring: %+v", r.summary())
	}
}

func mustParseScore(t *testing.T, cfg Config, state *PoolState, val []Record, data []byte) Result {
	t.Helper()
	recs, rep := mustParse(t, cfg, data)
	return Score(cfg, state, val, recs, rep)
}

func (r Result) summary() string {
	return fmt.Sprintf("accepted=%v reason=%q validity=%d uniqueness=%d value=%d score=%d records=%d valid=%d unique=%d added=%d",
		r.Accepted, r.Reason, r.ValidityPPM, r.UniquenessPPM, r.ValuePPM, r.ScorePPM, r.Records, r.Valid, r.Unique, len(r.Added))
}

func TestScoreText(t *testing.T) {
	cfg := Config{Kind: KindText, TextDims: 64}
	var lines []string
	topics := []string{"the cat sat on the mat and purred at the morning sun",
		"stock markets fell sharply as investors weighed interest rates",
		"the team won the final match after extra time and penalties"}
	for i := range 30 {
		lines = append(lines, fmt.Sprintf(`{"text":"%s, story %d of %d","label":%d}`, topics[i%3], i*37, i*i+11, i%3))
	}
	poolRecs, _ := mustParse(t, cfg, []byte(strings.Join(lines[:20], "\n")))
	val, _ := mustParse(t, cfg, []byte(strings.Join(lines[20:], "\n")))
	var state PoolState
	state.Add(poolRecs)
	contrib := `{"text":"the cat sat on the mat and purred at the evening moon quietly","label":0}` + "\n" +
		`{"text":"the cat sat on the mat and purred at the evening moon quietly!","label":0}` + "\n" + // near-duplicate of the line above
		strings.Replace(lines[4], "story", "tale", 1) // one word changed from a pool record
	recs, rep := mustParse(t, cfg, []byte(contrib))
	res := Score(cfg, &state, val, recs, rep)
	if res.Valid != 3 || res.Unique != 1 || res.UniquenessPPM != 333_333 || !res.Accepted {
		t.Fatalf("text: %+v", res.summary())
	}
}

func TestScoreEdges(t *testing.T) {
	cfg := Config{Kind: KindTabular}
	if r := Score(cfg, nil, nil, nil, ParseReport{}); r.Accepted || !strings.Contains(r.Reason, "empty contribution") {
		t.Fatalf("empty: %+v", r.summary())
	}
	recs := []Record{{Features: []int64{1}, Sig: MinHash([]byte("a record"))}}
	if r := Score(cfg, nil, nil, recs, ParseReport{}); r.Accepted || !strings.Contains(r.Reason, "inconsistent input") {
		t.Fatalf("inconsistent: %+v", r.summary())
	}
	// No validation set: value 0, accepted on validity and uniqueness alone.
	r := Score(cfg, nil, nil, recs, ParseReport{Lines: 1, Valid: 1})
	if !r.Accepted || r.ValuePPM != 0 || r.ScorePPM != 500_000 || len(r.Added) != 1 {
		t.Fatalf("no validation: %+v", r.summary())
	}
	// Added is a copy.
	r.Added[0].Features[0] = 99
	if recs[0].Features[0] != 1 {
		t.Fatal("Added shares memory with the input")
	}
}
