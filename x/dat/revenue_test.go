package dat_test

import (
	"errors"
	"testing"

	"github.com/lazchain/lazchain/x/dat"
)

func TestSettleRevenueMessage(t *testing.T) {
	settle := func(from string, class uint64, amount string) tcase {
		return tcase{msg: msg(&dat.MsgSettleRevenue{From: from, Class: class, Amount: amount})}
	}
	cases := []struct {
		c    tcase
		name string
		err  error
		says string
	}{
		{settle(payer.String(), 1, "30"), "a payer settles into a class", nil, ""},
		{settle(payer.String(), 1, "0"), "zero", dat.ErrInvalidAmount, "greater than zero"},
		{settle(payer.String(), 1, "1.5"), "not an integer", dat.ErrInvalidAmount, "decimal integer"},
		{settle(payer.String(), 1, "18446744073709551616"), "above 64 bits", dat.ErrOverflow, "overflows"},
		{settle(payer.String(), 9, "1"), "missing class", dat.ErrNotFound, "class 9"},
		{settle(alice.String(), 1, "1001"), "a payer without the funds", dat.ErrInsufficientFunds, alice.String() + " has 1000 ulaz and cannot settle 1001 ulaz into class 1"},
		{settle("nobody", 1, "1"), "bad signer", dat.ErrInvalidAddress, "from"},
	}
	var table []tcase
	for _, c := range cases {
		tc := c.c
		tc.name, tc.err, tc.says = c.name, c.err, c.says
		if c.err == nil {
			tc.check = func(t *testing.T, e *env) {
				if e.pending(1) != 10 || e.pending(2) != 20 || e.balance(dat.Escrow) != 30 || e.balance(payer) != 1_000_000_000_000_000_000-30 {
					t.Fatalf("pending %d %d escrow %d", e.pending(1), e.pending(2), e.balance(dat.Escrow))
				}
				if ev := e.eventsOf("dat_revenue"); len(ev) != 1 || ev[0]["class"] != "1" || ev[0]["amount"] != "30" || ev[0]["holders"] != "30" {
					t.Fatalf("events %v", ev)
				}
			}
		}
		table = append(table, tc)
	}
	runCases(t, fixture, table)
}

func TestClaimMessage(t *testing.T) {
	runCases(t, fixture, []tcase{
		{name: "the owner claims its pending revenue", prep: func(e *env) { e.settle(1, 31) },
			msg: msg(&dat.MsgClaim{From: bob.String(), Token: 2}), check: func(t *testing.T, e *env) {
				// 31 over shares 1, 2: bob's token has floor(62/3) = 20
				if e.balance(bob) != 20 || e.pending(2) != 0 || e.balance(dat.Escrow) != 11 {
					t.Fatalf("bob %d pending %d escrow %d", e.balance(bob), e.pending(2), e.balance(dat.Escrow))
				}
				if tk, c := e.token(2), e.classOf(1); tk.Claimed != "20" || c.Claimed != "20" {
					t.Fatalf("claimed token %s class %s", tk.Claimed, c.Claimed)
				}
				if ev := e.eventsOf("dat_claim"); len(ev) != 1 || ev[0]["amount"] != "20" || ev[0]["owner"] != bob.String() {
					t.Fatalf("events %v", ev)
				}
			}},
		{name: "claim by a non-owner", prep: func(e *env) { e.settle(1, 30) }, msg: msg(&dat.MsgClaim{From: alice.String(), Token: 2}),
			err: dat.ErrNotOwner, says: alice.String() + " does not own token 2; its owner is " + bob.String()},
		{name: "nothing to claim", msg: msg(&dat.MsgClaim{From: alice.String(), Token: 1}), err: dat.ErrNothingToClaim, says: "token 1"},
		{name: "less than one ulaz to claim", prep: func(e *env) { e.settle(1, 1) }, msg: msg(&dat.MsgClaim{From: alice.String(), Token: 1}),
			err: dat.ErrNothingToClaim, says: "less than 1 ulaz"},
		{name: "missing token", msg: msg(&dat.MsgClaim{From: alice.String(), Token: 9}), err: dat.ErrNotFound, says: "token 9"},
	})
}

// TestRevenueRemainders follows the accumulator through hand-computed
// settlements: shares 1 and 2, then 3 equal shares of 1.
func TestRevenueRemainders(t *testing.T) {
	e := newEnv(t)
	c := e.class()
	a := e.mint(c, alice, 0, 1)
	b := e.mint(c, bob, 0, 2)
	step := func(settle uint64, wa, wb uint64, acc, rem string) {
		t.Helper()
		if settle > 0 {
			e.settle(c, settle)
		}
		if pa, pb := e.pending(a), e.pending(b); pa != wa || pb != wb {
			t.Fatalf("after settling %d: pending %d %d, want %d %d", settle, pa, pb, wa, wb)
		}
		if cl := e.classOf(c); cl.Acc != acc || cl.AccRemainder != rem {
			t.Fatalf("after settling %d: acc %s rem %s, want %s %s", settle, cl.Acc, cl.AccRemainder, acc, rem)
		}
		e.checkInvariants()
	}
	// 10·10^18 / 3 = 3333333333333333333 rest 1: pendings floor(3.33) and floor(6.67)
	step(10, 3, 6, "3333333333333333333", "1")
	// 2·10^18 + 1 = 3 · 666666666666666667: the carried 1 completes the sum
	step(2, 4, 8, "4000000000000000000", "0")
	e.must(&dat.MsgClaim{From: bob.String(), Token: b})
	step(0, 4, 0, "4000000000000000000", "0")
	step(1, 4, 0, "4333333333333333333", "1") // bob: 2·0.333… = 0.67, not yet 1
	step(1, 4, 1, "4666666666666666666", "2") // 10^18+1 = 3·333333333333333333 + 2
	step(1, 5, 2, "5000000000000000000", "0") // 10^18+2 = 3·333333333333333334

	// Three equal shares: 1 ulaz gives each nothing yet, 2 more give each 1.
	c3 := e.class()
	toks := []uint64{e.mint(c3, alice, 0, 1), e.mint(c3, bob, 0, 1), e.mint(c3, carol, 0, 1)}
	e.settle(c3, 1)
	for _, id := range toks {
		if p := e.pending(id); p != 0 {
			t.Fatalf("token %d has %d after 1 ulaz over 3 shares", id, p)
		}
	}
	if err := e.exec(&dat.MsgClaim{From: alice.String(), Token: toks[0]}); !errors.Is(err, dat.ErrNothingToClaim) {
		t.Fatalf("claim of 1/3 ulaz: %v", err)
	}
	e.settle(c3, 2)
	for _, id := range toks {
		if p := e.pending(id); p != 1 {
			t.Fatalf("token %d has %d after 3 ulaz over 3 shares", id, p)
		}
	}
	e.checkInvariants()
}

// TestUnallocated: revenue with no holders waits for the next settlement
// that finds some.
func TestUnallocated(t *testing.T) {
	e := newEnv(t)
	c := e.class()
	e.settle(c, 10)
	if cl := e.classOf(c); cl.Unallocated != "10" || cl.Distributed != "10" || cl.Acc != "0" {
		t.Fatalf("class %v", cl)
	}
	e.checkInvariants()
	a, b := e.mint(c, alice, 0, 1), e.mint(c, bob, 0, 3)
	e.settle(c, 2) // 12 over shares 1, 3
	if e.pending(a) != 3 || e.pending(b) != 9 {
		t.Fatalf("pending %d %d, want 3 9", e.pending(a), e.pending(b))
	}
	if cl := e.classOf(c); cl.Unallocated != "0" || cl.Acc != "3000000000000000000" {
		t.Fatalf("class %v", cl)
	}
	e.checkInvariants()
}

// TestLineageSplit: revenue of a derived class flows up by the splits.
// G ← P (50%), and C has parents P (60%) and G (10%).
func TestLineageSplit(t *testing.T) {
	e := newEnv(t)
	g := e.class()
	p := e.class(&dat.Parent{Class: g, SplitBps: 5000})
	c := e.class(&dat.Parent{Class: p, SplitBps: 6000}, &dat.Parent{Class: g, SplitBps: 1000})
	tg, tp, tc := e.mint(g, alice, 0, 1), e.mint(p, bob, 0, 1), e.mint(c, carol, 0, 1)
	check := func(wg, wp, wc uint64, revenue [3]string) {
		t.Helper()
		if e.pending(tg) != wg || e.pending(tp) != wp || e.pending(tc) != wc {
			t.Fatalf("pending G %d P %d C %d, want %d %d %d", e.pending(tg), e.pending(tp), e.pending(tc), wg, wp, wc)
		}
		for i, id := range []uint64{g, p, c} {
			if r := e.classOf(id).Revenue; r != revenue[i] {
				t.Fatalf("class %d revenue %s, want %s", id, r, revenue[i])
			}
		}
		e.checkInvariants()
	}
	// 1000 into C: 600 to P (of which 300 to G), 100 to G, 300 stays.
	e.settle(c, 1000)
	check(400, 300, 300, [3]string{"400", "600", "1000"})
	// one event per class credited, G twice (through P and directly)
	if ev := e.eventsOf("dat_revenue"); len(ev) != 4 || ev[0]["class"] != "3" || ev[0]["holders"] != "300" || ev[3]["amount"] != "100" {
		t.Fatalf("events %v", ev)
	}
	// 7 into C: P floor(4.2) = 4 (G floor(2) = 2), G floor(0.7) = 0, C keeps 3.
	e.settle(c, 7)
	check(402, 302, 303, [3]string{"402", "604", "1007"})
	// Revenue into P alone does not reach C.
	e.settle(p, 10)
	check(407, 307, 303, [3]string{"407", "614", "1007"})
	if b := e.balance(dat.Escrow); b != 1017 {
		t.Fatalf("escrow %d", b)
	}
}

// TestExpiry: an expired token keeps what it earned, earns nothing more,
// and can still claim.
func TestExpiry(t *testing.T) {
	e := newEnv(t)
	c := e.class()
	a := e.mintExp(c, alice, 5, 1, 105)
	b := e.mint(c, bob, 5, 1)
	cc, err := e.k.Mint(e.ctx, c, carol, 5, 2, 0, startTime+50) // the time of height 110
	if err != nil {
		t.Fatal(err)
	}
	pend := func(wa, wb, wc uint64) {
		t.Helper()
		if e.pending(a) != wa || e.pending(b) != wb || e.pending(cc) != wc {
			t.Fatalf("pending %d %d %d, want %d %d %d", e.pending(a), e.pending(b), e.pending(cc), wa, wb, wc)
		}
		e.checkInvariants()
	}
	e.settle(c, 40)
	pend(10, 10, 20)
	e.nextBlock(104)
	pend(10, 10, 20)
	if e.token(a).Expired {
		t.Fatal("expired a block early")
	}
	e.nextBlock(105)
	if !e.token(a).Expired || e.classOf(c).TotalShare != 3 || e.classOf(c).TotalValue != 15 {
		t.Fatalf("after expiry: token %v class %v", e.token(a), e.classOf(c))
	}
	e.settle(c, 30) // the same block as the expiry: a gets nothing
	pend(10, 20, 40)
	e.nextBlock(110) // carol's token expires by time
	if !e.token(cc).Expired || e.classOf(c).TotalShare != 1 {
		t.Fatal("time expiry missed")
	}
	e.settle(c, 10)
	pend(10, 30, 40)
	e.must(&dat.MsgClaim{From: alice.String(), Token: a})
	if e.balance(alice) != 1000+10 {
		t.Fatalf("alice %d", e.balance(alice))
	}
	pend(0, 30, 40)
	if ev := e.eventsOf("dat_expire"); len(ev) != 2 || ev[0]["token"] != "1" || ev[1]["token"] != "3" {
		t.Fatalf("events %v", ev)
	}
	res, _ := e.query("token", dat.TokenQuery{ID: a})
	if !res.(*dat.QueryTokenResponse).Expired {
		t.Fatal("token query says not expired")
	}
	// Expiry is processed once: later blocks change nothing.
	e.nextBlock(200)
	if ev := e.eventsOf("dat_expire"); len(ev) != 2 {
		t.Fatalf("re-expired: %v", ev)
	}
	pend(0, 30, 40)
}

// TestClaimAll: every token with something pending is claimed in one
// message, tokens with nothing are skipped, and nothing at all succeeds.
func TestClaimAll(t *testing.T) {
	e := newEnv(t)
	fixture(e)
	e.mint(1, alice, 5, 0) // token 4: value only, never earns
	e.settle(1, 30)        // token 1: 10, token 2: 20
	e.settle(2, 5)         // token 3: 5
	e.must(&dat.MsgClaimAll{From: alice.String()})
	if b := e.balance(alice); b != 1000+15 {
		t.Fatalf("alice %d", b)
	}
	if e.pending(1) != 0 || e.pending(3) != 0 || e.pending(2) != 20 {
		t.Fatal("wrong tokens claimed")
	}
	all := e.eventsOf("dat_claim_all")
	if len(all) != 1 || all[0]["total"] != "15" || all[0]["tokens"] != "2" || len(e.eventsOf("dat_claim")) != 2 {
		t.Fatalf("events %v", all)
	}
	if c1, c2 := e.classOf(1), e.classOf(2); c1.Claimed != "10" || c2.Claimed != "5" {
		t.Fatalf("class claimed %s %s", c1.Claimed, c2.Claimed)
	}
	e.checkInvariants()
	for _, who := range []string{alice.String(), carol.String()} {
		e.must(&dat.MsgClaimAll{From: who})
		all = e.eventsOf("dat_claim_all")
		if last := all[len(all)-1]; last["total"] != "0" || last["tokens"] != "0" {
			t.Fatalf("empty claim-all: %v", last)
		}
	}
	e.checkInvariants()
}
