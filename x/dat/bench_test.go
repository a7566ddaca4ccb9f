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

// holders is a committed state (an in-memory IAVL tree) with class 1 and n
// tokens of share 1, each held by its own account; the benchmark runs on a
// cache over it, as a block does.
func holders(b *testing.B, n int) *env {
	b.Helper()
	tree := store.NewMemTree()
	e := newEnvOver(b, tree.Working())
	e.class()
	for i := range n {
		var a tx.Address
		a[0], a[1], a[2], a[3] = 0xbe, byte(i>>16), byte(i>>8), byte(i)
		e.mint(1, a, 100, 1)
	}
	if _, _, err := tree.Commit(); err != nil {
		b.Fatal(err)
	}
	e.ctx = chain.NewContext(store.NewCache(tree.Working()), e.ctx.ChainID, e.ctx.Height, e.ctx.Time, chain.ModeDeliver, nil)
	return e
}

// BenchmarkSettleRevenue settles into a class of n holders: the cost must
// not grow with n (the accumulator makes it O(lineage paths)).
func BenchmarkSettleRevenue(b *testing.B) {
	for _, n := range holderCounts {
		b.Run(fmt.Sprintf("holders=%d", n), func(b *testing.B) {
			e := holders(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if err := e.k.SettleRevenue(e.ctx, payer, 1, 1000); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClaim claims one token's revenue in a class of n holders (a
// settlement giving every holder 1 ulaz runs untimed before each claim).
func BenchmarkClaim(b *testing.B) {
	for _, n := range holderCounts {
		b.Run(fmt.Sprintf("holders=%d", n), func(b *testing.B) {
			e := holders(b, n)
			owners := make([]string, n)
			for i := range n {
				owners[i] = e.token(uint64(i + 1)).Owner
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				b.StopTimer()
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
