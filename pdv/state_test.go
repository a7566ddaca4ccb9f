package pdv

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

func sampleState() *PoolState {
	var s PoolState
	s.Add([]Record{
		{Features: []int64{1, -2, MaxFeature}, Label: 3, Sig: MinHash([]byte("first record content"))},
		{Features: nil, Label: -1 << 40, Sig: MinHash(nil)},
		{Features: []int64{-MaxFeature, 0}, Label: 0, Sig: MinHash([]byte(sentence))},
	})
	return &s
}

func TestPoolStateRoundTrip(t *testing.T) {
	s := sampleState()
	blob, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(blob, []byte(stateMagic)) {
		t.Fatal("missing magic")
	}
	var r PoolState
	if err := r.UnmarshalBinary(blob); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 3 || !reflect.DeepEqual(r.Records()[0], s.Records()[0]) || r.Records()[1].Label != -1<<40 {
		t.Fatalf("records differ: %+v", r.Records())
	}
	blob2, _ := r.MarshalBinary()
	if !bytes.Equal(blob, blob2) {
		t.Fatal("bytes differ after a round trip")
	}
	// The rebuilt index finds the records.
	if !r.ix.NearDuplicate(MinHash([]byte(sentence2)), DefaultDupThresholdPPM) {
		t.Fatal("rebuilt index misses a near-duplicate")
	}
	// Add copies the features.
	recs := []Record{{Features: []int64{7}}}
	r.Add(recs)
	recs[0].Features[0] = 8
	if r.Records()[3].Features[0] != 7 {
		t.Fatal("Add shares memory with its input")
	}
	// The empty state round-trips too.
	var empty, e2 PoolState
	b, _ := empty.MarshalBinary()
	if err := e2.UnmarshalBinary(b); err != nil || e2.Len() != 0 {
		t.Fatalf("empty: %v", err)
	}
}

func TestPoolStateCorrupt(t *testing.T) {
	s := sampleState()
	blob, _ := s.MarshalBinary()
	// Every truncation fails without panicking and leaves the state alone.
	for n := range len(blob) {
		r := sampleState()
		if err := r.UnmarshalBinary(blob[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
		if r.Len() != 3 {
			t.Fatalf("state changed by a failed decode")
		}
	}
	var r PoolState
	if err := r.UnmarshalBinary(append(append([]byte(nil), blob...), 0)); err == nil || !strings.Contains(err.Error(), "trailing bytes") {
		t.Fatalf("trailing byte: %v", err)
	}
	bad := append([]byte(nil), blob...)
	bad[0] ^= 1
	if err := r.UnmarshalBinary(bad); err == nil || !strings.Contains(err.Error(), "bad magic") {
		t.Fatalf("magic: %v", err)
	}
	// A feature beyond the bound.
	b := []byte(stateMagic)
	b = binary.AppendUvarint(b, 1)
	b = binary.AppendUvarint(b, 1)
	b = binary.AppendVarint(b, MaxFeature+1)
	b = binary.AppendVarint(b, 0)
	b = append(b, make([]byte, 4*SigLen)...)
	if err := r.UnmarshalBinary(b); err == nil || !strings.Contains(err.Error(), "bad feature") {
		t.Fatalf("feature bound: %v", err)
	}
	// A huge record count does not allocate.
	b = binary.AppendUvarint([]byte(stateMagic), 1<<60)
	if err := r.UnmarshalBinary(b); err == nil || !strings.Contains(err.Error(), "record count") {
		t.Fatalf("huge count: %v", err)
	}
}
