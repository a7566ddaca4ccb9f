package staking_test

import (
	"encoding/base64"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/staking"
)

const msgParams = `{"jail_blocks":5,"epoch_blocks":5,"unbonding_blocks":20}`

// msgSetup: validator 1 (self-bond 10 LAZ from op(1)) with alice's 5 LAZ.
func msgSetup(e *env) {
	e.create(1, 10*laz)
	e.delegate(alice, 1, 5*laz)
}

// doubleSign runs a block with evidence of validator n signing twice at
// the previous height.
func doubleSign(e *env, n uint64) blockResult {
	ev := []abci.Misbehavior{{Type: abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE,
		Validator: abci.Validator{Address: consAddr(n), Power: 1}, Height: e.ctx.Height}}
	return e.block(e.commitOf(), ev, nil)
}

func TestCreateValidator(t *testing.T) {
	poor := addr(0x99, 1)
	create := func(from tx.Address, n uint64, key, bond string) func(*env) proto.Message {
		return func(*env) proto.Message {
			return &staking.MsgCreateValidator{From: from.String(), Idao: n, ConsensusPubkey: key, SelfBond: bond}
		}
	}
	runCases(t, msgParams, msgSetup, []tcase{
		{name: "ok", msg: create(op(2), 2, consB64(2), "2000000"), check: func(t *testing.T, e *env) {
			v := e.val(2)
			if v.Validator.Tokens != 2*laz || v.Validator.Shares != 2*laz || v.SelfBond != 2*laz || v.Status != "unbonded" || v.Validator.Creator != op(2).String() {
				t.Fatalf("validator %v", v)
			}
			if e.balance(op(2)) != funds-2*laz || e.balance(staking.BondedEscrow) != 17*laz {
				t.Fatalf("balances %d, escrow %d", e.balance(op(2)), e.balance(staking.BondedEscrow))
			}
			d, err := e.k.Delegation(e.ctx, op(2), 2)
			if err != nil || !d.Self || d.Shares != 2*laz {
				t.Fatalf("self delegation %v %v", d, err)
			}
			if ev := eventsOf(e.ctx.Events(), "staking_validator"); len(ev) != 1 || ev[0]["idao"] != "2" || ev[0]["self_bond"] != "2000000" {
				t.Fatalf("events %v", ev)
			}
		}},
		{name: "bad signer", msg: func(*env) proto.Message {
			return &staking.MsgCreateValidator{From: "0x12", Idao: 2, ConsensusPubkey: consB64(2), SelfBond: "2000000"}
		}, err: staking.ErrInvalidAddress, says: "from"},
		{name: "key not base64", msg: create(op(2), 2, "not base64!", "2000000"), err: staking.ErrInvalidPubKey, says: "priv_validator_key.json"},
		{name: "key of 31 bytes", msg: create(op(2), 2, base64.StdEncoding.EncodeToString(make([]byte, 31)), "2000000"),
			err: staking.ErrInvalidPubKey, says: "32"},
		{name: "bond not a number", msg: create(op(2), 2, consB64(2), "1 LAZ"), err: staking.ErrInvalidAmount, says: "self_bond"},
		{name: "bond zero", msg: create(op(2), 2, consB64(2), "0"), err: staking.ErrInvalidAmount, says: "greater than zero"},
		{name: "bond overflows", msg: create(op(2), 2, consB64(2), "99999999999999999999999"), err: staking.ErrOverflow, says: "self_bond"},
		{name: "no such iDAO", msg: create(op(2), 99, consB64(2), "2000000"), err: staking.ErrNotFound, says: "iDAO 99 does not exist"},
		{name: "signer without the role", msg: create(member(2), 2, consB64(2), "2000000"), err: staking.ErrUnauthorized, says: `"validator" role`},
		{name: "iDAO already a validator", msg: create(op(1), 1, consB64(9), "2000000"), err: staking.ErrValidatorExists, says: "MsgBond"},
		{name: "key taken", msg: create(op(2), 2, consB64(1), "2000000"), err: staking.ErrPubKeyTaken, says: "validator 1"},
		{name: "self-bond below minimum", msg: create(op(2), 2, consB64(2), "999999"), err: staking.ErrSelfBondTooLow, says: "minimum of 1000000"},
		{name: "unfunded", prep: func(e *env) { e.idao.roles[3][poor] = []string{"validator"} },
			msg: create(poor, 3, consB64(3), "2000000"), err: staking.ErrInsufficientFunds, says: "has 0 ulaz"},
	})
}

func TestDelegateAndBond(t *testing.T) {
	runCases(t, msgParams, msgSetup, []tcase{
		{name: "delegate", msg: func(*env) proto.Message {
			return &staking.MsgDelegate{From: bob.String(), Idao: 1, Amount: "3000000"}
		}, check: func(t *testing.T, e *env) {
			v := e.val(1)
			if v.Validator.Tokens != 18*laz || v.Validator.Shares != 18*laz || v.SelfBond != 10*laz {
				t.Fatalf("validator %v", v)
			}
			if ev := eventsOf(e.ctx.Events(), "staking_delegate"); len(ev) != 1 || ev[0]["delegator"] != bob.String() || ev[0]["self"] != "false" {
				t.Fatalf("events %v", ev)
			}
		}},
		{name: "delegate again adds shares", msg: func(*env) proto.Message {
			return &staking.MsgDelegate{From: alice.String(), Idao: 1, Amount: "1"}
		}, check: func(t *testing.T, e *env) {
			if w := e.worth(alice, 1); w != 5*laz+1 {
				t.Fatalf("alice's delegation is worth %d", w)
			}
		}},
		{name: "bond by a validator member", msg: func(*env) proto.Message {
			return &staking.MsgBond{From: op(1).String(), Idao: 1, Amount: "1000000"}
		}, check: func(t *testing.T, e *env) {
			if v := e.val(1); v.SelfBond != 11*laz || v.Validator.SelfShares != 11*laz {
				t.Fatalf("validator %v", v)
			}
		}},
		{name: "delegate to no validator", msg: func(*env) proto.Message {
			return &staking.MsgDelegate{From: bob.String(), Idao: 2, Amount: "3"}
		}, err: staking.ErrNotFound, says: "MsgCreateValidator"},
		{name: "delegate zero", msg: func(*env) proto.Message {
			return &staking.MsgDelegate{From: bob.String(), Idao: 1, Amount: "0"}
		}, err: staking.ErrInvalidAmount, says: "greater than zero"},
		{name: "delegate a bad amount", msg: func(*env) proto.Message {
			return &staking.MsgDelegate{From: bob.String(), Idao: 1, Amount: "-4"}
		}, err: staking.ErrInvalidAmount, says: "decimal integer"},
		{name: "delegate from a bad address", msg: func(*env) proto.Message {
			return &staking.MsgDelegate{From: "bob", Idao: 1, Amount: "4"}
		}, err: staking.ErrInvalidAddress, says: "from"},
		{name: "delegate more than held", msg: func(*env) proto.Message {
			return &staking.MsgDelegate{From: bob.String(), Idao: 1, Amount: "1000000000000000"}
		}, err: staking.ErrInsufficientFunds, says: "fund the account"},
		{name: "bond without the role", msg: func(*env) proto.Message {
			return &staking.MsgBond{From: alice.String(), Idao: 1, Amount: "1000000"}
		}, err: staking.ErrUnauthorized, says: "MsgDelegate"},
		{name: "bond to no validator", msg: func(*env) proto.Message {
			return &staking.MsgBond{From: op(2).String(), Idao: 2, Amount: "1000000"}
		}, err: staking.ErrNotFound, says: "not a validator"},
		{name: "bond zero", msg: func(*env) proto.Message {
			return &staking.MsgBond{From: op(1).String(), Idao: 1, Amount: "0"}
		}, err: staking.ErrInvalidAmount, says: "amount"},
	})
}

func TestUndelegateAndUnbond(t *testing.T) {
	undel := func(from tx.Address, n uint64, amount string) func(*env) proto.Message {
		return func(*env) proto.Message { return &staking.MsgUndelegate{From: from.String(), Idao: n, Amount: amount} }
	}
	unbond := func(from tx.Address, n uint64, amount string) func(*env) proto.Message {
		return func(*env) proto.Message { return &staking.MsgUnbond{From: from.String(), Idao: n, Amount: amount} }
	}
	runCases(t, msgParams, msgSetup, []tcase{
		{name: "undelegate part", msg: undel(alice, 1, "2000000"), check: func(t *testing.T, e *env) {
			if e.tokens(1) != 13*laz || e.worth(alice, 1) != 3*laz {
				t.Fatalf("tokens %d, alice %d", e.tokens(1), e.worth(alice, 1))
			}
			ev := eventsOf(e.ctx.Events(), "staking_unbond")
			if len(ev) != 1 || ev[0]["amount"] != "2000000" || ev[0]["completion_height"] != "21" {
				t.Fatalf("events %v", ev)
			}
			if e.balance(staking.BondedEscrow) != 15*laz {
				t.Fatal("the unbonding tokens must stay in the bonded escrow until completion")
			}
		}},
		{name: "undelegate all", msg: undel(alice, 1, "5000000"), check: func(t *testing.T, e *env) {
			if _, err := e.k.Delegation(e.ctx, alice, 1); err == nil {
				t.Fatal("an emptied delegation must be removed")
			}
			if e.val(1).Validator.Shares != 10*laz {
				t.Fatalf("shares %d", e.val(1).Validator.Shares)
			}
		}},
		{name: "undelegate a self-bond", msg: undel(op(1), 1, "1000000"), check: func(t *testing.T, e *env) {
			if v := e.val(1); v.SelfBond != 9*laz || v.Validator.Jailed {
				t.Fatalf("validator %v", v)
			}
		}},
		{name: "undelegate more than delegated", msg: undel(alice, 1, "5000001"), err: staking.ErrInsufficientShares, says: "worth 5000000 ulaz"},
		{name: "undelegate without delegation", msg: undel(bob, 1, "1"), err: staking.ErrNoDelegation, says: "nothing to unbond"},
		{name: "undelegate from no validator", msg: undel(alice, 3, "1"), err: staking.ErrNotFound, says: "not a validator"},
		{name: "undelegate zero", msg: undel(alice, 1, "0"), err: staking.ErrInvalidAmount, says: "greater than zero"},
		{name: "undelegate from a bad address", msg: func(*env) proto.Message {
			return &staking.MsgUndelegate{From: "alice", Idao: 1, Amount: "1"}
		}, err: staking.ErrInvalidAddress, says: "from"},
		{name: "unbond from a bad address", msg: func(*env) proto.Message {
			return &staking.MsgUnbond{From: "", Idao: 1, Amount: "1"}
		}, err: staking.ErrInvalidAddress, says: "from"},
		{name: "unbond a self-bond", msg: unbond(op(1), 1, "1000000"), check: func(t *testing.T, e *env) {
			if v := e.val(1); v.SelfBond != 9*laz || v.Validator.Jailed {
				t.Fatalf("validator %v", v)
			}
		}},
		{name: "unbond below the minimum jails", msg: unbond(op(1), 1, "9500000"), check: func(t *testing.T, e *env) {
			v := e.val(1)
			if !v.Validator.Jailed || v.Status != "jailed" || v.SelfBond != laz/2 {
				t.Fatalf("validator %v", v)
			}
			if ev := eventsOf(e.ctx.Events(), "staking_jail"); len(ev) != 1 || ev[0]["reason"] != staking.ReasonSelfBond {
				t.Fatalf("events %v", ev)
			}
		}},
		{name: "unbond a plain delegation", msg: unbond(alice, 1, "1"), err: staking.ErrNotSelfBond, says: "MsgUndelegate"},
		{name: "unbond bad amount", msg: unbond(op(1), 1, "x"), err: staking.ErrInvalidAmount, says: "amount"},
	})
}

func TestUnjailAndWithdraw(t *testing.T) {
	unjail := func(from tx.Address, n uint64) func(*env) proto.Message {
		return func(*env) proto.Message { return &staking.MsgUnjail{From: from.String(), Idao: n} }
	}
	withdraw := func(from tx.Address, n uint64) func(*env) proto.Message {
		return func(*env) proto.Message { return &staking.MsgWithdrawRewards{From: from.String(), Idao: n} }
	}
	jail := func(e *env) {
		e.create(2, 10*laz) // so that the set is not left empty
		e.toEpoch(5)        // validators 1 and 2 enter the set
		doubleSign(e, 1)
	}
	fees := func(e *env) {
		e.toEpoch(5)
		if err := e.bank.Send(e.ctx, bob, bank.FeeCollector, 1000); err != nil {
			t.Fatal(err)
		}
		e.block(e.commitOf(), nil, nil)
	}
	runCases(t, msgParams, msgSetup, []tcase{
		{name: "unjail a free validator", msg: unjail(op(1), 1), err: staking.ErrNotJailed, says: "not jailed"},
		{name: "unjail too early", prep: jail, msg: unjail(op(1), 1), err: staking.ErrStillJailed, says: "jailed until height 11"},
		{name: "unjail without the role", prep: func(e *env) {
			jail(e)
			for range 5 {
				e.block(e.commitOf(), nil, nil)
			}
		}, msg: unjail(alice, 1), err: staking.ErrUnauthorized, says: "only its validators"},
		{name: "unjail no validator", msg: unjail(op(2), 2), err: staking.ErrNotFound, says: "not a validator"},
		{name: "unjail bad signer", msg: func(*env) proto.Message { return &staking.MsgUnjail{From: "x", Idao: 1} },
			err: staking.ErrInvalidAddress, says: "from"},
		{name: "unjail after the jail period", prep: func(e *env) {
			jail(e)
			for range 5 {
				e.block(e.commitOf(), nil, nil)
			}
		}, msg: unjail(op(1), 1), check: func(t *testing.T, e *env) {
			// Out of the set until the next epoch.
			if v := e.val(1); v.Validator.Jailed || v.Status != "unbonded" || v.Power != 0 {
				t.Fatalf("validator %v", v)
			}
			if ev := eventsOf(e.ctx.Events(), "staking_unjail"); len(ev) != 1 || ev[0]["idao"] != "1" {
				t.Fatalf("events %v", ev)
			}
		}},
		{name: "unjail with too small a self-bond", prep: func(e *env) {
			e.must(&staking.MsgUnbond{From: op(1).String(), Idao: 1, Amount: "9500000"})
		}, msg: unjail(op(1), 1), err: staking.ErrSelfBondTooLow, says: "add 500000 ulaz with MsgBond"},
		{name: "unjail once the self-bond is back", prep: func(e *env) {
			e.must(&staking.MsgUnbond{From: op(1).String(), Idao: 1, Amount: "9500000"})
			e.must(&staking.MsgBond{From: op(1).String(), Idao: 1, Amount: "500000"})
		}, msg: unjail(op(1), 1), check: func(t *testing.T, e *env) {
			if e.val(1).Validator.Jailed {
				t.Fatal("still jailed")
			}
		}},
		{name: "withdraw nothing", msg: withdraw(alice, 1), err: staking.ErrNothingToWithdraw, says: "less than 1 ulaz"},
		{name: "withdraw without delegation", msg: withdraw(bob, 1), err: staking.ErrNoDelegation, says: "nothing to withdraw"},
		{name: "withdraw from no validator", msg: withdraw(alice, 4), err: staking.ErrNotFound, says: "not a validator"},
		{name: "withdraw bad signer", msg: func(*env) proto.Message { return &staking.MsgWithdrawRewards{From: "0X1", Idao: 1} },
			err: staking.ErrInvalidAddress, says: "from"},
		{name: "withdraw", prep: fees, msg: withdraw(alice, 1), check: func(t *testing.T, e *env) {
			// 1000 ulaz: 100 commission, 900 over 15 LAZ of shares, alice
			// holding a third.
			if got := e.balance(alice); got != funds-5*laz+300 {
				t.Fatalf("alice has %d, want %d", got, funds-5*laz+300)
			}
			if e.k.PendingRewards(e.ctx, alice, 1) != 0 || e.k.PendingRewards(e.ctx, op(1), 1) != 600 {
				t.Fatalf("pending alice %d, op %d", e.k.PendingRewards(e.ctx, alice, 1), e.k.PendingRewards(e.ctx, op(1), 1))
			}
		}},
	})
}

func TestMessagesRefusedOnDegenerateValidators(t *testing.T) {
	// A validator slashed to nothing (100% double-sign slash) takes no
	// delegations, and its shares are worth nothing.
	e := newEnv(t, `{"double_sign_slash_bps":10000,"epoch_blocks":1}`)
	e.create(1, 10*laz)
	e.create(2, 10*laz)
	e.block(e.commitOf(), nil, nil)
	doubleSign(e, 1)
	if e.tokens(1) != 0 || e.balance(staking.SlashedAccount) != 10*laz {
		t.Fatalf("tokens %d, slashed %d", e.tokens(1), e.balance(staking.SlashedAccount))
	}
	before := dump(e.ctx.KV())
	err := e.exec(&staking.MsgDelegate{From: alice.String(), Idao: 1, Amount: "5"})
	if err == nil || !errorsIs(err, staking.ErrNoTokens) {
		t.Fatalf("got %v", err)
	}
	err = e.exec(&staking.MsgUndelegate{From: op(1).String(), Idao: 1, Amount: "1"})
	if err == nil || !errorsIs(err, staking.ErrInsufficientShares) {
		t.Fatalf("got %v", err)
	}
	if after := dump(e.ctx.KV()); len(after) != len(before) {
		t.Fatal("refusals changed the state")
	}
}
