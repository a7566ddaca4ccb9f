package pdv

import (
	"encoding/binary"
	"fmt"
)

// stateMagic starts the binary form of a PoolState (version 1).
const stateMagic = "LZPDVS1\n"

// PoolState is a pool's scoring state: its accepted records (features,
// labels and signatures, in the order they were added) and the LSH index of
// their signatures, in which record i has id i. The zero PoolState is an
// empty pool. A PoolState is not safe for concurrent use while it is
// being added to.
type PoolState struct {
	recs []Record
	ix   Index
}

// Add appends records to the pool, in order. The records are copied.
func (s *PoolState) Add(recs []Record) {
	for _, r := range recs {
		r.Features = append([]int64(nil), r.Features...)
		s.ix.Add(uint64(len(s.recs)), r.Sig)
		s.recs = append(s.recs, r)
	}
}

// Len returns the number of records in the pool.
func (s *PoolState) Len() int { return len(s.recs) }

// Records returns the pool's records in the order they were added. The
// slice is shared with the state: do not modify it.
func (s *PoolState) Records() []Record { return s.recs }

// MarshalBinary returns the deterministic binary form of the state: the
// magic "LZPDVS1\n", the record count (uvarint), then per record the
// feature count (uvarint), the features (zig-zag varints), the label
// (zig-zag varint) and the SigLen signature entries (4 bytes little-endian
// each). The index is not stored; UnmarshalBinary rebuilds it.
func (s *PoolState) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, len(stateMagic)+len(s.recs)*(SigLen*4+16))
	b = append(b, stateMagic...)
	b = binary.AppendUvarint(b, uint64(len(s.recs)))
	for i := range s.recs {
		r := &s.recs[i]
		b = binary.AppendUvarint(b, uint64(len(r.Features)))
		for _, f := range r.Features {
			b = binary.AppendVarint(b, f)
		}
		b = binary.AppendVarint(b, r.Label)
		for _, v := range r.Sig {
			b = binary.LittleEndian.AppendUint32(b, v)
		}
	}
	return b, nil
}

// UnmarshalBinary replaces the state with the one encoded in data by
// MarshalBinary. On error the state is left unchanged.
func (s *PoolState) UnmarshalBinary(data []byte) error {
	fail := func(what string) error {
		return fmt.Errorf("pdv: decoding pool state: %s; the data is corrupt or not from PoolState.MarshalBinary", what)
	}
	if len(data) < len(stateMagic) || string(data[:len(stateMagic)]) != stateMagic {
		return fail("bad magic")
	}
	d := data[len(stateMagic):]
	uvarint := func() (uint64, bool) {
		v, n := binary.Uvarint(d)
		if n <= 0 {
			return 0, false
		}
		d = d[n:]
		return v, true
	}
	varint := func() (int64, bool) {
		v, n := binary.Varint(d)
		if n <= 0 {
			return 0, false
		}
		d = d[n:]
		return v, true
	}
	count, ok := uvarint()
	// Every record takes at least 2+4·SigLen bytes.
	if !ok || count > uint64(len(d))/(2+4*SigLen) {
		return fail("bad record count")
	}
	var next PoolState
	next.recs = make([]Record, 0, count)
	for i := range count {
		nf, ok := uvarint()
		if !ok || nf > uint64(len(d)) {
			return fail(fmt.Sprintf("record %d: bad feature count", i))
		}
		r := Record{Features: make([]int64, nf)}
		for j := range r.Features {
			f, ok := varint()
			if !ok || f > MaxFeature || f < -MaxFeature {
				return fail(fmt.Sprintf("record %d: bad feature %d", i, j))
			}
			r.Features[j] = f
		}
		if r.Label, ok = varint(); !ok {
			return fail(fmt.Sprintf("record %d: bad label", i))
		}
		if len(d) < 4*SigLen {
			return fail(fmt.Sprintf("record %d: truncated signature", i))
		}
		for j := range r.Sig {
			r.Sig[j] = binary.LittleEndian.Uint32(d[4*j:])
		}
		d = d[4*SigLen:]
		next.ix.Add(uint64(len(next.recs)), r.Sig)
		next.recs = append(next.recs, r)
	}
	if len(d) != 0 {
		return fail("trailing bytes")
	}
	*s = next
	return nil
}
