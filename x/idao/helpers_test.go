package idao_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/idao"
)

func addr(n byte) tx.Address {
	var a tx.Address
	for i := range a {
		a[i] = n
	}
	return a
}

var (
	alice = addr(0xa1)
	bob   = addr(0xb2)
	carol = addr(0xc3)
	dave  = addr(0xd4)
	erin  = addr(0xe5)
	frank = addr(0xf6)
)

// fakeClasses maps DAT class ids to their owning iDAO.
type fakeClasses map[uint64]uint64

func (f fakeClasses) ClassIDAO(_ *chain.Context, class uint64) (uint64, bool) {
	id, ok := f[class]
	return id, ok
}

// env is a chain state with the idao module over the real bank keeper.
type env struct {
	t      *testing.T
	root   *store.Cache
	k      *idao.Keeper
	m      idao.Module
	height int64
	events []abci.Event
}

func newEnv(t *testing.T) *env {
	t.Helper()
	k := &idao.Keeper{Bank: bank.Keeper{}, Classes: fakeClasses{7: 1, 8: 2}}
	return &env{t: t, root: store.NewCache(store.NewMemTree().Working()), k: k, m: idao.Module{Keeper: k}, height: 10}
}

func (e *env) ctx() *chain.Context {
	return chain.NewContext(e.root, "test-chain", e.height, time.Unix(1_700_000_000+e.height, 0), chain.ModeDeliver, nil)
}

// genesis initialises bank balances and idao genesis.
func (e *env) genesis(balances map[tx.Address]uint64, idaoGenesis string) {
	e.t.Helper()
	var bs []string
	for _, a := range []tx.Address{idao.TreasuryAddress(1), idao.TreasuryAddress(2), alice, bob, carol, dave} {
		if v, ok := balances[a]; ok {
			bs = append(bs, fmt.Sprintf(`{"address":"%s","amount":"%d"}`, a, v))
		}
	}
	if err := (bank.Module{}).InitGenesis(e.ctx(), []byte(`{"balances":[`+strings.Join(bs, ",")+`]}`)); err != nil {
		e.t.Fatal(err)
	}
	if err := e.m.InitGenesis(e.ctx(), []byte(idaoGenesis)); err != nil {
		e.t.Fatal(err)
	}
}

// standard sets up iDAO 1 "alpha" (alice admin, bob, carol, frank with weight 0; total weight 3,
// treasury 100 ulaz) and iDAO 2 "beta" (dave admin, weight 1).
func (e *env) standard() { e.t.Helper(); e.standardWith(`{}`) }

// standardWith is standard with alpha's policies set.
func (e *env) standardWith(policies string) {
	e.t.Helper()
	e.genesis(map[tx.Address]uint64{idao.TreasuryAddress(1): 100, idao.TreasuryAddress(2): 50}, `{"idaos":[
	 {"name":"alpha","creator":"`+alice.String()+`","members":[
	   {"address":"`+alice.String()+`","roles":["admin"],"weight":1},
	   {"address":"`+bob.String()+`","roles":["data_provider"],"weight":1},
	   {"address":"`+carol.String()+`","roles":["model_trainer","validator"],"weight":1},
	   {"address":"`+frank.String()+`","roles":["app_developer"],"weight":0}],
	  "policies":`+policies+`},
	 {"name":"beta","creator":"`+dave.String()+`"}]}`)
}

// deliver runs msg's handler directly on the state (not on a cache), so a
// failing handler that wrote anything shows up in snapshots.
func (e *env) deliver(msg proto.Message) error {
	e.t.Helper()
	name := msg.ProtoReflect().Descriptor().FullName()
	for _, h := range e.m.Handlers() {
		if h.Msg.ProtoReflect().Descriptor().FullName() == name {
			ctx := e.ctx()
			err := h.Exec(ctx, msg)
			e.events = ctx.Events()
			return err
		}
	}
	e.t.Fatalf("no handler for %s", name)
	return nil
}

func (e *env) mustDeliver(msg proto.Message) {
	e.t.Helper()
	if err := e.deliver(msg); err != nil {
		e.t.Fatalf("%T: %v", msg, err)
	}
}

// endBlock runs EndBlock at the current height and moves to the next.
func (e *env) endBlock() {
	e.t.Helper()
	ctx := e.ctx()
	if err := e.m.EndBlock(ctx); err != nil {
		e.t.Fatalf("end block %d: %v", e.height, err)
	}
	e.events = ctx.Events()
	e.height++
}

func (e *env) checkInvariants() {
	e.t.Helper()
	for _, inv := range e.m.Invariants() {
		if err := inv.Check(e.ctx()); err != nil {
			e.t.Fatalf("invariant %s: %v", inv.Name, err)
		}
	}
	for _, inv := range (bank.Module{}).Invariants() {
		if err := inv.Check(e.ctx()); err != nil {
			e.t.Fatalf("invariant %s: %v", inv.Name, err)
		}
	}
}

// snapshot is every key/value of the state, in key order.
func (e *env) snapshot() string {
	var b bytes.Buffer
	store.Each(e.root, nil, nil, func(k, v []byte) bool {
		fmt.Fprintf(&b, "%x=%x\n", k, v)
		return true
	})
	return b.String()
}

func wantErr(t *testing.T, err error, kind error, text string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %v saying %q", kind, text)
	}
	if !errors.Is(err, kind) || !strings.Contains(err.Error(), text) {
		t.Fatalf("got %v; want %v saying %q", err, kind, text)
	}
}

// event finds the first event of typ and returns its attributes.
func findEvent(events []abci.Event, typ string, match map[string]string) map[string]string {
	for _, ev := range events {
		if ev.Type != typ {
			continue
		}
		attrs := map[string]string{}
		for _, a := range ev.Attributes {
			attrs[a.Key] = a.Value
		}
		ok := true
		for k, v := range match {
			if attrs[k] != v {
				ok = false
			}
		}
		if ok {
			return attrs
		}
	}
	return nil
}

func (e *env) proposal(id, pid uint64) *idao.Proposal {
	e.t.Helper()
	res := e.query("proposal", fmt.Sprintf(`{"id":%d,"proposal":%d}`, id, pid)).(*idao.QueryProposalResponse)
	return res.Proposal
}

func (e *env) query(path, req string) any {
	e.t.Helper()
	res, err := e.tryQuery(path, req)
	if err != nil {
		e.t.Fatalf("query %s %s: %v", path, req, err)
	}
	return res
}

func (e *env) tryQuery(path, req string) (any, error) {
	for _, q := range e.m.Queries() {
		if q.Path == path {
			ctx := chain.NewContext(e.root, "test-chain", e.height, time.Time{}, chain.ModeQuery, nil)
			res, err := q.Run(ctx, []byte(req))
			if err == nil {
				if _, err := chain.EncodeJSON(res); err != nil {
					e.t.Fatalf("encode %s result: %v", path, err)
				}
			}
			return res, err
		}
	}
	e.t.Fatalf("no query %s", path)
	return nil, nil
}

func (e *env) member(id uint64, a tx.Address) *idao.Member {
	m, err := e.k.Member(e.ctx(), id, a)
	if err != nil {
		return nil
	}
	return m
}

func (e *env) get(id uint64) *idao.IDAO {
	e.t.Helper()
	d, err := e.k.Get(e.ctx(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func (e *env) balance(a tx.Address) uint64 { return bank.Keeper{}.Balance(e.ctx(), a) }

// Action constructors.
func addMember(a tx.Address, w uint64, roles ...string) *idao.Action {
	return &idao.Action{Kind: &idao.Action_AddMember{AddMember: &idao.AddMember{Address: a.String(), Roles: roles, Weight: w}}}
}

func removeMember(a tx.Address) *idao.Action {
	return &idao.Action{Kind: &idao.Action_RemoveMember{RemoveMember: &idao.RemoveMember{Address: a.String()}}}
}

func setMember(a tx.Address, w uint64, roles ...string) *idao.Action {
	return &idao.Action{Kind: &idao.Action_SetMember{SetMember: &idao.SetMember{Address: a.String(), Roles: roles, Weight: w}}}
}

func setPolicy(k, v string) *idao.Action {
	return &idao.Action{Kind: &idao.Action_SetPolicy{SetPolicy: &idao.SetPolicy{Key: k, Value: v}}}
}

func spend(to tx.Address, amount string) *idao.Action {
	return &idao.Action{Kind: &idao.Action_SpendTreasury{SpendTreasury: &idao.SpendTreasury{To: to.String(), Amount: amount}}}
}

func offer(grantee, class uint64, price string, quota uint64, split uint32, expire uint64) *idao.Action {
	return &idao.Action{Kind: &idao.Action_OfferAgreement{OfferAgreement: &idao.OfferAgreement{Grantee: grantee, Class: class,
		Terms: &idao.AgreementTerms{PricePerUnit: price, Quota: quota, RevenueSplitBps: split, ExpireHeight: expire}}}}
}

func accept(id uint64) *idao.Action {
	return &idao.Action{Kind: &idao.Action_AcceptAgreement{AcceptAgreement: &idao.AcceptAgreement{Agreement: id}}}
}

func propose(from tx.Address, id uint64, actions ...*idao.Action) *idao.MsgPropose {
	return &idao.MsgPropose{From: from.String(), Idao: id, Title: "change", Description: "why", Actions: actions}
}

func vote(from tx.Address, id, pid uint64, o idao.VoteOption) *idao.MsgVote {
	return &idao.MsgVote{From: from.String(), Idao: id, Proposal: pid, Option: o}
}

const (
	yes     = idao.VoteOption_VOTE_OPTION_YES
	no      = idao.VoteOption_VOTE_OPTION_NO
	abstain = idao.VoteOption_VOTE_OPTION_ABSTAIN
)
