package staking_test

import (
	"maps"
	"testing"

	"github.com/lazchain/lazchain/x/staking"
)

func TestSetSelection(t *testing.T) {
	// Five candidates for three seats: tokens 5, 3, 3, 3 and 0.5 LAZ of
	// power 1 each. Ties go to the lower iDAO id; a validator with less
	// than a unit of power is never chosen.
	e := newEnv(t, `{"max_validators":3,"epoch_blocks":4,"min_self_bond":500000}`)
	e.create(4, 3*laz)
	e.create(2, 3*laz)
	e.create(1, 5*laz)
	e.create(3, 3*laz)
	e.create(5, laz/2)
	for _, c := range []struct {
		name  string
		txs   func()
		want  map[uint64]int64 // the updates of the epoch
		inSet []uint64
	}{
		{"first epoch", nil, map[uint64]int64{1: 5, 2: 3, 3: 3}, []uint64{1, 2, 3}},
		{"no change, no update", nil, map[uint64]int64{}, []uint64{1, 2, 3}},
		{"4 overtakes 3 by one ulaz", func() { e.delegate(alice, 4, 1) }, map[uint64]int64{3: 0, 4: 3}, []uint64{1, 2, 4}},
		{"5 overtakes everyone; 2, 3, 4 tie and 4 leaves", func() {
			e.delegate(bob, 5, 10*laz)
			e.delegate(alice, 2, 1)
			e.delegate(alice, 3, 1)
		}, map[uint64]int64{5: 10, 4: 0}, []uint64{1, 2, 5}},
		{"power changes only", func() { e.delegate(carol, 1, 2*laz) }, map[uint64]int64{1: 7}, []uint64{1, 2, 5}},
	} {
		var r blockResult
		for {
			r = e.block(e.commitOf(), nil, c.txs)
			c.txs = nil
			if e.ctx.Height%4 == 0 {
				break
			}
			if len(r.updates) != 0 {
				t.Fatalf("%s: updates at height %d, between epochs: %v", c.name, e.ctx.Height, r.updates)
			}
		}
		if got := powers(t, r.updates); !maps.Equal(got, c.want) {
			t.Fatalf("%s: updates %v, want %v", c.name, got, c.want)
		}
		var in []uint64
		for _, v := range e.k.Validators(e.ctx) {
			if v.Power > 0 {
				in = append(in, v.Validator.Idao)
				if v.Status != "bonded" {
					t.Fatalf("%s: validator %d in the set has status %q", c.name, v.Validator.Idao, v.Status)
				}
			}
		}
		if len(in) != len(c.inSet) {
			t.Fatalf("%s: set %v, want %v", c.name, in, c.inSet)
		}
		for i := range in {
			if in[i] != c.inSet[i] {
				t.Fatalf("%s: set %v, want %v", c.name, in, c.inSet)
			}
		}
		if len(r.updates) > 0 && len(eventsOf(r.events, "staking_set")) != len(r.updates) {
			t.Fatalf("%s: %d staking_set events for %d updates", c.name, len(eventsOf(r.events, "staking_set")), len(r.updates))
		}
	}
}

func TestJailLeavesAtOnceButPowerWaitsForTheEpoch(t *testing.T) {
	e := newEnv(t, `{"epoch_blocks":10,"jail_blocks":3}`)
	for n := uint64(1); n <= 3; n++ {
		e.create(n, uint64(n)*laz)
	}
	r := e.toEpoch(10)
	if got := powers(t, r.updates); !maps.Equal(got, map[uint64]int64{1: 1, 2: 2, 3: 3}) {
		t.Fatalf("first set %v", got)
	}
	// A delegation between epochs changes nothing yet.
	r = e.block(e.commitOf(), nil, func() { e.delegate(alice, 1, 5*laz) })
	if len(r.updates) != 0 || e.val(1).Power != 1 {
		t.Fatalf("updates %v before the epoch", r.updates)
	}
	// A double sign between epochs removes validator 2 in the same block.
	r = doubleSign(e, 2)
	if got := powers(t, r.updates); !maps.Equal(got, map[uint64]int64{2: 0}) {
		t.Fatalf("jail block updates %v, want only 2's removal", got)
	}
	if v := e.val(2); v.Status != "jailed" || v.Power != 0 {
		t.Fatalf("validator 2 %v", v)
	}
	if e.ctx.Height%10 == 0 {
		t.Fatal("the test needs the jail off an epoch height")
	}
	// The next block has no update, and the epoch brings 1's new power.
	if r = e.block(e.commitOf(), nil, nil); len(r.updates) != 0 {
		t.Fatalf("updates %v", r.updates)
	}
	r = e.toEpoch(10)
	if got := powers(t, r.updates); !maps.Equal(got, map[uint64]int64{1: 6}) {
		t.Fatalf("epoch updates %v", got)
	}
	// Unjailed, 2 comes back at the following epoch only.
	e.ctx = e.fresh(e.ctx.Height)
	e.must(&staking.MsgUnjail{From: op(2).String(), Idao: 2})
	r = e.block(e.commitOf(), nil, nil)
	if len(r.updates) != 0 {
		t.Fatalf("updates %v right after unjail", r.updates)
	}
	r = e.toEpoch(10)
	if got := powers(t, r.updates); !maps.Equal(got, map[uint64]int64{2: 1}) { // slashed 5% of 2 LAZ
		t.Fatalf("epoch updates %v", got)
	}
}

func TestSetNeverEmpty(t *testing.T) {
	e := newEnv(t, `{"epoch_blocks":2}`)
	e.create(1, 3*laz)
	e.create(2, 2*laz)
	e.toEpoch(2)
	// 1 jailed: 2 remains.
	r := doubleSign(e, 1)
	if got := powers(t, r.updates); !maps.Equal(got, map[uint64]int64{1: 0}) {
		t.Fatalf("updates %v", got)
	}
	// 2 jailed too: it would empty the set, so it stays, and says so.
	r = doubleSign(e, 2)
	if len(r.updates) != 0 {
		t.Fatalf("updates %v: the set must not be emptied", r.updates)
	}
	ev := eventsOf(r.events, "staking_set")
	if len(ev) != 1 || ev[0]["action"] != "kept" || ev[0]["idao"] != "2" {
		t.Fatalf("events %v", ev)
	}
	// At the epoch no candidate is left: 2 is kept again, at its power.
	r = e.toEpoch(2)
	if len(r.updates) != 0 || e.val(2).Power != 2 {
		t.Fatalf("updates %v, power %d", r.updates, e.val(2).Power)
	}
	if ev := eventsOf(r.events, "staking_set"); len(ev) != 1 || ev[0]["action"] != "kept" {
		t.Fatalf("events %v", ev)
	}
}

func TestGenesisValidators(t *testing.T) {
	gen := `{"params":{"max_validators":2},"validators":[
	 {"idao":1,"consensus_pubkey":"` + consB64(1) + `","delegator":"` + op(1).String() + `","self_bond":"2000000"},
	 {"idao":2,"consensus_pubkey":"` + consB64(2) + `","delegator":"` + op(2).String() + `","self_bond":"7000000"},
	 {"idao":3,"consensus_pubkey":"` + consB64(3) + `","delegator":"` + op(3).String() + `","self_bond":"5000000"}]}`
	g := newGenesisEnv(t, gen)
	up, err := g.m.GenesisValidators(g.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := powers(t, up); !maps.Equal(got, map[uint64]int64{2: 7, 3: 5}) {
		t.Fatalf("genesis set %v", got)
	}
	if g.val(2).Power != 7 || g.val(1).Power != 0 {
		t.Fatal("the genesis set must be stored as the set handed to CometBFT")
	}
	if up, err := g.m.GenesisValidators(g.ctx); err == nil {
		t.Fatalf("a second call must be refused, got %v", up)
	}
}
