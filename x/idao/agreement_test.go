package idao_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/x/idao"
)

// offerAndAccept has alpha offer class 7 to beta (quota 50, expiring at
// height 30) and beta accept it; it returns at height 12.
func offerAndAccept(t *testing.T, e *env) {
	t.Helper()
	e.pass(offer(2, 7, "2", 50, 2500, 30))
	e.endBlock() // 10: agreement 1 offered
	_, err := e.k.ActiveAgreement(e.ctx(), 1, 2, 7)
	wantErr(t, err, idao.ErrNoAgreement, "agreement 1 from iDAO 1 to iDAO 2 for class 7 is only offered")
	e.mustDeliver(propose(dave, 2, accept(1)))
	e.mustDeliver(vote(dave, 2, 1, yes))
	e.endBlock() // 11: active
	if findEvent(e.events, "idao_agreement", map[string]string{"agreement": "1", "grantor": "1", "grantee": "2", "class": "7",
		"status": "active"}) == nil {
		t.Fatalf("no active event in %v", e.events)
	}
}

func TestAgreements(t *testing.T) {
	t.Run("offer, accept, use up to the quota, expire", func(t *testing.T) {
		e := newEnv(t)
		e.standard()
		offerAndAccept(t, e)
		a, err := e.k.ActiveAgreement(e.ctx(), 1, 2, 7)
		if err != nil || a.Id != 1 || a.Status != "active" || a.AcceptedHeight != 11 || a.OfferedHeight != 10 {
			t.Fatalf("active agreement %v, %v", a, err)
		}
		before := e.snapshot()
		wantErr(t, e.k.UseAgreement(e.ctx(), 1, 51), idao.ErrAgreementQuota, "agreement 1: 0 units used of 50, 51 more would exceed the quota")
		if e.snapshot() != before {
			t.Fatal("a refused use changed the state")
		}
		if err := e.k.UseAgreement(e.ctx(), 1, 40); err != nil {
			t.Fatal(err)
		}
		wantErr(t, e.k.UseAgreement(e.ctx(), 1, 20), idao.ErrAgreementQuota, "agreement 1: 40 units used of 50, 20 more would exceed the quota")
		if err := e.k.UseAgreement(e.ctx(), 1, 10); err != nil {
			t.Fatal(err)
		}
		if a, _ := e.k.Agreement(e.ctx(), 1); a.Used != 50 {
			t.Fatalf("used %d", a.Used)
		}
		wantErr(t, e.k.UseAgreement(e.ctx(), 1, 1), idao.ErrAgreementQuota, "50 units used of 50")
		wantErr(t, e.k.UseAgreement(e.ctx(), 9, 1), idao.ErrNotFound, "agreement 9 does not exist")
		e.height = 29
		if _, err := e.k.ActiveAgreement(e.ctx(), 1, 2, 7); err != nil {
			t.Fatalf("at height 29: %v", err)
		}
		e.height = 30
		_, err = e.k.ActiveAgreement(e.ctx(), 1, 2, 7)
		wantErr(t, err, idao.ErrNoAgreement, "agreement 1 expired at height 30 (now 30)")
		wantErr(t, e.k.UseAgreement(e.ctx(), 1, 0), idao.ErrNoAgreement, "expired at height 30")
		e.checkInvariants()
	})

	t.Run("no agreement at all names the parties", func(t *testing.T) {
		e := newEnv(t)
		e.standard()
		_, err := e.k.ActiveAgreement(e.ctx(), 2, 1, 8)
		wantErr(t, err, idao.ErrNoAgreement, "iDAO 1 has no active agreement with iDAO 2 for class 8")
	})

	t.Run("using an offered agreement", func(t *testing.T) {
		e := newEnv(t)
		e.standard()
		e.pass(offer(2, 7, "2", 50, 2500, 30))
		e.endBlock()
		wantErr(t, e.k.UseAgreement(e.ctx(), 1, 1), idao.ErrNoAgreement, "agreement 1 is offered, not active")
	})

	t.Run("a newer active agreement replaces the older", func(t *testing.T) {
		e := newEnv(t)
		e.standard()
		offerAndAccept(t, e)
		e.pass(offer(2, 7, "1", 5, 0, 40))
		e.endBlock() // 12: agreement 2 offered
		e.mustDeliver(propose(dave, 2, accept(2)))
		e.mustDeliver(vote(dave, 2, 2, yes))
		e.endBlock()
		a, err := e.k.ActiveAgreement(e.ctx(), 1, 2, 7)
		if err != nil || a.Id != 2 {
			t.Fatalf("active %v, %v", a, err)
		}
		res := e.query("agreements", `{"id":2}`).(*idao.QueryAgreementsResponse)
		if len(res.Agreements) != 2 || res.Agreements[0].Id != 1 || res.Agreements[1].Id != 2 {
			t.Fatalf("agreements of beta %v", res.Agreements)
		}
	})

	for _, c := range []struct {
		name  string
		setup func(e *env)
		from  uint64
		err   error
		text  string
	}{
		{name: "the grantor cannot accept its own offer", from: 1, err: idao.ErrInvalidAgreement,
			text: "agreement 1 was offered to iDAO 2, not iDAO 1"},
		{name: "an active agreement cannot be accepted again", from: 2, setup: func(e *env) {
			e.mustDeliver(propose(dave, 2, accept(1)))
			e.mustDeliver(vote(dave, 2, 1, yes))
			e.endBlock()
		}, err: idao.ErrInvalidAgreement, text: "agreement 1 is active, not offered"},
		{name: "an expired offer cannot be accepted", from: 2, setup: func(e *env) { e.height = 30 }, err: idao.ErrInvalidAgreement,
			text: "agreement 1 expired at height 30 (now 30)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.standard()
			e.pass(offer(2, 7, "2", 50, 2500, 30))
			e.endBlock()
			if c.setup != nil {
				c.setup(e)
			}
			proposer := alice
			if c.from == 2 {
				proposer = dave
			}
			before := e.snapshot()
			wantErr(t, e.deliver(propose(proposer, c.from, accept(1))), c.err, c.text)
			if e.snapshot() != before {
				t.Fatal("a refused accept changed the state")
			}
		})
	}
}

func TestOfferRechecksClassAtExecution(t *testing.T) {
	e := newEnv(t)
	e.standard()
	e.pass(offer(2, 7, "2", 50, 2500, 30))
	e.k.Classes = fakeClasses{7: 2}
	e.endBlock()
	p := e.proposal(1, 1)
	if p.Status != "failed" || !strings.Contains(p.Reason, "DAT class 7 belongs to iDAO 2, not iDAO 1") {
		t.Fatalf("proposal %v", p)
	}
	if _, err := e.k.Agreement(e.ctx(), 1); err == nil {
		t.Fatal("an agreement was recorded")
	}
	e.checkInvariants()
}

func TestHandlersDoNotModifyMessages(t *testing.T) {
	e := newEnv(t)
	e.standard()
	msg := propose(alice, 1, addMember(erin, 1, "validator", "admin"), setPolicy("allowed_services", strings.ToLower(bob.String())))
	orig := proto.Clone(msg)
	e.mustDeliver(msg)
	e.mustDeliver(vote(alice, 1, 1, yes))
	e.mustDeliver(vote(bob, 1, 1, yes))
	e.endBlock()
	if !proto.Equal(msg, orig) {
		t.Fatalf("message changed: %v", msg)
	}
	if e.proposal(1, 1).Status != "passed" {
		t.Fatal("did not pass")
	}
}
