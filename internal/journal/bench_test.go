package journal

import (
	"bytes"
	"context"
	"testing"
)

// receipt is a receipt-sized record.
var benchReceipt = bytes.Repeat([]byte{0xab}, 256)

func benchAppend(b *testing.B, opts Options) {
	j := mustOpen(b, b.TempDir(), opts)
	defer j.Close()
	b.SetParallelism(32) // many concurrent calls per core, as an HTTP server has
	b.SetBytes(int64(len(benchReceipt)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := j.Append(ctx, benchReceipt); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	st := j.Stats()
	b.ReportMetric(float64(st.Appended)/b.Elapsed().Seconds(), "appends/s")
	b.ReportMetric(float64(st.Appended)/float64(max(st.Fsyncs, 1)), "appends/commit")
}

// BenchmarkAppendParallel measures synced, group-committed appends of
// 256-byte records from 32 goroutines per core.
func BenchmarkAppendParallel(b *testing.B) { benchAppend(b, Options{}) }

// BenchmarkAppendNoSync is the same without fsync: the cost of the
// encoding, locking and write path alone.
func BenchmarkAppendNoSync(b *testing.B) { benchAppend(b, Options{NoSync: true}) }

// BenchmarkAppendDone appends in parallel and settles each goroutine's
// receipts in batches of 100, as a worker does, with compaction on.
func BenchmarkAppendDone(b *testing.B) {
	j := mustOpen(b, b.TempDir(), Options{CompactBytes: 1 << 20})
	defer j.Close()
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		seqs := make([]uint64, 0, 100)
		for pb.Next() {
			seq, err := j.Append(ctx, benchReceipt)
			if err != nil {
				b.Error(err)
				return
			}
			if seqs = append(seqs, seq); len(seqs) == cap(seqs) {
				if err := j.Done(seqs...); err != nil {
					b.Error(err)
					return
				}
				seqs = seqs[:0]
			}
		}
	})
	b.StopTimer()
	st := j.Stats()
	b.ReportMetric(float64(st.Appended)/b.Elapsed().Seconds(), "appends/s")
	b.ReportMetric(float64(st.Compactions), "compactions")
}
