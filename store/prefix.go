package store

// Prefix is a view of parent restricted to keys that start with prefix,
// which it strips: a module sees only its own key space.
func Prefix(parent KV, prefix string) KV {
	return &prefixKV{parent: parent, prefix: []byte(prefix)}
}

type prefixKV struct {
	parent KV
	prefix []byte
}

func (p *prefixKV) key(k []byte) []byte {
	out := make([]byte, len(p.prefix)+len(k))
	copy(out, p.prefix)
	copy(out[len(p.prefix):], k)
	return out
}

func (p *prefixKV) Get(k []byte) []byte { return p.parent.Get(p.key(k)) }
func (p *prefixKV) Has(k []byte) bool   { return p.parent.Has(p.key(k)) }
func (p *prefixKV) Set(k, v []byte)     { p.parent.Set(p.key(k), v) }
func (p *prefixKV) Delete(k []byte)     { p.parent.Delete(p.key(k)) }
func (p *prefixKV) Iterator(start, end []byte) Iterator {
	s := p.key(start)
	var e []byte
	if end == nil {
		e = PrefixEnd(p.prefix)
	} else {
		e = p.key(end)
	}
	return &prefixIterator{it: p.parent.Iterator(s, e), n: len(p.prefix)}
}

type prefixIterator struct {
	it Iterator
	n  int
}

func (i *prefixIterator) Valid() bool   { return i.it.Valid() }
func (i *prefixIterator) Next()         { i.it.Next() }
func (i *prefixIterator) Key() []byte   { return i.it.Key()[i.n:] }
func (i *prefixIterator) Value() []byte { return i.it.Value() }
func (i *prefixIterator) Close() error  { return i.it.Close() }
