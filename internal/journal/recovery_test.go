package journal

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// recordOffsets walks a whole log and returns the start of each record and
// the end of the last.
func recordOffsets(t *testing.T, b []byte) []int {
	t.Helper()
	offs := []int{0}
	for off := 0; off < len(b); {
		r, ok := parseAt(b[off:], 1<<30)
		if !ok {
			t.Fatalf("test log unreadable at %d", off)
		}
		off += r.size
		offs = append(offs, off)
	}
	return offs
}

// buildLog writes 5 entries (and, if done, marks entry 3 done last) and
// returns the log bytes and the entries pending before the last record.
func buildLog(t *testing.T, done bool) (log []byte, beforeLast []Entry) {
	t.Helper()
	dir := t.TempDir()
	j := mustOpen(t, dir, Options{})
	var all []Entry
	for i := range 5 {
		all = append(all, Entry{mustAppend(t, j, payload(i+30)), payload(i + 30)})
	}
	beforeLast = all[:4]
	if done {
		if err := j.Done(all[2].Seq); err != nil {
			t.Fatal(err)
		}
		beforeLast = all
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	return log, beforeLast
}

func writeLog(t *testing.T, b []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, logName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestTornTail cuts the log at every offset inside its last record (an
// append, or a done): Open succeeds, reports the cut, keeps every earlier
// record, and the journal writes on cleanly.
func TestTornTail(t *testing.T) {
	for _, tc := range []struct {
		name string
		done bool
	}{{"append", false}, {"done", true}} {
		t.Run(tc.name, func(t *testing.T) {
			log, want := buildLog(t, tc.done)
			offs := recordOffsets(t, log)
			start, end := offs[len(offs)-2], offs[len(offs)-1]
			for cut := start; cut < end; cut++ {
				dir := writeLog(t, log[:cut])
				j, err := Open(dir, Options{})
				if err != nil {
					t.Fatalf("cut at %d (record %d..%d): %v", cut, start, end, err)
				}
				if got := j.Stats().TornBytes; got != int64(cut-start) {
					t.Fatalf("cut at %d: TornBytes %d, want %d", cut, got, cut-start)
				}
				wantPending(t, j, want)
				if fi, err := os.Stat(filepath.Join(dir, logName)); err != nil || fi.Size() != int64(start) {
					t.Fatalf("cut at %d: log not truncated to %d: %v %v", cut, start, fi.Size(), err)
				}
				// A torn append was never acknowledged: its seq is free.
				s := mustAppend(t, j, []byte("after"))
				if next := want[len(want)-1].Seq + 1; s != next {
					t.Fatalf("cut at %d: next seq %d, want %d", cut, s, next)
				}
				j.Close()
				j = mustOpen(t, dir, Options{})
				wantPending(t, j, append(append([]Entry(nil), want...), Entry{s, []byte("after")}))
				if j.Stats().TornBytes != 0 {
					t.Fatalf("cut at %d: still torn after repair", cut)
				}
				j.Close()
			}
		})
	}
}

// TestTornTailShapes covers tails a crash can leave besides a short last
// record: a file extended with zeros, a last record with garbage, an empty
// or cut header.
func TestTornTailShapes(t *testing.T) {
	log, _ := buildLog(t, false)
	offs := recordOffsets(t, log)
	last := offs[len(offs)-2]
	garbled := append([]byte(nil), log...)
	garbled[len(garbled)-3] ^= 0x55
	for _, tc := range []struct {
		name    string
		file    []byte
		pending int
		torn    int
	}{
		{"zeros after the log", append(append([]byte(nil), log...), make([]byte, 4096)...), 5, 4096},
		{"garbled last record", garbled, 4, len(log) - last},
		{"empty file", nil, 0, 0},
		{"cut header", log[:headerRecLen-1], 0, headerRecLen - 1},
		{"zeroed header", make([]byte, 100), 0, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := Open(writeLog(t, tc.file), Options{})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer j.Close()
			if j.Len() != tc.pending || j.Stats().TornBytes != int64(tc.torn) {
				t.Fatalf("Len %d, TornBytes %d; want %d, %d", j.Len(), j.Stats().TornBytes, tc.pending, tc.torn)
			}
			if s := mustAppend(t, j, []byte("x")); s != uint64(tc.pending+1) {
				t.Fatalf("next seq %d, want %d", s, tc.pending+1)
			}
		})
	}
}

// TestCorruptMiddle: damage before the last record is refused with
// ErrCorrupt, whatever the damaged field.
func TestCorruptMiddle(t *testing.T) {
	log, _ := buildLog(t, true)
	offs := recordOffsets(t, log)
	mid := offs[2] // the second append record
	midEnd := offs[3]
	patch := func(f func(b []byte)) []byte {
		b := append([]byte(nil), log...)
		f(b)
		return b
	}
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"payload bit", patch(func(b []byte) { b[mid+recHeaderLen+9] ^= 1 })},
		{"crc", patch(func(b []byte) { b[mid+5] ^= 0x80 })},
		{"type", patch(func(b []byte) { b[mid+8] = 9 })},
		{"length larger", patch(func(b []byte) { b[mid]++ })},
		{"length smaller", patch(func(b []byte) { b[mid]-- })},
		{"length huge", patch(func(b []byte) { binary.LittleEndian.PutUint32(b[mid:], 0xfffffff0) })},
		{"length past the end", patch(func(b []byte) { binary.LittleEndian.PutUint32(b[mid:], uint32(len(b))) })},
		{"record zeroed", patch(func(b []byte) { clear(b[mid:midEnd]) })},
		{"header magic", patch(func(b []byte) { b[recHeaderLen] = 'X' })},
		{"not a journal", []byte("this is some other file that happens to be called journal.log\n")},
		{"garbage then a record", append(append(append([]byte(nil), log...), 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6), log[offs[1]:offs[2]]...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := Open(writeLog(t, tc.file), Options{})
			if err == nil {
				j.Close()
				t.Fatal("Open accepted a log corrupt in the middle")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestCorruptSemantics: records that are valid on their own but break the
// log's rules are refused.
func TestCorruptSemantics(t *testing.T) {
	var seq [8]byte
	binary.LittleEndian.PutUint64(seq[:], 5)
	header := appendHeader(nil, 1)
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"no header", appendAppend(nil, 1, []byte("a"))},
		{"second header", appendHeader(appendAppend(header, 1, []byte("a")), 9)},
		{"seq repeated", appendAppend(appendAppend(header, 3, []byte("a")), 3, []byte("b"))},
		{"seq backwards", appendAppend(appendAppend(header, 3, []byte("a")), 2, []byte("b"))},
		{"short append", appendRecord(header, recAppend, []byte{1, 2})},
		{"ragged done", appendRecord(appendAppend(header, 5, nil), recDone, seq[:], []byte{1})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A valid record after it keeps it from passing as a torn tail.
			file := appendRecord(tc.file, recDone, seq[:])
			j, err := Open(writeLog(t, file), Options{})
			if err == nil {
				j.Close()
				t.Fatal("Open accepted the log")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v, want ErrCorrupt", err)
			}
		})
	}
}
