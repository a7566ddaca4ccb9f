package store

// Key concatenates a key prefix with raw parts into a new slice.
func Key(prefix []byte, parts ...[]byte) []byte {
	n := len(prefix)
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	out = append(out, prefix...)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Keys lists the keys in [start, end) as copies, so a caller can delete
// or rewrite them without writing while iterating.
func Keys(kv KV, start, end []byte) [][]byte {
	var out [][]byte
	Each(kv, start, end, func(k, _ []byte) bool {
		out = append(out, append([]byte(nil), k...))
		return true
	})
	return out
}

// IDsUnder lists, in key order, the ids that the keys under prefix end
// with (8 bytes, big-endian, as EncodeUint64 writes them).
func IDsUnder(kv KV, prefix []byte) []uint64 {
	var out []uint64
	Each(kv, prefix, PrefixEnd(prefix), func(k, _ []byte) bool {
		out = append(out, DecodeUint64(k[len(k)-8:]))
		return true
	})
	return out
}
