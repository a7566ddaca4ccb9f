package dat_test

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/idao"
)

func use(from tx.Address, tok uint64, amount uint64, idaoID uint64) func(*env) proto.Message {
	return msg(&dat.MsgRecordUsage{From: from.String(), Token: tok, Metric: "inference", Amount: amount, Idao: idaoID})
}

// agree adds an agreement: grantor 1 lets grantee use class at price per
// unit with quota and split.
func (e *env) agree(id, grantee, class uint64, status, price string, quota uint64, bps uint32, expire uint64) {
	e.idao.agreements = append(e.idao.agreements, &idao.Agreement{Id: id, Grantor: 1, Grantee: grantee, Class: class, Status: status,
		Terms: &idao.AgreementTerms{PricePerUnit: price, Quota: quota, RevenueSplitBps: bps, ExpireHeight: expire}})
}

// restrictedClass creates class 3 (iDAO 1, restricted, `service` allowed).
func restrictedClass(e *env) {
	_, err := e.k.CreateClass(e.ctx, admin, &dat.MsgCreateClass{From: admin.String(), Idao: 1, Name: "private", IntegrityHash: hash64,
		Policy: &dat.ClassPolicy{Restricted: true, AllowedServices: []string{service.String()}}})
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestRecordUsage(t *testing.T) {
	used := func(tok, value uint64) func(t *testing.T, e *env) {
		return func(t *testing.T, e *env) {
			t.Helper()
			tk := e.token(tok)
			c := e.classOf(tk.Class)
			if tk.Value != value {
				t.Fatalf("token %d value %d, want %d", tok, tk.Value, value)
			}
			res, _ := e.query("token", dat.TokenQuery{ID: tok})
			if u := res.(*dat.QueryTokenResponse).Usage; len(u) != 1 || u[0].Metric != "inference" || u[0].Amount != c.Consumed {
				t.Fatalf("usage %v, class consumed %d", u, c.Consumed)
			}
			if ev := e.eventsOf("dat_usage"); len(ev) != 1 || ev[0]["token"] == "" || ev[0]["remaining"] == "" {
				t.Fatalf("events %v", ev)
			}
		}
	}
	runCases(t, fixture, []tcase{
		{name: "the owner uses value", msg: use(alice, 1, 30, 0), check: func(t *testing.T, e *env) {
			used(1, 70)(t, e)
			if c := e.classOf(1); c.TotalValue != 120 || c.Consumed != 30 {
				t.Fatalf("class value %d consumed %d", c.TotalValue, c.Consumed)
			}
		}},
		{name: "the whole quota can be used", msg: use(alice, 1, 100, 0), check: used(1, 0)},
		{name: "an operator uses value", prep: func(e *env) {
			e.must(&dat.MsgApproveForClass{From: alice.String(), Operator: carol.String(), Class: 1, Approved: true})
		}, msg: use(carol, 1, 5, 0), check: used(1, 95)},
		{name: "an allowance is spent by usage", prep: func(e *env) {
			e.must(&dat.MsgApproveValue{From: alice.String(), Token: 1, Operator: carol.String(), Value: 40})
		}, msg: use(carol, 1, 30, 0), check: func(t *testing.T, e *env) {
			used(1, 70)(t, e)
			err := e.exec(&dat.MsgRecordUsage{From: carol.String(), Token: 1, Metric: "inference", Amount: 11})
			if !errors.Is(err, dat.ErrUnauthorized) {
				t.Fatalf("allowance of 10 allowed 11: %v", err)
			}
		}},
		{name: "a service allowed by the class", msg: use(service, 1, 5, 0), check: used(1, 95)},
		{name: "a service allowed by the iDAO policy", prep: func(e *env) {
			e.idao.policies[1] = map[string]string{"allowed_services": "not-an-address, " + carol.String()}
		}, msg: use(carol, 1, 5, 0), check: used(1, 95)},
		{name: "a member uses its iDAO's own token", prep: func(e *env) { e.mint(1, e.idao.Treasury(1), 10, 1) },
			msg: use(member1, 4, 3, 1), check: used(4, 7)},
		{name: "another iDAO pays the agreement price: split to holders, rest to the treasury", prep: func(e *env) {
			e.mint(1, e.idao.Treasury(2), 10, 0) // token 4
			e.agree(1, 2, 1, "active", "3", 100, 6000, 0)
		}, msg: use(member2, 4, 10, 2), check: func(t *testing.T, e *env) {
			used(4, 0)(t, e)
			// price 30: 18 to class 1's holders (shares 1, 2: 6 and 12), 12 to iDAO 1's treasury
			if b := e.balance(member2); b != 1_000_000-30 {
				t.Fatalf("payer balance %d", b)
			}
			if b := e.balance(e.idao.Treasury(1)); b != 12 {
				t.Fatalf("treasury got %d, want 12", b)
			}
			if e.pending(1) != 6 || e.pending(2) != 12 || e.balance(dat.Escrow) != 18 {
				t.Fatalf("pending %d %d escrow %d", e.pending(1), e.pending(2), e.balance(dat.Escrow))
			}
			if u := e.idao.agreements[0].Used; u != 10 {
				t.Fatalf("agreement used %d", u)
			}
			if c := e.classOf(1); c.Revenue != "18" || c.Consumed != 10 {
				t.Fatalf("class revenue %s consumed %d", c.Revenue, c.Consumed)
			}
		}},
		{name: "a free agreement", prep: func(e *env) {
			e.mint(1, member2, 10, 0)
			e.agree(1, 2, 1, "active", "0", 100, 6000, 0)
		}, msg: use(member2, 4, 10, 2), check: func(t *testing.T, e *env) {
			if e.balance(dat.Escrow) != 0 || e.balance(member2) != 1_000_000 {
				t.Fatal("a free agreement moved money")
			}
		}},
		{name: "a restricted class used by its own iDAO's member", prep: func(e *env) {
			restrictedClass(e)
			e.mint(3, member1, 10, 1)
		}, msg: use(member1, 4, 1, 1), check: used(4, 9)},
		{name: "a restricted class used by an allowed service", prep: func(e *env) {
			restrictedClass(e)
			e.mint(3, alice, 10, 1)
		}, msg: use(service, 4, 1, 0), check: used(4, 9)},
		{name: "a restricted class used under an agreement", prep: func(e *env) {
			restrictedClass(e)
			e.mint(3, member2, 10, 1)
			e.agree(1, 2, 3, "active", "1", 100, 10000, 0)
		}, msg: use(member2, 4, 2, 2), check: func(t *testing.T, e *env) {
			used(4, 8)(t, e)
			if p := e.pending(4); p != 2 {
				t.Fatalf("the only holder got %d of the 2 paid", p)
			}
		}},
		{name: "a restricted class used by its owner outside any iDAO", prep: func(e *env) {
			restrictedClass(e)
			e.mint(3, alice, 10, 1)
		}, msg: use(alice, 4, 1, 0), err: dat.ErrRestricted, says: "class 3 is restricted to iDAO 1, its allowed services and iDAOs with an agreement"},
		{name: "a stranger", msg: use(outsider, 1, 1, 0), err: dat.ErrUnauthorized, says: "may not record usage of token 1: only its owner " + alice.String()},
		{name: "a member of an iDAO that does not own the token", msg: use(member1, 1, 1, 1), err: dat.ErrUnauthorized, says: "may not record usage"},
		{name: "not a member of the named iDAO", msg: use(alice, 1, 1, 2), err: dat.ErrUnauthorized, says: alice.String() + " is not a member of iDAO 2"},
		{name: "no agreement", prep: func(e *env) { e.mint(1, member2, 10, 0) }, msg: use(member2, 4, 1, 2), err: errNoAgreement,
			says: "iDAO 2 has no agreement with iDAO 1 for class 1"},
		{name: "an agreement only offered", prep: func(e *env) {
			e.mint(1, member2, 10, 0)
			e.agree(1, 2, 1, "offered", "1", 100, 0, 0)
		}, msg: use(member2, 4, 1, 2), err: errNoAgreement, says: "only offered"},
		{name: "an expired agreement", prep: func(e *env) {
			e.mint(1, member2, 10, 0)
			e.agree(1, 2, 1, "active", "1", 100, 0, startHeight)
		}, msg: use(member2, 4, 1, 2), err: errNoAgreement, says: "expired at height 100"},
		{name: "beyond the agreement's quota", prep: func(e *env) {
			e.mint(1, member2, 10, 0)
			e.agree(1, 2, 1, "active", "1", 5, 0, 0)
		}, msg: use(member2, 4, 6, 2), err: errAgreementQuota, says: "0 units used of 5, 6 more would exceed the quota"},
		{name: "a price that overflows", prep: func(e *env) {
			e.mint(1, member2, 10, 0)
			e.agree(1, 2, 1, "active", "18446744073709551615", 100, 0, 0)
		}, msg: use(member2, 4, 2, 2), err: dat.ErrOverflow, says: "2 units at 18446744073709551615 ulaz each"},
		{name: "a payer without the price", prep: func(e *env) {
			e.idao.roles[2][carol] = []string{"app_developer"}
			e.mint(1, carol, 10, 0)
			e.agree(1, 2, 1, "active", "1", 100, 0, 0)
		}, msg: use(carol, 4, 2, 2), err: dat.ErrInsufficientFunds, says: carol.String() + " has 0 ulaz and cannot pay 2 ulaz"},
		{name: "usage above the quota", msg: use(alice, 1, 101, 0), err: dat.ErrQuotaExceeded, says: "token 1 has 100 units left; usage of 101 exceeds the quota"},
		{name: "an expired token", prep: func(e *env) {
			e.mintExp(1, alice, 10, 1, 101)
			e.nextBlock(102)
		}, msg: use(alice, 4, 1, 0), err: dat.ErrExpired, says: "token 4 expired at height 101 (now 102)"},
		{name: "a token expired by time", prep: func(e *env) {
			if _, err := e.k.Mint(e.ctx, 1, alice, 10, 1, 0, startTime+7); err != nil {
				t.Fatal(err)
			}
			e.nextBlock(102) // time startTime+10
		}, msg: use(alice, 4, 1, 0), err: dat.ErrExpired, says: "expired at time"},
		{name: "a bad metric", msg: msg(&dat.MsgRecordUsage{From: alice.String(), Token: 1, Metric: "Inference", Amount: 1}), err: dat.ErrInvalidUsage, says: `metric "Inference"`},
		{name: "a long metric", msg: msg(&dat.MsgRecordUsage{From: alice.String(), Token: 1, Metric: strings.Repeat("m", 65), Amount: 1}), err: dat.ErrInvalidUsage, says: "1 to 64 bytes"},
		{name: "zero amount", msg: use(alice, 1, 0, 0), err: dat.ErrInvalidAmount, says: "greater than zero"},
		{name: "missing token", msg: use(alice, 9, 1, 0), err: dat.ErrNotFound, says: "token 9"},
	})
}
