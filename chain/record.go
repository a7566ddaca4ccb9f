package chain

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/store"
)

// Page sizes of the modules' list queries.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// PageLimit is the number of entries a list query returns for a requested
// limit: the default for none, at most MaxPageLimit.
func PageLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultPageLimit
	case n > MaxPageLimit:
		return MaxPageLimit
	}
	return n
}

// recordEncoding is deterministic, so equal records are equal bytes on
// every node.
var recordEncoding = proto.MarshalOptions{Deterministic: true}

// SaveRecord writes a module's protobuf record at key.
func SaveRecord(kv store.KV, key []byte, m proto.Message) {
	bz, err := recordEncoding.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", m, err))
	}
	kv.Set(key, bz)
}

// LoadRecord decodes the record at key into m; false when there is none. A
// record that does not decode is a broken invariant of the module's own
// state, so it panics.
func LoadRecord(kv store.KV, key []byte, m proto.Message) bool {
	bz := kv.Get(key)
	if bz == nil {
		return false
	}
	DecodeRecord(bz, m)
	return true
}

// DecodeRecord decodes a stored record (a value met while iterating) into
// m, panicking as LoadRecord does if it does not decode.
func DecodeRecord(bz []byte, m proto.Message) {
	if err := proto.Unmarshal(bz, m); err != nil {
		panic(fmt.Sprintf("decode stored %T: %v", m, err))
	}
}

// NextID hands out the next id of the sequence kept at key (the last id
// handed out), starting at 1.
func NextID(kv store.KV, key []byte) uint64 {
	var last uint64
	if bz := kv.Get(key); bz != nil {
		last = store.DecodeUint64(bz)
	}
	kv.Set(key, store.EncodeUint64(last+1))
	return last + 1
}
