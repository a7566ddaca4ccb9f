package store

import "fmt"

// KV is a key/value view of state. Keys and values are non-empty (a nil
// value from Get means absent, so an empty one could not be told from it);
// Set panics on an empty value. Values returned must not be modified.
type KV interface {
	Get(key []byte) []byte
	Has(key []byte) bool
	Set(key, value []byte)
	Delete(key []byte)
	// Iterator walks keys in [start, end) in ascending order; nil bounds are
	// open. No writes may happen in the domain while it is open.
	Iterator(start, end []byte) Iterator
}

// Iterator walks a range of keys.
type Iterator interface {
	Valid() bool
	Next()
	Key() []byte
	Value() []byte
	Close() error
}

// Failure is what the store panics with when the database fails: state can no
// longer be trusted, so the node must stop rather than go on.
type Failure struct{ Err error }

func (f *Failure) Error() string { return "store: " + f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

func fail(op string, err error) {
	panic(&Failure{Err: fmt.Errorf("%s: %w", op, err)})
}

// PrefixEnd returns the smallest key greater than every key with prefix p,
// or nil if there is none.
func PrefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// Each calls fn for every key in [start, end) until fn returns false.
func Each(kv KV, start, end []byte, fn func(key, value []byte) bool) {
	it := kv.Iterator(start, end)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if !fn(it.Key(), it.Value()) {
			return
		}
	}
}

// checkValue refuses an empty value: Get could not tell it from an absent
// key, and the cache and the tree would disagree about it. Modules store a
// marker byte for set membership.
func checkValue(key, value []byte) {
	if len(value) == 0 {
		panic(fmt.Sprintf("store: empty value for key %q: store at least one byte", key))
	}
}
