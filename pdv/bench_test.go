package pdv

import (
	"bytes"
	"fmt"
	"testing"
)

// syntheticRecords makes n deterministic digits-like records: dims features
// in 0..16 (fixed-point) and labels 0..9, from a splitmix64 stream.
func syntheticRecords(n, dims int, seed uint64) []Record {
	st := seed
	recs := make([]Record, n)
	for i := range recs {
		f := make([]int64, dims)
		for d := range f {
			f[d] = int64(splitmix64(&st)%17) * FeatureScale
		}
		recs[i] = Record{Features: f, Label: int64(splitmix64(&st) % 10)}
	}
	return recs
}

// BenchmarkKNNShapley times one exact KNN-Shapley valuation of a pool
// against a validation set (64 features).
func BenchmarkKNNShapley(b *testing.B) {
	for _, size := range []struct{ pool, val int }{{10_000, 100}, {100_000, 1_000}} {
		b.Run(fmt.Sprintf("pool=%d/val=%d/dims=64", size.pool, size.val), func(b *testing.B) {
			train := syntheticRecords(size.pool, 64, 1)
			val := syntheticRecords(size.val, 64, 2)
			b.ResetTimer()
			for b.Loop() {
				KNNShapley(train, val, DefaultK)
			}
			b.ReportMetric(float64(size.pool)*float64(size.val)*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
	}
}

// BenchmarkParseScore times parsing and scoring a digits contribution (two
// fifths of the file) against a pool holding another two fifths, with the
// last fifth as the validation set.
func BenchmarkParseScore(b *testing.B) {
	lines := dataset(b, "digits.jsonl")
	cfg := config(b, digitsSchema)
	poolLines, valLines, contribLines := split(lines)
	poolRecs, _ := mustParse(b, cfg, joinLines(poolLines))
	val, _ := mustParse(b, cfg, joinLines(valLines))
	var state PoolState
	state.Add(poolRecs)
	data := joinLines(contribLines)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		recs, rep, err := Parse(cfg, bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if res := Score(cfg, &state, val, recs, rep); !res.Accepted {
			b.Fatal(res.Reason)
		}
	}
	b.ReportMetric(float64(len(contribLines))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkParse times parsing alone (validation, featurisation, MinHash)
// of the whole digits file.
func BenchmarkParse(b *testing.B) {
	lines := dataset(b, "digits.jsonl")
	cfg := config(b, digitsSchema)
	data := joinLines(lines)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := Parse(cfg, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(lines))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
