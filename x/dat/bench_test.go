package dat_test

import (
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/dat"
)

var holderCounts = []int{10, 1000, 100000}

// stateTokens is the number of tokens in every benchmark's state, whatever
// the number of holders of the class under test: the rest are filler in a
// second class. The state, and so the depth of every read from the tree,
// is then the same for 10 holders as for 100,000, and what is measured is
// the module's work alone.
const stateTokens = 100000

// holders is a committed state (an in-memory IAVL tree) with class 1 of n
// tokens of share 1, each held by its own account, and class 2 holding the
// filler tokens.
func holders(b *testing.B, n int) (*env, *store.Tree) {
	b.Helper()
	tree := store.NewMemTree()
	e := newEnvOver(b, tree.Working())
	e.class()
	filler := e.class()
	for i := range stateTokens {
		var a tx.Address
		a[0], a[1], a[2], a[3] = 0xbe, byte(i>>16), byte(i>>8), byte(i)
		class := uint64(1)
		if i >= n {
			class = filler
		}
		e.mint(class, a, 100, 1)
	}
	if _, _, err := tree.Commit(); err != nil {
		b.Fatal(err)
	}
	e.ctx = block(e, tree)
	return e, tree
}

// block is a new block's view of the committed tree: a fresh cache, as the
// app gives each block.
func block(e *env, tree *store.Tree) *chain.Context {
	return chain.NewContext(store.NewCache(tree.Working()), e.ctx.ChainID, e.ctx.Height, e.ctx.Time, chain.ModeDeliver, nil)
}

// BenchmarkSettleRevenue settles into a class of n holders: the cost must
// not grow with n (the accumulator makes it O(lineage paths)).
func BenchmarkSettleRevenue(b *testing.B) {
	for _, n := range holderCounts {
		b.Run(fmt.Sprintf("holders=%d", n), func(b *testing.B) {
			e, tree := holders(b, n)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				e.ctx = block(e, tree)
				b.StartTimer()
				if err := e.k.SettleRevenue(e.ctx, payer, 1, 1000); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClaim claims one token's revenue in a class of n holders, each
// claim in a fresh block after a settlement that gives every holder at
// least 1 ulaz (untimed), so that the token is read from the tree every
// time.
func BenchmarkClaim(b *testing.B) {
	for _, n := range holderCounts {
		b.Run(fmt.Sprintf("holders=%d", n), func(b *testing.B) {
			e, tree := holders(b, n)
			owners := make([]string, n)
			for i := range n {
				owners[i] = e.token(uint64(i + 1)).Owner
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				b.StopTimer()
				e.ctx = block(e, tree)
				if err := e.k.SettleRevenue(e.ctx, payer, 1, uint64(n)); err != nil {
					b.Fatal(err)
				}
				tok := uint64(i%n) + 1
				b.StartTimer()
				if err := e.exec(&dat.MsgClaim{From: owners[tok-1], Token: tok}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
