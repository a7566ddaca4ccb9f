package journal

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// File names inside a journal directory.
const (
	logName  = "journal.log"
	tmpName  = "journal.log.tmp"
	lockName = "LOCK"
)

// Defaults and limits of Options.
const (
	// DefaultMaxRecord is the largest Append data when Options.MaxRecord is 0.
	DefaultMaxRecord = 1 << 20
	// MaxRecordLimit is the largest Options.MaxRecord accepted.
	MaxRecordLimit = 1 << 30
	// DefaultCompactBytes is the log size above which a mostly done log is
	// rewritten, when Options.CompactBytes is 0.
	DefaultCompactBytes = 64 << 20
)

// maxSpareBuf bounds the batch buffer kept for reuse between batches.
const maxSpareBuf = 4 << 20

var (
	// ErrClosed is returned by calls on a closed Journal.
	ErrClosed = errors.New("journal is closed")
	// ErrLocked is wrapped by the error of Open when another Journal, in
	// this process or another, holds the directory.
	ErrLocked = errors.New("journal directory is locked")
)

// Options tunes a Journal. The zero value is ready for production use.
type Options struct {
	// MaxRecord is the largest data Append accepts, in bytes; 0 means
	// DefaultMaxRecord. Reopening a journal needs a MaxRecord at least as
	// large as the largest record in it.
	MaxRecord int
	// CompactBytes is the log size, in bytes, above which the log is
	// rewritten with only its pending entries, once less than half of it is
	// pending; 0 means DefaultCompactBytes.
	CompactBytes int64
	// NoSync skips every fsync. Appends are then not durable against a
	// power loss (they still survive a killed process). For tests and
	// benchmarks only.
	NoSync bool
	// Logger receives warnings (a torn tail cut off at Open, a compaction
	// that failed and will be retried); nil discards them.
	Logger *slog.Logger

	// compactHook, if set, is called by a compaction at each stage
	// ("written": the temporary file is synced; "renamed": it replaced
	// the log). Tests use it to crash a process mid-compaction.
	compactHook func(stage string)
}

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.MaxRecord < 0 || o.MaxRecord > MaxRecordLimit:
		return o, fmt.Errorf("journal: Options.MaxRecord %d is out of range: use 0 for the default or at most %d", o.MaxRecord, MaxRecordLimit)
	case o.CompactBytes < 0:
		return o, fmt.Errorf("journal: Options.CompactBytes %d is negative: use 0 for the default", o.CompactBytes)
	}
	if o.MaxRecord == 0 {
		o.MaxRecord = DefaultMaxRecord
	}
	if o.CompactBytes == 0 {
		o.CompactBytes = DefaultCompactBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Entry is one pending record of the journal.
type Entry struct {
	// Seq numbers the entry; seqs increase with every Append, across
	// restarts and compactions, and are never reused once acknowledged.
	Seq uint64
	// Data is the record as given to Append.
	Data []byte
}

// Stats describes a Journal since it was opened.
type Stats struct {
	// Appended counts the entries made durable.
	Appended uint64
	// Done counts the entries marked done.
	Done uint64
	// Pending is the number of entries not yet done.
	Pending int
	// Recovered is the number of pending entries read back by Open.
	Recovered int
	// Fsyncs counts the fsyncs of log batches (group commits); with
	// NoSync it counts the batches that would have been synced.
	Fsyncs uint64
	// Bytes is the size of the log file.
	Bytes int64
	// LiveBytes is the part of Bytes taken by pending entries.
	LiveBytes int64
	// Compactions counts the rewrites of the log.
	Compactions uint64
	// TornBytes is the size of the torn tail (a batch cut short by a crash,
	// never acknowledged) that Open cut off; 0 when the log was whole.
	TornBytes int64
}

// batch is one group commit: the records of the calls that share it, and
// what applying them does once durable.
type batch struct {
	buf     []byte
	appends []Entry
	dones   []uint64
	done    chan struct{} // closed once written (err set first)
	err     error
}

func newBatch(buf []byte) *batch {
	return &batch{buf: buf[:0], done: make(chan struct{})}
}

// Journal is an open journal directory. Its methods are safe for
// concurrent use.
type Journal struct {
	path string
	dir  string
	opts Options
	lock *os.File

	// f is written by the flusher goroutine only (and by Open and Close
	// while it does not run).
	f       *os.File
	stopped chan struct{}

	mu      sync.Mutex
	wake    *sync.Cond // signals the flusher: a batch has records, or closing
	cur     *batch
	spare   []byte
	closing bool
	failed  error

	next        uint64 // next seq to assign
	durableNext uint64 // one past the last seq on disk
	seqs        []uint64
	data        map[uint64][]byte // pending entries
	dead        int               // seqs no longer in data
	live        int64
	size        int64
	retryAt     int64 // after a failed compaction, none before this size
	stats       Stats
}

// Open opens the journal in dir, creating dir and the journal if needed,
// and replays it: entries appended and not done are pending again. A torn
// tail (a last batch cut short by a crash) is cut off and reported in
// Stats.TornBytes; damage anywhere else is refused with an error wrapping
// ErrCorrupt. Only one Journal at a time may hold a directory: Open fails
// with an error wrapping ErrLocked, naming the holder's pid, otherwise.
func Open(dir string, opts Options) (*Journal, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: create directory: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, lockName))
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j, err := open(dir, opts, lock)
	if err != nil {
		unlockDir(lock)
		return nil, err
	}
	go j.run()
	return j, nil
}

func open(dir string, opts Options, lock *os.File) (*Journal, error) {
	path := filepath.Join(dir, logName)
	// A leftover of a compaction cut short: the log itself is whole.
	if err := os.Remove(filepath.Join(dir, tmpName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("journal: remove unfinished compaction: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: open log: %w", err)
	}
	j, err := load(f, dir, path, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	j.lock = lock
	return j, nil
}

// load replays the log f and repairs a torn tail or a missing header.
func load(f *os.File, dir, path string, opts Options) (*Journal, error) {
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("journal: read log %s: %w", path, err)
	}
	st, err := replay(b, max(opts.MaxRecord+8, maxDonePayload))
	if err != nil {
		return nil, fmt.Errorf("journal: replay %s: %w", path, err)
	}
	b = nil
	if st.torn > 0 {
		opts.Logger.Warn("journal: cut off a torn tail left by a crash (records never acknowledged)",
			"path", path, "offset", st.size, "bytes", st.torn)
		if err := f.Truncate(st.size); err != nil {
			return nil, fmt.Errorf("journal: cut torn tail of %s at %d: %w", path, st.size, err)
		}
	}
	size := st.size
	if size == 0 {
		if _, err := f.Write(appendHeader(nil, st.next)); err != nil {
			return nil, fmt.Errorf("journal: write header of %s: %w", path, err)
		}
		size = headerRecLen
	}
	if st.torn > 0 || st.size == 0 {
		if err := syncData(f); err != nil {
			return nil, fmt.Errorf("journal: sync %s: %w", path, err)
		}
		if err := syncDir(dir); err != nil {
			return nil, err
		}
	}
	j := &Journal{
		path:        path,
		dir:         dir,
		opts:        opts,
		f:           f,
		stopped:     make(chan struct{}),
		cur:         newBatch(nil),
		next:        st.next,
		durableNext: st.next,
		seqs:        st.seqs,
		data:        st.data,
		live:        st.live,
		size:        size,
	}
	j.wake = sync.NewCond(&j.mu)
	j.stats.Recovered = len(st.data)
	j.stats.TornBytes = st.torn
	return j, nil
}

// Append adds data to the journal and returns its seq once it is durable
// (fsync'd, shared with concurrent calls). An error means the entry must
// not be acknowledged: it was not written, or, if ctx ended first, it may
// still be written and so appear in Pending later.
func (j *Journal) Append(ctx context.Context, data []byte) (uint64, error) {
	if len(data) > j.opts.MaxRecord {
		return 0, fmt.Errorf("journal: record of %d bytes is larger than Options.MaxRecord (%d); raise it or split the record", len(data), j.opts.MaxRecord)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("journal: append not started: %w", err)
	}
	d := bytes.Clone(data)
	j.mu.Lock()
	if err := j.usable(); err != nil {
		j.mu.Unlock()
		return 0, err
	}
	seq := j.next
	j.next++
	b := j.cur
	b.buf = appendAppend(b.buf, seq, d)
	b.appends = append(b.appends, Entry{Seq: seq, Data: d})
	j.wake.Signal()
	j.mu.Unlock()
	select {
	case <-b.done:
		if b.err != nil {
			return 0, b.err
		}
		return seq, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("journal: append interrupted before seq %d was durable (%w); it may still be written, so do not acknowledge it", seq, ctx.Err())
	}
}

// Done marks entries settled, durably, once it returns nil: they leave
// Pending and are not replayed after a restart. Seqs unknown or already
// done are ignored.
func (j *Journal) Done(seqs ...uint64) error {
	j.mu.Lock()
	if err := j.usable(); err != nil {
		j.mu.Unlock()
		return err
	}
	known := make([]uint64, 0, len(seqs))
	for _, s := range seqs {
		if _, ok := j.data[s]; ok {
			known = append(known, s)
		}
	}
	if len(known) == 0 {
		j.mu.Unlock()
		return nil
	}
	b := j.cur
	b.buf = appendDone(b.buf, known)
	b.dones = append(b.dones, known...)
	j.wake.Signal()
	j.mu.Unlock()
	<-b.done
	return b.err
}

// Pending returns up to max pending entries (all when max <= 0), oldest
// first. The entries are copies the caller may keep.
func (j *Journal) Pending(max int) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := len(j.data)
	if max > 0 && max < n {
		n = max
	}
	out := make([]Entry, 0, n)
	for _, s := range j.seqs {
		if len(out) == n {
			break
		}
		if d, ok := j.data[s]; ok {
			out = append(out, Entry{Seq: s, Data: bytes.Clone(d)})
		}
	}
	return out
}

// Len returns the number of pending entries.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.data)
}

// Stats returns counters of the journal since Open.
func (j *Journal) Stats() Stats {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.stats
	s.Pending = len(j.data)
	s.Bytes = j.size
	s.LiveBytes = j.live
	return s
}

// Close writes what is queued, waits for it to be durable, and releases
// the directory. Calls after Close fail with ErrClosed; a second Close
// returns nil.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closing {
		j.mu.Unlock()
		return nil
	}
	j.closing = true
	j.wake.Broadcast()
	j.mu.Unlock()
	<-j.stopped

	var errs []error
	j.mu.Lock()
	failed := j.failed
	j.mu.Unlock()
	if failed == nil {
		// With NoSync this is the one fsync; otherwise it is cheap.
		if err := syncData(j.f); err != nil {
			errs = append(errs, fmt.Errorf("journal: sync %s on close: %w", j.path, err))
		}
	}
	if err := j.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("journal: close %s: %w", j.path, err))
	}
	if err := unlockDir(j.lock); err != nil {
		errs = append(errs, fmt.Errorf("journal: release lock of %s: %w", j.dir, err))
	}
	return errors.Join(errs...)
}

// usable reports why no call may be queued now, if so. j.mu is held.
func (j *Journal) usable() error {
	if j.closing {
		return ErrClosed
	}
	return j.failed
}

// run is the flusher: it writes and syncs one batch at a time, while the
// next batch fills, then compacts the log when due.
func (j *Journal) run() {
	defer close(j.stopped)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.maybeCompact()
	for {
		for len(j.cur.buf) == 0 && !j.closing {
			j.wake.Wait()
		}
		if len(j.cur.buf) == 0 {
			return // closing, and everything queued is written
		}
		b := j.cur
		j.cur = newBatch(j.spare)
		j.spare = nil
		if j.failed != nil {
			b.err = j.failed
			close(b.done)
			continue
		}
		j.mu.Unlock()
		err := j.write(b.buf)
		j.mu.Lock()
		if err != nil {
			j.failed = fmt.Errorf("journal %s failed: %w; close it and reopen to recover the durable state", j.path, err)
			b.err = j.failed
		} else {
			j.commit(b)
		}
		close(b.done)
		if cap(b.buf) <= maxSpareBuf {
			j.spare = b.buf
		}
		if j.failed == nil {
			j.maybeCompact()
		}
	}
}

// write appends buf to the log and syncs it. Called by the flusher only.
func (j *Journal) write(buf []byte) error {
	if _, err := j.f.Write(buf); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if !j.opts.NoSync {
		if err := syncData(j.f); err != nil {
			return fmt.Errorf("fsync: %w", err)
		}
	}
	return nil
}

// commit applies a durable batch to the in-memory state. j.mu is held.
func (j *Journal) commit(b *batch) {
	j.size += int64(len(b.buf))
	j.stats.Fsyncs++
	for _, e := range b.appends {
		j.seqs = append(j.seqs, e.Seq)
		j.data[e.Seq] = e.Data
		j.live += appendRecLen(e.Data)
		j.durableNext = e.Seq + 1
	}
	j.stats.Appended += uint64(len(b.appends))
	for _, s := range b.dones {
		if d, ok := j.data[s]; ok {
			delete(j.data, s)
			j.live -= appendRecLen(d)
			j.dead++
			j.stats.Done++
		}
	}
	if j.dead > 1024 && j.dead > len(j.data) {
		kept := make([]uint64, 0, len(j.data)+len(j.data)/4)
		for _, s := range j.seqs {
			if _, ok := j.data[s]; ok {
				kept = append(kept, s)
			}
		}
		j.seqs, j.dead = kept, 0
	}
}

// maybeCompact rewrites the log with only its pending entries when it is
// larger than CompactBytes and mostly done. Called by the flusher with
// j.mu held; it releases j.mu while writing.
func (j *Journal) maybeCompact() {
	if j.size <= j.opts.CompactBytes || j.live*2 >= j.size || j.size < j.retryAt {
		return
	}
	entries := make([]Entry, 0, len(j.data))
	for _, s := range j.seqs {
		if d, ok := j.data[s]; ok {
			entries = append(entries, Entry{Seq: s, Data: d})
		}
	}
	next := j.durableNext
	j.mu.Unlock()
	f, size, renamed, err := j.rewrite(next, entries)
	j.mu.Lock()
	switch {
	case err != nil && !renamed:
		// The old log is intact and still in use: try again later.
		j.retryAt = 2 * j.size
		j.opts.Logger.Warn("journal: compaction failed; the log is intact and compaction will be retried", "path", j.path, "err", err)
	case err != nil:
		// The new log replaced the old one but that may not be durable:
		// writing on would risk losing acknowledged entries.
		j.f.Close()
		j.f = f
		j.failed = fmt.Errorf("journal %s failed during compaction: %w; close it and reopen to recover the durable state", j.path, err)
	default:
		j.f.Close()
		j.f = f
		j.size = size
		j.retryAt = 0
		j.stats.Compactions++
	}
}

// rewrite writes next and entries to the temporary file, syncs it, and
// renames it over the log. renamed tells whether the rename happened.
func (j *Journal) rewrite(next uint64, entries []Entry) (_ *os.File, size int64, renamed bool, err error) {
	tmp := filepath.Join(j.dir, tmpName)
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, 0, false, fmt.Errorf("remove stale %s: %w", tmp, err)
	}
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, false, fmt.Errorf("create %s: %w", tmp, err)
	}
	fail := func(err error) (*os.File, int64, bool, error) {
		f.Close()
		os.Remove(tmp)
		return nil, 0, false, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rec := appendHeader(nil, next)
	size = int64(len(rec))
	if _, err := w.Write(rec); err != nil {
		return fail(fmt.Errorf("write %s: %w", tmp, err))
	}
	for _, e := range entries {
		rec = appendAppend(rec[:0], e.Seq, e.Data)
		size += int64(len(rec))
		if _, err := w.Write(rec); err != nil {
			return fail(fmt.Errorf("write %s: %w", tmp, err))
		}
	}
	if err := w.Flush(); err != nil {
		return fail(fmt.Errorf("write %s: %w", tmp, err))
	}
	if !j.opts.NoSync {
		if err := syncData(f); err != nil {
			return fail(fmt.Errorf("fsync %s: %w", tmp, err))
		}
	}
	if j.opts.compactHook != nil {
		j.opts.compactHook("written")
	}
	if err := os.Rename(tmp, j.path); err != nil {
		return fail(fmt.Errorf("rename %s over the log: %w", tmp, err))
	}
	if j.opts.compactHook != nil {
		j.opts.compactHook("renamed")
	}
	if !j.opts.NoSync {
		if err := syncDir(j.dir); err != nil {
			return f, size, true, err
		}
	}
	return f, size, true, nil
}

// syncDir makes the directory entries of dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("journal: open directory %s to sync it: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("journal: sync directory %s: %w", dir, err)
	}
	return nil
}
