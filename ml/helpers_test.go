package ml

import (
	"bytes"
	"os"
	"testing"

	"github.com/lazchain/lazchain/internal/datasets"
	"github.com/lazchain/lazchain/pdv"
)

// loadSet parses a tabular JSON Lines dataset with the default schema.
func loadSet(tb testing.TB, data []byte) []Example {
	tb.Helper()
	schema, err := pdv.DefaultSchema(pdv.KindTabular)
	if err != nil {
		tb.Fatal(err)
	}
	recs, rep, err := pdv.Parse(pdv.Config{Kind: pdv.KindTabular, Schema: schema}, bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	if rep.Valid != rep.Lines || len(recs) == 0 {
		tb.Fatalf("dataset: %d of %d lines valid: %v", rep.Valid, rep.Lines, rep.Errors)
	}
	out := make([]Example, len(recs))
	for i, r := range recs {
		out[i] = Example{Features: r.Features, Label: r.Label}
	}
	return out
}

func irisSet(tb testing.TB) []Example { return loadSet(tb, datasets.Iris) }
func wineSet(tb testing.TB) []Example { return loadSet(tb, datasets.Wine) }

func digitsSet(tb testing.TB) []Example {
	data, err := os.ReadFile("testdata/digits.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	return loadSet(tb, data)
}

// split puts every fifth example (index ≡ 0 mod 5) in the validation set.
func split(all []Example) (train, val []Example) {
	for i, e := range all {
		if i%5 == 0 {
			val = append(val, e)
		} else {
			train = append(train, e)
		}
	}
	return train, val
}

// majorityPPM is the accuracy on val of always predicting train's most
// frequent label (smallest label on ties).
func majorityPPM(train, val []Example) uint32 {
	counts := map[int64]int{}
	for _, e := range train {
		counts[e.Label]++
	}
	var best int64
	bestN := -1
	for l, n := range counts {
		if n > bestN || (n == bestN && l < best) {
			best, bestN = l, n
		}
	}
	correct := 0
	for _, e := range val {
		if e.Label == best {
			correct++
		}
	}
	return uint32(correct * 1_000_000 / len(val))
}

func mustHyper(tb testing.TB, kind Kind, s string) Hyper {
	tb.Helper()
	h, err := ParseHyper(kind, s)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func mustTrain(tb testing.TB, kind Kind, hyper string, in Input, train []Example) *Model {
	tb.Helper()
	m, err := Train(kind, mustHyper(tb, kind, hyper), in, train)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

var tabular = Input{PoolKind: pdv.KindTabular}
