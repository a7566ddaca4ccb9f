package staking_test

import (
	"testing"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/x/bank"
)

// BenchmarkBeginBlock is the work staking adds to every block: 100
// validators in the set, all in LastCommit (downtime rings updated),
// fees to split among them, with 4 delegations each. Each iteration is a
// fresh block over the committed state (an in-memory IAVL tree), as the
// app gives each block.
func BenchmarkBeginBlock(b *testing.B) {
	tree := store.NewMemTree()
	e := newEnvOver(b, tree.Working(), `{"epoch_blocks":1}`)
	e.valid = false
	for n := uint64(1); n <= 100; n++ {
		if n > numIDAOs {
			e.addIDAO(n)
		}
		e.create(n, laz+n*1000)
		for _, d := range []uint64{101, 102, 103, 104} {
			e.delegate(op(d+n%50), n, laz)
		}
	}
	e.block(e.commitOf(), nil, nil)
	commit := e.commitOf()
	if len(commit.Votes) != 100 {
		b.Fatalf("%d votes", len(commit.Votes))
	}
	for range 3 { // let the rings and accumulators exist
		if err := e.bank.Send(e.ctx, op(200), bank.FeeCollector, 123_456); err != nil {
			b.Fatal(err)
		}
		e.block(commit, nil, nil)
	}
	e.checkInvariants()
	if _, _, err := tree.Commit(); err != nil {
		b.Fatal(err)
	}
	h := e.ctx.Height
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		ctx := chain.NewContext(store.NewCache(tree.Working()), "test-chain", h+1, e.ctx.Time, chain.ModeDeliver, nil)
		if err := e.bank.Send(ctx, op(200), bank.FeeCollector, 1_000_003); err != nil {
			b.Fatal(err)
		}
		ctx.LastCommit = commit
		b.StartTimer()
		if err := e.m.BeginBlock(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
