package app

import (
	"sync"

	"github.com/lazchain/lazchain/tx"
)

// txCache remembers txs that decoded and whose signature verified, by hash,
// so that a tx admitted to the mempool is neither decoded nor verified again
// when it is rechecked, proposed, checked in a proposal or executed in its
// block. Decoding and verification are pure functions of the bytes (for
// this app's chain id), so the cache cannot make two nodes disagree; it only
// saves work. It keeps two generations and drops the older when the newer
// is full. Cached messages are shared: handlers must not modify them.
type txCache struct {
	mu       sync.Mutex
	max      int
	cur, old map[[32]byte]*tx.Decoded
}

func newTxCache(max int) *txCache {
	return &txCache{max: max, cur: make(map[[32]byte]*tx.Decoded), old: make(map[[32]byte]*tx.Decoded)}
}

func (c *txCache) get(h [32]byte) *tx.Decoded {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.cur[h]; ok {
		return d
	}
	return c.old[h]
}

func (c *txCache) add(d *tx.Decoded) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cur) >= c.max {
		c.old, c.cur = c.cur, make(map[[32]byte]*tx.Decoded, c.max)
	}
	c.cur[d.Hash] = d
}

// decode returns the verified tx from the cache, or decodes raw afresh
// (verified reports which).
func (a *App) decode(raw []byte) (d *tx.Decoded, verified bool, err error) {
	if d := a.txs.get(tx.Hash(raw)); d != nil {
		return d, true, nil
	}
	d, err = tx.Decode(raw)
	return d, false, err
}
