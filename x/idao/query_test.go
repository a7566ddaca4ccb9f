package idao_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/x/idao"
)

func TestQueries(t *testing.T) {
	e := newEnv(t)
	e.standardWith(`{"quorum_bps":"6000","x-site":"https://a.example"}`)
	for i := 3; i <= 7; i++ {
		e.mustDeliver(&idao.MsgCreate{From: erin.String(), Name: fmt.Sprintf("dao-%d", i)})
	}

	t.Run("idao by id with treasury balance and policies", func(t *testing.T) {
		res := e.query("idao", `{"id":1}`).(*idao.QueryIDAOResponse)
		if res.Idao.Name != "alpha" || res.TreasuryBalance != "100" {
			t.Fatalf("%v", res)
		}
		want := []struct {
			key, value, typ string
			def             bool
		}{
			{"allowed_services", "", "addresses", true},
			{"default_dat_price", "0", "amount", true},
			{"quorum_bps", "6000", "bps", false},
			{"revenue_split_bps", "10000", "bps", true},
			{"voting_period", "100", "blocks", true},
			{"x-site", "https://a.example", "text", false},
		}
		if len(res.Policies) != len(want) {
			t.Fatalf("policies %v", res.Policies)
		}
		for i, w := range want {
			p := res.Policies[i]
			if p.Key != w.key || p.Value != w.value || p.Type != w.typ || p.Default != w.def {
				t.Fatalf("policy %d = %v, want %+v", i, p, w)
			}
		}
	})

	t.Run("idao by name", func(t *testing.T) {
		if res := e.query("idao", `{"name":"dao-5"}`).(*idao.QueryIDAOResponse); res.Idao.Id != 5 || res.TreasuryBalance != "0" {
			t.Fatalf("%v", res)
		}
	})

	t.Run("list pages through every iDAO", func(t *testing.T) {
		var ids []uint64
		after := uint64(0)
		for pages := 0; ; pages++ {
			res := e.query("list", fmt.Sprintf(`{"after":%d,"limit":3}`, after)).(*idao.QueryIDAOsResponse)
			for _, d := range res.Idaos {
				ids = append(ids, d.Id)
			}
			if res.Next == 0 {
				break
			}
			if len(res.Idaos) != 3 || res.Next != res.Idaos[2].Id || pages > 5 {
				t.Fatalf("page %v", res)
			}
			after = res.Next
		}
		if fmt.Sprint(ids) != "[1 2 3 4 5 6 7]" {
			t.Fatalf("ids %v", ids)
		}
		if res := e.query("list", ``).(*idao.QueryIDAOsResponse); len(res.Idaos) != 7 || res.Next != 0 {
			t.Fatalf("default page %v", res)
		}
	})

	t.Run("members page in address order", func(t *testing.T) {
		var got []string
		after := ""
		for {
			res := e.query("members", fmt.Sprintf(`{"id":1,"after":%q,"limit":2}`, after)).(*idao.QueryMembersResponse)
			for _, m := range res.Members {
				got = append(got, m.Address)
			}
			if res.Next == "" {
				break
			}
			after = res.Next
		}
		want := fmt.Sprint([]string{alice.String(), bob.String(), carol.String(), frank.String()})
		if fmt.Sprint(got) != want {
			t.Fatalf("members %v, want %v", got, want)
		}
	})

	t.Run("proposals filtered by status, and one with its votes", func(t *testing.T) {
		e := newEnv(t)
		e.standard()
		e.pass(setPolicy("x-a", "1")) // 1: passes
		e.mustDeliver(propose(bob, 1, setPolicy("x-a", "2")))
		e.mustDeliver(propose(bob, 1, setPolicy("x-a", "3")))
		e.mustDeliver(vote(carol, 1, 3, no))
		e.mustDeliver(vote(alice, 1, 3, abstain))
		e.endBlock()
		ids := func(req string) string {
			res := e.query("proposals", req).(*idao.QueryProposalsResponse)
			var out []uint64
			for _, p := range res.Proposals {
				out = append(out, p.Id)
			}
			return fmt.Sprint(out, res.Next)
		}
		for req, want := range map[string]string{
			`{"id":1}`:                             "[1 2 3] 0",
			`{"id":1,"status":"open"}`:             "[2] 0",
			`{"id":1,"status":"closed"}`:           "[1 3] 0",
			`{"id":1,"status":"closed","limit":1}`: "[1] 1",
			`{"id":1,"after":1,"limit":1}`:         "[2] 2",
			`{"id":1,"after":2}`:                   "[3] 0",
		} {
			if got := ids(req); got != want {
				t.Errorf("%s: %s, want %s", req, got, want)
			}
		}
		res := e.query("proposal", `{"id":1,"proposal":3}`).(*idao.QueryProposalResponse)
		if res.Proposal.Status != "rejected" || res.TotalWeight != 3 || len(res.Votes) != 2 ||
			res.Votes[0].Voter != alice.String() || res.Votes[0].Option != abstain || res.Votes[1].Voter != carol.String() {
			t.Fatalf("%v", res)
		}
	})

	for _, c := range []struct {
		path, req string
		err       error
		text      string
	}{
		{"idao", `{"id":1,"nmae":"x"}`, chain.ErrBadRequest, "unknown field"},
		{"idao", `{}`, chain.ErrBadRequest, "give an id or a name"},
		{"idao", `{"id":1,"name":"alpha"}`, chain.ErrBadRequest, "not both"},
		{"idao", `{"id":99}`, idao.ErrNotFound, "iDAO 99 does not exist"},
		{"idao", `{"name":"nobody"}`, idao.ErrNotFound, `no iDAO is called "nobody"`},
		{"list", `{"after":"x"}`, chain.ErrBadRequest, "list query"},
		{"members", `{"id":1,"after":"0x1"}`, chain.ErrBadRequest, "after"},
		{"members", `{"id":42}`, idao.ErrNotFound, "iDAO 42"},
		{"proposals", `{"id":1,"status":"done"}`, chain.ErrBadRequest, `status "done"`},
		{"proposal", `{"id":1,"proposal":5}`, idao.ErrNotFound, "proposal 5 of iDAO 1 does not exist"},
		{"agreements", `{"id":8}`, idao.ErrNotFound, "iDAO 8"},
	} {
		t.Run("refused "+c.path+" "+c.req, func(t *testing.T) {
			_, err := e.tryQuery(c.path, c.req)
			if !errors.Is(err, c.err) {
				t.Fatalf("got %v, want %v", err, c.err)
			}
			wantErr(t, err, c.err, c.text)
		})
	}
}
