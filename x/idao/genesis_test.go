package idao_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/x/idao"
)

func TestGenesisRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.standardWith(`{"voting_period":"7","x-a":"b","allowed_services":"` + strings.ToLower(bob.String()) + `"}`)
	// The creator leaves: the export must not bring it back.
	e.pass(setMember(bob, 2, "admin", "data_provider"), removeMember(alice))
	e.endBlock()
	if e.k.IsMember(e.ctx(), 1, alice) {
		t.Fatal("alice still a member")
	}
	out, err := e.m.ExportGenesis(e.ctx())
	if err != nil {
		t.Fatal(err)
	}
	f := newEnv(t)
	if err := f.m.InitGenesis(f.ctx(), out); err != nil {
		t.Fatalf("re-import: %v\n%s", err, out)
	}
	again, err := f.m.ExportGenesis(f.ctx())
	if err != nil || string(again) != string(out) {
		t.Fatalf("export of the import differs:\n%s\n%s", out, again)
	}
	for _, id := range []uint64{1, 2} {
		a, b := e.get(id), f.get(id)
		if a.Name != b.Name || a.Creator != b.Creator || a.Members != b.Members || a.TotalWeight != b.TotalWeight || a.Admins != b.Admins {
			t.Fatalf("iDAO %d: %v vs %v", id, a, b)
		}
		ma, mb := e.query("members", `{"id":1}`), f.query("members", `{"id":1}`)
		for i, m := range ma.(*idao.QueryMembersResponse).Members {
			if !proto.Equal(&idao.Member{Address: m.Address, Roles: m.Roles, Weight: m.Weight},
				&idao.Member{Address: mb.(*idao.QueryMembersResponse).Members[i].Address, Roles: mb.(*idao.QueryMembersResponse).Members[i].Roles,
					Weight: mb.(*idao.QueryMembersResponse).Members[i].Weight}) {
				t.Fatalf("member %d differs", i)
			}
		}
	}
	if got := f.k.Policy(f.ctx(), 1, "allowed_services"); got != bob.String() {
		t.Fatalf("allowed_services %q", got)
	}
	if f.k.Policy(f.ctx(), 1, "voting_period") != "7" || f.k.Policy(f.ctx(), 1, "x-a") != "b" {
		t.Fatal("policies lost")
	}
	f.checkInvariants()

	def := newEnv(t)
	if err := def.m.InitGenesis(def.ctx(), def.m.DefaultGenesis()); err != nil {
		t.Fatal(err)
	}
	if out, _ := def.m.ExportGenesis(def.ctx()); string(out) != `{"idaos":[]}` {
		t.Fatalf("default export %s", out)
	}
}

func TestGenesisRefused(t *testing.T) {
	a, b := alice.String(), bob.String()
	for _, c := range []struct{ name, in, text string }{
		{"misspelt field", `{"idao":[]}`, "unknown field"},
		{"bad creator", `{"idaos":[{"name":"alpha","creator":"0x1"}]}`, "iDAO 1 (alpha): creator"},
		{"bad name", `{"idaos":[{"name":"A","creator":"` + a + `"}]}`, "iDAO 1 (A): name"},
		{"name twice", `{"idaos":[{"name":"alpha","creator":"` + a + `"},{"name":"alpha","creator":"` + b + `"}]}`, "iDAO 2 (alpha): name \"alpha\" is taken by iDAO 1"},
		{"member twice", `{"idaos":[{"name":"alpha","creator":"` + a + `","members":[{"address":"` + b + `","roles":["admin"],"weight":1},{"address":"` + b + `","roles":["admin"],"weight":1}]}]}`, "already a member"},
		{"creator twice", `{"idaos":[{"name":"alpha","creator":"` + a + `","members":[{"address":"` + a + `","roles":["admin"],"weight":1},{"address":"` + a + `","roles":["admin"],"weight":1}]}]}`, "listed twice"},
		{"no admin left", `{"idaos":[{"name":"alpha","creator":"` + a + `","members":[{"address":"` + b + `","roles":["validator"],"weight":1}]}]}`, "no admin"},
		{"creator demoted with no other admin", `{"idaos":[{"name":"alpha","creator":"` + a + `","members":[{"address":"` + a + `","roles":["validator"],"weight":1}]}]}`, "no admin"},
		{"bad role", `{"idaos":[{"name":"alpha","creator":"` + a + `","members":[{"address":"` + b + `","roles":["x"],"weight":1}]}]}`, `role "x"`},
		{"bad policy", `{"idaos":[{"name":"alpha","creator":"` + a + `","policies":{"quorum_bps":"0"}}]}`, "quorum_bps"},
		{"unknown policy", `{"idaos":[{"name":"alpha","creator":"` + a + `","policies":{"colour":"red"}}]}`, `unknown policy key "colour"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			wantErr(t, e.m.InitGenesis(e.ctx(), []byte(c.in)), idao.ErrInvalidGenesis, c.text)
		})
	}
}

func TestInvariants(t *testing.T) {
	broken := func(t *testing.T, name string, e *env) {
		t.Helper()
		for _, inv := range e.m.Invariants() {
			if inv.Name == name {
				if err := inv.Check(e.ctx()); err == nil {
					t.Fatalf("%s holds over a broken state", name)
				}
				return
			}
		}
		t.Fatalf("no invariant %s", name)
	}
	// setup leaves proposal 2 of alpha open with a vote, after a lifecycle.
	setup := func(t *testing.T) *env {
		e := newEnv(t)
		e.standard()
		e.pass(addMember(erin, 4, "admin"))
		e.mustDeliver(propose(bob, 1, setPolicy("x-a", "1")))
		e.mustDeliver(vote(carol, 1, 2, no))
		e.endBlock()
		e.checkInvariants()
		return e
	}
	idKey := func(prefix string, ids ...uint64) []byte {
		k := []byte(prefix)
		for _, id := range ids {
			k = binary.BigEndian.AppendUint64(k, id)
		}
		return k
	}
	t.Run("member count off", func(t *testing.T) {
		e := setup(t)
		d := e.get(1)
		d.Members++
		bz, _ := proto.Marshal(d)
		e.ctx().Store("idao").Set(idKey("i/", 1), bz)
		broken(t, "idao/counts", e)
	})
	t.Run("no admin", func(t *testing.T) {
		e := setup(t)
		e.ctx().Store("idao").Delete(append(idKey("m/", 2), dave[:]...))
		d := e.get(2)
		d.Members, d.TotalWeight, d.Admins = 0, 0, 0
		bz, _ := proto.Marshal(d)
		e.ctx().Store("idao").Set(idKey("i/", 2), bz)
		broken(t, "idao/counts", e)
	})
	t.Run("open proposal missing from the expiry index", func(t *testing.T) {
		e := setup(t)
		p := e.proposal(1, 2)
		e.ctx().Store("idao").Delete(idKey("e/", uint64(p.VotingEndHeight), 1, 2))
		broken(t, "idao/proposals", e)
	})
	t.Run("closed proposal left in the expiry index", func(t *testing.T) {
		e := setup(t)
		p := e.proposal(1, 1)
		e.ctx().Store("idao").Set(idKey("e/", uint64(p.VotingEndHeight), 1, 1), []byte{1})
		broken(t, "idao/proposals", e)
	})
	t.Run("tally differs from the votes", func(t *testing.T) {
		e := setup(t)
		p := e.proposal(1, 2)
		p.No = 0
		bz, _ := proto.Marshal(p)
		e.ctx().Store("idao").Set(idKey("p/", 1, 2), bz)
		broken(t, "idao/proposals", e)
	})
}

func TestNormalizePolicy(t *testing.T) {
	lower := func(s string) string { return strings.ToLower(s) }
	for _, c := range []struct{ key, in, want, err string }{
		{"default_dat_price", "1500", "1500", ""},
		{"default_dat_price", "0", "0", ""},
		{"default_dat_price", "", "", ""},
		{"default_dat_price", "01", "", "leading zeros"},
		{"default_dat_price", "18446744073709551616", "", "overflows"},
		{"revenue_split_bps", "0", "0", ""},
		{"revenue_split_bps", "10000", "10000", ""},
		{"revenue_split_bps", "10001", "", "from 0 to 10000"},
		{"quorum_bps", "1", "1", ""},
		{"quorum_bps", "-1", "", "from 1 to 10000"},
		{"voting_period", "1000000", "1000000", ""},
		{"voting_period", "0", "", "from 1 to 1000000"},
		{"allowed_services", lower(carol.String()) + "," + lower(alice.String()), alice.String() + "," + carol.String(), ""},
		{"allowed_services", alice.String() + "," + lower(alice.String()), "", "listed twice"},
		{"allowed_services", alice.String() + ",", "", "entry 2"},
		{"x-app_1", strings.Repeat("t", 256), strings.Repeat("t", 256), ""},
		{"x-app", strings.Repeat("t", 257), "", "257 bytes"},
		{"x-", "v", "", "1 to 32"},
		{"x-" + strings.Repeat("a", 33), "v", "", "1 to 32"},
		{"x-App", "v", "", "a-z"},
		{"colour", "red", "", "unknown policy key"},
	} {
		got, err := idao.NormalizePolicy(c.key, c.in)
		if c.err != "" {
			wantErr(t, err, idao.ErrInvalidPolicy, c.err)
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s=%q: got %q, %v; want %q", c.key, c.in, got, err, c.want)
		}
	}
}

func TestPolicyDefaultsAndReset(t *testing.T) {
	e := newEnv(t)
	e.standardWith(`{"quorum_bps":"7000"}`)
	if e.k.Policy(e.ctx(), 1, "quorum_bps") != "7000" || e.k.Policy(e.ctx(), 2, "quorum_bps") != "5001" ||
		e.k.Policy(e.ctx(), 1, "revenue_split_bps") != "10000" || e.k.Policy(e.ctx(), 1, "x-none") != "" {
		t.Fatal("policy values or defaults wrong")
	}
	// With quorum 7000 of 3, alice+bob (6667 bps) do not pass; carol's yes does.
	e.pass(setPolicy("quorum_bps", ""))
	e.mustDeliver(vote(carol, 1, 1, yes))
	e.endBlock()
	if e.proposal(1, 1).QuorumBps != 7000 || e.k.Policy(e.ctx(), 1, "quorum_bps") != "5001" {
		t.Fatalf("reset: proposal %v, policy %q", e.proposal(1, 1), e.k.Policy(e.ctx(), 1, "quorum_bps"))
	}
}
