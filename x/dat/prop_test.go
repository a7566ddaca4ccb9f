package dat_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/holiman/uint256"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/dat"
)

// runOps interprets ops as a sequence of messages over two classes (class 2
// derived from class 1 with a 30% split) and three owners, checking after
// every step that the invariants hold, that a failed message changed
// nothing, and that every settled ulaz is accounted for.
func runOps(t *testing.T, ops []byte) (succeeded map[string]int) {
	succeeded = map[string]int{}
	e := newEnv(t)
	e.class()
	e.class(&dat.Parent{Class: 1, SplitBps: 3000})
	owners := []tx.Address{alice, bob, carol}
	var settled, paid uint64
	tokens := uint64(0) // highest token id handed out (mint or split)
	next := func() byte {
		if len(ops) == 0 {
			return 0
		}
		b := ops[0]
		ops = ops[1:]
		return b
	}
	pickToken := func() uint64 { return uint64(next())%(tokens+1) + 1 }
	ownerOf := func(id uint64) tx.Address {
		if tk, err := e.k.Token(e.ctx, id); err == nil {
			a, _ := tx.ParseAddress(tk.Owner)
			return a
		}
		return alice
	}
	for len(ops) > 0 {
		var m proto.Message
		switch next() % 10 {
		case 0: // mint, through the keeper
			class := uint64(next()%2) + 1
			value, share := uint64(next()%20), uint64(next()%6)
			if value == 0 && share == 0 {
				share = 1
			}
			var eh uint64
			if d := next() % 4; d > 0 {
				eh = uint64(e.ctx.Height) + uint64(d)
			}
			if _, err := e.k.Mint(e.ctx, class, owners[next()%3], value, share, eh, 0); err != nil {
				t.Fatalf("mint: %v", err)
			}
			tokens++
		case 1:
			from := pickToken()
			m = &dat.MsgTransferValue{From: ownerOf(from).String(), FromToken: from, ToToken: pickToken(), Value: uint64(next() % 8)}
		case 2:
			id := pickToken()
			m = &dat.MsgSplit{From: ownerOf(id).String(), Token: id, Value: uint64(next() % 8), ShareRatio: uint64(next() % 4)}
		case 3:
			into := pickToken()
			m = &dat.MsgMerge{From: ownerOf(into).String(), Into: into, Tokens: []uint64{pickToken(), pickToken()}[:next()%2+1]}
		case 4:
			amount := uint64(next())*uint64(next()%8+1) + 1
			m = &dat.MsgSettleRevenue{From: payer.String(), Class: uint64(next()%2) + 1, Amount: tx.FormatBaseUnits(amount)}
		case 5:
			id := pickToken()
			m = &dat.MsgClaim{From: ownerOf(id).String(), Token: id}
		case 6:
			m = &dat.MsgClaimAll{From: owners[next()%3].String()}
		case 7:
			e.nextBlock(e.ctx.Height + int64(next()%3) + 1)
		case 8:
			id := pickToken()
			m = &dat.MsgTransfer{From: ownerOf(id).String(), Token: id, To: owners[next()%3].String()}
		case 9:
			id := pickToken()
			m = &dat.MsgRecordUsage{From: ownerOf(id).String(), Token: id, Metric: "m", Amount: uint64(next()%5) + 1}
		}
		if m != nil {
			before := dump(e.ctx.KV())
			escrow := e.balance(dat.Escrow)
			err := e.exec(m)
			if err != nil {
				if after := dump(e.ctx.KV()); !slices.Equal(before, after) {
					t.Fatalf("%T %v failed (%v) but changed state:\n%s", m, m, err, diff(before, after))
				}
			} else {
				succeeded[string(m.ProtoReflect().Descriptor().Name())]++
				switch mm := m.(type) {
				case *dat.MsgSettleRevenue:
					v, _ := tx.ParseBaseUnits(mm.Amount)
					settled += v
				case *dat.MsgClaim, *dat.MsgClaimAll:
					paid += escrow - e.balance(dat.Escrow)
				case *dat.MsgSplit:
					tokens++
				}
			}
		}
		e.checkInvariants()
		dist, claimed := new(uint256.Int), new(uint256.Int)
		for _, id := range []uint64{1, 2} {
			c := e.classOf(id)
			dist.Add(dist, uint256.MustFromDecimal(c.Distributed))
			claimed.Add(claimed, uint256.MustFromDecimal(c.Claimed))
		}
		if !dist.Eq(uint256.NewInt(settled)) || !claimed.Eq(uint256.NewInt(paid)) {
			t.Fatalf("distributed %s claimed %s, but %d settled and %d paid", dist.Dec(), claimed.Dec(), settled, paid)
		}
	}
	// Everything pending can be paid out: after claiming everything, escrow
	// keeps only what no holder could take yet: under one ulaz per token,
	// the classes' carried remainders, and revenue that found no holders.
	for _, o := range owners {
		e.must(&dat.MsgClaimAll{From: o.String()})
	}
	e.checkInvariants()
	bound := tokens
	for _, id := range []uint64{1, 2} {
		c := e.classOf(id)
		rem := new(uint256.Int).Div(uint256.MustFromDecimal(c.AccRemainder), uint256.NewInt(dat.Scale))
		bound += uint256.MustFromDecimal(c.Unallocated).Uint64() + rem.Uint64() + 1
	}
	if left := e.balance(dat.Escrow); left > bound {
		t.Fatalf("%d ulaz left in escrow after claiming everything, more than %d", left, bound)
	}
	return succeeded
}

// TestRevenueProperty runs random op sequences from fixed seeds.
func TestRevenueProperty(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 20
	}
	total := map[string]int{}
	for seed := range uint64(n) {
		r := rand.New(rand.NewPCG(seed, 7))
		ops := make([]byte, 300)
		for i := range ops {
			ops[i] = byte(r.Uint32())
		}
		for k, v := range runOps(t, ops) {
			total[k] += v
		}
	}
	// The sequences must exercise every message, not only its errors.
	for _, name := range []string{"MsgTransferValue", "MsgSplit", "MsgMerge", "MsgSettleRevenue", "MsgClaim", "MsgClaimAll", "MsgTransfer", "MsgRecordUsage"} {
		if total[name] == 0 {
			t.Errorf("no %s succeeded in %d sequences", name, n)
		}
	}
	t.Logf("successful messages: %v", total)
}

// FuzzRevenue: go test -fuzz FuzzRevenue ./x/dat/
func FuzzRevenue(f *testing.F) {
	f.Add([]byte{0, 0, 5, 1, 0, 0, 1, 3, 2, 1, 0, 4, 9, 0, 0, 5, 0, 7, 2, 4, 1, 1, 1})
	f.Add([]byte{0, 1, 0, 3, 1, 1, 0, 0, 2, 0, 4, 200, 3, 1, 7, 3, 5, 0, 6, 1, 2, 0, 5, 1, 4, 10, 1, 0, 3, 0, 0, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 2000 {
			ops = ops[:2000]
		}
		runOps(t, ops)
	})
}
