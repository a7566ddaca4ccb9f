package ml

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/pdv"
)

// FuzzUnmarshal checks that Unmarshal never panics, that whatever it
// accepts is canonical (re-encodes to the same bytes) and can predict.
func FuzzUnmarshal(f *testing.F) {
	var small []Example // 15 iris flowers of all three classes
	for i, e := range irisSet(f) {
		if i%10 == 0 {
			small = append(small, e)
		}
	}
	for _, kind := range allKinds {
		m := mustTrain(f, kind, map[Kind]string{Logistic: "epochs=2", MLP: "epochs=2,hidden=2", KNN: ""}[kind], tabular, small)
		b, _ := m.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte("LZML"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b)
		if err != nil {
			return
		}
		again, _ := m.MarshalBinary()
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical encoding")
		}
		m.Predict([]int64{1, 2, 3, 4})
	})
}

// FuzzInfer checks that Infer never panics, and that its successful outputs
// are JSON and deterministic, for a tabular and a text model.
func FuzzInfer(f *testing.F) {
	train, _ := split(irisSet(f))
	tab := mustTrain(f, Logistic, "epochs=5", tabular, train)
	txt := mustTrain(f, KNN, "", Input{PoolKind: pdv.KindText, Dims: 32}, textSet(32))
	for _, s := range []string{
		`{"features":[5.1,3.5,1.4,0.2]}`, `{"features":[1e3,-0.00005,0,16]}`, `{"text":"hello world"}`,
		`{"features":[1,2,3]}`, `{}`, `[]`, `{"text":"\u00e9\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, m := range []*Model{tab, txt} {
			out, err := m.Infer(in)
			if err != nil {
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("output %s is not JSON", out)
			}
			if again, _ := m.Infer(in); !bytes.Equal(again, out) {
				t.Fatalf("outputs differ")
			}
			if m != tab {
				continue
			}
			// Differential check: encoding/json must read the same numbers.
			var ref struct{ Features []json.Number }
			if err := json.Unmarshal(in, &ref); err != nil || len(ref.Features) != 4 {
				t.Fatalf("Infer accepted %q, which encoding/json reads as %v (%v)", in, ref.Features, err)
			}
			feats := make([]int64, 4)
			for i, n := range ref.Features {
				v, err := pdv.ParseFixed(string(n))
				if err != nil {
					t.Fatalf("Infer accepted feature %s: %v", n, err)
				}
				feats[i] = v
			}
			l, s := tab.Predict(feats)
			if want := fmt.Sprintf(`{"label":%d,"scores":{"0":%d,"1":%d,"2":%d}}`, l, s[0], s[1], s[2]); string(out) != want {
				t.Fatalf("Infer(%q) = %s, encoding/json reading gives %s", in, out, want)
			}
		}
	})
}
