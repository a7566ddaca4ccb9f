package dat_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/idao"
)

// errNoAgreement and errAgreementQuota stand in for idao's errors.
var (
	errNoAgreement    = codes.Register("fakeidao", 2, "no agreement")
	errAgreementQuota = codes.Register("fakeidao", 3, "agreement quota")
	errNoIDAO         = codes.Register("fakeidao", 4, "no idao")
)

// fakeIDAO is a map-based IDAOKeeper: the real idao keeper is written
// separately, and dat only depends on this interface.
type fakeIDAO struct {
	names      map[uint64]string
	roles      map[uint64]map[tx.Address][]string // member → roles
	policies   map[uint64]map[string]string
	agreements []*idao.Agreement
}

func newFakeIDAO() *fakeIDAO {
	return &fakeIDAO{names: map[uint64]string{}, roles: map[uint64]map[tx.Address][]string{}, policies: map[uint64]map[string]string{}}
}

func (f *fakeIDAO) add(id uint64, name string, members map[tx.Address][]string) {
	f.names[id] = name
	f.roles[id] = members
}

func (f *fakeIDAO) Get(_ *chain.Context, id uint64) (*idao.IDAO, error) {
	n, ok := f.names[id]
	if !ok {
		return nil, errNoIDAO.Wrapf("iDAO %d does not exist", id)
	}
	return &idao.IDAO{Id: id, Name: n, Treasury: f.Treasury(id).String()}, nil
}

func (f *fakeIDAO) IsMember(_ *chain.Context, id uint64, a tx.Address) bool {
	_, ok := f.roles[id][a]
	return ok
}

func (f *fakeIDAO) HasRole(_ *chain.Context, id uint64, a tx.Address, role string) bool {
	return slices.Contains(f.roles[id][a], role)
}

func (f *fakeIDAO) Policy(_ *chain.Context, id uint64, key string) string { return f.policies[id][key] }

func (f *fakeIDAO) Treasury(id uint64) tx.Address {
	return tx.ModuleAddress(fmt.Sprintf("idao/%d/treasury", id))
}

func (f *fakeIDAO) ActiveAgreement(ctx *chain.Context, grantor, grantee, class uint64) (*idao.Agreement, error) {
	for _, a := range f.agreements {
		if a.Grantor != grantor || a.Grantee != grantee || a.Class != class {
			continue
		}
		if a.Status != "active" {
			return nil, errNoAgreement.Wrapf("agreement %d is only offered", a.Id)
		}
		if eh := a.Terms.ExpireHeight; eh != 0 && uint64(ctx.Height) >= eh {
			return nil, errNoAgreement.Wrapf("agreement %d expired at height %d", a.Id, eh)
		}
		return a, nil
	}
	return nil, errNoAgreement.Wrapf("iDAO %d has no agreement with iDAO %d for class %d", grantee, grantor, class)
}

func (f *fakeIDAO) UseAgreement(_ *chain.Context, id uint64, units uint64) error {
	for _, a := range f.agreements {
		if a.Id == id {
			if a.Used+units > a.Terms.Quota {
				return errAgreementQuota.Wrapf("agreement %d: %d units used of %d, %d more would exceed the quota", id, a.Used, a.Terms.Quota, units)
			}
			a.Used += units
			return nil
		}
	}
	return errNoAgreement.Wrapf("agreement %d does not exist", id)
}

// Test accounts.
var (
	admin    = addr(1) // admin of iDAO 1
	alice    = addr(2)
	bob      = addr(3)
	carol    = addr(4)
	service  = addr(5) // an allowed service of class 1
	outsider = addr(6)
	admin2   = addr(7) // admin of iDAO 2
	member2  = addr(8) // member of iDAO 2
	member1  = addr(9) // plain member of iDAO 1
	payer    = addr(10)
)

func addr(n byte) tx.Address { return tx.Address{0: 0xaa, 19: n} }

const hash64 = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"

const (
	startHeight = 100
	startTime   = 1_700_000_000
)

type env struct {
	t    testing.TB
	ctx  *chain.Context
	k    *dat.Keeper
	m    dat.Module
	bank bank.Keeper
	idao *fakeIDAO
}

// newEnv is an empty chain state at height 100 with iDAO 1 (admin,
// member1) and iDAO 2 (admin2, member2), and funded accounts.
func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOver(t, store.NewCache(store.NewMemTree().Working()))
}

// newEnvOver is newEnv over a given state.
func newEnvOver(t testing.TB, kv store.KV) *env {
	t.Helper()
	ctx := chain.NewContext(kv, "test-chain", startHeight, time.Unix(startTime, 0), chain.ModeDeliver, nil)
	gen := fmt.Sprintf(`{"balances":[{"address":"%s","amount":"1000000000000000000"},{"address":"%s","amount":"1000"},{"address":"%s","amount":"1000000"},{"address":"%s","amount":"1000000"}]}`,
		payer, alice, member2, service)
	if err := (bank.Module{}).InitGenesis(ctx, []byte(gen)); err != nil {
		t.Fatal(err)
	}
	f := newFakeIDAO()
	f.add(1, "alpha", map[tx.Address][]string{admin: {"admin"}, member1: {"data_provider"}})
	f.add(2, "beta", map[tx.Address][]string{admin2: {"admin"}, member2: {"app_developer"}})
	k := &dat.Keeper{Bank: bank.Keeper{}, IDAO: f}
	return &env{t: t, ctx: ctx, k: k, m: dat.Module{Keeper: k}, bank: bank.Keeper{}, idao: f}
}

// exec routes a message through the module's handler list, as the app does.
func (e *env) exec(msg proto.Message) error {
	e.t.Helper()
	name := msg.ProtoReflect().Descriptor().FullName()
	for _, h := range e.m.Handlers() {
		if h.Msg.ProtoReflect().Descriptor().FullName() == name {
			return h.Exec(e.ctx, msg)
		}
	}
	e.t.Fatalf("no handler for %s", name)
	return nil
}

func (e *env) must(msg proto.Message) {
	e.t.Helper()
	if err := e.exec(msg); err != nil {
		e.t.Fatalf("%T: %v", msg, err)
	}
}

// class creates a class of iDAO 1 with the given parents and returns its id.
func (e *env) class(parents ...*dat.Parent) uint64 {
	e.t.Helper()
	id, err := e.k.CreateClass(e.ctx, admin, &dat.MsgCreateClass{From: admin.String(), Idao: 1, Name: "data", IntegrityHash: hash64, Parents: parents})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) mint(class uint64, to tx.Address, value, share uint64) uint64 {
	e.t.Helper()
	id, err := e.k.Mint(e.ctx, class, to, value, share, 0, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) settle(class, amount uint64) {
	e.t.Helper()
	if err := e.k.SettleRevenue(e.ctx, payer, class, amount); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) token(id uint64) *dat.Token {
	e.t.Helper()
	t, err := e.k.Token(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

func (e *env) classOf(id uint64) *dat.Class {
	e.t.Helper()
	c, err := e.k.Class(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) pending(tok uint64) uint64 {
	e.t.Helper()
	p, err := e.k.Pending(e.ctx, tok)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) balance(a tx.Address) uint64 { return e.bank.Balance(e.ctx, a) }

// checkInvariants runs dat's and bank's invariants.
func (e *env) checkInvariants() {
	e.t.Helper()
	invs := append(e.m.Invariants(), bank.Module{}.Invariants()...)
	for _, inv := range invs {
		if err := inv.Check(e.ctx); err != nil {
			e.t.Fatalf("invariant %s: %v", inv.Name, err)
		}
	}
}

// nextBlock moves to height h (time advancing 5 s a block) and runs the
// begin blocker.
func (e *env) nextBlock(h int64) {
	e.t.Helper()
	e.ctx.Height = h
	e.ctx.Time = time.Unix(startTime+5*(h-startHeight), 0)
	if err := e.m.BeginBlock(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// dump is every key/value of the whole state, in order.
func dump(kv store.KV) [][2]string {
	var out [][2]string
	store.Each(kv, nil, nil, func(k, v []byte) bool {
		out = append(out, [2]string{string(k), string(v)})
		return true
	})
	return out
}

// fixture: class 1 (tokens 1: alice 100/1, 2: bob 50/2), class 2 (token 3:
// alice 10/1), both of iDAO 1; class 1 allows `service`.
func fixture(e *env) {
	e.t.Helper()
	_, err := e.k.CreateClass(e.ctx, admin, &dat.MsgCreateClass{From: admin.String(), Idao: 1, Name: "one", IntegrityHash: hash64,
		Policy: &dat.ClassPolicy{AllowedServices: []string{service.String()}}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.class()
	e.mint(1, alice, 100, 1)
	e.mint(1, bob, 50, 2)
	e.mint(2, alice, 10, 1)
}

// tcase is one table case: an optional preparation, a message, and either
// an error (with words it must say) or a check of the result.
type tcase struct {
	name  string
	prep  func(e *env)
	msg   func(e *env) proto.Message
	err   error
	says  string
	check func(t *testing.T, e *env)
}

func runCases(t *testing.T, setup func(e *env), cases []tcase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			if setup != nil {
				setup(e)
			}
			if c.prep != nil {
				c.prep(e)
			}
			before := dump(e.ctx.KV())
			m := c.msg(e)
			orig := proto.Clone(m)
			err := e.exec(m)
			if !proto.Equal(m, orig) {
				t.Fatalf("the handler modified its message: %v, was %v", m, orig)
			}
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("got error %v, want %v", err, c.err)
				}
				if !strings.Contains(err.Error(), c.says) {
					t.Fatalf("error %q does not say %q", err, c.says)
				}
				if after := dump(e.ctx.KV()); !slices.Equal(before, after) {
					t.Fatalf("a failed message changed the state:\n%s", diff(before, after))
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			e.checkInvariants()
			if c.check != nil {
				c.check(t, e)
			}
		})
	}
}

func diff(a, b [][2]string) string {
	var buf bytes.Buffer
	m := map[string]string{}
	for _, kv := range a {
		m[kv[0]] = kv[1]
	}
	for _, kv := range b {
		if v, ok := m[kv[0]]; !ok || v != kv[1] {
			fmt.Fprintf(&buf, "changed %q\n", kv[0])
		}
		delete(m, kv[0])
	}
	for k := range m {
		fmt.Fprintf(&buf, "deleted %q\n", k)
	}
	return buf.String()
}

// eventsOf lists the events of a type emitted so far.
func (e *env) eventsOf(typ string) []map[string]string {
	var out []map[string]string
	for _, ev := range e.ctx.Events() {
		if ev.Type != typ {
			continue
		}
		m := map[string]string{}
		for _, a := range ev.Attributes {
			m[a.Key] = a.Value
		}
		out = append(out, m)
	}
	return out
}
