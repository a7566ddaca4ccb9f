package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/api"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/keyring"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/node/nodetest"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/idao"
)

// cliEnv runs the CLI in-process against one node, with --home (the
// keyring) and --node set.
type cliEnv struct {
	t    *testing.T
	ctx  context.Context
	home string
	node string
}

func (e *cliEnv) run(args ...string) (string, string, error) {
	e.t.Helper()
	return run(e.t, e.ctx, append(args, "--home", e.home, "--node", e.node)...)
}

// ok runs a command that must succeed and returns its stdout.
func (e *cliEnv) ok(args ...string) string {
	e.t.Helper()
	out, stderr, err := e.run(args...)
	if err != nil {
		e.t.Fatalf("lazchain %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, stderr)
	}
	return out
}

// text runs a command that must succeed and checks that its text output
// holds each of wants.
func (e *cliEnv) text(wants []string, args ...string) string {
	e.t.Helper()
	out := e.ok(args...)
	for _, w := range wants {
		if !strings.Contains(out, w) {
			e.t.Errorf("lazchain %s: output lacks %q:\n%s", strings.Join(args, " "), w, out)
		}
	}
	return out
}

// fails runs a command that must fail with an error mentioning each of
// wants, and returns the error's text.
func (e *cliEnv) fails(wants []string, args ...string) string {
	e.t.Helper()
	out, _, err := e.run(args...)
	if err == nil {
		e.t.Fatalf("lazchain %s succeeded, want an error mentioning %q; stdout:\n%s", strings.Join(args, " "), wants, out)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			e.t.Errorf("lazchain %s: error %q does not mention %q", strings.Join(args, " "), err, w)
		}
	}
	return err.Error()
}

// tx runs a tx command with --output json; the tx must commit with code 0.
func (e *cliEnv) tx(args ...string) *client.TxResult {
	e.t.Helper()
	out := e.ok(append(args, "-o", "json")...)
	var r client.TxResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		e.t.Fatalf("lazchain %s -o json: %v\n%s", strings.Join(args, " "), err, out)
	}
	if r.Code != 0 || r.Height == 0 {
		e.t.Fatalf("lazchain %s: %+v", strings.Join(args, " "), r)
	}
	return &r
}

// newID runs a tx command and reads the id it created from its events.
func (e *cliEnv) newID(event, key string, args ...string) uint64 {
	e.t.Helper()
	id, err := e.tx(args...).NewID(event, key)
	if err != nil {
		e.t.Fatalf("lazchain %s: %v", strings.Join(args, " "), err)
	}
	return id
}

// query runs a query with --output json and decodes the answer strictly
// (an unknown field is an error) into m.
func (e *cliEnv) query(m proto.Message, args ...string) {
	e.t.Helper()
	out := e.ok(append(args, "-o", "json")...)
	if err := protojson.Unmarshal([]byte(out), m); err != nil {
		e.t.Fatalf("lazchain %s -o json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// balance is an account's balance in ulaz, through the CLI.
func (e *cliEnv) balance(who string) uint64 {
	e.t.Helper()
	var b struct {
		Amount string `json:"amount"`
	}
	out := e.ok("query", "bank", "balance", who, "-o", "json")
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		e.t.Fatal(err)
	}
	n, err := tx.ParseBaseUnits(b.Amount)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// fee is what a tx paid, in ulaz.
func fee(t *testing.T, r *client.TxResult) uint64 {
	t.Helper()
	n, err := tx.ParseBaseUnits(r.Fee)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// attr is an event attribute of a tx, which must be there.
func attr(t *testing.T, r *client.TxResult, typ, key string) string {
	t.Helper()
	v, ok := r.Attr(typ, key)
	if !ok {
		t.Fatalf("tx %s has no %s.%s: %+v", r.Hash, typ, key, r.Events)
	}
	return v
}

func member(t *testing.T, ms []*idao.Member, a tx.Address) *idao.Member {
	t.Helper()
	for _, m := range ms {
		if m.Address == a.String() {
			return m
		}
	}
	t.Fatalf("%s is not among the members %v", a, ms)
	return nil
}

func policy(t *testing.T, ps []*idao.PolicyValue, key string) *idao.PolicyValue {
	t.Helper()
	for _, p := range ps {
		if p.Key == key {
			return p
		}
	}
	t.Fatalf("no policy %q in %v", key, ps)
	return nil
}

func tokenIDs(ts []*dat.Token) []uint64 {
	out := make([]uint64, len(ts))
	for i, tk := range ts {
		out[i] = tk.Id
	}
	return out
}

// TestIDAOAndDATThroughTheCLI walks a user through the idao and dat
// commands against a real node: forming and governing an iDAO, anchoring
// classes with lineage, minting, using and paying for tokens, claiming the
// revenue, and every query, in text and JSON; then the errors a person
// gets for refused txs and bad flags.
func TestIDAOAndDATThroughTheCLI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	alice, bob, carol := tx.DeterministicKey("cli-dat/alice"), tx.DeterministicKey("cli-dat/bob"), tx.DeterministicKey("cli-dat/carol")
	const funds = 1000 * tx.UnitsPerLAZ
	home := nodetest.Init(t, "cli-dat",
		bank.Balance{Address: alice.Address(), Amount: tx.FormatBaseUnits(funds)},
		bank.Balance{Address: bob.Address(), Amount: tx.FormatBaseUnits(funds)},
		bank.Balance{Address: carol.Address(), Amount: tx.FormatBaseUnits(funds)})
	kr := keyring.Open(home)
	for name, k := range map[string]*tx.PrivateKey{"alice": alice, "bob": bob, "carol": carol} {
		if _, err := kr.StoreTest(name, k); err != nil {
			t.Fatal(err)
		}
	}
	n := nodetest.Start(t, home, node.StartOptions{})
	e := &cliEnv{t: t, ctx: ctx, home: home, node: n.RPCURL()}

	// --- iDAOs: create, fund, propose, vote ---
	res := e.tx("tx", "idao", "create", "med-imaging", "--description", "radiology scans", "--roles", "data_provider", "--from", "alice")
	if id := attr(t, res, "idao_create", "idao"); id != "1" || res.Signer != alice.Address().String() {
		t.Fatalf("create: iDAO %s, signer %s", id, res.Signer)
	}
	created := strconv.FormatInt(res.Height, 10)
	if lab := e.newID("idao_create", "idao", "tx", "idao", "create", "model-lab", "--from", "carol"); lab != 2 {
		t.Fatalf("second iDAO has id %d", lab)
	}
	treasury := idao.TreasuryAddress(1)
	e.tx("tx", "idao", "fund", "1", "100laz", "--from", "alice")
	if got := e.balance(treasury.String()); got != 100*tx.UnitsPerLAZ {
		t.Fatalf("treasury holds %d ulaz after funding", got)
	}

	actions := filepath.Join(t.TempDir(), "actions.json")
	if err := os.WriteFile(actions, []byte(`[
		{"set_policy": {"key": "x-homepage", "value": "https://med.example"}},
		{"set_policy": {"key": "voting_period", "value": "50"}}
	]`), 0o600); err != nil {
		t.Fatal(err)
	}
	pid := e.newID("idao_proposal", "proposal", "tx", "idao", "propose", "1", "--title", "admit bob, pay carol",
		"--description", "bob brings scans; carol labelled them",
		"--add-member", "bob:data_provider,validator:2", "--spend", "carol:12.5laz", "--actions", actions, "--from", "alice")
	if pid != 1 {
		t.Fatalf("proposal id %d", pid)
	}
	var prop idao.QueryProposalResponse
	e.query(&prop, "query", "idao", "proposal", "1", "1")
	p := prop.Proposal
	if p.Status != idao.StatusOpen || p.Yes != 0 || len(p.Actions) != 4 || p.QuorumBps != 5001 ||
		p.VotingEndHeight != p.SubmitHeight+99 || p.Proposer != alice.Address().String() || len(prop.Votes) != 0 || prop.TotalWeight != 1 {
		t.Fatalf("open proposal %v", &prop)
	}
	// The flags' actions come first, in flag order, then the file's.
	if am := p.Actions[0].GetAddMember(); am == nil || am.Address != bob.Address().String() || am.Weight != 2 || !slices.Equal(am.Roles, []string{"data_provider", "validator"}) {
		t.Fatalf("action 0: %v", p.Actions[0])
	}
	if sp := p.Actions[1].GetSpendTreasury(); sp == nil || sp.To != carol.Address().String() || sp.Amount != "12500000" {
		t.Fatalf("action 1: %v", p.Actions[1])
	}
	if pol := p.Actions[3].GetSetPolicy(); pol == nil || pol.Key != "voting_period" || pol.Value != "50" {
		t.Fatalf("action 3: %v", p.Actions[3])
	}
	var open idao.QueryProposalsResponse
	e.query(&open, "query", "idao", "proposals", "1", "--status", "open")
	if len(open.Proposals) != 1 || open.Proposals[0].Id != 1 {
		t.Fatalf("open proposals %v", &open)
	}

	carolBefore := e.balance("carol")
	res = e.tx("tx", "idao", "vote", "1", "1", "yes", "--from", "alice")
	if attr(t, res, "idao_vote", "option") != "yes" {
		t.Fatalf("vote events %+v", res.Events)
	}
	// Alice holds all the weight: the proposal ran at the end of the block.
	e.query(&prop, "query", "idao", "proposal", "1", "1")
	if p := prop.Proposal; p.Status != idao.StatusPassed || p.Yes != 1 || p.ClosedHeight != res.Height || len(prop.Votes) != 1 ||
		prop.Votes[0].Voter != alice.Address().String() || prop.Votes[0].Option != idao.VoteOption_VOTE_OPTION_YES || prop.TotalWeight != 3 {
		t.Fatalf("passed proposal %v (vote in block %d)", &prop, res.Height)
	}
	if got := e.balance("carol") - carolBefore; got != 12_500_000 {
		t.Fatalf("carol received %d ulaz from the treasury, want 12500000", got)
	}
	e.text([]string{`proposal 1 of iDAO 1: "admit bob, pay carol" — passed`, "yes 1 no 0 abstain 0",
		"action 1: add member " + bob.Address().String() + " as data_provider,validator, weight 2",
		"action 2: spend 12.5 LAZ from the treasury to " + carol.Address().String(),
		`action 3: set policy x-homepage = "https://med.example"`,
		"total weight 3; votes:", alice.Address().String() + " yes     weight 1"},
		"query", "idao", "proposal", "1", "1")
	e.text([]string{"no proposals"}, "query", "idao", "proposals", "1", "--status", "open")
	var closed idao.QueryProposalsResponse
	e.query(&closed, "query", "idao", "proposals", "1", "--status", "closed")
	if len(closed.Proposals) != 1 || closed.Proposals[0].Status != idao.StatusPassed {
		t.Fatalf("closed proposals %v", &closed)
	}

	var show idao.QueryIDAOResponse
	e.query(&show, "query", "idao", "show", "1")
	d := show.Idao
	if d.Id != 1 || d.Name != "med-imaging" || d.Description != "radiology scans" || d.Creator != alice.Address().String() ||
		d.Treasury != treasury.String() || d.Members != 2 || d.Admins != 1 || d.TotalWeight != 3 || d.NextProposal != 2 ||
		show.TreasuryBalance != "87500000" {
		t.Fatalf("show 1: %v", &show)
	}
	if vp := policy(t, show.Policies, "voting_period"); vp.Value != "50" || vp.Default || vp.Type != idao.TypeBlocks {
		t.Fatalf("voting_period %v", vp)
	}
	if q := policy(t, show.Policies, "quorum_bps"); q.Value != "5001" || !q.Default {
		t.Fatalf("quorum_bps %v", q)
	}
	if hp := policy(t, show.Policies, "x-homepage"); hp.Value != "https://med.example" || hp.Type != idao.TypeText {
		t.Fatalf("x-homepage %v", hp)
	}
	var byName idao.QueryIDAOResponse
	e.query(&byName, "query", "idao", "show", "med-imaging")
	if !proto.Equal(&byName, &show) {
		t.Fatalf("show by name %v, by id %v", &byName, &show)
	}
	e.text([]string{"iDAO 1  med-imaging", "radiology scans", "treasury  " + treasury.String() + " holding 87.5 LAZ",
		"members   2 (1 admins), total weight 3", "proposals 1", "voting_period      50 [blocks]",
		"quorum_bps         5001 [bps] (default)", "x-homepage"},
		"query", "idao", "show", "med-imaging")

	// A name may be all digits: show finds it when no iDAO has that id.
	if id := e.newID("idao_create", "idao", "tx", "idao", "create", "lab-2024", "--from", "bob"); id != 3 {
		t.Fatalf("iDAO lab-2024 has id %d", id)
	}
	e.query(&byName, "query", "idao", "show", "lab-2024")
	if byName.Idao.Id != 3 || byName.Idao.Name != "lab-2024" {
		t.Fatalf("show lab-2024: %v", &byName)
	}
	e.query(&byName, "query", "idao", "show", "3")
	if byName.Idao.Name != "lab-2024" {
		t.Fatalf("show 3: %v", &byName)
	}

	var list idao.QueryIDAOsResponse
	e.query(&list, "query", "idao", "list")
	if len(list.Idaos) != 3 || list.Idaos[0].Name != "med-imaging" || list.Idaos[1].Name != "model-lab" || list.Next != 0 {
		t.Fatalf("list %v", &list)
	}
	e.text([]string{"med-imaging", "members 2", "more: --after 1"}, "query", "idao", "list", "--limit", "1")
	e.query(&list, "query", "idao", "list", "--after", "1")
	if len(list.Idaos) != 2 || list.Idaos[0].Id != 2 {
		t.Fatalf("list after 1: %v", &list)
	}

	var members idao.QueryMembersResponse
	e.query(&members, "query", "idao", "members", "1")
	if len(members.Members) != 2 {
		t.Fatalf("members %v", &members)
	}
	if m := member(t, members.Members, bob.Address()); m.Weight != 2 || !slices.Equal(m.Roles, []string{"data_provider", "validator"}) {
		t.Fatalf("bob %v", m)
	}
	if m := member(t, members.Members, alice.Address()); m.Weight != 1 || !slices.Contains(m.Roles, idao.RoleAdmin) || !slices.Contains(m.Roles, idao.RoleDataProvider) {
		t.Fatalf("alice %v", m)
	}
	e.text([]string{bob.Address().String() + "  weight 2      data_provider,validator"}, "query", "idao", "members", "1")

	// --- DAT classes, tokens, usage, revenue ---
	class1 := e.newID("dat_class", "class", "tx", "dat", "create-class", "chest x-rays v1", "--idao", "1",
		"--integrity-hash", sha("chest x-rays"), "--metadata-uri", "ipfs://xrays", "--policy-uri", "ipfs://terms", "--from", "alice")
	class2 := e.newID("dat_class", "class", "tx", "dat", "create-class", "x-ray model", "--idao", "1",
		"--integrity-hash", sha("x-ray model"), "--parent", "1:3000", "--from", "alice")
	if class1 != 1 || class2 != 2 {
		t.Fatalf("classes %d, %d", class1, class2)
	}
	mints := []struct {
		class, to, value, share string
		want                    uint64
	}{{"1", "bob", "1000", "10", 1}, {"1", "alice", "500", "30", 2}, {"2", "carol", "100", "5", 3}}
	for _, m := range mints {
		if id := e.newID("dat_mint", "token", "tx", "dat", "mint", m.class, m.to, "--value", m.value, "--share", m.share, "--from", "alice"); id != m.want {
			t.Fatalf("mint %+v: token %d", m, id)
		}
	}
	e.tx("tx", "dat", "transfer-value", "1", "2", "100", "--from", "bob")
	res = e.tx("tx", "dat", "record-usage", "1", "10", "--metric", "training", "--from", "bob")
	if attr(t, res, "dat_usage", "remaining") != "890" {
		t.Fatalf("usage events %+v", res.Events)
	}
	// 100 LAZ to class 2: 30% goes up to class 1 (split 10:30 between
	// tokens 1 and 2), 70% to token 3, class 2's only holder.
	e.tx("tx", "dat", "settle-revenue", "2", "100laz", "--from", "carol")
	var pend dat.QueryPendingResponse
	e.query(&pend, "query", "dat", "pending", "--owner", "bob")
	if pend.Owner != bob.Address().String() || pend.Total != "7500000" || len(pend.Tokens) != 1 ||
		pend.Tokens[0].Token != 1 || pend.Tokens[0].Class != 1 || pend.Tokens[0].Pending != "7500000" {
		t.Fatalf("bob's pending %v", &pend)
	}
	e.query(&pend, "query", "dat", "pending", "--owner", alice.Address().String())
	if pend.Total != "22500000" {
		t.Fatalf("alice's pending %v", &pend)
	}
	e.query(&pend, "query", "dat", "pending", "--token", "3")
	if pend.Owner != carol.Address().String() || pend.Total != "70000000" || len(pend.Tokens) != 1 {
		t.Fatalf("token 3's pending %v", &pend)
	}
	e.text([]string{bob.Address().String() + " can claim 7.5 LAZ (7500000 ulaz)", "token 1      class 1    7.5 LAZ (7500000 ulaz)"},
		"query", "dat", "pending", "--owner", "bob")
	var cls dat.QueryClassResponse
	e.query(&cls, "query", "dat", "class", "2")
	if c := cls.Class; c.Revenue != "100000000" || c.Distributed != "70000000" || c.TotalShare != 5 || c.Tokens != 1 ||
		len(c.Parents) != 1 || c.Parents[0].Class != 1 || c.Parents[0].SplitBps != 3000 || c.Depth != 1 || cls.IdaoName != "med-imaging" {
		t.Fatalf("class 2: %v", &cls)
	}
	e.query(&cls, "query", "dat", "class", "1")
	if c := cls.Class; c.Revenue != "30000000" || c.Distributed != "30000000" || c.TotalShare != 40 || c.TotalValue != 1490 ||
		c.Consumed != 10 || c.Tokens != 2 || c.IntegrityHash != sha("chest x-rays") || c.MetadataUri != "ipfs://xrays" {
		t.Fatalf("class 1: %v", &cls)
	}

	// Claims: bob's one token, then the same again (nothing left), then
	// alice's claim-all.
	bobBefore := e.balance("bob")
	res = e.tx("tx", "dat", "claim", "1", "--from", "bob")
	if attr(t, res, "dat_claim", "amount") != "7500000" {
		t.Fatalf("claim events %+v", res.Events)
	}
	if got := e.balance("bob") + fee(t, res) - bobBefore; got != 7_500_000 {
		t.Fatalf("bob gained %d ulaz by claiming", got)
	}
	e.query(&pend, "query", "dat", "pending", "--owner", "bob")
	if pend.Total != "0" || len(pend.Tokens) != 0 {
		t.Fatalf("bob's pending after the claim: %v", &pend)
	}
	// A tx the chain refuses exits non-zero with its code and reason:
	// caught by the simulation (--gas auto) or by the node (--gas N).
	e.fails([]string{"dat/16", "token 1 has less than 1 ulaz of revenue pending"}, "tx", "dat", "claim", "1", "--from", "bob")
	e.fails([]string{"refused by the node", "dat/16", "revenue pending"}, "tx", "dat", "claim", "1", "--gas", "200000", "--from", "bob")
	res = e.tx("tx", "dat", "claim-all", "--from", "alice")
	if attr(t, res, "dat_claim_all", "total") != "22500000" || attr(t, res, "dat_claim_all", "tokens") != "1" {
		t.Fatalf("claim-all events %+v", res.Events)
	}

	// Split and merge back.
	if id := e.newID("dat_split", "new_token", "tx", "dat", "split", "1", "--value", "400", "--share", "4", "--from", "bob"); id != 4 {
		t.Fatalf("split made token %d", id)
	}
	var tok dat.QueryTokenResponse
	e.query(&tok, "query", "dat", "token", "1")
	if tok.Token.Value != 490 || tok.Token.ShareRatio != 6 {
		t.Fatalf("token 1 after the split: %v", &tok)
	}
	e.query(&tok, "query", "dat", "token", "4")
	if tok.Token.Value != 400 || tok.Token.ShareRatio != 4 || tok.Token.Owner != bob.Address().String() || tok.Token.Class != 1 {
		t.Fatalf("token 4: %v", &tok)
	}
	e.tx("tx", "dat", "merge", "1", "4", "--from", "bob")
	e.query(&tok, "query", "dat", "token", "1")
	if tok.Token.Value != 890 || tok.Token.ShareRatio != 10 {
		t.Fatalf("token 1 after the merge: %v", &tok)
	}
	e.fails([]string{"token 4 does not exist"}, "query", "dat", "token", "4")

	// Transfer, and operators: for a class, then for some value of a token.
	e.tx("tx", "dat", "transfer", "1", "carol", "--from", "bob")
	var toks dat.QueryTokensResponse
	e.query(&toks, "query", "dat", "tokens", "--owner", "carol")
	if !slices.Equal(tokenIDs(toks.Tokens), []uint64{1, 3}) {
		t.Fatalf("carol's tokens %v", &toks)
	}
	e.tx("tx", "dat", "approve-class", "bob", "1", "--from", "carol")
	e.tx("tx", "dat", "transfer-value", "1", "2", "90", "--from", "bob")
	e.tx("tx", "dat", "approve-class", "bob", "1", "--revoke", "--from", "carol")
	e.fails([]string{"dat/3", "may not move"}, "tx", "dat", "transfer-value", "1", "2", "1", "--from", "bob")
	e.tx("tx", "dat", "approve-value", "3", "bob", "5", "--from", "carol")
	e.tx("tx", "dat", "record-usage", "3", "5", "--from", "bob")
	e.fails([]string{"dat/3", "may not record usage of token 3"}, "tx", "dat", "record-usage", "3", "1", "--from", "bob")
	e.query(&toks, "query", "dat", "tokens", "--class", "1")
	if len(toks.Tokens) != 2 || toks.Tokens[0].Value != 800 || toks.Tokens[0].Owner != carol.Address().String() || toks.Tokens[1].Value != 690 {
		t.Fatalf("class 1's tokens %v", &toks)
	}
	e.text([]string{"     1  class 1    owner " + carol.Address().String() + " value 800", "     2  class 1    owner " + alice.Address().String() + " value 690"},
		"query", "dat", "tokens", "--class", "1")

	// Proofs, about the class and about a token.
	e.tx("tx", "dat", "add-proof", "1", "--type", "tee_report", "--uri", "ipfs://report", "--digest", sha("report"), "--from", "alice")
	e.tx("tx", "dat", "add-proof", "1", "--token", "2", "--type", "zk_proof", "--uri", "ipfs://zk", "--digest", sha("zk"), "--from", "alice")
	e.query(&cls, "query", "dat", "class", "1")
	if len(cls.Proofs) != 2 || cls.Proofs[0].Type != "tee_report" || cls.Proofs[0].Token != 0 || cls.Proofs[0].Submitter != alice.Address().String() ||
		cls.Proofs[1].Token != 2 || cls.Proofs[1].Digest != sha("zk") || cls.Class.Proofs != 2 {
		t.Fatalf("proofs %v", &cls)
	}
	e.text([]string{"class 1  chest x-rays v1", "iDAO            1 (med-imaging)", "integrity hash  " + sha("chest x-rays"),
		"metadata        ipfs://xrays", "policy          ipfs://terms", "tee_report ipfs://report", "tokens 2, total share 40",
		"revenue 30 LAZ (30000000 ulaz)"}, "query", "dat", "class", "1")

	// Lineage: a third class becomes a second parent of class 2; making
	// class 2 a parent of class 1 would close a cycle.
	if id := e.newID("dat_class", "class", "tx", "dat", "create-class", "radiology labels", "--idao", "1", "--integrity-hash", sha("labels"), "--from", "alice"); id != 3 {
		t.Fatalf("class %d", id)
	}
	e.tx("tx", "dat", "add-parent", "2", "3", "1000", "--from", "alice")
	// A token that expires, at a height or a time (ids are not reused:
	// token 4 was merged away).
	if id := e.newID("dat_mint", "token", "tx", "dat", "mint", "3", "bob", "--value", "5",
		"--expire-height", "1000000", "--expire-time", "2099-01-01T00:00:00Z", "--from", "alice"); id != 5 {
		t.Fatalf("token %d", id)
	}
	e.query(&tok, "query", "dat", "token", "5")
	if k := tok.Token; k.ExpireAtHeight != 1000000 || k.ExpireAtTime != time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC).Unix() || k.Expired || tok.Expired || k.ShareRatio != 0 {
		t.Fatalf("token 5: %v", &tok)
	}
	e.text([]string{"expiry  at height 1000000 or 2099-01-01T00:00:00Z"}, "query", "dat", "token", "5")
	e.fails([]string{"dat/6", "cycle", "class 1 is an ancestor of class 2"}, "tx", "dat", "add-parent", "1", "2", "500", "--from", "alice")
	var lin dat.QueryLineageResponse
	e.query(&lin, "query", "dat", "lineage", "2")
	if lin.Class != 2 || len(lin.Nodes) != 3 || lin.Nodes[0].Class != 2 || lin.Nodes[0].Distance != 0 ||
		lin.Nodes[1].Distance != -1 || lin.Nodes[2].Distance != -1 || len(lin.Edges) != 2 || lin.Truncated ||
		lin.Edges[0].Child != 2 || lin.Edges[0].Parent != 1 || lin.Edges[0].SplitBps != 3000 ||
		lin.Edges[1].Parent != 3 || lin.Edges[1].SplitBps != 1000 {
		t.Fatalf("lineage of 2: %v", &lin)
	}
	e.query(&lin, "query", "dat", "lineage", "1")
	if len(lin.Nodes) != 2 || lin.Nodes[1].Class != 2 || lin.Nodes[1].Distance != 1 || lin.Nodes[1].Name != "x-ray model" {
		t.Fatalf("lineage of 1: %v", &lin)
	}
	e.text([]string{"lineage of class 2 (3 classes, 2 edges)", "class 1    chest x-rays v1", "ancestor, 1 up", "2 -> 3  1000 bps"},
		"query", "dat", "lineage", "2")
	e.text([]string{"descendant, 1 down"}, "query", "dat", "lineage", "1")

	var classes dat.QueryClassesResponse
	e.query(&classes, "query", "dat", "classes", "--idao", "1")
	if len(classes.Classes) != 3 || classes.Classes[2].Name != "radiology labels" {
		t.Fatalf("classes of iDAO 1: %v", &classes)
	}
	e.query(&classes, "query", "dat", "classes", "--limit", "2")
	if len(classes.Classes) != 2 || classes.Next != 2 {
		t.Fatalf("first page of classes: %v", &classes)
	}
	e.text([]string{"no classes"}, "query", "dat", "classes", "--idao", "2")
	e.text([]string{"chest x-rays v1", "x-ray model", "more: --after 2"}, "query", "dat", "classes", "--limit", "2")

	e.query(&tok, "query", "dat", "token", "3")
	if tok.Token.Owner != carol.Address().String() || tok.Token.Value != 95 || tok.Pending != "70000000" || tok.Expired ||
		len(tok.Usage) != 1 || tok.Usage[0].Metric != "inference" || tok.Usage[0].Amount != 5 {
		t.Fatalf("token 3: %v", &tok)
	}
	e.text([]string{"token 3 of class 2, owned by " + carol.Address().String(), "value   95 units", "pending 70 LAZ (70000000 ulaz)",
		"expiry  never", "used    5 units of inference"}, "query", "dat", "token", "3")

	// --- Agreements between iDAOs ---
	// iDAO 1 offers class 1 to iDAO 2: alice abstains, bob's 2 of 3 pass it.
	e.newID("idao_proposal", "proposal", "tx", "idao", "propose", "1", "--title", "license x-rays to model-lab",
		"--offer-agreement", "grantee=2,class=1,price=10ulaz,quota=1000,split=5000,expire=100000", "--from", "alice")
	e.tx("tx", "idao", "vote", "1", "2", "abstain", "--from", "alice")
	e.tx("tx", "idao", "vote", "1", "2", "yes", "--from", "bob")
	var ags idao.QueryAgreementsResponse
	e.query(&ags, "query", "idao", "agreements", "1")
	if len(ags.Agreements) != 1 {
		t.Fatalf("agreements of iDAO 1: %v", &ags)
	}
	a := ags.Agreements[0]
	if a.Id != 1 || a.Grantor != 1 || a.Grantee != 2 || a.Class != 1 || a.Status != "offered" || a.Terms.GetPricePerUnit() != "10" ||
		a.Terms.GetQuota() != 1000 || a.Terms.GetRevenueSplitBps() != 5000 || a.Terms.GetExpireHeight() != 100000 || a.OfferedHeight == 0 {
		t.Fatalf("offered agreement %v", a)
	}
	e.newID("idao_proposal", "proposal", "tx", "idao", "propose", "2", "--title", "accept the x-rays", "--accept-agreement", "1", "--from", "carol")
	e.tx("tx", "idao", "vote", "2", "1", "yes", "--from", "carol")
	// carol, for iDAO 2, uses 20 units of token 1 at 10 ulaz each: half to
	// class 1's holders, half to iDAO 1's treasury.
	res = e.tx("tx", "dat", "record-usage", "1", "20", "--idao", "2", "--metric", "inference", "--from", "carol")
	if attr(t, res, "dat_usage", "price") != "200" || attr(t, res, "dat_usage", "agreement") != "1" {
		t.Fatalf("usage under the agreement: %+v", res.Events)
	}
	e.query(&ags, "query", "idao", "agreements", "2")
	if len(ags.Agreements) != 1 || ags.Agreements[0].Status != "active" || ags.Agreements[0].Used != 20 || ags.Agreements[0].AcceptedHeight == 0 {
		t.Fatalf("agreements of iDAO 2: %v", &ags)
	}
	e.text([]string{"agreement 1: iDAO 1 grants iDAO 2 class 1 — active; 10 ulaz/unit, 20 of 1000 units used, 5000 bps to holders, until height 100000"},
		"query", "idao", "agreements", "1")
	e.query(&show, "query", "idao", "show", "1")
	if show.TreasuryBalance != "87500100" {
		t.Fatalf("iDAO 1's treasury after the paid usage: %s", show.TreasuryBalance)
	}
	e.text([]string{"no agreements"}, "query", "idao", "agreements", "1", "--height", created)

	// --- Bad input: each error names the flag or argument ---
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tx", "dat", "create-class", "x", "--integrity-hash", sha("x"), "--from", "alice"}, "--idao"},
		{[]string{"tx", "dat", "create-class", "x", "--idao", "1", "--from", "alice"}, "--integrity-hash"},
		{[]string{"tx", "dat", "create-class", "x", "--idao", "1", "--integrity-hash", sha("x"), "--parent", "1", "--from", "alice"}, "--parent"},
		{[]string{"tx", "dat", "create-class", "x", "--idao", "1", "--integrity-hash", sha("x"), "--parent", "1:20000", "--from", "alice"}, "--parent"},
		{[]string{"tx", "dat", "create-class", "x", "--idao", "1", "--integrity-hash", sha("x"), "--allowed-service", "nobody", "--from", "alice"}, "--allowed-service"},
		{[]string{"tx", "dat", "mint", "1", "bob", "--from", "alice"}, "--value"},
		{[]string{"tx", "dat", "mint", "1", "bob", "--value", "1", "--expire-time", "soon", "--from", "alice"}, "--expire-time"},
		{[]string{"tx", "dat", "mint", "1", "nobody", "--value", "1", "--from", "alice"}, "TO"},
		{[]string{"tx", "dat", "mint", "one", "bob", "--value", "1", "--from", "alice"}, "CLASS"},
		{[]string{"tx", "dat", "mint", "1", "bob", "--value", "1"}, "--from"},
		{[]string{"tx", "dat", "mint", "1", "bob", "--value", "1", "--from", "mallory"}, "--from"},
		{[]string{"tx", "dat", "add-proof", "1", "--uri", "u", "--digest", sha("d"), "--from", "alice"}, "--type"},
		{[]string{"tx", "dat", "add-parent", "2", "x", "1000", "--from", "alice"}, "PARENT"},
		{[]string{"tx", "dat", "add-parent", "2", "3", "lots", "--from", "alice"}, "BPS"},
		{[]string{"tx", "dat", "add-parent", "2", "3", "10001", "--from", "alice"}, "BPS"},
		{[]string{"tx", "dat", "transfer-value", "1", "2", "0", "--from", "bob"}, `VALUE "0"`},
		{[]string{"tx", "dat", "record-usage", "1", "none", "--from", "bob"}, `AMOUNT "none"`},
		{[]string{"tx", "dat", "settle-revenue", "1", "100", "--from", "carol"}, "AMOUNT"},
		{[]string{"tx", "dat", "merge", "1", "--from", "bob"}, "at least 2"},
		{[]string{"tx", "idao", "propose", "1", "--title", "nothing", "--from", "alice"}, "--actions"},
		{[]string{"tx", "idao", "propose", "1", "--add-member", "bob:validator:1", "--from", "alice"}, "--title"},
		{[]string{"tx", "idao", "propose", "1", "--title", "t", "--add-member", "bob:1", "--from", "alice"}, "--add-member"},
		{[]string{"tx", "idao", "propose", "1", "--title", "t", "--add-member", "bob:validator:heavy", "--from", "alice"}, "--add-member weight"},
		{[]string{"tx", "idao", "propose", "1", "--title", "t", "--spend", "carol", "--from", "alice"}, "--spend"},
		{[]string{"tx", "idao", "propose", "1", "--title", "t", "--spend", "carol:5", "--from", "alice"}, "--spend"},
		{[]string{"tx", "idao", "propose", "1", "--title", "t", "--set-policy", "quorum_bps", "--from", "alice"}, "--set-policy"},
		{[]string{"tx", "idao", "propose", "1", "--title", "t", "--offer-agreement", "grantee=2,class=1", "--from", "alice"}, "quota="},
		{[]string{"tx", "idao", "propose", "1", "--title", "t", "--offer-agreement", "grantee=2,class=1,quota=1,expire=9,tip=1", "--from", "alice"}, `unknown key "tip"`},
		{[]string{"tx", "idao", "propose", "1", "--title", "t", "--actions", filepath.Join(t.TempDir(), "missing.json"), "--from", "alice"}, "--actions"},
		{[]string{"tx", "idao", "propose", "1", "--title", "t", "--actions", writeFile(t, `{"set_policy":{}}`), "--from", "alice"}, "JSON array"},
		{[]string{"tx", "idao", "propose", "1", "--title", "t", "--actions", writeFile(t, `[{}]`), "--from", "alice"}, "action 1 is empty"},
		{[]string{"tx", "idao", "vote", "1", "1", "maybe", "--from", "alice"}, "yes, no or abstain"},
		{[]string{"tx", "idao", "fund", "1", "0laz", "--from", "alice"}, "AMOUNT"},
		{[]string{"tx", "idao", "fund", "0", "1laz", "--from", "alice"}, "IDAO"},
		{[]string{"tx", "idao", "create", "Bad Name", "--from", "alice"}, "idao/2"},
		{[]string{"query", "idao", "show", "999"}, "iDAO 999 does not exist"},
		{[]string{"query", "idao", "show", "no-such-dao"}, `no iDAO is called "no-such-dao"`},
		{[]string{"query", "idao", "proposals", "1", "--status", "done"}, "--status"},
		{[]string{"query", "idao", "proposal", "1", "99"}, "proposal 99 of iDAO 1 does not exist"},
		{[]string{"query", "idao", "list", "--after", "x"}, "--after"},
		{[]string{"query", "dat", "tokens"}, "--owner"},
		{[]string{"query", "dat", "tokens", "--owner", "bob", "--class", "1"}, "exactly one"},
		{[]string{"query", "dat", "tokens", "--owner", "nobody"}, "--owner"},
		{[]string{"query", "dat", "pending"}, "--token"},
		{[]string{"query", "dat", "class", "99"}, "class 99 does not exist"},
		{[]string{"query", "dat", "class", "0"}, "CLASS"},
		{[]string{"query", "dat", "lineage", "99"}, "class 99 does not exist"},
	} {
		e.fails([]string{c.want}, c.args...)
	}
	// A misspelt action kind in --actions is refused here, not dropped.
	typo := writeFile(t, `[{"add_member":{"address":"`+bob.Address().String()+`"}},{"add_membr":{"address":"x"}}]`)
	e.fails([]string{"--actions " + typo + ": action 2:", `unknown field "add_membr"`}, "tx", "idao", "propose", "1", "--title", "t", "--actions", typo, "--from", "alice")
}

// writeFile writes content to a new temporary file and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A committed tx that failed prints FAILED with its code and reason, and
// the command ends with exit status 1.
func TestPrintFailedTx(t *testing.T) {
	var buf bytes.Buffer
	printTxResult(&buf, &client.TxResult{Hash: "AB", Height: 7, Code: 16, Codespace: "dat", Log: "token 1 has less than 1 ulaz of revenue pending", Fee: "12"})
	for _, want := range []string{"tx AB FAILED in block 7", "code    16 (dat)", "error   token 1 has less than 1 ulaz of revenue pending"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestDevnetDemo starts a node on the home `lazchain devnet` prepares and
// checks the demo it promises: iDAO 1 with alice as admin, bob as data
// provider and a funded treasury; class 1 with tokens of both; and the
// commands the devnet suggests.
func TestDevnetDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	home := filepath.Join(t.TempDir(), "devnet")
	cmd := newRootCmd()
	var stderr bytes.Buffer
	cmd.SetErr(&stderr)
	cmd.SetOut(io.Discard)
	if err := prepareDevnetHome(cmd, home, "devnet-demo", false, nodetest.BlockTime); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "Created a new devnet home") {
		t.Fatalf("stderr: %s", stderr.String())
	}
	// A second run keeps the home.
	if err := prepareDevnetHome(cmd, home, "devnet-demo", false, nodetest.BlockTime); err != nil {
		t.Fatal(err)
	}
	n := nodetest.Start(t, home, node.StartOptions{})
	e := &cliEnv{t: t, ctx: ctx, home: home, node: n.RPCURL()}
	alice, bob := tx.DeterministicKey("devnet/alice").Address(), tx.DeterministicKey("devnet/bob").Address()

	var show idao.QueryIDAOResponse
	e.query(&show, "query", "idao", "show", demoIDAOName)
	if d := show.Idao; d.Id != 1 || d.Creator != alice.String() || d.Members != 2 || d.Admins != 1 || d.TotalWeight != 2 ||
		show.TreasuryBalance != tx.FormatBaseUnits(demoTreasury) {
		t.Fatalf("demo iDAO %v", &show)
	}
	if vp := policy(t, show.Policies, "voting_period"); vp.Value != "20" {
		t.Fatalf("voting_period %v", vp)
	}
	var members idao.QueryMembersResponse
	e.query(&members, "query", "idao", "members", "1")
	if m := member(t, members.Members, alice); !slices.Contains(m.Roles, idao.RoleAdmin) || m.Weight != 1 {
		t.Fatalf("alice %v", m)
	}
	if m := member(t, members.Members, bob); !slices.Equal(m.Roles, []string{idao.RoleDataProvider}) || m.Weight != 1 {
		t.Fatalf("bob %v", m)
	}
	var cls dat.QueryClassResponse
	e.query(&cls, "query", "dat", "class", "1")
	if c := cls.Class; c.Name != demoClassName || c.Idao != 1 || cls.IdaoName != demoIDAOName || c.IntegrityHash != sha(demoDataset) ||
		c.Tokens != 2 || c.TotalShare != 100 || c.Creator != alice.String() {
		t.Fatalf("demo class %v", &cls)
	}
	var toks dat.QueryTokensResponse
	e.query(&toks, "query", "dat", "tokens", "--class", "1")
	if len(toks.Tokens) != 2 || toks.Tokens[0].Owner != alice.String() || toks.Tokens[0].ShareRatio != 60 ||
		toks.Tokens[1].Owner != bob.String() || toks.Tokens[1].ShareRatio != 40 {
		t.Fatalf("demo tokens %v", &toks)
	}

	// What the devnet prints, and its suggestions, work as said.
	var out bytes.Buffer
	pc := newRootCmd()
	pc.SetOut(&out)
	pc.SetContext(ctx)
	accounts := []api.TestAccount{{Name: "alice", Address: alice}, {Name: "bob", Address: bob}}
	if err := printDevnet(pc, n, accounts, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`iDAO 1 "demo-data-pool" (alice admin, bob data provider, 10000 LAZ in its treasury)`,
		`DAT class 1 "iris flowers (demo)": token 1 (alice, share 60), token 2 (bob, share 40)`,
		"tx dat settle-revenue 1 100laz --from carol --home " + home} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("devnet output lacks %q:\n%s", want, out.String())
		}
	}
	e.tx("tx", "dat", "settle-revenue", "1", "100laz", "--from", "carol")
	var pend dat.QueryPendingResponse
	e.query(&pend, "query", "dat", "pending", "--owner", "bob")
	if pend.Total != "40000000" {
		t.Fatalf("bob's pending %v", &pend)
	}
	res := e.tx("tx", "dat", "claim-all", "--from", "bob")
	if attr(t, res, "dat_claim_all", "total") != "40000000" {
		t.Fatalf("claim-all %+v", res.Events)
	}
}
