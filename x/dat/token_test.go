package dat_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/dat"
)

func msg(m proto.Message) func(*env) proto.Message { return func(*env) proto.Message { return m } }

// mintExp mints a token with an expiry height.
func (e *env) mintExp(class uint64, to tx.Address, value, share, eh uint64) uint64 {
	e.t.Helper()
	id, err := e.k.Mint(e.ctx, class, to, value, share, eh, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func TestMint(t *testing.T) {
	mint := func(mod func(m *dat.MsgMint)) func(*env) proto.Message {
		return func(*env) proto.Message {
			m := &dat.MsgMint{From: admin.String(), Class: 1, To: carol.String(), Value: 40, ShareRatio: 3}
			if mod != nil {
				mod(m)
			}
			return m
		}
	}
	runCases(t, fixture, []tcase{
		{name: "an admin mints; totals, indexes and event follow", msg: mint(func(m *dat.MsgMint) {
			m.ExpireAtHeight, m.ExpireAtTime = 200, startTime+10
		}), check: func(t *testing.T, e *env) {
			tok := e.token(4)
			if tok.Owner != carol.String() || tok.Value != 40 || tok.ShareRatio != 3 || tok.ExpireAtHeight != 200 ||
				tok.ExpireAtTime != startTime+10 || tok.Class != 1 || tok.MintedHeight != startHeight || tok.Expired {
				t.Fatalf("token %v", tok)
			}
			c := e.classOf(1)
			if c.TotalShare != 1+2+3 || c.TotalValue != 100+50+40 || c.Tokens != 3 {
				t.Fatalf("class totals share %d value %d tokens %d", c.TotalShare, c.TotalValue, c.Tokens)
			}
			ev := e.eventsOf("dat_mint")
			last := ev[len(ev)-1]
			if last["class"] != "1" || last["token"] != "4" || last["owner"] != carol.String() || last["value"] != "40" || last["share_ratio"] != "3" {
				t.Fatalf("event %v", last)
			}
			res, err := e.query("tokens", dat.TokensQuery{Owner: carol.String()})
			if err != nil || len(res.(*dat.QueryTokensResponse).Tokens) != 1 {
				t.Fatalf("owner index: %v %v", res, err)
			}
		}},
		{name: "a token minted after revenue has nothing pending", prep: func(e *env) { e.settle(1, 31) }, msg: mint(nil),
			check: func(t *testing.T, e *env) {
				if p := e.pending(4); p != 0 {
					t.Fatalf("new token has %d pending", p)
				}
				e.settle(1, 60) // shares 1, 2, 3 of 6
				// 31 over shares 3: acc = 31e18/3, rest 1; token 1 gets 10, token 2 20.
				// 60 more: num = 60e18+1 over 6: each share gets 10 more.
				for id, want := range map[uint64]uint64{1: 10 + 10, 2: 20 + 20, 4: 30} {
					if p := e.pending(id); p != want {
						t.Fatalf("token %d pending %d, want %d", id, p, want)
					}
				}
			}},
		{name: "value without share is a token", msg: mint(func(m *dat.MsgMint) { m.ShareRatio = 0 })},
		{name: "share without value is a token", msg: mint(func(m *dat.MsgMint) { m.Value = 0 })},
		{name: "a non-admin may not mint", msg: mint(func(m *dat.MsgMint) { m.From = member1.String() }), err: dat.ErrUnauthorized,
			says: member1.String() + " is not an admin of iDAO 1: only its admins may mint tokens of class 1"},
		{name: "missing class", msg: mint(func(m *dat.MsgMint) { m.Class = 9 }), err: dat.ErrNotFound, says: "class 9 does not exist"},
		{name: "bad recipient", msg: mint(func(m *dat.MsgMint) { m.To = "carol" }), err: dat.ErrInvalidAddress, says: "to:"},
		{name: "empty token", msg: mint(func(m *dat.MsgMint) { m.Value, m.ShareRatio = 0, 0 }), err: dat.ErrInvalidToken, says: "both are 0"},
		{name: "expiry height not in the future", msg: mint(func(m *dat.MsgMint) { m.ExpireAtHeight = startHeight }), err: dat.ErrInvalidExpiry,
			says: "expire_at_height 100 is not after the current height 100"},
		{name: "expiry time not in the future", msg: mint(func(m *dat.MsgMint) { m.ExpireAtTime = startTime }), err: dat.ErrInvalidExpiry,
			says: "is not after the current block time"},
		{name: "negative expiry time", msg: mint(func(m *dat.MsgMint) { m.ExpireAtTime = -1 }), err: dat.ErrInvalidExpiry, says: "negative"},
		{name: "total share overflow", msg: mint(func(m *dat.MsgMint) { m.ShareRatio = math.MaxUint64 }), err: dat.ErrOverflow,
			says: "total share 3 + 18446744073709551615"},
		{name: "total value overflow", msg: mint(func(m *dat.MsgMint) { m.Value = math.MaxUint64 - 150 + 1 }), err: dat.ErrOverflow, says: "total value 150"},
	})
}

func TestTransferValue(t *testing.T) {
	tv := func(from tx.Address, a, b, v uint64) func(*env) proto.Message {
		return msg(&dat.MsgTransferValue{From: from.String(), FromToken: a, ToToken: b, Value: v})
	}
	values := func(t *testing.T, e *env, want map[uint64]uint64) {
		t.Helper()
		for id, v := range want {
			if got := e.token(id).Value; got != v {
				t.Fatalf("token %d value %d, want %d", id, got, v)
			}
		}
		if c := e.classOf(1); c.TotalValue != 150 {
			t.Fatalf("class total value %d changed", c.TotalValue)
		}
	}
	runCases(t, fixture, []tcase{
		{name: "the owner moves value", msg: tv(alice, 1, 2, 30), check: func(t *testing.T, e *env) {
			values(t, e, map[uint64]uint64{1: 70, 2: 80})
			if ev := e.eventsOf("dat_transfer_value"); len(ev) != 1 || ev[0]["value"] != "30" || ev[0]["from_token"] != "1" {
				t.Fatalf("events %v", ev)
			}
		}},
		{name: "an operator moves value", prep: func(e *env) {
			e.must(&dat.MsgApproveForClass{From: alice.String(), Operator: carol.String(), Class: 1, Approved: true})
		}, msg: tv(carol, 1, 2, 100), check: func(t *testing.T, e *env) { values(t, e, map[uint64]uint64{1: 0, 2: 150}) }},
		{name: "an allowance is spent", prep: func(e *env) {
			e.must(&dat.MsgApproveValue{From: alice.String(), Token: 1, Operator: carol.String(), Value: 40})
		}, msg: tv(carol, 1, 2, 30), check: func(t *testing.T, e *env) {
			values(t, e, map[uint64]uint64{1: 70, 2: 80})
			err := e.exec(&dat.MsgTransferValue{From: carol.String(), FromToken: 1, ToToken: 2, Value: 11})
			if !errors.Is(err, dat.ErrUnauthorized) || !strings.Contains(err.Error(), "its allowance is 10") {
				t.Fatalf("allowance after spending 30 of 40: %v", err)
			}
		}},
		{name: "an allowance too small", prep: func(e *env) {
			e.must(&dat.MsgApproveValue{From: alice.String(), Token: 1, Operator: carol.String(), Value: 20})
		}, msg: tv(carol, 1, 2, 30), err: dat.ErrUnauthorized, says: "its allowance is 20"},
		{name: "a stranger", msg: tv(bob, 1, 2, 1), err: dat.ErrUnauthorized, says: "is not the owner " + alice.String()},
		{name: "an operator of another class", prep: func(e *env) {
			e.must(&dat.MsgApproveForClass{From: alice.String(), Operator: carol.String(), Class: 2, Approved: true})
		}, msg: tv(carol, 1, 2, 1), err: dat.ErrUnauthorized, says: "operator for class 1"},
		{name: "to itself", msg: tv(alice, 1, 1, 1), err: dat.ErrInvalidToken, says: "token 1 to itself"},
		{name: "value from another class", msg: tv(alice, 1, 3, 1), err: dat.ErrClassMismatch, says: "token 1 is of class 1, token 3 of class 2"},
		{name: "from an expired token", prep: func(e *env) {
			e.mintExp(1, alice, 10, 0, 105)
			e.nextBlock(106)
		}, msg: tv(alice, 4, 1, 1), err: dat.ErrExpired, says: "token 4 expired at height 105 (now 106)"},
		{name: "to an expired token", prep: func(e *env) {
			e.mintExp(1, alice, 10, 0, 105)
			e.nextBlock(105)
		}, msg: tv(alice, 1, 4, 1), err: dat.ErrExpired, says: "token 4 expired at height 105 (now 105)"},
		{name: "zero value", msg: tv(alice, 1, 2, 0), err: dat.ErrInvalidAmount, says: "greater than zero"},
		{name: "more than the token holds", msg: tv(alice, 1, 2, 101), err: dat.ErrInsufficientValue, says: "token 1 holds 100 units; cannot move 101"},
		{name: "missing token", msg: tv(alice, 1, 9, 1), err: dat.ErrNotFound, says: "token 9 does not exist"},
	})
}

func TestTransfer(t *testing.T) {
	tr := func(from tx.Address, tok uint64, to tx.Address) func(*env) proto.Message {
		return msg(&dat.MsgTransfer{From: from.String(), Token: tok, To: to.String()})
	}
	runCases(t, fixture, []tcase{
		{name: "the owner gives a token with its pending revenue and allowances cleared", prep: func(e *env) {
			e.settle(1, 30) // token 1: 10, token 2: 20
			e.must(&dat.MsgApproveValue{From: alice.String(), Token: 1, Operator: bob.String(), Value: 5})
		}, msg: tr(alice, 1, carol), check: func(t *testing.T, e *env) {
			if o := e.token(1).Owner; o != carol.String() {
				t.Fatalf("owner %s", o)
			}
			if err := e.exec(&dat.MsgClaim{From: alice.String(), Token: 1}); !errors.Is(err, dat.ErrNotOwner) {
				t.Fatalf("old owner claims: %v", err)
			}
			e.must(&dat.MsgClaim{From: carol.String(), Token: 1})
			if b := e.balance(carol); b != 10 {
				t.Fatalf("new owner got %d, want the 10 pending", b)
			}
			if err := e.exec(&dat.MsgTransferValue{From: bob.String(), FromToken: 1, ToToken: 2, Value: 1}); !errors.Is(err, dat.ErrUnauthorized) {
				t.Fatalf("allowance survived the transfer: %v", err)
			}
			for owner, n := range map[tx.Address]int{alice: 1, carol: 1} {
				res, _ := e.query("tokens", dat.TokensQuery{Owner: owner.String()})
				if got := len(res.(*dat.QueryTokensResponse).Tokens); got != n {
					t.Fatalf("%s owns %d tokens, want %d", owner, got, n)
				}
			}
			if ev := e.eventsOf("dat_transfer"); len(ev) != 1 || ev[0]["recipient"] != carol.String() || ev[0]["sender"] != alice.String() {
				t.Fatalf("events %v", ev)
			}
		}},
		{name: "an operator transfers", prep: func(e *env) {
			e.must(&dat.MsgApproveForClass{From: alice.String(), Operator: bob.String(), Class: 1, Approved: true})
		}, msg: tr(bob, 1, carol)},
		{name: "a stranger", msg: tr(bob, 1, carol), err: dat.ErrUnauthorized, says: "may not transfer token 1"},
		{name: "an expired token cannot move", prep: func(e *env) {
			e.mintExp(1, alice, 10, 1, 101)
			e.nextBlock(101)
		}, msg: tr(alice, 4, carol), err: dat.ErrExpired, says: "token 4 expired at height 101"},
		{name: "to its owner", msg: tr(alice, 1, alice), err: dat.ErrInvalidAddress, says: "token 1 already belongs to"},
		{name: "bad recipient", msg: msg(&dat.MsgTransfer{From: alice.String(), Token: 1, To: "0x1"}), err: dat.ErrInvalidAddress, says: "to:"},
		{name: "missing token", msg: tr(alice, 9, carol), err: dat.ErrNotFound, says: "token 9"},
	})
}

func TestSplit(t *testing.T) {
	split := func(from tx.Address, tok, v, s uint64) func(*env) proto.Message {
		return msg(&dat.MsgSplit{From: from.String(), Token: tok, Value: v, ShareRatio: s})
	}
	runCases(t, fixture, []tcase{
		{name: "split keeps pending on the old token and shares revenue after", prep: func(e *env) {
			e.mintExp(1, bob, 0, 0+3, 500) // token 4: share 3, expires at 500
			e.settle(1, 60)                // shares 1, 2, 3: 10, 20, 30
		}, msg: split(bob, 4, 0, 1), check: func(t *testing.T, e *env) {
			old, n := e.token(4), e.token(5)
			if old.ShareRatio != 2 || n.ShareRatio != 1 || n.Owner != bob.String() || n.Class != 1 || n.ExpireAtHeight != 500 {
				t.Fatalf("old %v new %v", old, n)
			}
			if e.pending(4) != 30 || e.pending(5) != 0 {
				t.Fatalf("pending %d %d, want 30 0", e.pending(4), e.pending(5))
			}
			e.settle(1, 60) // shares 1, 2, 2, 1 of 6: 10 each
			if e.pending(4) != 50 || e.pending(5) != 10 {
				t.Fatalf("pending %d %d, want 50 10", e.pending(4), e.pending(5))
			}
			if c := e.classOf(1); c.Tokens != 4 || c.TotalShare != 6 {
				t.Fatalf("class tokens %d share %d", c.Tokens, c.TotalShare)
			}
			if ev := e.eventsOf("dat_split"); len(ev) != 1 || ev[0]["token"] != "4" || ev[0]["new_token"] != "5" {
				t.Fatalf("events %v", ev)
			}
			e.checkInvariants()
		}},
		{name: "split value only", msg: split(alice, 1, 40, 0), check: func(t *testing.T, e *env) {
			if e.token(1).Value != 60 || e.token(4).Value != 40 || e.token(4).ShareRatio != 0 {
				t.Fatal("values not split")
			}
		}},
		{name: "an operator splits", prep: func(e *env) {
			e.must(&dat.MsgApproveForClass{From: alice.String(), Operator: bob.String(), Class: 1, Approved: true})
		}, msg: split(bob, 1, 1, 0)},
		{name: "a stranger", msg: split(bob, 1, 1, 0), err: dat.ErrUnauthorized, says: "may not split token 1"},
		{name: "expired", prep: func(e *env) {
			e.mintExp(1, alice, 10, 1, 101)
			e.nextBlock(101)
		}, msg: split(alice, 4, 1, 0), err: dat.ErrExpired, says: "token 4 expired"},
		{name: "more value than held", msg: split(alice, 1, 101, 0), err: dat.ErrInsufficientValue, says: "token 1 holds 100 units; cannot split off 101"},
		{name: "more share than held", msg: split(alice, 1, 0, 2), err: dat.ErrInsufficientValue, says: "share ratio 1; cannot split off 2"},
		{name: "an empty new token", msg: split(alice, 1, 0, 0), err: dat.ErrInvalidToken, says: "empty token"},
		{name: "leaving the old token empty", msg: split(alice, 1, 100, 1), err: dat.ErrInvalidToken, says: "transfer it instead"},
		{name: "missing token", msg: split(alice, 9, 1, 0), err: dat.ErrNotFound, says: "token 9"},
	})
}

func TestMerge(t *testing.T) {
	merge := func(from tx.Address, into uint64, toks ...uint64) func(*env) proto.Message {
		return msg(&dat.MsgMerge{From: from.String(), Tokens: toks, Into: into})
	}
	runCases(t, fixture, []tcase{
		{name: "values, shares and pending add up", prep: func(e *env) {
			e.mint(1, alice, 20, 3) // 4
			e.mint(1, alice, 5, 0)  // 5
			e.settle(1, 60)         // shares 1, 2, 3: 10, 20, 30
			e.must(&dat.MsgRecordUsage{From: alice.String(), Token: 4, Metric: "inference", Amount: 2})
		}, msg: merge(alice, 1, 4, 5), check: func(t *testing.T, e *env) {
			tok := e.token(1)
			if tok.Value != 100+18+5 || tok.ShareRatio != 4 {
				t.Fatalf("merged token %v", tok)
			}
			if p := e.pending(1); p != 40 {
				t.Fatalf("pending %d, want 10+30", p)
			}
			for _, id := range []uint64{4, 5} {
				if _, err := e.k.Token(e.ctx, id); !errors.Is(err, dat.ErrNotFound) {
					t.Fatalf("token %d survived the merge", id)
				}
			}
			if c := e.classOf(1); c.Tokens != 2 || c.TotalShare != 6 || c.TotalValue != 123+50 {
				t.Fatalf("class %v", c)
			}
			res, _ := e.query("token", dat.TokenQuery{ID: 1})
			if u := res.(*dat.QueryTokenResponse).Usage; len(u) != 1 || u[0].Metric != "inference" || u[0].Amount != 2 {
				t.Fatalf("usage did not follow: %v", u)
			}
			e.settle(1, 60) // shares 4, 2: 40, 20
			if p := e.pending(1); p != 80 {
				t.Fatalf("pending %d, want 80", p)
			}
			if ev := e.eventsOf("dat_merge"); len(ev) != 2 {
				t.Fatalf("events %v", ev)
			}
		}},
		{name: "an operator merges", prep: func(e *env) {
			e.mint(1, alice, 1, 1)
			e.must(&dat.MsgApproveForClass{From: alice.String(), Operator: bob.String(), Class: 1, Approved: true})
		}, msg: merge(bob, 1, 4)},
		{name: "a stranger", prep: func(e *env) { e.mint(1, alice, 1, 1) }, msg: merge(bob, 1, 4), err: dat.ErrUnauthorized, says: "may not merge into token 1"},
		{name: "no tokens", msg: merge(alice, 1), err: dat.ErrInvalidToken, says: "names 0 tokens"},
		{name: "too many tokens", msg: merge(alice, 1, make([]uint64, 33)...), err: dat.ErrInvalidToken, says: "names 33 tokens"},
		{name: "into itself", msg: merge(alice, 1, 1), err: dat.ErrInvalidToken, says: "token 1 cannot be merged into itself"},
		{name: "listed twice", prep: func(e *env) { e.mint(1, alice, 1, 1) }, msg: merge(alice, 1, 4, 4), err: dat.ErrInvalidToken, says: "token 4 is listed twice"},
		{name: "another class", msg: merge(alice, 1, 3), err: dat.ErrClassMismatch, says: "token 3 is of class 2, token 1 of class 1"},
		{name: "another owner", msg: merge(alice, 1, 2), err: dat.ErrInvalidToken, says: "only tokens of one owner merge"},
		{name: "another expiry", prep: func(e *env) { e.mintExp(1, alice, 1, 1, 300) }, msg: merge(alice, 1, 4), err: dat.ErrInvalidToken,
			says: "only tokens with the same expiry merge"},
		{name: "expired tokens", prep: func(e *env) {
			e.mintExp(1, alice, 1, 1, 101)
			e.mintExp(1, alice, 1, 1, 101)
			e.nextBlock(101)
		}, msg: merge(alice, 4, 5), err: dat.ErrExpired, says: "token 4 expired"},
		{name: "missing token", msg: merge(alice, 1, 9), err: dat.ErrNotFound, says: "token 9"},
	})
}

func TestApprovals(t *testing.T) {
	runCases(t, fixture, []tcase{
		{name: "approve then withdraw an operator", msg: msg(&dat.MsgApproveForClass{From: alice.String(), Operator: carol.String(), Class: 1, Approved: true}),
			check: func(t *testing.T, e *env) {
				e.must(&dat.MsgTransferValue{From: carol.String(), FromToken: 1, ToToken: 2, Value: 1})
				e.must(&dat.MsgApproveForClass{From: alice.String(), Operator: carol.String(), Class: 1, Approved: false})
				if err := e.exec(&dat.MsgTransferValue{From: carol.String(), FromToken: 1, ToToken: 2, Value: 1}); !errors.Is(err, dat.ErrUnauthorized) {
					t.Fatalf("withdrawn operator still moves value: %v", err)
				}
				if ev := e.eventsOf("dat_approval"); len(ev) != 2 || ev[1]["approved"] != "false" {
					t.Fatalf("events %v", ev)
				}
			}},
		{name: "approving oneself", msg: msg(&dat.MsgApproveForClass{From: alice.String(), Operator: alice.String(), Class: 1, Approved: true}),
			err: dat.ErrInvalidAddress, says: "cannot approve itself"},
		{name: "bad operator", msg: msg(&dat.MsgApproveForClass{From: alice.String(), Operator: "x", Class: 1, Approved: true}),
			err: dat.ErrInvalidAddress, says: "operator"},
		{name: "missing class", msg: msg(&dat.MsgApproveForClass{From: alice.String(), Operator: carol.String(), Class: 9, Approved: true}),
			err: dat.ErrNotFound, says: "class 9"},
		{name: "an allowance of 0 withdraws it", msg: msg(&dat.MsgApproveValue{From: alice.String(), Token: 1, Operator: carol.String(), Value: 5}),
			check: func(t *testing.T, e *env) {
				e.must(&dat.MsgApproveValue{From: alice.String(), Token: 1, Operator: carol.String(), Value: 0})
				if err := e.exec(&dat.MsgTransferValue{From: carol.String(), FromToken: 1, ToToken: 2, Value: 1}); !errors.Is(err, dat.ErrUnauthorized) {
					t.Fatalf("withdrawn allowance still moves value: %v", err)
				}
			}},
		{name: "an allowance by a non-owner", msg: msg(&dat.MsgApproveValue{From: bob.String(), Token: 1, Operator: carol.String(), Value: 5}),
			err: dat.ErrNotOwner, says: bob.String() + " does not own token 1; its owner is " + alice.String()},
		{name: "an allowance to oneself", msg: msg(&dat.MsgApproveValue{From: alice.String(), Token: 1, Operator: alice.String(), Value: 5}),
			err: dat.ErrInvalidAddress, says: "cannot give itself an allowance"},
		{name: "an allowance on a missing token", msg: msg(&dat.MsgApproveValue{From: alice.String(), Token: 9, Operator: carol.String(), Value: 5}),
			err: dat.ErrNotFound, says: "token 9"},
		{name: "an allowance to a bad operator", msg: msg(&dat.MsgApproveValue{From: alice.String(), Token: 1, Operator: "0x", Value: 5}),
			err: dat.ErrInvalidAddress, says: "operator"},
	})
}
