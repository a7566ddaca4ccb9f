package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/lazchain/lazchain/api"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/idao"
	"github.com/lazchain/lazchain/x/service"
)

// refName is the schema a property refers to, directly, through oneOf (a
// nullable message) or through items (a list); list says which.
func refName(p map[string]any) (name string, list bool) {
	ref := func(v any) string {
		m, _ := v.(map[string]any)
		r, _ := m["$ref"].(string)
		return strings.TrimPrefix(r, "#/components/schemas/")
	}
	if r := ref(p); r != "" {
		return r, false
	}
	for _, alt := range asSlice(p["oneOf"]) {
		if r := ref(alt); r != "" {
			return r, false
		}
	}
	if r := ref(p["items"]); r != "" {
		return r, true
	}
	return "", false
}

// nullable says whether a property's schema allows null.
func nullable(p map[string]any) bool {
	for _, alt := range asSlice(p["oneOf"]) {
		if m, _ := alt.(map[string]any); m["type"] == "null" {
			return true
		}
	}
	return p["type"] == "null"
}

// checkValue checks a JSON value against a schema's type and pattern.
func checkValue(t *testing.T, where string, s map[string]any, v json.RawMessage) {
	t.Helper()
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	typ, _ := s["type"].(string)
	ok := true
	switch typ {
	case "string":
		str, isStr := x.(string)
		ok = isStr
		if pat, _ := s["pattern"].(string); isStr && pat != "" && !regexp.MustCompile(pat).MatchString(str) {
			t.Errorf("%s: %q does not match %s", where, str, pat)
		}
	case "integer", "number":
		_, ok = x.(float64)
	case "boolean":
		_, ok = x.(bool)
	case "array":
		_, ok = x.([]any)
	case "object":
		_, ok = x.(map[string]any)
	}
	if !ok {
		t.Errorf("%s: %s is not of type %s", where, v, typ)
	}
}

// checkDeep is checkShape applied through the whole answer: every nested
// object against the schema its property refers to, every scalar against
// its declared type (64-bit integers are strings, as protojson writes them).
func (d openAPIDoc) checkDeep(t *testing.T, name string, body []byte) {
	t.Helper()
	s := d.schema(t, name)
	if _, isObject := s["properties"]; !isObject {
		checkValue(t, name, s, body)
		return
	}
	d.checkShape(t, name, body)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return // checkShape said so
	}
	props, _ := s["properties"].(map[string]any)
	for k, v := range obj {
		p, _ := props[k].(map[string]any)
		if p == nil {
			continue
		}
		if string(v) == "null" {
			if !nullable(p) {
				t.Errorf("%s.%s is null, which its schema does not allow", name, k)
			}
			continue
		}
		ref, list := refName(p)
		switch {
		case ref != "" && list:
			var items []json.RawMessage
			if err := json.Unmarshal(v, &items); err != nil {
				t.Errorf("%s.%s: not an array: %s", name, k, v)
				continue
			}
			for _, it := range items {
				d.checkDeep(t, ref, it)
			}
		case ref != "":
			d.checkDeep(t, ref, v)
		default:
			checkValue(t, name+"."+k, p, v)
		}
	}
}

// getProto reads a route that answers 200 with a module's message: the
// answer must match the schema all the way down and decode strictly (no
// field unknown to the proto) into m.
func getProto(t *testing.T, doc openAPIDoc, url, schema string, m proto.Message) {
	t.Helper()
	var raw map[string]any
	r := get(t, url).expect(t, http.StatusOK, &raw)
	doc.checkDeep(t, schema, r.body)
	if err := protojson.Unmarshal(r.body, m); err != nil {
		t.Fatalf("%s: %v\n%s", url, err, r.body)
	}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func tokenIDs(ts []*dat.Token) []uint64 {
	out := make([]uint64, len(ts))
	for i, tk := range ts {
		out[i] = tk.Id
	}
	return out
}

// TestModuleRoutes sets up iDAOs, proposals, an agreement, DAT classes
// with lineage, tokens, usage and revenue through the SDK, then reads every
// idao and dat route: values, shapes against /openapi.json, 404 for what
// does not exist and 400 for bad parameters.
func TestModuleRoutes(t *testing.T) {
	n := startNode(t, api.Options{}, nil)
	base := n.APIURL()
	doc := loadOpenAPI(t, base)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := n.Client
	var none client.TxOptions
	must := func(res *client.TxResult, err error) *client.TxResult {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	newID := func(want uint64) func(uint64, *client.TxResult, error) {
		return func(id uint64, _ *client.TxResult, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			if id != want {
				t.Fatalf("new id %d, want %d", id, want)
			}
		}
	}
	A, B := alice.Address(), bob.Address()

	before := must(c.Send(ctx, alice, B, 10*tx.UnitsPerLAZ, none)).Height // no iDAO yet
	newID(1)(c.CreateIDAO(ctx, alice, "alpha-pool", "the first pool", []string{idao.RoleDataProvider}, none))
	newID(2)(c.CreateIDAO(ctx, bob, "beta-lab", "", nil, none))
	newID(3)(c.CreateIDAO(ctx, bob, "lab-2024", "a name with digits", nil, none))
	must(c.Send(ctx, alice, idao.TreasuryAddress(1), 50*tx.UnitsPerLAZ, none))
	// Proposal 1 admits bob and pays nobody 5 LAZ; alice's vote passes it.
	newID(1)(c.Propose(ctx, alice, 1, "admit bob", "bob has scans", []*idao.Action{
		{Kind: &idao.Action_AddMember{AddMember: &idao.AddMember{Address: B.String(), Roles: []string{idao.RoleDataProvider}, Weight: 2}}},
		{Kind: &idao.Action_SpendTreasury{SpendTreasury: &idao.SpendTreasury{To: nobody.Address().String(), Amount: "5000000"}}},
	}, none))
	must(c.Vote(ctx, alice, 1, 1, idao.VoteOption_VOTE_OPTION_YES, none))

	newID(1)(c.CreateClass(ctx, alice, &dat.MsgCreateClass{Idao: 1, Name: "base data", IntegrityHash: sha("base"), MetadataUri: "ipfs://base"}, none))
	newID(2)(c.CreateClass(ctx, alice, &dat.MsgCreateClass{Idao: 1, Name: "derived model", IntegrityHash: sha("model"),
		Parents: []*dat.Parent{{Class: 1, SplitBps: 2500}}}, none))
	newID(1)(c.Mint(ctx, alice, &dat.MsgMint{Class: 1, To: B.String(), Value: 100, ShareRatio: 3}, none))
	// One atomic tx: two more tokens, a proof, and 1 LAZ of revenue for
	// class 2, of which 25% goes up to class 1 (3:1 between tokens 1 and 2).
	from := A.String()
	must(c.SignAndBroadcast(ctx, alice, []proto.Message{
		&dat.MsgMint{From: from, Class: 1, To: from, Value: 50, ShareRatio: 1},
		&dat.MsgMint{From: from, Class: 2, To: B.String(), Value: 10, ShareRatio: 1},
		&dat.MsgAddProof{From: from, Class: 1, Type: "tee_report", Uri: "ipfs://report", Digest: sha("report")},
		&dat.MsgSettleRevenue{From: from, Class: 2, Amount: "1000000"},
	}, none))
	must(c.SignAndBroadcast(ctx, bob, []proto.Message{&dat.MsgRecordUsage{From: B.String(), Token: 1, Metric: "inference", Amount: 7}}, none))
	// Proposal 2 offers class 1 to iDAO 2; bob's weight (2 of 3) passes it.
	newID(2)(c.Propose(ctx, alice, 1, "license base data", "", []*idao.Action{{Kind: &idao.Action_OfferAgreement{OfferAgreement: &idao.OfferAgreement{
		Grantee: 2, Class: 1, Terms: &idao.AgreementTerms{PricePerUnit: "3", Quota: 100, RevenueSplitBps: 5000, ExpireHeight: 1_000_000}}}}}, none))
	must(c.Vote(ctx, bob, 1, 2, idao.VoteOption_VOTE_OPTION_YES, none))
	// Proposal 3 stays open: alice's weight alone is not a quorum.
	newID(3)(c.Propose(ctx, alice, 1, "a note", "", []*idao.Action{{Kind: &idao.Action_SetPolicy{SetPolicy: &idao.SetPolicy{Key: "x-note", Value: "hi"}}}}, none))

	notFound := func(t *testing.T, url, codespace string, code uint32, mentions ...string) {
		t.Helper()
		e := get(t, url).expectError(t, http.StatusNotFound, mentions...)
		if e.Codespace != codespace || e.Code != code {
			t.Fatalf("%s: %+v, want %s/%d", url, e, codespace, code)
		}
	}
	badRequest := func(t *testing.T, url string, mentions ...string) {
		t.Helper()
		get(t, url).expectError(t, http.StatusBadRequest, mentions...)
	}

	t.Run("dashboard lists iDAOs and classes", func(t *testing.T) {
		r := get(t, base+"/")
		if r.status != http.StatusOK {
			t.Fatalf("dashboard: status %d", r.status)
		}
		for _, want := range []string{"<h2>iDAOs</h2>", "alpha-pool", "beta-lab", `href="/v1/idaos/1/members"`,
			"<h2>DAT classes</h2>", "base data", "derived model", `href="/v1/dat/classes/2/lineage"`} {
			if !strings.Contains(string(r.body), want) {
				t.Errorf("the dashboard does not show %q", want)
			}
		}
	})
	t.Run("idaos", func(t *testing.T) {
		var l idao.QueryIDAOsResponse
		getProto(t, doc, base+"/v1/idaos", "QueryIDAOsResponse", &l)
		if len(l.Idaos) != 3 || l.Idaos[0].Name != "alpha-pool" || l.Idaos[1].Name != "beta-lab" || l.Idaos[2].Name != "lab-2024" || l.Next != 0 {
			t.Fatalf("idaos %v", &l)
		}
		getProto(t, doc, base+"/v1/idaos?limit=1", "QueryIDAOsResponse", &l)
		if len(l.Idaos) != 1 || l.Next != 1 {
			t.Fatalf("first page %v", &l)
		}
		getProto(t, doc, base+"/v1/idaos?limit=1&after=1", "QueryIDAOsResponse", &l)
		if len(l.Idaos) != 1 || l.Idaos[0].Id != 2 || l.Next != 2 {
			t.Fatalf("second page %v", &l)
		}
		getProto(t, doc, base+"/v1/idaos?after=3", "QueryIDAOsResponse", &l)
		if len(l.Idaos) != 0 || l.Next != 0 {
			t.Fatalf("past the end %v", &l)
		}
		getProto(t, doc, fmt.Sprintf("%s/v1/idaos?height=%d", base, before), "QueryIDAOsResponse", &l)
		if len(l.Idaos) != 0 {
			t.Fatalf("idaos at height %d: %v", before, &l)
		}
		badRequest(t, base+"/v1/idaos?limit=0", "limit")
		badRequest(t, base+"/v1/idaos?limit=1001", "limit")
		badRequest(t, base+"/v1/idaos?after=x", `"x"`)
		badRequest(t, base+"/v1/idaos?height=-1", "height")
	})

	t.Run("idao by id and by name", func(t *testing.T) {
		var byID, byName idao.QueryIDAOResponse
		getProto(t, doc, base+"/v1/idaos/1", "QueryIDAOResponse", &byID)
		getProto(t, doc, base+"/v1/idaos/alpha-pool", "QueryIDAOResponse", &byName)
		if !proto.Equal(&byID, &byName) {
			t.Fatalf("by id %v, by name %v", &byID, &byName)
		}
		d := byID.Idao
		if d.Id != 1 || d.Name != "alpha-pool" || d.Description != "the first pool" || d.Creator != A.String() ||
			d.Treasury != idao.TreasuryAddress(1).String() || d.Members != 2 || d.Admins != 1 || d.TotalWeight != 3 ||
			d.NextProposal != 4 || byID.TreasuryBalance != "45000000" {
			t.Fatalf("iDAO 1: %v", &byID)
		}
		var keys []string
		for _, p := range byID.Policies {
			keys = append(keys, p.Key)
			if p.Key == idao.PolicyQuorumBps && (p.Value != "5001" || p.Type != idao.TypeBps || !p.Default) {
				t.Fatalf("quorum policy %v", p)
			}
		}
		if !slices.Equal(keys, []string{"allowed_services", "default_dat_price", "quorum_bps", "revenue_split_bps", "voting_period"}) {
			t.Fatalf("policies %v", keys)
		}
		// An all-digit name is found by that name when no iDAO has that id.
		getProto(t, doc, base+"/v1/idaos/lab-2024", "QueryIDAOResponse", &byName)
		if byName.Idao.Id != 3 || byName.Idao.Name != "lab-2024" {
			t.Fatalf("iDAO lab-2024: %v", &byName)
		}
		getProto(t, doc, base+"/v1/idaos/3", "QueryIDAOResponse", &byID)
		if byID.Idao.Name != "lab-2024" || byID.TreasuryBalance != "0" {
			t.Fatalf("iDAO 3: %v", &byID)
		}
		notFound(t, base+"/v1/idaos/999", idao.Name, idao.ErrNotFound.Code, "iDAO 999 does not exist")
		notFound(t, base+"/v1/idaos/no-such-pool", idao.Name, idao.ErrNotFound.Code, `"no-such-pool"`)
		notFound(t, fmt.Sprintf("%s/v1/idaos/1?height=%d", base, before), idao.Name, idao.ErrNotFound.Code)
		badRequest(t, base+"/v1/idaos/1?height=x", "height")
	})

	t.Run("members", func(t *testing.T) {
		var m idao.QueryMembersResponse
		getProto(t, doc, base+"/v1/idaos/1/members", "QueryMembersResponse", &m)
		if len(m.Members) != 2 || m.Next != "" {
			t.Fatalf("members %v", &m)
		}
		weights := map[string]uint64{}
		for _, x := range m.Members {
			weights[x.Address] = x.Weight
			if x.Address == B.String() && !slices.Equal(x.Roles, []string{idao.RoleDataProvider}) {
				t.Fatalf("bob %v", x)
			}
		}
		if weights[A.String()] != 1 || weights[B.String()] != 2 {
			t.Fatalf("weights %v", weights)
		}
		var first, second idao.QueryMembersResponse
		getProto(t, doc, base+"/v1/idaos/1/members?limit=1", "QueryMembersResponse", &first)
		if len(first.Members) != 1 || first.Next != first.Members[0].Address {
			t.Fatalf("first page %v", &first)
		}
		getProto(t, doc, base+"/v1/idaos/1/members?after="+first.Next, "QueryMembersResponse", &second)
		if len(second.Members) != 1 || second.Members[0].Address == first.Members[0].Address {
			t.Fatalf("second page %v after %v", &second, &first)
		}
		notFound(t, base+"/v1/idaos/999/members", idao.Name, idao.ErrNotFound.Code)
		badRequest(t, base+"/v1/idaos/abc/members", `"abc"`)
		badRequest(t, base+"/v1/idaos/0/members", `"0"`)
		badRequest(t, base+"/v1/idaos/1/members?after=0x12", "0x12")
		badRequest(t, base+"/v1/idaos/1/members?limit=0", "limit")
	})

	t.Run("proposals", func(t *testing.T) {
		ids := func(ps []*idao.Proposal) []uint64 {
			var out []uint64
			for _, p := range ps {
				out = append(out, p.Id)
			}
			return out
		}
		var l idao.QueryProposalsResponse
		getProto(t, doc, base+"/v1/idaos/1/proposals", "QueryProposalsResponse", &l)
		if !slices.Equal(ids(l.Proposals), []uint64{1, 2, 3}) {
			t.Fatalf("proposals %v", &l)
		}
		getProto(t, doc, base+"/v1/idaos/1/proposals?status=open", "QueryProposalsResponse", &l)
		if !slices.Equal(ids(l.Proposals), []uint64{3}) || l.Proposals[0].Status != idao.StatusOpen {
			t.Fatalf("open proposals %v", &l)
		}
		getProto(t, doc, base+"/v1/idaos/1/proposals?status=closed", "QueryProposalsResponse", &l)
		if !slices.Equal(ids(l.Proposals), []uint64{1, 2}) || l.Proposals[0].Status != idao.StatusPassed || l.Proposals[1].Status != idao.StatusPassed {
			t.Fatalf("closed proposals %v", &l)
		}
		getProto(t, doc, base+"/v1/idaos/1/proposals?after=1&limit=1", "QueryProposalsResponse", &l)
		if !slices.Equal(ids(l.Proposals), []uint64{2}) || l.Next != 2 {
			t.Fatalf("page %v", &l)
		}
		getProto(t, doc, base+"/v1/idaos/2/proposals", "QueryProposalsResponse", &l)
		if len(l.Proposals) != 0 {
			t.Fatalf("iDAO 2's proposals %v", &l)
		}
		badRequest(t, base+"/v1/idaos/1/proposals?status=maybe", `"maybe"`)
		badRequest(t, base+"/v1/idaos/1/proposals?after=-1", `"-1"`)
		notFound(t, base+"/v1/idaos/999/proposals", idao.Name, idao.ErrNotFound.Code)
	})

	t.Run("proposal", func(t *testing.T) {
		var p idao.QueryProposalResponse
		getProto(t, doc, base+"/v1/idaos/1/proposals/1", "QueryProposalResponse", &p)
		pr := p.Proposal
		if pr.Id != 1 || pr.Idao != 1 || pr.Title != "admit bob" || pr.Description != "bob has scans" || pr.Status != idao.StatusPassed ||
			pr.Yes != 1 || pr.QuorumBps != 5001 || pr.ClosedHeight == 0 || len(pr.Actions) != 2 || p.TotalWeight != 3 ||
			pr.Actions[0].GetAddMember().GetWeight() != 2 || pr.Actions[1].GetSpendTreasury().GetAmount() != "5000000" {
			t.Fatalf("proposal 1: %v", &p)
		}
		if len(p.Votes) != 1 || p.Votes[0].Voter != A.String() || p.Votes[0].Option != idao.VoteOption_VOTE_OPTION_YES || p.Votes[0].Weight != 1 {
			t.Fatalf("votes on proposal 1: %v", p.Votes)
		}
		getProto(t, doc, base+"/v1/idaos/1/proposals/3", "QueryProposalResponse", &p)
		if p.Proposal.Status != idao.StatusOpen || len(p.Votes) != 0 || p.Proposal.Actions[0].GetSetPolicy().GetKey() != "x-note" {
			t.Fatalf("proposal 3: %v", &p)
		}
		notFound(t, base+"/v1/idaos/1/proposals/99", idao.Name, idao.ErrNotFound.Code, "proposal 99 of iDAO 1 does not exist")
		notFound(t, base+"/v1/idaos/999/proposals/1", idao.Name, idao.ErrNotFound.Code, "iDAO 999")
		badRequest(t, base+"/v1/idaos/1/proposals/0", `"0"`)
		badRequest(t, base+"/v1/idaos/1/proposals/first", `"first"`)
	})

	t.Run("agreements", func(t *testing.T) {
		var l idao.QueryAgreementsResponse
		getProto(t, doc, base+"/v1/idaos/1/agreements", "QueryAgreementsResponse", &l)
		if len(l.Agreements) != 1 {
			t.Fatalf("agreements %v", &l)
		}
		a := l.Agreements[0]
		if a.Id != 1 || a.Grantor != 1 || a.Grantee != 2 || a.Class != 1 || a.Status != "offered" || a.Used != 0 || a.OfferedHeight == 0 ||
			a.AcceptedHeight != 0 || a.Terms.GetPricePerUnit() != "3" || a.Terms.GetQuota() != 100 || a.Terms.GetRevenueSplitBps() != 5000 ||
			a.Terms.GetExpireHeight() != 1_000_000 {
			t.Fatalf("agreement %v", a)
		}
		var granted idao.QueryAgreementsResponse
		getProto(t, doc, base+"/v1/idaos/2/agreements", "QueryAgreementsResponse", &granted)
		if len(granted.Agreements) != 1 || !proto.Equal(granted.Agreements[0], a) {
			t.Fatalf("iDAO 2's agreements %v", &granted)
		}
		getProto(t, doc, base+"/v1/idaos/3/agreements", "QueryAgreementsResponse", &l)
		if len(l.Agreements) != 0 {
			t.Fatalf("iDAO 3's agreements %v", &l)
		}
		notFound(t, base+"/v1/idaos/999/agreements", idao.Name, idao.ErrNotFound.Code)
		badRequest(t, base+"/v1/idaos/x/agreements", `"x"`)
	})

	t.Run("classes", func(t *testing.T) {
		var l dat.QueryClassesResponse
		getProto(t, doc, base+"/v1/dat/classes", "QueryClassesResponse", &l)
		if len(l.Classes) != 2 || l.Classes[0].Name != "base data" || l.Classes[1].Name != "derived model" || l.Next != 0 {
			t.Fatalf("classes %v", &l)
		}
		getProto(t, doc, base+"/v1/dat/classes?idao=1", "QueryClassesResponse", &l)
		if len(l.Classes) != 2 {
			t.Fatalf("classes of iDAO 1: %v", &l)
		}
		getProto(t, doc, base+"/v1/dat/classes?idao=2", "QueryClassesResponse", &l)
		if len(l.Classes) != 0 {
			t.Fatalf("classes of iDAO 2: %v", &l)
		}
		getProto(t, doc, base+"/v1/dat/classes?limit=1", "QueryClassesResponse", &l)
		if len(l.Classes) != 1 || l.Next != 1 {
			t.Fatalf("first page %v", &l)
		}
		getProto(t, doc, base+"/v1/dat/classes?idao=1&after=1", "QueryClassesResponse", &l)
		if len(l.Classes) != 1 || l.Classes[0].Id != 2 {
			t.Fatalf("after 1: %v", &l)
		}
		badRequest(t, base+"/v1/dat/classes?idao=0", `"0"`)
		badRequest(t, base+"/v1/dat/classes?idao=x", `"x"`)
		badRequest(t, base+"/v1/dat/classes?limit=5000", "limit")
	})

	t.Run("class", func(t *testing.T) {
		var r dat.QueryClassResponse
		getProto(t, doc, base+"/v1/dat/classes/1", "QueryClassResponse", &r)
		k := r.Class
		if k.Id != 1 || k.Idao != 1 || r.IdaoName != "alpha-pool" || k.Creator != A.String() || k.IntegrityHash != sha("base") ||
			k.MetadataUri != "ipfs://base" || k.Tokens != 2 || k.TotalShare != 4 || k.TotalValue != 143 || k.Consumed != 7 ||
			k.Revenue != "250000" || k.Distributed != "250000" || k.Claimed != "0" || k.Proofs != 1 || len(k.Parents) != 0 {
			t.Fatalf("class 1: %v", &r)
		}
		if len(r.Proofs) != 1 || r.Proofs[0].Type != "tee_report" || r.Proofs[0].Uri != "ipfs://report" || r.Proofs[0].Submitter != A.String() {
			t.Fatalf("proofs %v", r.Proofs)
		}
		getProto(t, doc, base+"/v1/dat/classes/2", "QueryClassResponse", &r)
		if k := r.Class; k.Revenue != "1000000" || k.Distributed != "750000" || len(k.Parents) != 1 || k.Parents[0].Class != 1 ||
			k.Parents[0].SplitBps != 2500 || k.Depth != 1 || len(r.Proofs) != 0 {
			t.Fatalf("class 2: %v", &r)
		}
		notFound(t, base+"/v1/dat/classes/99", dat.Name, dat.ErrNotFound.Code, "class 99 does not exist")
		notFound(t, fmt.Sprintf("%s/v1/dat/classes/1?height=%d", base, before), dat.Name, dat.ErrNotFound.Code)
		badRequest(t, base+"/v1/dat/classes/abc", `"abc"`)
		badRequest(t, base+"/v1/dat/classes/0", `"0"`)
	})

	t.Run("lineage", func(t *testing.T) {
		var l dat.QueryLineageResponse
		getProto(t, doc, base+"/v1/dat/classes/2/lineage", "QueryLineageResponse", &l)
		if l.Class != 2 || len(l.Nodes) != 2 || l.Nodes[0].Class != 2 || l.Nodes[0].Distance != 0 || l.Nodes[1].Class != 1 ||
			l.Nodes[1].Distance != -1 || l.Nodes[1].Name != "base data" || l.Nodes[1].Idao != 1 || len(l.Edges) != 1 ||
			l.Edges[0].Child != 2 || l.Edges[0].Parent != 1 || l.Edges[0].SplitBps != 2500 || l.Truncated {
			t.Fatalf("lineage of 2: %v", &l)
		}
		getProto(t, doc, base+"/v1/dat/classes/1/lineage", "QueryLineageResponse", &l)
		if len(l.Nodes) != 2 || l.Nodes[1].Class != 2 || l.Nodes[1].Distance != 1 || len(l.Edges) != 1 || l.Truncated {
			t.Fatalf("lineage of 1: %v", &l)
		}
		getProto(t, doc, base+"/v1/dat/classes/1/lineage?limit=1", "QueryLineageResponse", &l)
		if len(l.Nodes) != 2 || l.Truncated {
			t.Fatalf("lineage of 1 with limit 1: %v", &l)
		}
		notFound(t, base+"/v1/dat/classes/99/lineage", dat.Name, dat.ErrNotFound.Code)
		badRequest(t, base+"/v1/dat/classes/1/lineage?limit=0", "limit")
		badRequest(t, base+"/v1/dat/classes/x/lineage", `"x"`)
	})

	t.Run("tokens of a class", func(t *testing.T) {
		var l dat.QueryTokensResponse
		getProto(t, doc, base+"/v1/dat/classes/1/tokens", "QueryTokensResponse", &l)
		if !slices.Equal(tokenIDs(l.Tokens), []uint64{1, 2}) || l.Tokens[0].Owner != B.String() || l.Tokens[1].Owner != A.String() || l.Next != 0 {
			t.Fatalf("tokens of class 1: %v", &l)
		}
		getProto(t, doc, base+"/v1/dat/classes/1/tokens?limit=1", "QueryTokensResponse", &l)
		if !slices.Equal(tokenIDs(l.Tokens), []uint64{1}) || l.Next != 1 {
			t.Fatalf("first page %v", &l)
		}
		getProto(t, doc, base+"/v1/dat/classes/1/tokens?after=2", "QueryTokensResponse", &l)
		if len(l.Tokens) != 0 {
			t.Fatalf("past the end %v", &l)
		}
		notFound(t, base+"/v1/dat/classes/99/tokens", dat.Name, dat.ErrNotFound.Code, "class 99")
		badRequest(t, base+"/v1/dat/classes/1/tokens?after=x", `"x"`)
		badRequest(t, base+"/v1/dat/classes/x/tokens", `"x"`)
	})

	t.Run("tokens of an owner", func(t *testing.T) {
		var l dat.QueryTokensResponse
		getProto(t, doc, base+"/v1/dat/tokens?owner="+B.String(), "QueryTokensResponse", &l)
		if !slices.Equal(tokenIDs(l.Tokens), []uint64{1, 3}) {
			t.Fatalf("bob's tokens %v", &l)
		}
		getProto(t, doc, base+"/v1/dat/tokens?limit=1&owner="+strings.ToLower(B.String()), "QueryTokensResponse", &l)
		if !slices.Equal(tokenIDs(l.Tokens), []uint64{1}) || l.Next != 1 {
			t.Fatalf("bob's first page %v", &l)
		}
		getProto(t, doc, base+"/v1/dat/tokens?owner="+nobody.Address().String(), "QueryTokensResponse", &l)
		if len(l.Tokens) != 0 {
			t.Fatalf("nobody's tokens %v", &l)
		}
		badRequest(t, base+"/v1/dat/tokens", "?owner=")
		badRequest(t, base+"/v1/dat/tokens?owner=0x12", "0x12")
		badRequest(t, base+"/v1/dat/tokens?owner=bob", `"bob"`)
	})

	t.Run("token", func(t *testing.T) {
		var r dat.QueryTokenResponse
		getProto(t, doc, base+"/v1/dat/tokens/1", "QueryTokenResponse", &r)
		k := r.Token
		if k.Id != 1 || k.Class != 1 || k.Owner != B.String() || k.Value != 93 || k.ShareRatio != 3 || k.Expired || r.Expired ||
			r.Pending != "187500" || len(r.Usage) != 1 || r.Usage[0].Metric != "inference" || r.Usage[0].Amount != 7 || k.MintedHeight == 0 {
			t.Fatalf("token 1: %v", &r)
		}
		getProto(t, doc, base+"/v1/dat/tokens/3", "QueryTokenResponse", &r)
		if r.Token.Class != 2 || r.Pending != "750000" || len(r.Usage) != 0 {
			t.Fatalf("token 3: %v", &r)
		}
		notFound(t, base+"/v1/dat/tokens/99", dat.Name, dat.ErrNotFound.Code, "token 99 does not exist")
		badRequest(t, base+"/v1/dat/tokens/0", `"0"`)
		badRequest(t, base+"/v1/dat/tokens/abc", `"abc"`)
	})

	t.Run("pending", func(t *testing.T) {
		var p dat.QueryPendingResponse
		getProto(t, doc, base+"/v1/dat/pending?owner="+B.String(), "QueryPendingResponse", &p)
		if p.Owner != B.String() || p.Total != "937500" || len(p.Tokens) != 2 ||
			p.Tokens[0].Token != 1 || p.Tokens[0].Class != 1 || p.Tokens[0].Pending != "187500" ||
			p.Tokens[1].Token != 3 || p.Tokens[1].Class != 2 || p.Tokens[1].Pending != "750000" {
			t.Fatalf("bob's pending %v", &p)
		}
		getProto(t, doc, base+"/v1/dat/pending?token=2", "QueryPendingResponse", &p)
		if p.Owner != A.String() || p.Total != "62500" || len(p.Tokens) != 1 || p.Tokens[0].Token != 2 {
			t.Fatalf("token 2's pending %v", &p)
		}
		getProto(t, doc, base+"/v1/dat/pending?owner="+nobody.Address().String(), "QueryPendingResponse", &p)
		if p.Total != "0" || len(p.Tokens) != 0 {
			t.Fatalf("nobody's pending %v", &p)
		}
		badRequest(t, base+"/v1/dat/pending", "exactly one")
		badRequest(t, base+"/v1/dat/pending?token=1&owner="+B.String(), "exactly one")
		badRequest(t, base+"/v1/dat/pending?token=0", `"0"`)
		badRequest(t, base+"/v1/dat/pending?token=x", `"x"`)
		badRequest(t, base+"/v1/dat/pending?owner=0x1", "0x1")
		badRequest(t, base+"/v1/dat/pending?token=1&height=x", "height")
		notFound(t, base+"/v1/dat/pending?token=99", dat.Name, dat.ErrNotFound.Code)
	})
}

// protoSchemaRE reads the proto message a component schema is generated
// from, named at the end of its description.
var protoSchemaRE = regexp.MustCompile(`\((lazchain\.[a-z_]+\.v1\.[A-Za-z0-9_]+)\)$`)

// TestOpenAPISchemasMatchTheProtos checks that every schema of
// /openapi.json generated from a proto message declares exactly that
// message's fields, as protojson writes them (proto names, every field but
// unset oneof members, 64-bit integers as strings), so the document cannot
// drift from the protos.
func TestOpenAPISchemasMatchTheProtos(t *testing.T) {
	bz, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(bz, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc.Components.Schemas
	// The proto message of each generated schema.
	messages := map[string]protoreflect.MessageDescriptor{}
	documented := map[protoreflect.FullName]string{}
	for name, s := range schemas {
		desc, _ := s["description"].(string)
		m := protoSchemaRE.FindStringSubmatch(strings.TrimSpace(desc))
		if m == nil {
			continue
		}
		mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(m[1]))
		if err != nil {
			t.Errorf("schema %s is generated from %s: %v", name, m[1], err)
			continue
		}
		md := mt.Descriptor()
		// A name another schema already has takes its module's name in
		// front: ComputeParams is lazchain.compute.v1.Params (Params is
		// the auth module's).
		module := string(md.ParentFile().Package().Parent().Name())
		if name != string(md.Name()) && name != strings.ToUpper(module[:1])+module[1:]+string(md.Name()) {
			t.Errorf("schema %s is generated from %s: the names differ", name, md.FullName())
		}
		messages[name], documented[md.FullName()] = md, name
	}
	if len(messages) < 30 {
		t.Fatalf("only %d schemas name a proto message", len(messages))
	}

	for name, md := range messages {
		s := schemas[name]
		props, _ := s["properties"].(map[string]any)
		var required []string
		for _, r := range asSlice(s["required"]) {
			required = append(required, r.(string))
		}
		var fields, always []string
		for i := 0; i < md.Fields().Len(); i++ {
			f := md.Fields().Get(i)
			fn := string(f.Name())
			fields = append(fields, fn)
			if o := f.ContainingOneof(); o == nil || o.IsSynthetic() {
				always = append(always, fn)
			}
			p, ok := props[fn].(map[string]any)
			if !ok {
				t.Errorf("schema %s lacks field %q of %s", name, fn, md.FullName())
				continue
			}
			checkFieldSchema(t, name+"."+fn, f, p, documented)
		}
		for k := range props {
			if !slices.Contains(fields, k) {
				t.Errorf("schema %s declares %q, which %s does not have (its fields: %v)", name, k, md.FullName(), fields)
			}
		}
		slices.Sort(required)
		slices.Sort(always)
		if !slices.Equal(required, always) {
			t.Errorf("schema %s requires %v; protojson always writes %v", name, required, always)
		}
	}

	// Every message a documented message holds is documented, and so is
	// every query answer of the modules.
	for full, name := range documented {
		md := messages[name]
		for i := 0; i < md.Fields().Len(); i++ {
			if sub := md.Fields().Get(i).Message(); sub != nil {
				if _, ok := documented[sub.FullName()]; !ok {
					t.Errorf("%s holds %s, which has no schema", full, sub.FullName())
				}
			}
		}
	}
	for _, m := range []proto.Message{&idao.IDAO{}, &dat.Class{}, &flow.Pool{}, &compute.Worker{}, &service.Service{}} {
		msgs := m.ProtoReflect().Descriptor().ParentFile().Messages()
		for i := 0; i < msgs.Len(); i++ {
			md := msgs.Get(i)
			if n := string(md.Name()); strings.HasPrefix(n, "Query") && strings.HasSuffix(n, "Response") {
				if _, ok := documented[md.FullName()]; !ok {
					t.Errorf("query answer %s has no schema", md.FullName())
				}
			}
		}
	}
}

// checkFieldSchema checks a property against the proto field it documents.
func checkFieldSchema(t *testing.T, where string, f protoreflect.FieldDescriptor, p map[string]any, documented map[protoreflect.FullName]string) {
	t.Helper()
	if f.IsMap() {
		t.Errorf("%s: map fields are not expected", where)
		return
	}
	if f.IsList() {
		if p["type"] != "array" {
			t.Errorf("%s: a repeated field, documented as %v", where, p)
			return
		}
		items, _ := p["items"].(map[string]any)
		if f.Message() != nil {
			if ref, _ := items["$ref"].(string); ref != "#/components/schemas/"+documented[f.Message().FullName()] {
				t.Errorf("%s: items %v, want a $ref to the schema of %s", where, items, f.Message().FullName())
			}
			return
		}
		checkScalarSchema(t, where+"[]", f, items)
		return
	}
	if f.Message() != nil {
		ref, list := refName(p)
		if list || ref == "" || ref != documented[f.Message().FullName()] {
			t.Errorf("%s: %v, want a $ref to the schema of %s", where, p, f.Message().FullName())
		}
		// protojson writes an unset message field as null.
		if !nullable(p) {
			t.Errorf("%s: a message field may be null, documented as %v", where, p)
		}
		return
	}
	checkScalarSchema(t, where, f, p)
}

// checkScalarSchema checks the type (and format) of a scalar field: what
// protojson writes for its kind.
func checkScalarSchema(t *testing.T, where string, f protoreflect.FieldDescriptor, p map[string]any) {
	t.Helper()
	typ, format := "", ""
	switch f.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.EnumKind:
		typ = "string"
	case protoreflect.BoolKind:
		typ = "boolean"
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		typ, format = "string", "int64"
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		typ, format = "string", "uint64"
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		typ, format = "integer", "int32"
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		typ, format = "integer", "uint32"
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		typ = "number"
	}
	if p["type"] != typ {
		t.Errorf("%s: type %v, want %s (protojson of %s)", where, p["type"], typ, f.Kind())
	}
	if format != "" && p["format"] != format {
		t.Errorf("%s: format %v, want %s", where, p["format"], format)
	}
}
