package idao_test

import (
	"strings"
	"testing"

	"github.com/lazchain/lazchain/x/idao"
)

// pass opens a proposal in alpha and has alice and bob (2 of 3) vote yes.
func (e *env) pass(actions ...*idao.Action) uint64 {
	e.t.Helper()
	e.mustDeliver(propose(alice, 1, actions...))
	pid := e.get(1).NextProposal - 1
	e.mustDeliver(vote(alice, 1, pid, yes))
	e.mustDeliver(vote(bob, 1, pid, yes))
	return pid
}

func TestExecuteActions(t *testing.T) {
	for _, c := range []struct {
		name   string
		action *idao.Action
		event  string
		check  func(t *testing.T, e *env)
	}{
		{name: "add member updates the counts", action: addMember(erin, 5, "validator", "admin"), event: "idao_member",
			check: func(t *testing.T, e *env) {
				m := e.member(1, erin)
				if m == nil || strings.Join(m.Roles, ",") != "admin,validator" || m.Weight != 5 || m.JoinedHeight != 10 {
					t.Fatalf("erin %v", m)
				}
				if d := e.get(1); d.Members != 5 || d.TotalWeight != 8 || d.Admins != 2 {
					t.Fatalf("counts %v", d)
				}
			}},
		{name: "remove member updates the counts", action: removeMember(carol), event: "idao_member",
			check: func(t *testing.T, e *env) {
				if e.k.IsMember(e.ctx(), 1, carol) {
					t.Fatal("carol still a member")
				}
				if d := e.get(1); d.Members != 3 || d.TotalWeight != 2 || d.Admins != 1 {
					t.Fatalf("counts %v", d)
				}
			}},
		{name: "set member replaces roles and weight", action: setMember(bob, 4, "validator", "admin"), event: "idao_member",
			check: func(t *testing.T, e *env) {
				m := e.member(1, bob)
				if strings.Join(m.Roles, ",") != "admin,validator" || m.Weight != 4 || !e.k.HasRole(e.ctx(), 1, bob, "admin") {
					t.Fatalf("bob %v", m)
				}
				if d := e.get(1); d.TotalWeight != 6 || d.Admins != 2 || d.Members != 4 {
					t.Fatalf("counts %v", d)
				}
			}},
		{name: "set policy stores the normalised value", action: setPolicy("allowed_services", strings.ToLower(bob.String())+" , "+
			strings.ToLower(alice.String())), event: "idao_policy",
			check: func(t *testing.T, e *env) {
				want := alice.String() + "," + bob.String()
				if got := e.k.Policy(e.ctx(), 1, "allowed_services"); got != want {
					t.Fatalf("allowed_services %q, want %q", got, want)
				}
			}},
		{name: "spend pays from the treasury", action: spend(erin, "30"), event: "idao_spend",
			check: func(t *testing.T, e *env) {
				if e.balance(erin) != 30 || e.balance(idao.TreasuryAddress(1)) != 70 {
					t.Fatalf("erin %d, treasury %d", e.balance(erin), e.balance(idao.TreasuryAddress(1)))
				}
			}},
		{name: "offer records an offered agreement", action: offer(2, 7, "3", 50, 2000, 500), event: "idao_agreement",
			check: func(t *testing.T, e *env) {
				a, err := e.k.Agreement(e.ctx(), 1)
				if err != nil || a.Grantor != 1 || a.Grantee != 2 || a.Class != 7 || a.Status != "offered" || a.OfferedHeight != 10 ||
					a.Terms.Quota != 50 || a.Terms.PricePerUnit != "3" || a.Terms.RevenueSplitBps != 2000 || a.Terms.ExpireHeight != 500 {
					t.Fatalf("agreement %v, %v", a, err)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.standard()
			pid := e.pass(c.action)
			e.endBlock()
			p := e.proposal(1, pid)
			if p.Status != "passed" || p.ClosedHeight != 10 || p.Reason != "" {
				t.Fatalf("proposal %v", p)
			}
			for _, st := range []string{"passed", "executed"} {
				if findEvent(e.events, "idao_proposal", map[string]string{"idao": "1", "proposal": "1", "status": st}) == nil {
					t.Fatalf("no %s event in %v", st, e.events)
				}
			}
			if findEvent(e.events, c.event, nil) == nil {
				t.Fatalf("no %s event in %v", c.event, e.events)
			}
			c.check(t, e)
			e.checkInvariants()
		})
	}
}

func TestLifecycle(t *testing.T) {
	t.Run("a passing proposal executes at the end of its block, not before", func(t *testing.T) {
		e := newEnv(t)
		e.standard()
		e.pass(addMember(erin, 1, "validator"))
		if e.k.IsMember(e.ctx(), 1, erin) || e.proposal(1, 1).Status != "open" {
			t.Fatal("executed before the end of the block")
		}
		e.endBlock()
		if !e.k.IsMember(e.ctx(), 1, erin) {
			t.Fatal("not executed at the end of the block")
		}
		e.checkInvariants()
	})

	t.Run("changing a vote back before the block ends leaves it open", func(t *testing.T) {
		e := newEnv(t)
		e.standard()
		e.pass(addMember(erin, 1, "validator"))
		e.mustDeliver(vote(bob, 1, 1, no))
		e.endBlock()
		if p := e.proposal(1, 1); p.Status != "open" || p.Yes != 1 || p.No != 1 || e.k.IsMember(e.ctx(), 1, erin) {
			t.Fatalf("proposal %v", p)
		}
		e.checkInvariants()
	})

	t.Run("a proposal that fails when run is closed failed and changes nothing", func(t *testing.T) {
		e := newEnv(t)
		e.standard()
		e.pass(spend(carol, "80"))
		e.pass(addMember(erin, 1, "validator"), spend(frank, "80"))
		e.endBlock()
		if p := e.proposal(1, 1); p.Status != "passed" {
			t.Fatalf("first %v", p)
		}
		p := e.proposal(1, 2)
		if p.Status != "failed" || p.ClosedHeight != 10 || !strings.Contains(p.Reason, "action 2 (spend_treasury): treasury of iDAO 1 holds 20 ulaz; the action spends 80 ulaz") {
			t.Fatalf("second %v", p)
		}
		if e.k.IsMember(e.ctx(), 1, erin) || e.balance(frank) != 0 || e.balance(carol) != 80 || e.balance(idao.TreasuryAddress(1)) != 20 {
			t.Fatal("the failed proposal changed the state")
		}
		if findEvent(e.events, "idao_proposal", map[string]string{"proposal": "2", "status": "failed"}) == nil {
			t.Fatalf("no failed event in %v", e.events)
		}
		if findEvent(e.events, "idao_member", map[string]string{"member": erin.String()}) != nil {
			t.Fatal("the failed proposal's events were kept")
		}
		e.checkInvariants()
	})

	t.Run("two removals that together drop the last admin: the second fails", func(t *testing.T) {
		e := newEnv(t)
		e.standard()
		e.pass(setMember(bob, 1, "admin"))
		e.endBlock()
		e.height = 11
		e.pass(removeMember(alice))
		e.pass(removeMember(bob))
		e.endBlock()
		if e.proposal(1, 2).Status != "passed" {
			t.Fatal("the first removal did not pass")
		}
		p := e.proposal(1, 3)
		if p.Status != "failed" || !strings.Contains(p.Reason, "removing "+bob.String()+" would leave iDAO 1 (alpha) with no admin") {
			t.Fatalf("second removal %v", p)
		}
		e.checkInvariants()
	})

	t.Run("a queued proposal is re-checked against the current total weight", func(t *testing.T) {
		e := newEnv(t)
		e.standard()
		e.pass(addMember(erin, 10, "validator"))
		e.pass(setPolicy("x-note", "hi"))
		e.endBlock()
		if e.proposal(1, 1).Status != "passed" {
			t.Fatal("first did not pass")
		}
		if p := e.proposal(1, 2); p.Status != "open" || e.k.Policy(e.ctx(), 1, "x-note") != "" {
			t.Fatalf("second ran with yes 2 of 13: %v", p)
		}
		e.checkInvariants()
	})

	t.Run("a proposal that can no longer pass is rejected", func(t *testing.T) {
		e := newEnv(t)
		e.standard()
		e.mustDeliver(propose(alice, 1, addMember(erin, 1, "validator")))
		e.mustDeliver(vote(bob, 1, 1, no))
		e.endBlock()
		if e.proposal(1, 1).Status != "open" {
			t.Fatal("rejected with one no of three")
		}
		e.mustDeliver(vote(carol, 1, 1, abstain))
		e.endBlock()
		p := e.proposal(1, 1)
		if p.Status != "rejected" || p.ClosedHeight != 11 || !strings.Contains(p.Reason, "yes 0, no 1, abstain 1 of total weight 3") {
			t.Fatalf("proposal %v", p)
		}
		if findEvent(e.events, "idao_proposal", map[string]string{"proposal": "1", "status": "rejected"}) == nil {
			t.Fatalf("no rejected event in %v", e.events)
		}
		wantErr(t, e.deliver(vote(alice, 1, 1, yes)), idao.ErrProposalClosed, "is closed: rejected at height 11")
		e.checkInvariants()
	})

	t.Run("a proposal expires at the end of its last voting height", func(t *testing.T) {
		e := newEnv(t)
		e.standardWith(`{"voting_period":"3","quorum_bps":"10000"}`)
		e.mustDeliver(propose(alice, 1, addMember(erin, 1, "validator")))
		e.mustDeliver(vote(alice, 1, 1, yes))
		e.endBlock() // 10
		e.endBlock() // 11
		if e.proposal(1, 1).Status != "open" {
			t.Fatal("expired early")
		}
		e.mustDeliver(vote(bob, 1, 1, yes))
		e.endBlock() // 12, the last voting height
		p := e.proposal(1, 1)
		if p.Status != "expired" || p.ClosedHeight != 12 || p.Reason != "voting ended at height 12 with yes 2 of 3 weight (needs 10000 bps)" {
			t.Fatalf("proposal %v", p)
		}
		e.checkInvariants()
		e.endBlock()
		if e.proposal(1, 1).Status != "expired" {
			t.Fatal("a closed proposal's status changed")
		}
	})

	t.Run("a proposal passing on its last height executes rather than expires", func(t *testing.T) {
		e := newEnv(t)
		e.standardWith(`{"voting_period":"1"}`)
		e.pass(addMember(erin, 1, "validator"))
		e.endBlock()
		if p := e.proposal(1, 1); p.Status != "passed" || !e.k.IsMember(e.ctx(), 1, erin) {
			t.Fatalf("proposal %v", p)
		}
		e.checkInvariants()
	})

	t.Run("a removed member's vote stays in the tally", func(t *testing.T) {
		e := newEnv(t)
		e.standard()
		e.mustDeliver(propose(alice, 1, setPolicy("x-a", "1")))
		e.mustDeliver(vote(carol, 1, 1, yes))
		e.pass(removeMember(carol))
		e.endBlock()
		if e.k.IsMember(e.ctx(), 1, carol) || e.proposal(1, 1).Yes != 1 {
			t.Fatalf("carol member %v, tally %v", e.k.IsMember(e.ctx(), 1, carol), e.proposal(1, 1))
		}
		e.checkInvariants()
	})
}
