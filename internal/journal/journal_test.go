package journal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// payload is deterministic test data for entry i.
func payload(i int) []byte {
	return []byte(fmt.Sprintf("receipt-%06d-%s", i, strings.Repeat("x", i%37)))
}

func mustOpen(t testing.TB, dir string, opts Options) *Journal {
	t.Helper()
	j, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return j
}

func mustAppend(t testing.TB, j *Journal, data []byte) uint64 {
	t.Helper()
	seq, err := j.Append(context.Background(), data)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return seq
}

// wantPending checks that the journal's pending entries are exactly want,
// in order.
func wantPending(t testing.TB, j *Journal, want []Entry) {
	t.Helper()
	got := j.Pending(0)
	if len(got) != len(want) || j.Len() != len(want) {
		t.Fatalf("pending: got %d entries (Len %d), want %d", len(got), j.Len(), len(want))
	}
	for i := range want {
		if got[i].Seq != want[i].Seq || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Fatalf("pending[%d] = {%d %q}, want {%d %q}", i, got[i].Seq, got[i].Data, want[i].Seq, want[i].Data)
		}
	}
}

func TestAppendPendingDoneReopen(t *testing.T) {
	dir := t.TempDir()
	j := mustOpen(t, dir, Options{})
	var all []Entry
	for i := range 10 {
		seq := mustAppend(t, j, payload(i))
		if want := uint64(i + 1); seq != want {
			t.Fatalf("append %d: seq %d, want %d", i, seq, want)
		}
		all = append(all, Entry{seq, payload(i)})
	}
	wantPending(t, j, all)
	if got := j.Pending(3); len(got) != 3 || got[0].Seq != 1 || got[2].Seq != 3 {
		t.Fatalf("Pending(3) = %v, want seqs 1..3", got)
	}
	// Pending returns copies.
	p := j.Pending(1)
	p[0].Data[0] ^= 0xff
	wantPending(t, j, all)

	// Unknown and repeated seqs are ignored.
	if err := j.Done(2, 4, 4, 99, 0); err != nil {
		t.Fatalf("Done: %v", err)
	}
	if err := j.Done(2); err != nil {
		t.Fatalf("Done again: %v", err)
	}
	live := []Entry{all[0], all[2]}
	live = append(live, all[4:]...)
	wantPending(t, j, live)
	st := j.Stats()
	if st.Appended != 10 || st.Done != 2 || st.Pending != 8 {
		t.Fatalf("stats %+v: want Appended 10, Done 2, Pending 8", st)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := j.Append(context.Background(), []byte("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v, want ErrClosed", err)
	}
	if err := j.Done(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Done after Close: %v, want ErrClosed", err)
	}

	j = mustOpen(t, dir, Options{})
	defer j.Close()
	wantPending(t, j, live)
	if st := j.Stats(); st.Recovered != 8 || st.TornBytes != 0 {
		t.Fatalf("stats after reopen %+v: want Recovered 8, TornBytes 0", st)
	}
	// Seqs go on after the last one, even the last done.
	if err := j.Done(10); err != nil {
		t.Fatal(err)
	}
	if seq := mustAppend(t, j, []byte("next")); seq != 11 {
		t.Fatalf("seq after reopen %d, want 11", seq)
	}
}

func TestEmptyAndLargeRecords(t *testing.T) {
	dir := t.TempDir()
	const maxRec = 600 << 10
	j := mustOpen(t, dir, Options{MaxRecord: maxRec})
	if _, err := j.Append(context.Background(), make([]byte, maxRec+1)); err == nil || !strings.Contains(err.Error(), "MaxRecord") {
		t.Fatalf("Append over MaxRecord: %v, want an error naming MaxRecord", err)
	}
	big := bytes.Repeat([]byte{7}, maxRec)
	s1 := mustAppend(t, j, nil)
	s2 := mustAppend(t, j, big)
	s3 := mustAppend(t, j, []byte("small"))
	j.Close()

	// A smaller MaxRecord cannot read the large record back: clear error.
	if _, err := Open(dir, Options{MaxRecord: 10}); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "MaxRecord") {
		t.Fatalf("reopen with smaller MaxRecord: %v, want ErrCorrupt naming MaxRecord", err)
	}
	j = mustOpen(t, dir, Options{MaxRecord: maxRec})
	defer j.Close()
	wantPending(t, j, []Entry{{s1, []byte{}}, {s2, big}, {s3, []byte("small")}})
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{{MaxRecord: -1}, {MaxRecord: MaxRecordLimit + 1}, {CompactBytes: -5}} {
		if j, err := Open(t.TempDir(), o); err == nil {
			j.Close()
			t.Fatalf("Open(%+v) succeeded, want an error", o)
		}
	}
}

func TestCanceledContext(t *testing.T) {
	j := mustOpen(t, t.TempDir(), Options{})
	defer j.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := j.Append(ctx, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with canceled ctx: %v, want context.Canceled", err)
	}
	if j.Len() != 0 || j.Stats().Appended != 0 {
		t.Fatalf("a canceled Append was written: %+v", j.Stats())
	}
}

func TestLock(t *testing.T) {
	dir := t.TempDir()
	j := mustOpen(t, dir, Options{})
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("second Open: %v, want ErrLocked naming pid %d", err, os.Getpid())
	}
	mustAppend(t, j, []byte("a"))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = mustOpen(t, dir, Options{})
	defer j.Close()
	if j.Len() != 1 {
		t.Fatalf("Len %d after reopen, want 1", j.Len())
	}
}

// TestConcurrentGroupCommit: 64 goroutines x 500 synced appends all land,
// with unique seqs, in far fewer fsyncs than appends.
func TestConcurrentGroupCommit(t *testing.T) {
	const workers, per = 64, 500
	dir := t.TempDir()
	j := mustOpen(t, dir, Options{})
	seqs := make([][]uint64, workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				seq, err := j.Append(context.Background(), []byte(fmt.Sprintf("w%02d-i%03d", w, i)))
				if err != nil {
					errs <- err
					return
				}
				seqs[w] = append(seqs[w], seq)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}
	want := make(map[uint64]string, workers*per)
	for w := range workers {
		for i, s := range seqs[w] {
			if _, dup := want[s]; dup {
				t.Fatalf("seq %d returned twice", s)
			}
			if i > 0 && s <= seqs[w][i-1] {
				t.Fatalf("worker %d: seq %d after %d", w, s, seqs[w][i-1])
			}
			want[s] = fmt.Sprintf("w%02d-i%03d", w, i)
		}
	}
	check := func(j *Journal) {
		t.Helper()
		p := j.Pending(0)
		if len(p) != workers*per {
			t.Fatalf("%d pending, want %d", len(p), workers*per)
		}
		for i, e := range p {
			if string(e.Data) != want[e.Seq] {
				t.Fatalf("seq %d holds %q, want %q", e.Seq, e.Data, want[e.Seq])
			}
			if i > 0 && e.Seq <= p[i-1].Seq {
				t.Fatalf("pending not in seq order at %d", i)
			}
		}
	}
	check(j)
	st := j.Stats()
	t.Logf("%d appends, %d fsyncs (%.1f appends per fsync)", st.Appended, st.Fsyncs, float64(st.Appended)/float64(st.Fsyncs))
	if st.Fsyncs*4 > st.Appended {
		t.Fatalf("%d fsyncs for %d appends: group commit is not sharing fsyncs", st.Fsyncs, st.Appended)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = mustOpen(t, dir, Options{})
	defer j.Close()
	check(j)
}

// TestConcurrentAppendDone mixes Appends and Dones from many goroutines.
func TestConcurrentAppendDone(t *testing.T) {
	dir := t.TempDir()
	j := mustOpen(t, dir, Options{NoSync: true, CompactBytes: 16 << 10})
	const workers, per = 16, 400
	var wg sync.WaitGroup
	kept := make([][]uint64, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []uint64
			for i := range per {
				seq, err := j.Append(context.Background(), payload(i))
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				mine = append(mine, seq)
				if len(mine) == 10 {
					// Settle the first 7, keep 3.
					if err := j.Done(mine[:7]...); err != nil {
						t.Errorf("Done: %v", err)
						return
					}
					kept[w] = append(kept[w], mine[7:]...)
					mine = nil
				}
			}
			kept[w] = append(kept[w], mine...)
		}()
	}
	wg.Wait()
	want := make(map[uint64]bool)
	for _, k := range kept {
		for _, s := range k {
			want[s] = true
		}
	}
	verify := func(j *Journal) {
		t.Helper()
		p := j.Pending(0)
		if len(p) != len(want) {
			t.Fatalf("%d pending, want %d", len(p), len(want))
		}
		for _, e := range p {
			if !want[e.Seq] {
				t.Fatalf("seq %d pending, but it was done", e.Seq)
			}
		}
	}
	verify(j)
	if j.Stats().Compactions == 0 {
		t.Fatalf("no compaction ran: %+v", j.Stats())
	}
	j.Close()
	j = mustOpen(t, dir, Options{})
	defer j.Close()
	verify(j)
}

// TestCompaction: a rewrite keeps exactly the pending entries, their
// data and seqs, and the seq numbering, even when nothing is pending.
func TestCompaction(t *testing.T) {
	dir := t.TempDir()
	opts := Options{CompactBytes: 8 << 10}
	j := mustOpen(t, dir, opts)
	var live []Entry
	var seq uint64
	for i := range 600 {
		seq = mustAppend(t, j, payload(i))
		if i%10 == 3 {
			live = append(live, Entry{seq, payload(i)})
			continue
		}
		if err := j.Done(seq); err != nil {
			t.Fatal(err)
		}
	}
	st := j.Stats()
	if st.Compactions == 0 {
		t.Fatalf("no compaction: %+v", st)
	}
	if st.Bytes > 2*opts.CompactBytes+st.LiveBytes {
		t.Fatalf("log is %d bytes after compactions (live %d, threshold %d)", st.Bytes, st.LiveBytes, opts.CompactBytes)
	}
	wantPending(t, j, live)
	j.Close()
	if _, err := os.Stat(filepath.Join(dir, tmpName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("compaction left %s behind: %v", tmpName, err)
	}
	j = mustOpen(t, dir, opts)
	wantPending(t, j, live)

	// Settle everything; the compacted log must still number on.
	for _, e := range live {
		if err := j.Done(e.Seq); err != nil {
			t.Fatal(err)
		}
	}
	for range 300 {
		s := mustAppend(t, j, payload(1))
		if s <= seq {
			t.Fatalf("seq %d after %d", s, seq)
		}
		seq = s
		if err := j.Done(s); err != nil {
			t.Fatal(err)
		}
	}
	compactions := j.Stats().Compactions
	j.Close()
	if compactions == 0 {
		t.Fatal("no compaction in the second session")
	}
	j = mustOpen(t, dir, opts)
	defer j.Close()
	wantPending(t, j, nil)
	if s := mustAppend(t, j, []byte("after")); s != seq+1 {
		t.Fatalf("seq after compacting everything away: %d, want %d", s, seq+1)
	}
}

// TestCompactOnOpen: a large, mostly done log is compacted right after
// Open.
func TestCompactOnOpen(t *testing.T) {
	dir := t.TempDir()
	j := mustOpen(t, dir, Options{})
	var seqs []uint64
	for i := range 200 {
		seqs = append(seqs, mustAppend(t, j, payload(i)))
	}
	if err := j.Done(seqs[1:]...); err != nil {
		t.Fatal(err)
	}
	before := j.Stats().Bytes
	j.Close()
	j = mustOpen(t, dir, Options{CompactBytes: 1024})
	// The flusher compacts before it takes any batch; Close waits for it.
	j.Close()
	fi, err := os.Stat(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() >= before/4 {
		t.Fatalf("log is %d bytes after reopening a %d-byte mostly done log", fi.Size(), before)
	}
	j = mustOpen(t, dir, Options{})
	defer j.Close()
	wantPending(t, j, []Entry{{seqs[0], payload(0)}})
}

// TestFailedWrite: after a write error the journal refuses further calls,
// and reopening recovers what was durable.
func TestFailedWrite(t *testing.T) {
	dir := t.TempDir()
	j := mustOpen(t, dir, Options{})
	s := mustAppend(t, j, []byte("kept"))
	j.f.Close() // the flusher is idle: break its file under it
	if _, err := j.Append(context.Background(), []byte("lost")); err == nil {
		t.Fatal("Append on a broken file succeeded")
	}
	if _, err := j.Append(context.Background(), []byte("later")); err == nil || !strings.Contains(err.Error(), "reopen") {
		t.Fatalf("Append after failure: %v, want the sticky failure", err)
	}
	if err := j.Done(s); err == nil {
		t.Fatal("Done after failure succeeded")
	}
	j.Close()
	j = mustOpen(t, dir, Options{})
	defer j.Close()
	wantPending(t, j, []Entry{{s, []byte("kept")}})
}
