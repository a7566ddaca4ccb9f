package app

import "sync"

// sigCache remembers the hashes of txs whose signatures verified, so a tx
// checked for the mempool is not verified again when its block executes or
// when it is rechecked. The answer for given bytes never changes, so the
// cache cannot make two nodes disagree; it only saves work. It keeps two
// generations and drops the older when the newer is full.
type sigCache struct {
	mu       sync.Mutex
	max      int
	cur, old map[[32]byte]struct{}
}

func newSigCache(max int) *sigCache {
	return &sigCache{max: max, cur: make(map[[32]byte]struct{}), old: make(map[[32]byte]struct{})}
}

func (c *sigCache) has(h [32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cur[h]; ok {
		return true
	}
	_, ok := c.old[h]
	return ok
}

func (c *sigCache) add(h [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cur) >= c.max {
		c.old, c.cur = c.cur, make(map[[32]byte]struct{}, c.max)
	}
	c.cur[h] = struct{}{}
}
