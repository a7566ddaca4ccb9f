package staking_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/staking"
)

// TestInvariantsCatchCorruption breaks the state in the ways each
// invariant guards against and checks that it says so.
func TestInvariantsCatchCorruption(t *testing.T) {
	raw := func(prefix string, id uint64) []byte {
		return binary.BigEndian.AppendUint64([]byte("staking/"+prefix), id)
	}
	validator := func(e *env, n uint64) *staking.Validator {
		v := &staking.Validator{}
		if err := proto.Unmarshal(e.ctx.KV().Get(raw("v/", n)), v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	setValidator := func(e *env, v *staking.Validator) {
		b, err := proto.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		e.ctx.KV().Set(raw("v/", v.Idao), b)
	}
	delegationKey := func(n uint64, d [20]byte) []byte { return append(raw("d/", n), d[:]...) }
	for _, c := range []struct {
		name, inv, says string
		corrupt         func(e *env)
	}{
		{"escrow holds more than staked", "staking/bonded", "bonded escrow", func(e *env) {
			if err := e.bank.Send(e.ctx, bob, staking.BondedEscrow, 1); err != nil {
				t.Fatal(err)
			}
		}},
		{"tokens grow behind the total", "staking/bonded", "stored bonded total", func(e *env) {
			v := validator(e, 1)
			v.Tokens++
			setValidator(e, v)
		}},
		{"an unbonding entry shrinks", "staking/bonded", "unbonding entries", func(e *env) {
			k := raw("u/", 1)
			u := &staking.UnbondingEntry{}
			if err := proto.Unmarshal(e.ctx.KV().Get(k), u); err != nil {
				t.Fatal(err)
			}
			u.Amount--
			b, _ := proto.Marshal(u)
			e.ctx.KV().Set(k, b)
		}},
		{"rewards escrow holds more", "staking/rewards", "pending rewards", func(e *env) {
			if err := e.bank.Send(e.ctx, bob, staking.RewardsEscrow, 1); err != nil {
				t.Fatal(err)
			}
		}},
		{"an accumulator grows", "staking/rewards", "pending rewards", func(e *env) {
			v := validator(e, 1)
			v.Acc = "99999999999999999999"
			setValidator(e, v)
		}},
		{"shares off", "staking/shares", "stored shares", func(e *env) {
			v := validator(e, 2)
			v.Shares++
			setValidator(e, v)
		}},
		{"self shares off", "staking/shares", "self", func(e *env) {
			v := validator(e, 2)
			v.SelfShares--
			setValidator(e, v)
		}},
		{"tokens without shares", "staking/shares", "no shares", func(e *env) {
			e.ctx.KV().Delete(delegationKey(2, op(2)))
			v := validator(e, 2)
			v.Shares, v.SelfShares = 0, 0
			setValidator(e, v)
		}},
		{"a power index entry lost", "staking/index", "missing from the power index", func(e *env) {
			v := validator(e, 1)
			k := binary.BigEndian.AppendUint64([]byte("staking/p/"), ^v.Tokens)
			e.ctx.KV().Delete(binary.BigEndian.AppendUint64(k, 1))
		}},
		{"a jailed validator left in the power index", "staking/index", "power index has", func(e *env) {
			v := validator(e, 2)
			v.Jailed = true
			setValidator(e, v)
		}},
		{"the delegator index misses one", "staking/index", "delegator index", func(e *env) {
			k := append([]byte("staking/dd/"), alice[:]...)
			e.ctx.KV().Delete(binary.BigEndian.AppendUint64(k, 1))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, "")
			e.create(1, 10*laz)
			e.create(2, 10*laz)
			e.delegate(alice, 1, 5*laz)
			e.undelegate(alice, 1, laz)
			e.block(e.commitOf(), nil, nil)
			if err := e.bank.Send(e.ctx, bob, bank.FeeCollector, 12345); err != nil {
				t.Fatal(err)
			}
			e.block(e.commitOf(), nil, nil)
			e.checkInvariants()
			c.corrupt(e)
			var found bool
			for _, inv := range e.m.Invariants() {
				if inv.Name != c.inv {
					continue
				}
				found = true
				err := inv.Check(e.ctx)
				if err == nil || !strings.Contains(err.Error(), c.says) {
					t.Fatalf("%s: got %v, want it to say %q", inv.Name, err, c.says)
				}
			}
			if !found {
				t.Fatalf("no invariant %s", c.inv)
			}
		})
	}
}
