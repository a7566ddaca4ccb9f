package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// Record types of the segment file (see the package documentation).
const (
	recHeader byte = 1
	recAppend byte = 2
	recDone   byte = 3
)

const (
	recHeaderLen   = 9      // len + crc + type
	headerMagic    = "LZJ1" // first bytes of the header payload
	headerPayload  = 4 + 8  // magic + next seq
	headerRecLen   = recHeaderLen + headerPayload
	doneChunk      = 64 * 1024     // seqs per done record
	maxDonePayload = doneChunk * 8 // bytes of the largest done payload
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord appends one record of type typ to buf. The payload is the
// concatenation of parts.
func appendRecord(buf []byte, typ byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(n))
	buf = append(buf, 0, 0, 0, 0, typ)
	for _, p := range parts {
		buf = append(buf, p...)
	}
	binary.LittleEndian.PutUint32(buf[start+4:], recordCRC(buf[start:]))
	return buf
}

// recordCRC is the crc of the whole record rec (len, type and payload;
// the crc field itself is skipped).
func recordCRC(rec []byte) uint32 {
	c := crc32.Update(0, castagnoli, rec[:4])
	return crc32.Update(c, castagnoli, rec[8:])
}

func appendHeader(buf []byte, next uint64) []byte {
	var p [headerPayload]byte
	copy(p[:], headerMagic)
	binary.LittleEndian.PutUint64(p[4:], next)
	return appendRecord(buf, recHeader, p[:])
}

func appendAppend(buf []byte, seq uint64, data []byte) []byte {
	var s [8]byte
	binary.LittleEndian.PutUint64(s[:], seq)
	return appendRecord(buf, recAppend, s[:], data)
}

// appendDone appends done records for seqs, doneChunk seqs a record.
func appendDone(buf []byte, seqs []uint64) []byte {
	for len(seqs) > 0 {
		n := min(len(seqs), doneChunk)
		p := make([]byte, 0, 8*n)
		for _, s := range seqs[:n] {
			p = binary.LittleEndian.AppendUint64(p, s)
		}
		buf = appendRecord(buf, recDone, p)
		seqs = seqs[n:]
	}
	return buf
}

// appendRecLen is the size on disk of the append record of data.
func appendRecLen(data []byte) int64 { return int64(recHeaderLen + 8 + len(data)) }

// ErrCorrupt is wrapped by the error of Open when the log is damaged
// somewhere other than its tail.
var ErrCorrupt = errors.New("journal log is corrupt")

// record is one decoded record.
type record struct {
	typ     byte
	payload []byte
	size    int // bytes on disk
}

// parseAt decodes the record at the start of b. ok is false when b does
// not start with a whole valid record (cut short, bad length, unknown
// type or bad crc). maxPayload bounds the length field.
func parseAt(b []byte, maxPayload int) (r record, ok bool) {
	if len(b) < recHeaderLen {
		return r, false
	}
	n := binary.LittleEndian.Uint32(b)
	typ := b[8]
	if typ < recHeader || typ > recDone || uint64(n) > uint64(maxPayload) || uint64(n) > uint64(len(b)-recHeaderLen) {
		return r, false
	}
	rec := b[:recHeaderLen+int(n)]
	if binary.LittleEndian.Uint32(b[4:]) != recordCRC(rec) {
		return r, false
	}
	return record{typ: typ, payload: rec[recHeaderLen:], size: len(rec)}, true
}

// validAfter reports the offset of the first whole valid record in b
// starting after offset 0, or -1.
func validAfter(b []byte, maxPayload int) int {
	for o := 1; o+recHeaderLen <= len(b); o++ {
		if _, ok := parseAt(b[o:], maxPayload); ok {
			return o
		}
	}
	return -1
}

// replayed is the state read back from a segment.
type replayed struct {
	next    uint64   // next seq to assign
	last    uint64   // last append seq read
	seqs    []uint64 // pending seqs, increasing
	data    map[uint64][]byte
	live    int64 // bytes of the pending append records
	size    int64 // bytes of valid log (the file is truncated to it)
	torn    int64 // bytes of torn tail cut off
	records int
}

// replay decodes a whole segment file b. A torn tail is reported in
// torn and excluded from size; damage elsewhere is an error wrapping
// ErrCorrupt.
func replay(b []byte, maxPayload int) (*replayed, error) {
	st := &replayed{next: 1, data: make(map[uint64][]byte)}
	off := 0
	for off < len(b) {
		r, ok := parseAt(b[off:], maxPayload)
		if !ok {
			rest := b[off:]
			if big, ok := parseAt(rest, math.MaxInt); ok {
				return nil, fmt.Errorf("%w: record at offset %d has a %d-byte payload, more than this journal accepts (%d); reopen with a larger Options.MaxRecord", ErrCorrupt, off, len(big.payload), maxPayload)
			}
			if at := validAfter(rest, maxPayload); at >= 0 {
				return nil, fmt.Errorf("%w: bad record at offset %d, yet a valid record follows at offset %d; restore the journal directory from a backup or move journal.log aside", ErrCorrupt, off, off+at)
			}
			if off == 0 && len(rest) >= headerRecLen && !allZero(rest) {
				return nil, fmt.Errorf("%w: the file does not start with a journal header; is this the right directory?", ErrCorrupt)
			}
			st.torn = int64(len(rest))
			break
		}
		if err := st.apply(r, off); err != nil {
			return nil, err
		}
		off += r.size
		st.records++
	}
	st.size = int64(off)
	// Drop the seqs that were done, keeping order.
	kept := st.seqs[:0]
	for _, s := range st.seqs {
		if _, ok := st.data[s]; ok {
			kept = append(kept, s)
		}
	}
	st.seqs = kept
	return st, nil
}

func (st *replayed) apply(r record, off int) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: record at offset %d: %s; restore the journal directory from a backup", ErrCorrupt, off, fmt.Sprintf(format, a...))
	}
	if (off == 0) != (r.typ == recHeader) {
		if off == 0 {
			return bad("the file does not start with a header record")
		}
		return bad("header record after the start of the file")
	}
	switch r.typ {
	case recHeader:
		if len(r.payload) != headerPayload || !bytes.Equal(r.payload[:4], []byte(headerMagic)) {
			return bad("unknown header (format version?)")
		}
		st.next = max(binary.LittleEndian.Uint64(r.payload[4:]), 1)
	case recAppend:
		if len(r.payload) < 8 {
			return bad("append record of %d bytes", len(r.payload))
		}
		seq := binary.LittleEndian.Uint64(r.payload)
		if seq <= st.last {
			return bad("seq %d out of order (after %d)", seq, st.last)
		}
		st.last = seq
		st.next = max(st.next, seq+1)
		st.seqs = append(st.seqs, seq)
		st.data[seq] = bytes.Clone(r.payload[8:])
		st.live += int64(r.size)
	case recDone:
		if len(r.payload) == 0 || len(r.payload)%8 != 0 {
			return bad("done record of %d bytes", len(r.payload))
		}
		for p := r.payload; len(p) > 0; p = p[8:] {
			seq := binary.LittleEndian.Uint64(p)
			if d, ok := st.data[seq]; ok {
				st.live -= appendRecLen(d)
				delete(st.data, seq)
			}
		}
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
