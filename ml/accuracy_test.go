package ml

import (
	"testing"
	"time"
)

// TestAccuracy trains every kind on iris, wine and digits with a
// deterministic split and requires a clear margin over the majority-class
// baseline as well as an absolute floor.
func TestAccuracy(t *testing.T) {
	sets := []struct {
		name  string
		load  func(testing.TB) []Example
		floor uint32 // minimum accuracy in ppm
	}{
		{"iris", irisSet, 850_000},
		{"wine", wineSet, 850_000},
		{"digits", digitsSet, 900_000},
	}
	kinds := []struct {
		kind  Kind
		hyper string
	}{
		{Logistic, ""},
		{MLP, ""},
		{KNN, ""},
	}
	for _, s := range sets {
		train, val := split(s.load(t))
		base := majorityPPM(train, val)
		for _, k := range kinds {
			t.Run(s.name+"/"+string(k.kind), func(t *testing.T) {
				start := time.Now()
				m := mustTrain(t, k.kind, k.hyper, tabular, train)
				acc := m.Accuracy(val)
				t.Logf("%s %s: accuracy %d ppm (baseline %d ppm), trained in %v", s.name, k.kind, acc, base, time.Since(start))
				if acc < s.floor || acc < base+300_000 {
					t.Errorf("accuracy %d ppm: want at least %d and baseline %d + 300000", acc, s.floor, base)
				}
			})
		}
	}
}
