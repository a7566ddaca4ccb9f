package app_test

import (
	"strconv"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/app/apptest"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/idao"
)

// attr is the value of key in the first event of type typ.
func attr(events []abci.Event, typ, key string) (string, bool) {
	for _, e := range events {
		if e.Type != typ {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == key {
				return a.Value, true
			}
		}
	}
	return "", false
}

// hasEvent reports whether an event of type typ has every key=value given.
func hasEvent(events []abci.Event, typ string, kv ...string) bool {
	for _, e := range events {
		if e.Type != typ {
			continue
		}
		ok := true
		for i := 0; i < len(kv); i += 2 {
			found := false
			for _, a := range e.Attributes {
				if a.Key == kv[i] && a.Value == kv[i+1] {
					found = true
				}
			}
			ok = ok && found
		}
		if ok {
			return true
		}
	}
	return false
}

// world is a harness with three funded keys and helpers for the iDAO and
// DAT flows.
type world struct {
	*apptest.Harness
	t                 *testing.T
	alice, bob, carol *tx.PrivateKey
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, alice: tx.DeterministicKey("w/alice"), bob: tx.DeterministicKey("w/bob"), carol: tx.DeterministicKey("w/carol")}
	w.Harness = apptest.New(t, nil, apptest.Genesis(t, map[tx.Address]uint64{
		w.alice.Address(): 1_000_000_000, w.bob.Address(): 1_000_000_000, w.carol.Address(): 1_000_000_000,
	}))
	return w
}

// ok runs msgs as k and fails the test unless they succeed.
func (w *world) ok(k *tx.PrivateKey, msgs ...proto.Message) *abci.ExecTxResult {
	w.t.Helper()
	r, _ := w.Exec(k, msgs...)
	if r.Code != 0 {
		w.t.Fatalf("height %d: %T failed: %d (%s) %s", w.Height, msgs[0], r.Code, r.Codespace, r.Log)
	}
	return r
}

// fails runs msgs as k and fails the test unless they fail in codespace
// with a log that mentions every one of mentions, and nothing but the fee
// and nonce changed.
func (w *world) fails(k *tx.PrivateKey, codespace string, mentions []string, msgs ...proto.Message) {
	w.t.Helper()
	before := w.snapshot(k.Address())
	r, _ := w.Exec(k, msgs...)
	if r.Code == 0 || r.Codespace != codespace {
		w.t.Fatalf("height %d: %T: got code %d (%s) %q, want a %s error", w.Height, msgs[0], r.Code, r.Codespace, r.Log, codespace)
	}
	for _, m := range mentions {
		if !strings.Contains(r.Log, m) {
			w.t.Fatalf("error %q does not mention %q", r.Log, m)
		}
	}
	if after := w.snapshot(k.Address()); after != before {
		w.t.Fatalf("a failed %T changed state:\nbefore %s\nafter  %s", msgs[0], before, after)
	}
}

// snapshot is every idao and dat key/value, plus every balance but the fee
// payer's and the fee collector's (the failed tx still paid its fee).
func (w *world) snapshot(payer tx.Address) string {
	var b strings.Builder
	latest := w.App.Tree().Latest()
	it := latest.Iterator(nil, nil)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		k := string(it.Key())
		switch {
		case strings.HasPrefix(k, "idao/"), strings.HasPrefix(k, "dat/"):
		case strings.HasPrefix(k, "bank/b/"):
			a, _ := tx.AddressFromBytes(it.Key()[len("bank/b/"):])
			if a == payer || a == bank.FeeCollector {
				continue
			}
		default:
			continue
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(string(it.Value()))
		b.WriteByte(';')
	}
	return b.String()
}

func id(t *testing.T, r *abci.ExecTxResult, typ, key string) uint64 {
	t.Helper()
	v, ok := attr(r.Events, typ, key)
	if !ok {
		t.Fatalf("no %s.%s event in %v", typ, key, r.Events)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func action(a any) *idao.Action {
	switch k := a.(type) {
	case *idao.AddMember:
		return &idao.Action{Kind: &idao.Action_AddMember{AddMember: k}}
	case *idao.RemoveMember:
		return &idao.Action{Kind: &idao.Action_RemoveMember{RemoveMember: k}}
	case *idao.SetPolicy:
		return &idao.Action{Kind: &idao.Action_SetPolicy{SetPolicy: k}}
	case *idao.SpendTreasury:
		return &idao.Action{Kind: &idao.Action_SpendTreasury{SpendTreasury: k}}
	case *idao.OfferAgreement:
		return &idao.Action{Kind: &idao.Action_OfferAgreement{OfferAgreement: k}}
	case *idao.AcceptAgreement:
		return &idao.Action{Kind: &idao.Action_AcceptAgreement{AcceptAgreement: k}}
	}
	panic("unknown action")
}

// pass proposes actions in iDAO id as the first voter, has every voter
// vote yes, each in its own block, and checks the proposal ran at the end
// of the last vote's block.
func (w *world) pass(voters []*tx.PrivateKey, id uint64, actions ...*idao.Action) uint64 {
	w.t.Helper()
	k := voters[0]
	r := w.ok(k, &idao.MsgPropose{From: k.Address().String(), Idao: id, Title: "t", Actions: actions})
	pid := idOf(w.t, r, "idao_proposal", "proposal")
	var events []abci.Event
	for _, v := range voters {
		var res *abci.ExecTxResult
		res, events = w.Exec(v, &idao.MsgVote{From: v.Address().String(), Idao: id, Proposal: pid, Option: idao.VoteOption_VOTE_OPTION_YES})
		if res.Code != 0 {
			w.t.Fatalf("vote: %s", res.Log)
		}
	}
	if !hasEvent(events, "idao_proposal", "proposal", strconv.FormatUint(pid, 10), "status", "executed") {
		w.t.Fatalf("proposal %d did not execute at the end of the last vote's block; block events %v", pid, events)
	}
	return pid
}

var idOf = id

func TestIDAOAndDATLifecycle(t *testing.T) {
	w := newWorld(t)
	alice, bob, carol := w.alice, w.bob, w.carol
	A, B, C := alice.Address().String(), bob.Address().String(), carol.Address().String()

	// An iDAO with a funded treasury; a proposal admits bob and pays carol.
	pool := id(t, w.ok(alice, &idao.MsgCreate{From: A, Name: "pool", Description: "a data pool"}), "idao_create", "idao")
	treasury := idao.TreasuryAddress(pool)
	w.ok(carol, apptest.Send(carol.Address(), treasury, 1000))
	carolBefore := w.Balance(carol.Address())
	w.pass([]*tx.PrivateKey{alice}, pool,
		action(&idao.AddMember{Address: B, Roles: []string{idao.RoleDataProvider}, Weight: 1}),
		action(&idao.SpendTreasury{To: C, Amount: "100"}))
	if got := w.Balance(carol.Address()); got != carolBefore+100 {
		t.Fatalf("carol has %d, want %d after the treasury spend", got, carolBefore+100)
	}
	if got := w.Balance(treasury); got != 900 {
		t.Fatalf("treasury holds %d, want 900", got)
	}
	var members idao.QueryMembersResponse
	w.QueryJSON("/idao/members", idao.MembersQuery{ID: pool}, &members)
	if len(members.Members) != 2 {
		t.Fatalf("members %v, want alice and bob", members.Members)
	}

	// Bad proposals and votes are refused with their reason.
	w.fails(bob, "idao", []string{"admin"}, &idao.MsgPropose{From: B, Idao: pool, Title: "coup",
		Actions: []*idao.Action{action(&idao.RemoveMember{Address: A})}})
	w.fails(bob, "idao", []string{"900"}, &idao.MsgPropose{From: B, Idao: pool, Title: "drain",
		Actions: []*idao.Action{action(&idao.SpendTreasury{To: B, Amount: "901"})}})
	w.fails(carol, "idao", []string{"not a member"}, &idao.MsgPropose{From: C, Idao: pool, Title: "x",
		Actions: []*idao.Action{action(&idao.SetPolicy{Key: "voting_period", Value: "5"})}})
	// With two members of weight 1, alice's yes alone is 50% < 50.01%: the
	// proposal stays open; bob's no closes it as rejected.
	pid := id(t, w.ok(alice, &idao.MsgPropose{From: A, Idao: pool, Title: "short votes",
		Actions: []*idao.Action{action(&idao.SetPolicy{Key: "voting_period", Value: "3"})}}), "idao_proposal", "proposal")
	w.ok(alice, &idao.MsgVote{From: A, Idao: pool, Proposal: pid, Option: idao.VoteOption_VOTE_OPTION_YES})
	w.fails(carol, "idao", []string{"not a member"}, &idao.MsgVote{From: C, Idao: pool, Proposal: pid, Option: idao.VoteOption_VOTE_OPTION_YES})
	_, events := w.Exec(bob, &idao.MsgVote{From: B, Idao: pool, Proposal: pid, Option: idao.VoteOption_VOTE_OPTION_NO})
	if !hasEvent(events, "idao_proposal", "proposal", strconv.FormatUint(pid, 10), "status", "rejected") {
		t.Fatalf("proposal %d was not rejected at the end of bob's block: %v", pid, events)
	}
	w.fails(alice, "idao", []string{"closed"}, &idao.MsgVote{From: A, Idao: pool, Proposal: pid, Option: idao.VoteOption_VOTE_OPTION_YES})

	// Classes with lineage: class 2 is derived from class 1 and sends 30%
	// of its revenue up.
	hash := strings.Repeat("ab", 32)
	raw := id(t, w.ok(alice, &dat.MsgCreateClass{From: A, Idao: pool, Name: "raw", IntegrityHash: hash}), "dat_class", "class")
	derived := id(t, w.ok(alice, &dat.MsgCreateClass{From: A, Idao: pool, Name: "clean", IntegrityHash: hash,
		Parents: []*dat.Parent{{Class: raw, SplitBps: 3000}}}), "dat_class", "class")
	w.fails(alice, "dat", []string{"cycle"}, &dat.MsgAddParent{From: A, Class: raw, Parent: &dat.Parent{Class: derived, SplitBps: 100}})
	w.fails(bob, "dat", nil, &dat.MsgMint{From: B, Class: raw, To: B, Value: 1, ShareRatio: 1})

	mint := func(class uint64, to string, value, share, expire uint64) uint64 {
		return id(t, w.ok(alice, &dat.MsgMint{From: A, Class: class, To: to, Value: value, ShareRatio: share, ExpireAtHeight: expire}), "dat_mint", "token")
	}
	t1 := mint(raw, B, 100, 1, 0)
	t2 := mint(raw, C, 100, 2, 0)
	t3 := mint(derived, A, 50, 1, 0)

	// 1000 ulaz to the derived class: 300 go up to raw (100 to bob, 200 to
	// carol), 700 stay (all alice's).
	w.ok(carol, &dat.MsgSettleRevenue{From: C, Class: derived, Amount: "1000"})
	pending := func(token uint64) string {
		var r dat.QueryTokenResponse
		w.QueryJSON("/dat/token", dat.TokenQuery{ID: token}, &r)
		return r.Pending
	}
	for tok, want := range map[uint64]string{t1: "100", t2: "200", t3: "700"} {
		if got := pending(tok); got != want {
			t.Fatalf("token %d pending %s, want %s", tok, got, want)
		}
	}
	w.fails(carol, "dat", []string{"own"}, &dat.MsgClaim{From: C, Token: t1})
	bobBefore := w.Balance(bob.Address())
	r := w.ok(bob, &dat.MsgClaim{From: B, Token: t1})
	fee := apptest.ExecGas / 100
	if got := w.Balance(bob.Address()); got != bobBefore+100-uint64(fee) {
		t.Fatalf("bob has %d after claiming, want %d (gas used %d)", got, bobBefore+100-uint64(fee), r.GasUsed)
	}
	w.ok(carol, &dat.MsgClaimAll{From: C})
	if got := pending(t2); got != "0" {
		t.Fatalf("token %d pending %s after claimAll, want 0", t2, got)
	}

	// Usage is a hard quota; value moves only within a class.
	w.ok(bob, &dat.MsgRecordUsage{From: B, Token: t1, Metric: "inference", Amount: 30})
	w.fails(bob, "dat", []string{"70"}, &dat.MsgRecordUsage{From: B, Token: t1, Metric: "inference", Amount: 71})
	w.ok(carol, &dat.MsgTransferValue{From: C, FromToken: t2, ToToken: t1, Value: 10})
	w.fails(alice, "dat", []string{"class"}, &dat.MsgTransferValue{From: A, FromToken: t3, ToToken: t1, Value: 1})
	var tok dat.QueryTokenResponse
	w.QueryJSON("/dat/token", dat.TokenQuery{ID: t1}, &tok)
	if tok.Token.Value != 80 {
		t.Fatalf("token %d value %d, want 100-30+10 = 80", t1, tok.Token.Value)
	}

	// Several messages in one tx apply all together or not at all.
	var cls dat.QueryClassResponse
	w.QueryJSON("/dat/class", dat.ClassQuery{ID: raw}, &cls)
	tokensBefore := cls.Class.Tokens
	w.fails(alice, "dat", nil,
		&dat.MsgMint{From: A, Class: raw, To: A, Value: 5, ShareRatio: 5},
		&dat.MsgTransferValue{From: A, FromToken: t3, ToToken: t1, Value: 1})
	w.QueryJSON("/dat/class", dat.ClassQuery{ID: raw}, &cls)
	if cls.Class.Tokens != tokensBefore {
		t.Fatalf("a failed multi-message tx minted: %d tokens, want %d", cls.Class.Tokens, tokensBefore)
	}

	// Expiry: from its height a token leaves the total share and can no
	// longer be used or moved.
	t4 := mint(raw, B, 10, 7, uint64(w.Height)+3)
	w.QueryJSON("/dat/class", dat.ClassQuery{ID: raw}, &cls)
	if cls.Class.TotalShare != 10 {
		t.Fatalf("total share %d, want 1+2+7", cls.Class.TotalShare)
	}
	w.Block()
	w.Block()
	w.QueryJSON("/dat/class", dat.ClassQuery{ID: raw}, &cls)
	if cls.Class.TotalShare != 3 {
		t.Fatalf("total share %d after token %d expired, want 3", cls.Class.TotalShare, t4)
	}
	w.fails(bob, "dat", []string{"expired"}, &dat.MsgTransferValue{From: B, FromToken: t4, ToToken: t1, Value: 1})

	// An agreement: pool licenses class raw to carol's iDAO at 5 ulaz a
	// unit, 10 units, half to the holders.
	lab := id(t, w.ok(carol, &idao.MsgCreate{From: C, Name: "lab"}), "idao_create", "idao")
	w.pass([]*tx.PrivateKey{alice, bob}, pool, action(&idao.OfferAgreement{Grantee: lab, Class: raw,
		Terms: &idao.AgreementTerms{PricePerUnit: "5", Quota: 10, RevenueSplitBps: 5000, ExpireHeight: uint64(w.Height) + 100}}))
	var ags idao.QueryAgreementsResponse
	w.QueryJSON("/idao/agreements", idao.AgreementsQuery{ID: lab}, &ags)
	if len(ags.Agreements) != 1 || ags.Agreements[0].Status != "offered" {
		t.Fatalf("agreements of lab: %v, want one offered", ags.Agreements)
	}
	w.fails(carol, "idao", nil, &dat.MsgRecordUsage{From: C, Token: t2, Metric: "training", Amount: 1, Idao: lab})
	w.pass([]*tx.PrivateKey{carol}, lab, action(&idao.AcceptAgreement{Agreement: ags.Agreements[0].Id}))
	treasuryBefore := w.Balance(treasury)
	w.ok(carol, &dat.MsgRecordUsage{From: C, Token: t2, Metric: "training", Amount: 4, Idao: lab})
	if got := w.Balance(treasury); got != treasuryBefore+10 {
		t.Fatalf("the grantor's treasury got %d, want half of 4×5 = 10", got-treasuryBefore)
	}
	w.fails(carol, "idao", []string{"quota"}, &dat.MsgRecordUsage{From: C, Token: t2, Metric: "training", Amount: 7, Idao: lab})
}
