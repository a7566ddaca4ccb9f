package staking_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/idao"
	"github.com/lazchain/lazchain/x/staking"
)

func TestQueries(t *testing.T) {
	e := newEnv(t, `{"epoch_blocks":1,"max_validators":2}`)
	for n := uint64(1); n <= 3; n++ {
		e.create(n, n*laz)
	}
	e.delegate(alice, 1, 2*laz)
	e.delegate(alice, 3, 3*laz)
	e.delegate(bob, 3, laz)
	e.undelegate(alice, 3, laz)
	e.block(e.commitOf(), nil, nil)
	if err := e.bank.Send(e.ctx, carol, bank.FeeCollector, 1000); err != nil {
		t.Fatal(err)
	}
	e.block(e.commitOf(), nil, nil)

	var params staking.QueryParamsResponse
	e.query("params", "", &params)
	if params.Params.MaxValidators != 2 || params.Params.EpochBlocks != 1 {
		t.Fatalf("params %v", params.Params)
	}
	var pool staking.QueryPoolResponse
	e.query("pool", "{}", &pool)
	if pool.BondedTotal != 11*laz || pool.UnbondingTotal != laz || pool.BondedEscrow != staking.BondedEscrow.String() || pool.RewardsCarry != 1 {
		t.Fatalf("pool %v", &pool)
	}
	var one staking.QueryValidatorResponse
	e.query("validator", `{"idao":3}`, &one)
	if v := one.Validator; v.Status != "bonded" || v.Power != 6 || v.Validator.Tokens != 6*laz || v.Validator.Commission != 66 || v.SelfBond != 3*laz ||
		v.ConsensusAddress != fmt.Sprintf("%X", consAddr(3)) {
		t.Fatalf("validator 3 %v", v)
	}
	if err := e.queryErr("validator", `{"idao":9}`, &one); !errors.Is(err, staking.ErrNotFound) {
		t.Fatalf("missing validator: %v", err)
	}
	var vals staking.QueryValidatorsResponse
	e.query("validators", `{"limit":2}`, &vals)
	if len(vals.Validators) != 2 || vals.Next != 2 || vals.Validators[1].Status != "unbonded" {
		t.Fatalf("page 1 %v", &vals)
	}
	e.query("validators", `{"after":2}`, &vals)
	if len(vals.Validators) != 1 || vals.Next != 0 || vals.Validators[0].Validator.Idao != 3 {
		t.Fatalf("page 2 %v", &vals)
	}

	var dels staking.QueryDelegationsResponse
	e.query("delegations", fmt.Sprintf(`{"delegator":"%s","limit":1}`, alice), &dels)
	if len(dels.Delegations) != 1 || dels.Next != "1" || dels.Delegations[0].Tokens != 2*laz {
		t.Fatalf("alice page 1 %v", &dels)
	}
	e.query("delegations", fmt.Sprintf(`{"delegator":"%s","after":"1"}`, alice), &dels)
	// Validator 3 (power 6 of 9) got 1000·6/9 = 666 ulaz, 600 after
	// commission, over 6 LAZ of shares: alice's 2 LAZ earn 200.
	if len(dels.Delegations) != 1 || dels.Delegations[0].Tokens != 2*laz || dels.Delegations[0].PendingRewards != 200 {
		t.Fatalf("alice page 2 %v", &dels)
	}
	e.query("delegations", `{"idao":3}`, &dels)
	if len(dels.Delegations) != 3 {
		t.Fatalf("validator 3's delegations %v", &dels)
	}
	e.query("delegations", fmt.Sprintf(`{"idao":3,"after":"%s","limit":1}`, dels.Delegations[0].Delegation.Delegator), &dels)
	if len(dels.Delegations) != 1 || dels.Next == "" {
		t.Fatalf("validator 3's delegations page 2 %v", &dels)
	}
	var ub staking.QueryUnbondingsResponse
	e.query("unbondings", fmt.Sprintf(`{"delegator":"%s"}`, alice), &ub)
	if len(ub.Unbondings) != 1 || ub.Unbondings[0].Amount != laz || ub.Unbondings[0].Idao != 3 {
		t.Fatalf("unbondings %v", &ub)
	}
	e.query("unbondings", `{"idao":3,"after":1}`, &ub)
	if len(ub.Unbondings) != 0 {
		t.Fatalf("unbondings after 1 %v", &ub)
	}
	for _, c := range []struct{ path, req string }{
		{"delegations", `{}`},
		{"delegations", fmt.Sprintf(`{"idao":1,"delegator":"%s"}`, alice)},
		{"delegations", fmt.Sprintf(`{"delegator":"%s","after":"x"}`, alice)},
		{"unbondings", `{}`},
		{"validators", `{"limt":3}`},
	} {
		if err := e.queryErr(c.path, c.req, &dels); !errors.Is(err, chain.ErrBadRequest) {
			t.Fatalf("%s %s: got %v, want a bad request", c.path, c.req, err)
		}
	}
	if err := e.queryErr("delegations", `{"delegator":"0x1"}`, &dels); !errors.Is(err, staking.ErrInvalidAddress) {
		t.Fatalf("bad delegator: %v", err)
	}
}

// TestTreasuryDelegate: the keeper's Delegate, as an iDAO's proposal uses
// it, makes the treasury's stake a self-bond.
func TestTreasuryDelegate(t *testing.T) {
	e := newEnv(t, "")
	e.create(1, laz)
	tr := idao.TreasuryAddress(1)
	if err := e.k.Delegate(e.ctx, tr, 1, 5); err == nil || !errors.Is(err, staking.ErrInsufficientFunds) {
		t.Fatalf("an empty treasury: %v", err)
	}
	if err := e.bank.Send(e.ctx, bob, tr, 4*laz); err != nil {
		t.Fatal(err)
	}
	if err := e.k.Delegate(e.ctx, tr, 1, 3*laz); err != nil {
		t.Fatal(err)
	}
	if err := e.k.Delegate(e.ctx, bob, 1, laz); err != nil {
		t.Fatal(err)
	}
	if err := e.k.Delegate(e.ctx, bob, 2, laz); !errors.Is(err, staking.ErrNotFound) {
		t.Fatalf("no validator: %v", err)
	}
	if v := e.val(1); v.SelfBond != 4*laz || v.Validator.Tokens != 5*laz {
		t.Fatalf("validator %v", v)
	}
	if got := e.k.BondedTotal(e.ctx); got != 5*laz {
		t.Fatalf("bonded total %d", got)
	}
	e.checkInvariants()
}
