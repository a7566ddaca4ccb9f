package store

import (
	"bytes"
	"sort"
)

// Cache buffers writes over a parent. Reads see the buffered writes first.
// Write applies them to the parent in sorted key order, which keeps an IAVL
// parent's shape (and so the app hash) independent of the order in which a
// block happened to touch its keys. Discarding a Cache is dropping it.
type Cache struct {
	parent KV
	dirty  map[string]entry
}

type entry struct {
	value   []byte
	deleted bool
}

// NewCache starts an empty write buffer over parent.
func NewCache(parent KV) *Cache {
	return &Cache{parent: parent, dirty: make(map[string]entry)}
}

// Get implements KV.
func (c *Cache) Get(key []byte) []byte {
	if e, ok := c.dirty[string(key)]; ok {
		if e.deleted {
			return nil
		}
		return e.value
	}
	return c.parent.Get(key)
}

// Has implements KV.
func (c *Cache) Has(key []byte) bool { return c.Get(key) != nil }

// Set implements KV. The value is copied.
func (c *Cache) Set(key, value []byte) {
	if len(key) == 0 {
		panic("store: empty key")
	}
	checkValue(key, value)
	c.dirty[string(key)] = entry{value: append([]byte(nil), value...)}
}

// Delete implements KV.
func (c *Cache) Delete(key []byte) { c.dirty[string(key)] = entry{deleted: true} }

// Len is the number of buffered writes.
func (c *Cache) Len() int { return len(c.dirty) }

// Write applies the buffered writes to the parent in sorted key order and
// empties the buffer.
func (c *Cache) Write() {
	keys := c.sortedKeys(nil, nil)
	for _, k := range keys {
		e := c.dirty[k]
		if e.deleted {
			c.parent.Delete([]byte(k))
		} else {
			c.parent.Set([]byte(k), e.value)
		}
	}
	clear(c.dirty)
}

func (c *Cache) sortedKeys(start, end []byte) []string {
	keys := make([]string, 0, len(c.dirty))
	for k := range c.dirty {
		if start != nil && k < string(start) {
			continue
		}
		if end != nil && k >= string(end) {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Iterator implements KV, merging buffered writes with the parent's keys.
func (c *Cache) Iterator(start, end []byte) Iterator {
	it := &mergeIterator{parent: c.parent.Iterator(start, end), cache: c, keys: c.sortedKeys(start, end)}
	it.settle()
	return it
}

// mergeIterator yields the union of the parent's keys and the buffered keys,
// the buffer winning on equal keys and deleted keys skipped.
type mergeIterator struct {
	parent Iterator
	cache  *Cache
	keys   []string
	i      int
	// current item
	key, value []byte
	valid      bool
}

func (m *mergeIterator) settle() {
	for {
		pv := m.parent.Valid()
		cv := m.i < len(m.keys)
		if !pv && !cv {
			m.valid = false
			return
		}
		var cmp int
		switch {
		case !pv:
			cmp = 1
		case !cv:
			cmp = -1
		default:
			cmp = bytes.Compare(m.parent.Key(), []byte(m.keys[m.i]))
		}
		if cmp < 0 {
			m.key, m.value, m.valid = m.parent.Key(), m.parent.Value(), true
			return
		}
		k := m.keys[m.i]
		e := m.cache.dirty[k]
		if cmp == 0 {
			m.parent.Next()
		}
		if e.deleted {
			m.i++
			continue
		}
		m.key, m.value, m.valid = []byte(k), e.value, true
		return
	}
}

func (m *mergeIterator) Valid() bool { return m.valid }

func (m *mergeIterator) Next() {
	if !m.valid {
		return
	}
	if m.i < len(m.keys) && string(m.key) == m.keys[m.i] {
		m.i++
	} else {
		m.parent.Next()
	}
	m.settle()
}

func (m *mergeIterator) Key() []byte   { return m.key }
func (m *mergeIterator) Value() []byte { return m.value }
func (m *mergeIterator) Close() error  { return m.parent.Close() }
