package idao_test

import (
	"testing"

	"github.com/lazchain/lazchain/x/idao"
)

func TestVote(t *testing.T) {
	for _, c := range []struct {
		name string
		// setup runs after proposal 1 (add erin) was opened at height 10
		// with a voting period of 3 (votes count through height 12).
		setup        func(e *env)
		msg          *idao.MsgVote
		yes, no, abs uint64
		after        string // status after the block's end; "" = open
		err          error
		text         string
	}{
		{name: "yes counts the member's weight", msg: vote(bob, 1, 1, yes), yes: 1},
		{name: "abstain", msg: vote(bob, 1, 1, abstain), abs: 1},
		{name: "a second yes passes the quorum and queues the proposal", setup: func(e *env) { e.mustDeliver(vote(alice, 1, 1, yes)) },
			msg: vote(bob, 1, 1, yes), yes: 2, after: "passed"},
		{name: "changing a vote moves its weight", setup: func(e *env) { e.mustDeliver(vote(bob, 1, 1, yes)) },
			msg: vote(bob, 1, 1, no), no: 1},
		{name: "two noes make it hopeless and queue its rejection", setup: func(e *env) { e.mustDeliver(vote(alice, 1, 1, no)) },
			msg: vote(bob, 1, 1, no), no: 2, after: "rejected"},
		{name: "voting on the last height of the period", setup: func(e *env) { e.height = 12 }, msg: vote(bob, 1, 1, yes), yes: 1, after: "expired"},
		{name: "unspecified option", msg: vote(bob, 1, 1, idao.VoteOption_VOTE_OPTION_UNSPECIFIED), err: idao.ErrInvalidVote,
			text: "VOTE_OPTION_UNSPECIFIED is not yes, no or abstain"},
		{name: "non-member", msg: vote(erin, 1, 1, yes), err: idao.ErrNotMember, text: erin.String() + " is not a member of iDAO 1 (alpha)"},
		{name: "member with weight 0", msg: vote(frank, 1, 1, yes), err: idao.ErrInvalidVote, text: "weight 0"},
		{name: "missing proposal", msg: vote(bob, 1, 9, yes), err: idao.ErrNotFound, text: "proposal 9 of iDAO 1 does not exist"},
		{name: "missing iDAO", msg: vote(bob, 7, 1, yes), err: idao.ErrNotFound, text: "iDAO 7 does not exist"},
		{name: "bad voter address", msg: &idao.MsgVote{From: "x", Idao: 1, Proposal: 1, Option: yes}, err: idao.ErrInvalidAddress, text: "voter"},
		{name: "after the voting period", setup: func(e *env) { e.height = 13 }, msg: vote(bob, 1, 1, yes), err: idao.ErrVotingPeriod,
			text: "voting on proposal 1 of iDAO 1 ended at height 12 (now 13)"},
		{name: "on a closed proposal", setup: func(e *env) {
			e.mustDeliver(vote(alice, 1, 1, yes))
			e.mustDeliver(vote(bob, 1, 1, yes))
			e.endBlock()
		}, msg: vote(carol, 1, 1, yes), err: idao.ErrProposalClosed, text: "proposal 1 of iDAO 1 is closed: passed at height 10"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.standardWith(`{"voting_period":"3"}`)
			e.mustDeliver(propose(alice, 1, addMember(erin, 1, "validator")))
			if c.setup != nil {
				c.setup(e)
			}
			before := e.snapshot()
			err := e.deliver(c.msg)
			if c.err != nil {
				wantErr(t, err, c.err, c.text)
				if e.snapshot() != before {
					t.Fatal("a refused vote changed the state")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res := e.query("proposal", `{"id":1,"proposal":1}`).(*idao.QueryProposalResponse)
			p := res.Proposal
			if p.Yes != c.yes || p.No != c.no || p.Abstain != c.abs {
				t.Fatalf("tally yes %d no %d abstain %d; want %d %d %d", p.Yes, p.No, p.Abstain, c.yes, c.no, c.abs)
			}
			var last *idao.Vote
			for _, v := range res.Votes {
				if v.Voter == c.msg.From {
					last = v
				}
			}
			if last == nil || last.Option != c.msg.Option || last.Weight != 1 || last.Height != e.height {
				t.Fatalf("stored vote %v", last)
			}
			if findEvent(e.events, "idao_vote", map[string]string{"idao": "1", "proposal": "1", "voter": c.msg.From, "weight": "1"}) == nil {
				t.Fatalf("no idao_vote event in %v", e.events)
			}
			e.checkInvariants()
			// A queued proposal closes at the end of the block; others stay
			// open unless their period ended.
			e.endBlock()
			want := c.after
			if want == "" {
				want = "open"
			}
			if got := e.proposal(1, 1).Status; got != want {
				t.Fatalf("after end block status %q, want %q", got, want)
			}
			e.checkInvariants()
		})
	}
}
