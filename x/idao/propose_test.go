package idao_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/x/idao"
)

func TestPropose(t *testing.T) {
	many := make([]*idao.Action, 33)
	for i := range many {
		many[i] = setPolicy("x-a", "v")
	}
	for _, c := range []struct {
		name string
		msg  *idao.MsgPropose
		err  error
		text string
	}{
		{name: "member proposes adding a member", msg: propose(bob, 1, addMember(erin, 2, "validator"))},
		{name: "member with weight 0 may propose", msg: propose(frank, 1, setPolicy("quorum_bps", "6000"))},
		{name: "later actions see earlier ones in the dry run", msg: propose(alice, 1, addMember(erin, 1, "validator"),
			setMember(erin, 3, "admin"), removeMember(alice))},
		{name: "spends within the treasury", msg: propose(alice, 1, spend(erin, "60"), spend(frank, "40"))},
		{name: "offer of an own class", msg: propose(alice, 1, offer(2, 7, "5", 50, 2500, 100))},
		{name: "every kind of action at once", msg: propose(alice, 1, addMember(erin, 1, "validator"), removeMember(carol),
			setMember(bob, 2, "admin"), setPolicy("allowed_services", erin.String()), spend(erin, "1"), offer(2, 7, "0", 1, 0, 11))},
		{name: "non-member", msg: propose(erin, 1, setPolicy("x-a", "v")), err: idao.ErrNotMember,
			text: erin.String() + " is not a member of iDAO 1 (alpha)"},
		{name: "member of another iDAO", msg: propose(dave, 1, setPolicy("x-a", "v")), err: idao.ErrNotMember, text: "iDAO 1 (alpha)"},
		{name: "unknown iDAO", msg: propose(alice, 9, setPolicy("x-a", "v")), err: idao.ErrNotFound, text: "iDAO 9 does not exist"},
		{name: "bad proposer address", msg: &idao.MsgPropose{From: "nope", Idao: 1, Title: "t", Actions: []*idao.Action{setPolicy("x-a", "v")}},
			err: idao.ErrInvalidAddress, text: "proposer"},
		{name: "empty title", msg: &idao.MsgPropose{From: alice.String(), Idao: 1, Actions: []*idao.Action{setPolicy("x-a", "v")}},
			err: idao.ErrInvalidProposal, text: "title has 0 bytes"},
		{name: "title too long", msg: &idao.MsgPropose{From: alice.String(), Idao: 1, Title: strings.Repeat("t", 141),
			Actions: []*idao.Action{setPolicy("x-a", "v")}}, err: idao.ErrInvalidProposal, text: "title has 141 bytes"},
		{name: "description too long", msg: &idao.MsgPropose{From: alice.String(), Idao: 1, Title: "t", Description: strings.Repeat("d", 4097),
			Actions: []*idao.Action{setPolicy("x-a", "v")}}, err: idao.ErrInvalidProposal, text: "4097 bytes"},
		{name: "no actions", msg: propose(alice, 1), err: idao.ErrInvalidProposal, text: "0 actions"},
		{name: "too many actions", msg: propose(alice, 1, many...), err: idao.ErrInvalidProposal, text: "33 actions"},
		{name: "action without a kind", msg: propose(alice, 1, setPolicy("x-a", "v"), &idao.Action{}), err: idao.ErrInvalidProposal,
			text: "action 2 (empty): the action has no kind"},
		{name: "bad member address", msg: propose(alice, 1, &idao.Action{Kind: &idao.Action_AddMember{AddMember: &idao.AddMember{
			Address: "0xzz", Roles: []string{"admin"}}}}), err: idao.ErrInvalidAddress, text: "action 1 (add_member): member"},
		{name: "adding a member twice", msg: propose(alice, 1, addMember(bob, 1, "validator")), err: idao.ErrAlreadyMember,
			text: bob.String() + " is already a member of iDAO 1 (alpha)"},
		{name: "adding a member with no roles", msg: propose(alice, 1, addMember(erin, 1)), err: idao.ErrInvalidRole, text: "at least one role"},
		{name: "adding a member with an unknown role", msg: propose(alice, 1, addMember(erin, 1, "king")), err: idao.ErrInvalidRole, text: `"king"`},
		{name: "weight above 1e12", msg: propose(alice, 1, addMember(erin, 1_000_000_000_001, "validator")), err: idao.ErrInvalidWeight,
			text: "1000000000001"},
		{name: "removing the last admin", msg: propose(bob, 1, removeMember(alice)), err: idao.ErrLastAdmin,
			text: "removing " + alice.String() + " would leave iDAO 1 (alpha) with no admin"},
		{name: "demoting the last admin", msg: propose(bob, 1, setMember(alice, 1, "validator")), err: idao.ErrLastAdmin,
			text: "would leave iDAO 1 (alpha) with no admin"},
		{name: "removing a non-member", msg: propose(alice, 1, removeMember(erin)), err: idao.ErrNotMember, text: erin.String()},
		{name: "removing a member twice", msg: propose(alice, 1, removeMember(bob), removeMember(bob)), err: idao.ErrNotMember,
			text: "action 2 (remove_member): " + bob.String()},
		{name: "setting a non-member", msg: propose(alice, 1, setMember(erin, 1, "admin")), err: idao.ErrNotMember, text: erin.String()},
		{name: "unknown policy key lists the known ones", msg: propose(alice, 1, setPolicy("quorum", "1")), err: idao.ErrInvalidPolicy,
			text: "allowed_services, default_dat_price, quorum_bps, revenue_split_bps, voting_period"},
		{name: "quorum of 0 bps", msg: propose(alice, 1, setPolicy("quorum_bps", "0")), err: idao.ErrInvalidPolicy, text: "from 1 to 10000"},
		{name: "voting period too long", msg: propose(alice, 1, setPolicy("voting_period", "1000001")), err: idao.ErrInvalidPolicy,
			text: "from 1 to 1000000"},
		{name: "spend above the treasury, added up across actions", msg: propose(alice, 1, spend(erin, "60"), spend(frank, "41")),
			err: idao.ErrTreasuryFunds, text: "treasury of iDAO 1 holds 100 ulaz; the proposal spends 101 ulaz"},
		{name: "spend of zero", msg: propose(alice, 1, spend(erin, "0")), err: idao.ErrInvalidAmount, text: "greater than zero"},
		{name: "spend of a non-number", msg: propose(alice, 1, spend(erin, "1.5")), err: idao.ErrInvalidAmount, text: "decimal integer"},
		{name: "spend to the own treasury", msg: propose(alice, 1, spend(idao.TreasuryAddress(1), "1")), err: idao.ErrInvalidAddress,
			text: "own treasury"},
		{name: "offer of another iDAO's class", msg: propose(alice, 1, offer(2, 8, "1", 5, 0, 100)), err: idao.ErrInvalidAgreement,
			text: "DAT class 8 belongs to iDAO 2, not iDAO 1"},
		{name: "offer of a missing class", msg: propose(alice, 1, offer(2, 99, "1", 5, 0, 100)), err: idao.ErrInvalidAgreement,
			text: "DAT class 99 does not exist"},
		{name: "offer to itself", msg: propose(alice, 1, offer(1, 7, "1", 5, 0, 100)), err: idao.ErrInvalidAgreement, text: "to itself"},
		{name: "offer to a missing iDAO", msg: propose(alice, 1, offer(5, 7, "1", 5, 0, 100)), err: idao.ErrInvalidAgreement,
			text: "grantee iDAO 5 does not exist"},
		{name: "offer with split above 10000", msg: propose(alice, 1, offer(2, 7, "1", 5, 10001, 100)), err: idao.ErrInvalidAgreement,
			text: "10001 bps"},
		{name: "offer with quota 0", msg: propose(alice, 1, offer(2, 7, "1", 0, 0, 100)), err: idao.ErrInvalidAgreement, text: "quota"},
		{name: "offer already expired", msg: propose(alice, 1, offer(2, 7, "1", 5, 0, 10)), err: idao.ErrInvalidAgreement,
			text: "expire height 10 is not after the current height 10"},
		{name: "offer with a bad price", msg: propose(alice, 1, offer(2, 7, "-1", 5, 0, 100)), err: idao.ErrInvalidAgreement, text: "price"},
		{name: "offer without terms", msg: propose(alice, 1, &idao.Action{Kind: &idao.Action_OfferAgreement{OfferAgreement: &idao.OfferAgreement{
			Grantee: 2, Class: 7}}}), err: idao.ErrInvalidAgreement, text: "no terms"},
		{name: "accepting a missing agreement", msg: propose(alice, 1, accept(4)), err: idao.ErrNotFound, text: "agreement 4 does not exist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.standard()
			before := e.snapshot()
			err := e.deliver(c.msg)
			if c.err != nil {
				wantErr(t, err, c.err, c.text)
				if e.snapshot() != before {
					t.Fatal("a refused proposal changed the state")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := e.proposal(1, 1)
			if p.Idao != 1 || p.Proposer != c.msg.From || p.Title != c.msg.Title || p.Description != c.msg.Description ||
				p.SubmitHeight != e.height || p.VotingEndHeight != e.height+100-1 || p.QuorumBps != 5001 || p.Status != "open" ||
				p.Yes+p.No+p.Abstain != 0 || len(p.Actions) != len(c.msg.Actions) {
				t.Fatalf("stored proposal %v", p)
			}
			for i := range p.Actions {
				if !proto.Equal(p.Actions[i], c.msg.Actions[i]) {
					t.Fatalf("action %d stored as %v, sent %v", i, p.Actions[i], c.msg.Actions[i])
				}
			}
			if d := e.get(1); d.NextProposal != 2 || d.Members != 4 || d.TotalWeight != 3 || d.Admins != 1 {
				t.Fatalf("the dry run leaked into the iDAO record: %v", d)
			}
			if e.balance(idao.TreasuryAddress(1)) != 100 || e.member(1, erin) != nil {
				t.Fatal("the dry run leaked into the state")
			}
			if ag := e.query("agreements", `{"id":1}`).(*idao.QueryAgreementsResponse); len(ag.Agreements) != 0 {
				t.Fatal("the dry run leaked an agreement")
			}
			if findEvent(e.events, "idao_proposal", map[string]string{"idao": "1", "proposal": "1", "status": "submitted"}) == nil {
				t.Fatalf("no submitted event in %v", e.events)
			}
			e.checkInvariants()
			// The next proposal takes the next id of this iDAO.
			e.mustDeliver(propose(alice, 1, setPolicy("x-b", "w")))
			if e.proposal(1, 2).Title != "change" || e.get(1).NextProposal != 3 {
				t.Fatal("second proposal not recorded as 2")
			}
		})
	}
}
