package dat

import (
	"fmt"

	"github.com/holiman/uint256"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
)

// Invariants are the module's whole-state checks.
func (m Module) Invariants() []chain.Invariant {
	k := m.Keeper
	return []chain.Invariant{
		{Name: "dat/revenue", Check: k.checkRevenue},
		{Name: "dat/shares", Check: k.checkShares},
		{Name: "dat/lineage", Check: k.checkLineage},
	}
}

// classTokens reads every token of a class in id order.
func (k *Keeper) classTokens(ctx *chain.Context, class uint64) []*Token {
	var out []*Token
	for _, id := range store.IDsUnder(ctx.StoreUnmetered(Name), key(classTokPrefix, be(class))) {
		b := ctx.StoreUnmetered(Name).Get(tokenKey(id))
		if b == nil {
			return append(out, nil)
		}
		t := &Token{}
		chain.DecodeRecord(b, t)
		out = append(out, t)
	}
	return out
}

// checkRevenue checks, per class, the exactness of the accumulator:
// (distributed − claimed)·Scale == Σ scaled_pending + acc_remainder +
// unallocated·Scale; and that Escrow holds Σ (distributed − claimed).
func (k *Keeper) checkRevenue(ctx *chain.Context) error {
	var err error
	owed := new(uint256.Int)
	k.eachClass(ctx, ctx.StoreUnmetered(Name), func(c *Class) bool {
		dist, claimed := u256(c.Distributed, "distributed"), u256(c.Claimed, "claimed")
		if dist.Lt(claimed) {
			err = fmt.Errorf("class %d: claimed %s exceeds distributed %s", c.Id, claimed.Dec(), dist.Dec())
			return false
		}
		unclaimed := new(uint256.Int).Sub(dist, claimed)
		owed.Add(owed, unclaimed)
		lhs := new(uint256.Int).Mul(unclaimed, scale)
		acc := classAcc(c)
		rhs := new(uint256.Int).Mul(u256(c.Unallocated, "unallocated"), scale)
		rhs.Add(rhs, u256(c.AccRemainder, "acc_remainder"))
		for _, t := range k.classTokens(ctx, c.Id) {
			if t == nil {
				err = fmt.Errorf("class %d: its token index names a missing token", c.Id)
				return false
			}
			rhs.Add(rhs, scaledPending(t, acc))
		}
		if !lhs.Eq(rhs) {
			err = fmt.Errorf("class %d: (distributed %s − claimed %s)·10^18 = %s, but pending + remainder + unallocated = %s",
				c.Id, dist.Dec(), claimed.Dec(), lhs.Dec(), rhs.Dec())
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	bal := uint256.NewInt(k.Bank.Balance(ctx, Escrow))
	if !bal.Eq(owed) {
		return fmt.Errorf("escrow %s holds %s ulaz, but classes owe their holders %s", Escrow, bal.Dec(), owed.Dec())
	}
	return nil
}

// checkShares checks each class's totals against its tokens: total_share
// is the sum of unexpired shares, total_value the sum of all values,
// tokens the count.
func (k *Keeper) checkShares(ctx *chain.Context) error {
	var err error
	k.eachClass(ctx, ctx.StoreUnmetered(Name), func(c *Class) bool {
		var share, value, n uint64
		for _, t := range k.classTokens(ctx, c.Id) {
			if t == nil {
				err = fmt.Errorf("class %d: its token index names a missing token", c.Id)
				return false
			}
			if t.Class != c.Id {
				err = fmt.Errorf("class %d: its token index names token %d of class %d", c.Id, t.Id, t.Class)
				return false
			}
			if !t.Expired {
				share += t.ShareRatio
			}
			value += t.Value
			n++
		}
		if share != c.TotalShare || value != c.TotalValue || n != c.Tokens {
			err = fmt.Errorf("class %d: total share %d, value %d, tokens %d; its tokens sum to share %d, value %d, count %d",
				c.Id, c.TotalShare, c.TotalValue, c.Tokens, share, value, n)
			return false
		}
		return true
	})
	return err
}

// checkLineage checks that parents exist, that depth and lineage paths
// follow from the parents and stay in bounds, and that the children index
// matches. A child's depth is always above its parents', so a consistent
// depth rules out cycles.
func (k *Keeper) checkLineage(ctx *chain.Context) error {
	var err error
	kv := ctx.StoreUnmetered(Name)
	k.eachClass(ctx, kv, func(c *Class) bool {
		var depth uint32
		paths := uint64(1)
		var bps uint64
		for _, p := range c.Parents {
			b := kv.Get(classKey(p.Class))
			if b == nil {
				err = fmt.Errorf("class %d: parent class %d does not exist", c.Id, p.Class)
				return false
			}
			pc := &Class{}
			chain.DecodeRecord(b, pc)
			depth = max(depth, pc.Depth+1)
			paths += pc.LineagePaths
			bps += uint64(p.SplitBps)
			if !kv.Has(childKey(p.Class, c.Id)) {
				err = fmt.Errorf("class %d: the children index of parent %d misses it", c.Id, p.Class)
				return false
			}
		}
		if depth != c.Depth || paths != c.LineagePaths {
			err = fmt.Errorf("class %d: stored depth %d, paths %d; its parents give depth %d, paths %d (a cycle or a missed update)",
				c.Id, c.Depth, c.LineagePaths, depth, paths)
			return false
		}
		if depth > MaxDepth || paths > MaxLineagePaths || bps > MaxBps || len(c.Parents) > MaxParents {
			err = fmt.Errorf("class %d: lineage out of bounds (depth %d, paths %d, splits %d bps, %d parents)", c.Id, depth, paths, bps, len(c.Parents))
			return false
		}
		return true
	})
	return err
}
