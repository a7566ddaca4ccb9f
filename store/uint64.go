package store

import (
	"encoding/binary"
	"fmt"
)

// EncodeUint64 is v as 8 bytes big-endian: how ids, amounts and counters
// are stored, and how ids go into keys so that keys sort by id.
func EncodeUint64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// DecodeUint64 reads a value written by EncodeUint64. Anything else in the
// state is a broken invariant of the module that wrote it, so it panics.
func DecodeUint64(b []byte) uint64 {
	if len(b) != 8 {
		panic(fmt.Sprintf("store: stored integer is %d bytes, want 8", len(b)))
	}
	return binary.BigEndian.Uint64(b)
}
