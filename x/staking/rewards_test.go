package staking_test

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/api/cometbft/types/v1"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/idao"
	"github.com/lazchain/lazchain/x/staking"
)

// TestRewardsExact runs 300 blocks with random fees, random stakes (so
// random powers), random absences, a signer staking does not know, and
// random delegations, undelegations and withdrawals. Against a model
// computed here with exact rationals it checks, every block, each
// treasury's commission to the ulaz and the carry, and at the end each
// delegator's rewards (paid + pending) within an ulaz or two of its exact
// share; and that every ulaz paid in is withdrawn, pending or carried.
func TestRewardsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	e := newEnv(t, `{"epoch_blocks":1,"downtime_window":100,"max_missed":99,"commission_bps":1234}`)
	const nv = 6
	for n := uint64(1); n <= nv; n++ {
		e.create(n, laz+rng.Uint64N(50*laz))
	}
	delegators := []tx.Address{alice, bob, carol, op(7), op(8), op(1)}
	payer := op(100)
	e.block(e.commitOf(), nil, nil)

	type pair struct {
		d tx.Address
		v uint64
	}
	ideal := map[pair]*big.Rat{}  // exact reward earned
	paid := map[pair]uint64{}     // rewards paid out (events)
	exits := map[pair]int64{}     // times the delegation was emptied
	exitsOn := map[uint64]int64{} // the same, per validator
	var paidIn, carry uint64      // fees paid in, model carry
	treasury := map[uint64]uint64{}

	for b := 0; b < 300; b++ {
		// Fees of the previous block: sometimes none, sometimes huge.
		var fee uint64
		switch rng.IntN(6) {
		case 0:
		case 1:
			fee = rng.Uint64N(10_000_000_000)
		default:
			fee = rng.Uint64N(100_000)
		}
		if fee > 0 {
			if err := e.bank.Send(e.ctx, payer, bank.FeeCollector, fee); err != nil {
				t.Fatal(err)
			}
		}
		paidIn += fee
		// The commit: every member of the set, some absent or nil, and
		// an unknown signer with power.
		var commit abci.CommitInfo
		type signed struct {
			n     uint64
			power int64
		}
		var signers []signed
		var total int64
		for _, v := range e.k.Validators(e.ctx) {
			if v.Power == 0 {
				continue
			}
			flag := cmttypes.BlockIDFlagCommit
			switch rng.IntN(8) {
			case 0:
				flag = cmttypes.BlockIDFlagAbsent
			case 1:
				flag = cmttypes.BlockIDFlagNil
			}
			commit.Votes = append(commit.Votes, vote(v.Validator.Idao, v.Power, flag))
			if flag == cmttypes.BlockIDFlagCommit {
				signers = append(signers, signed{v.Validator.Idao, v.Power})
				total += v.Power
			}
		}
		commit.Votes = append(commit.Votes, abci.VoteInfo{Validator: abci.Validator{Address: []byte("unknown-validator-xx"), Power: 77},
			BlockIdFlag: cmttypes.BlockIDFlagCommit})
		// The model of this block's split, over the shares as they are
		// before the block.
		pot := carry + fee
		var dealt uint64
		for _, s := range signers {
			part := new(big.Int).Mul(new(big.Int).SetUint64(pot), big.NewInt(s.power))
			part.Quo(part, big.NewInt(total))
			x := part.Uint64()
			dealt += x
			com := x * 1234 / 10000
			treasury[s.n] += com
			v := e.val(s.n).Validator
			for _, d := range delegators {
				del, err := e.k.Delegation(e.ctx, d, s.n)
				if err != nil {
					continue
				}
				p := pair{d, s.n}
				if ideal[p] == nil {
					ideal[p] = new(big.Rat)
				}
				ideal[p].Add(ideal[p], new(big.Rat).SetFrac(
					new(big.Int).Mul(new(big.Int).SetUint64(x-com), new(big.Int).SetUint64(del.Shares)),
					new(big.Int).SetUint64(v.Shares)))
			}
		}
		if total > 0 {
			carry = pot - dealt
		} else {
			carry = pot
		}
		had := map[pair]bool{}
		for _, d := range delegators {
			for n := uint64(1); n <= nv; n++ {
				_, err := e.k.Delegation(e.ctx, d, n)
				had[pair{d, n}] = err == nil
			}
		}
		r := e.block(commit, nil, func() {
			for range rng.IntN(3) {
				d, n := delegators[rng.IntN(len(delegators))], uint64(1+rng.IntN(nv))
				switch rng.IntN(3) {
				case 0:
					e.delegate(d, n, 1+rng.Uint64N(20*laz))
				case 1:
					if w := e.worth(d, n); w > 0 {
						amount := w
						if rng.IntN(2) == 0 {
							amount = 1 + rng.Uint64N(w)
						}
						if d == op(n) && amount == w {
							amount = w / 2 // keep the validator alive
						}
						if amount > 0 {
							e.undelegate(d, n, amount)
						}
					}
				case 2:
					_ = e.exec(&staking.MsgWithdrawRewards{From: d.String(), Idao: n}) // may have nothing
				}
			}
		})
		for p, was := range had {
			if _, err := e.k.Delegation(e.ctx, p.d, p.v); was && err != nil {
				exits[p]++
				exitsOn[p.v]++
			}
		}
		for _, ev := range eventsOf(r.events, "staking_rewards") {
			if ev["action"] != "withdraw" {
				continue
			}
			d, _ := tx.ParseAddress(ev["delegator"])
			n, _ := strconv.ParseUint(ev["idao"], 10, 64)
			amt, _ := strconv.ParseUint(ev["amount"], 10, 64)
			paid[pair{d, n}] += amt
		}
		for n := uint64(1); n <= nv; n++ {
			if got := e.balance(idao.TreasuryAddress(n)); got != treasury[n] {
				t.Fatalf("block %d: treasury %d has %d, want %d", b, n, got, treasury[n])
			}
		}
		var pool staking.QueryPoolResponse
		e.query("pool", "", &pool)
		if pool.RewardsCarry != carry {
			t.Fatalf("block %d: carry %d, want %d", b, pool.RewardsCarry, carry)
		}
	}

	// Each delegator got its exact share, to rounding: it loses less
	// than an ulaz when it withdraws the rest and each time it leaves (the
	// sub-ulaz rest goes to the validator's other delegators, who gain
	// less than an ulaz per exit).
	var exited int64
	for p, want := range ideal {
		got := paid[p] + e.k.PendingRewards(e.ctx, p.d, p.v)
		diff := new(big.Rat).Sub(want, new(big.Rat).SetUint64(got))
		if diff.Cmp(big.NewRat(-exitsOn[p.v], 1)) < 0 || diff.Cmp(big.NewRat(1+exits[p], 1)) >= 0 {
			t.Fatalf("%s on validator %d: got %d, exact share %s (%d exits)", p.d, p.v, got, want.FloatString(3), exits[p])
		}
		exited += exits[p]
	}
	// Conservation: paid in = commission + withdrawn + what the escrow
	// holds; and once everyone withdraws, the escrow holds the carry and
	// less than an ulaz per delegation and validator.
	var com, withdrawn uint64
	for n := uint64(1); n <= nv; n++ {
		com += e.balance(idao.TreasuryAddress(n))
	}
	for _, v := range paid {
		withdrawn += v
	}
	if esc := e.balance(staking.RewardsEscrow); paidIn != com+withdrawn+esc {
		t.Fatalf("paid in %d != commission %d + withdrawn %d + escrow %d", paidIn, com, withdrawn, esc)
	}
	var open int
	for n := uint64(1); n <= nv; n++ {
		var res staking.QueryDelegationsResponse
		e.query("delegations", fmt.Sprintf(`{"idao":%d}`, n), &res)
		for _, d := range res.Delegations {
			open++
			if d.PendingRewards > 0 {
				e.must(&staking.MsgWithdrawRewards{From: d.Delegation.Delegator, Idao: n})
			}
		}
	}
	e.checkInvariants()
	if left := e.balance(staking.RewardsEscrow) - carry; left > uint64(open+nv) {
		t.Fatalf("after every withdrawal the escrow holds %d beyond the carry (%d delegations)", left, open)
	}
	if paidIn < 100_000_000_000 || len(ideal) < 10 || exited < 5 {
		t.Fatalf("the test did too little: %d ulaz in, %d delegations, %d exits", paidIn, len(ideal), exited)
	}
}

// TestCommitListingAValidatorTwice: a malformed commit naming a validator
// twice pays it once, and loses nothing.
func TestCommitListingAValidatorTwice(t *testing.T) {
	e := newEnv(t, `{"epoch_blocks":1,"commission_bps":0}`)
	e.create(1, laz)
	e.create(2, laz)
	e.block(e.commitOf(), nil, nil)
	if err := e.bank.Send(e.ctx, bob, bank.FeeCollector, 3000); err != nil {
		t.Fatal(err)
	}
	c := e.commitOf()
	c.Votes = append(c.Votes, c.Votes[0])
	e.block(c, nil, nil) // checks the invariants
	if p1, p2 := e.k.PendingRewards(e.ctx, op(1), 1), e.k.PendingRewards(e.ctx, op(2), 2); p1 != 1500 || p2 != 1500 {
		t.Fatalf("pending %d and %d, want 1500 each", p1, p2)
	}
}

// TestFeesWaitWithoutStakingSigners: while no staking validator signs
// (validators from CometBFT's genesis alone), fees stay in the fee
// collector; the first block a staking validator signs pays them all.
func TestFeesWaitWithoutStakingSigners(t *testing.T) {
	e := newEnv(t, `{"epoch_blocks":1,"commission_bps":0}`)
	if err := e.bank.Send(e.ctx, bob, bank.FeeCollector, 3000); err != nil {
		t.Fatal(err)
	}
	e.block(abci.CommitInfo{}, nil, nil)
	if got := e.balance(bank.FeeCollector); got != 3000 {
		t.Fatalf("fee collector holds %d after a block nobody of staking signed, want 3000", got)
	}
	e.create(1, laz)
	e.block(e.commitOf(), nil, nil) // joins the set at this epoch's end
	e.block(e.commitOf(), nil, nil) // and signs
	if got, p := e.balance(bank.FeeCollector), e.k.PendingRewards(e.ctx, op(1), 1); got != 0 || p != 3000 {
		t.Fatalf("after a signed block: fee collector %d, pending %d; want 0 and 3000", got, p)
	}
}
