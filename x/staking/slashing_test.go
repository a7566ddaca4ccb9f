package staking_test

import (
	"fmt"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/api/cometbft/types/v1"

	"github.com/lazchain/lazchain/x/staking"
)

func evidence(n uint64, h int64, typ abci.MisbehaviorType) []abci.Misbehavior {
	return []abci.Misbehavior{{Type: typ, Validator: abci.Validator{Address: consAddr(n), Power: 1}, Height: h}}
}

func (e *env) unbondings(n uint64) []*staking.UnbondingEntry {
	e.t.Helper()
	var res staking.QueryUnbondingsResponse
	e.query("unbondings", fmt.Sprintf(`{"idao":%d}`, n), &res)
	return res.Unbondings
}

func TestDoubleSign(t *testing.T) {
	e := newEnv(t, `{"double_sign_slash_bps":1000,"epoch_blocks":1,"unbonding_blocks":50,"jail_blocks":10}`)
	e.create(1, 10*laz)
	e.create(2, 10*laz)
	e.delegate(alice, 1, 30*laz)
	e.delegate(bob, 1, 60*laz)
	e.block(e.commitOf(), nil, func() { e.undelegate(alice, 1, 10*laz) }) // entry before the infraction
	// The infraction's block: an entry created in it is not slashed.
	e.block(e.commitOf(), nil, func() {
		e.delegate(carol, 1, laz)
		e.undelegate(carol, 1, laz)
	})
	infraction := e.ctx.Height
	e.block(e.commitOf(), nil, func() { e.undelegate(bob, 1, 20*laz) }) // entry after it
	if e.tokens(1) != 70*laz {
		t.Fatalf("tokens %d", e.tokens(1))
	}

	// Evidence that must be ignored: unknown key, other misbehavior, a
	// future height, no height.
	for _, ev := range [][]abci.Misbehavior{
		evidence(7, infraction, abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE),
		evidence(1, infraction, abci.MISBEHAVIOR_TYPE_LIGHT_CLIENT_ATTACK),
		evidence(1, e.ctx.Height+5, abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE),
		evidence(1, 0, abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE),
	} {
		r := e.block(e.commitOf(), ev, nil)
		if len(eventsOf(r.events, "staking_slash")) != 0 || e.balance(staking.SlashedAccount) != 0 {
			t.Fatalf("evidence %v was not ignored", ev)
		}
	}

	r := e.block(e.commitOf(), evidence(1, infraction, abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE), nil)
	v := e.val(1)
	// 10% of the 70 LAZ bonded and of bob's 20 LAZ entry; alice's entry
	// predates the infraction.
	if v.Validator.Tokens != 63*laz || e.balance(staking.SlashedAccount) != 9*laz || v.Validator.Slashes != 1 || v.Validator.Slashed != 9*laz {
		t.Fatalf("after the slash: %v, slashed account %d", v, e.balance(staking.SlashedAccount))
	}
	for d, want := range map[string]uint64{"op": 9 * laz, "alice": 18 * laz, "bob": 36 * laz} {
		who := map[string][20]byte{"op": op(1), "alice": alice, "bob": bob}[d]
		if got := e.worth(who, 1); got != want {
			t.Fatalf("%s's delegation is worth %d, want %d (pro rata)", d, got, want)
		}
	}
	entries := e.unbondings(1)
	if len(entries) != 3 || entries[0].Amount != 10*laz || entries[1].Amount != laz || entries[2].Amount != 18*laz || entries[2].InitialAmount != 20*laz {
		t.Fatalf("entries %v", entries)
	}
	if !v.Validator.Jailed || v.Validator.JailedUntil != e.ctx.Height+10 || v.Status != "jailed" {
		t.Fatalf("validator %v", v)
	}
	if got := powers(t, r.updates); len(got) != 1 || got[1] != 0 {
		t.Fatalf("updates %v", got)
	}
	sl := eventsOf(r.events, "staking_slash")
	if len(sl) != 1 || sl[0]["reason"] != "double_sign" || sl[0]["tokens"] != "7000000" || sl[0]["unbonding"] != "2000000" {
		t.Fatalf("slash events %v", sl)
	}
	if j := eventsOf(r.events, "staking_jail"); len(j) != 1 || j[0]["reason"] != "double_sign" {
		t.Fatalf("jail events %v", j)
	}

	// The same evidence again is ignored.
	r = e.block(e.commitOf(), evidence(1, infraction, abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE), nil)
	if len(eventsOf(r.events, "staking_slash")) != 0 || e.tokens(1) != 63*laz {
		t.Fatal("evidence punished twice")
	}
	// Evidence for another height is punished (and extends the jail).
	until := e.val(1).Validator.JailedUntil
	e.block(e.commitOf(), evidence(1, infraction+1, abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE), nil)
	if v := e.val(1); v.Validator.Slashes != 2 || v.Validator.JailedUntil <= until {
		t.Fatalf("validator %v", v)
	}
	// Evidence unbonding_blocks old is punished; older is ignored.
	for e.ctx.Height+1-(infraction+2) < 50 {
		e.block(e.commitOf(), nil, nil)
	}
	e.block(e.commitOf(), evidence(1, infraction+2, abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE), nil)
	if e.val(1).Validator.Slashes != 3 {
		t.Fatalf("evidence 50 blocks old not punished (height %d)", e.ctx.Height)
	}
	e.block(e.commitOf(), nil, nil)
	e.block(e.commitOf(), evidence(1, infraction+3, abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE), nil)
	if e.ctx.Height-(infraction+3) != 51 || e.val(1).Validator.Slashes != 3 {
		t.Fatalf("evidence 51 blocks old punished (height %d)", e.ctx.Height)
	}

	// Unbonding entries have been paid out at completion, slashed or not.
	if len(e.unbondings(1)) != 0 {
		t.Fatalf("entries left %v", e.unbondings(1))
	}
	if got := e.balance(alice); got != funds-30*laz+10*laz {
		t.Fatalf("alice has %d", got)
	}
	if got := e.balance(bob); got != funds-60*laz+18*laz {
		t.Fatalf("bob has %d", got)
	}
}

func TestUnbondingCompletesAtItsHeight(t *testing.T) {
	e := newEnv(t, `{"unbonding_blocks":3}`)
	e.create(1, 10*laz)
	e.delegate(alice, 1, 4*laz)
	e.undelegate(alice, 1, 3*laz) // at height 1: completes at 4
	e.block(e.commitOf(), nil, func() { e.undelegate(alice, 1, laz) })
	for h := int64(3); h <= 5; h++ {
		r := e.block(e.commitOf(), nil, nil)
		done := eventsOf(r.events, "staking_complete")
		switch {
		case h == 4 && (len(done) != 1 || done[0]["amount"] != "3000000"):
			t.Fatalf("height 4 completions %v", done)
		case h == 5 && (len(done) != 1 || done[0]["amount"] != "1000000"):
			t.Fatalf("height 5 completions %v", done)
		case h == 3 && len(done) != 0:
			t.Fatalf("height 3 completions %v", done)
		}
	}
	if e.balance(alice) != funds || e.balance(staking.BondedEscrow) != 10*laz {
		t.Fatalf("alice %d, escrow %d", e.balance(alice), e.balance(staking.BondedEscrow))
	}
}

func TestDowntime(t *testing.T) {
	const w, m = 10, 3
	e := newEnv(t, `{"downtime_window":10,"max_missed":3,"downtime_slash_bps":100,"jail_blocks":4,"epoch_blocks":1}`)
	e.create(1, 10*laz)
	e.create(2, 10*laz)
	e.block(e.commitOf(), nil, nil)
	// Validator 1's record, block by block: A absent, N nil (counts as
	// signed), S signed. The model is the last W flags.
	seq := "ASASNSSSSSAASSSSSSSSSAAAAS"
	var window []bool
	jailedAt := -1
	for i, c := range seq {
		flag := map[rune]cmttypes.BlockIDFlag{'A': cmttypes.BlockIDFlagAbsent, 'N': cmttypes.BlockIDFlagNil, 'S': cmttypes.BlockIDFlagCommit}[c]
		commit := abci.CommitInfo{Votes: []abci.VoteInfo{vote(1, 10, flag), vote(2, 10, cmttypes.BlockIDFlagCommit)}}
		r := e.block(commit, nil, nil)
		if jailedAt >= 0 {
			// Jailed validators still in the commit are not counted.
			if e.k.Missed(e.ctx, 1) != 0 || len(eventsOf(r.events, "staking_slash")) != 0 {
				t.Fatalf("block %d: a jailed validator is still counted", i)
			}
			continue
		}
		window = append(window, c == 'A')
		if len(window) > w {
			window = window[1:]
		}
		var want uint32
		for _, missed := range window {
			if missed {
				want++
			}
		}
		if want > m {
			jailedAt = i
			v := e.val(1)
			if !v.Validator.Jailed || v.Missed != 0 || v.Validator.Tokens != 10*laz-laz/10 {
				t.Fatalf("block %d: %d missed of %d, validator %v", i, want, w, v)
			}
			sl := eventsOf(r.events, "staking_slash")
			if len(sl) != 1 || sl[0]["reason"] != "downtime" || sl[0]["tokens"] != "100000" {
				t.Fatalf("slash events %v", sl)
			}
			if got := powers(t, r.updates); len(got) != 1 || got[1] != 0 {
				t.Fatalf("updates %v", got)
			}
			continue
		}
		if got := e.k.Missed(e.ctx, 1); got != want {
			t.Fatalf("block %d (%c): missed %d, want %d", i, c, got, want)
		}
	}
	if jailedAt != 24 {
		t.Fatalf("jailed at block %d, want 24 (the fourth miss in a window)", jailedAt)
	}
	if e.val(2).Missed != 0 || e.val(2).Validator.Jailed {
		t.Fatal("validator 2 signed everything")
	}
}

// TestUndelegateDust: after a slash shares are worth fractions of an ulaz;
// a delegation whose rest would be worth nothing leaves whole, and the
// last holder takes every token, so no validator keeps tokens without
// shares.
func TestUndelegateDust(t *testing.T) {
	e := newEnv(t, `{"double_sign_slash_bps":3000,"epoch_blocks":1,"min_self_bond":1,"power_reduction":1}`)
	e.create(2, 100*laz)
	e.create(1, 10)
	e.delegate(alice, 1, 7)
	e.delegate(bob, 1, 3)
	e.block(e.commitOf(), nil, nil)
	doubleSign(e, 1)
	if v := e.val(1).Validator; v.Tokens != 14 || v.Shares != 20 {
		t.Fatalf("validator %v", v)
	}
	steps := []struct {
		who              [20]byte
		amount, paid     uint64
		tokens, shares   uint64
		delegationRemain bool
	}{
		{bob, 2, 2, 12, 17, false},  // 3 shares worth 2.1: the 0.1 left goes with them
		{alice, 4, 4, 8, 10, false}, // 7 shares worth 4.94
		{op(1), 7, 8, 0, 0, false},  // the last holder asks 7 of 8 and takes all
	}
	for i, s := range steps {
		r := e.block(e.commitOf(), nil, func() { e.undelegate(s.who, 1, s.amount) })
		ub := eventsOf(r.events, "staking_unbond")
		if len(ub) != 1 || ub[0]["amount"] != fmt.Sprint(s.paid) {
			t.Fatalf("step %d: unbond events %v", i, ub)
		}
		v := e.val(1).Validator
		_, err := e.k.Delegation(e.ctx, s.who, 1)
		if v.Tokens != s.tokens || v.Shares != s.shares || (err == nil) != s.delegationRemain {
			t.Fatalf("step %d: validator %v, delegation left: %v", i, v, err == nil)
		}
	}
}
