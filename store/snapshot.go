package store

import (
	"fmt"

	"github.com/cosmos/iavl"
	ics23 "github.com/cosmos/ics23/go"
)

// Snapshot is one committed, immutable version of the state. Writing to it
// panics: whoever needs to try writes over it wraps it in a Cache.
type Snapshot struct {
	tree *iavl.ImmutableTree // nil for version 0 (empty state)
}

// Version is the snapshot's version (block height).
func (s *Snapshot) Version() int64 {
	if s.tree == nil {
		return 0
	}
	return s.tree.Version()
}

// Hash is the root hash, the app hash of the version.
func (s *Snapshot) Hash() []byte {
	if s.tree == nil {
		return nil
	}
	return s.tree.Hash()
}

// Size is the number of keys in the version.
func (s *Snapshot) Size() int64 {
	if s.tree == nil {
		return 0
	}
	return s.tree.Size()
}

// Get implements KV.
func (s *Snapshot) Get(key []byte) []byte {
	if s.tree == nil {
		return nil
	}
	v, err := s.tree.Get(key)
	if err != nil {
		fail("get", err)
	}
	return v
}

// Has implements KV.
func (s *Snapshot) Has(key []byte) bool { return s.Get(key) != nil }

// Set panics: a snapshot is immutable.
func (s *Snapshot) Set(key, value []byte) { panic("store: write to an immutable snapshot") }

// Delete panics: a snapshot is immutable.
func (s *Snapshot) Delete(key []byte) { panic("store: write to an immutable snapshot") }

// Iterator implements KV.
func (s *Snapshot) Iterator(start, end []byte) Iterator {
	if s.tree == nil {
		return emptyIterator{}
	}
	it, err := s.tree.Iterator(start, end, true)
	if err != nil {
		fail("iterator", err)
	}
	return it
}

// Prove returns the value of key (nil if absent) and an ICS23 proof of its
// membership or absence against the snapshot's root hash.
func (s *Snapshot) Prove(key []byte) ([]byte, *ics23.CommitmentProof, error) {
	if s.tree == nil {
		return nil, nil, fmt.Errorf("no committed state yet: nothing to prove against")
	}
	v, err := s.tree.Get(key)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.tree.GetProof(key)
	if err != nil {
		return nil, nil, fmt.Errorf("prove key %x: %w", key, err)
	}
	return v, p, nil
}

type emptyIterator struct{}

func (emptyIterator) Valid() bool   { return false }
func (emptyIterator) Next()         {}
func (emptyIterator) Key() []byte   { return nil }
func (emptyIterator) Value() []byte { return nil }
func (emptyIterator) Close() error  { return nil }
