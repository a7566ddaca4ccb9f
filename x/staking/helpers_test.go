package staking_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/api/cometbft/types/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/idao"
	"github.com/lazchain/lazchain/x/staking"
)

var errNoIDAO = codes.Register("fakeidao", 4, "no idao")

// fakeIDAO is a map-based IDAOKeeper: staking only depends on this
// interface, and the tests choose roles freely.
type fakeIDAO struct {
	roles map[uint64]map[tx.Address][]string
}

func (f *fakeIDAO) Get(_ *chain.Context, id uint64) (*idao.IDAO, error) {
	if _, ok := f.roles[id]; !ok {
		return nil, errNoIDAO.Wrapf("iDAO %d does not exist", id)
	}
	return &idao.IDAO{Id: id, Name: fmt.Sprintf("idao-%d", id), Treasury: f.Treasury(id).String()}, nil
}

func (f *fakeIDAO) HasRole(_ *chain.Context, id uint64, a tx.Address, role string) bool {
	return slices.Contains(f.roles[id][a], role)
}

func (f *fakeIDAO) Treasury(id uint64) tx.Address { return idao.TreasuryAddress(id) }

// Test accounts: op(n) holds the validator role in iDAO n; alice, bob and
// carol are plain delegators; member(n) is a member of iDAO n without the
// role.
var (
	alice = addr(0xa1, 0)
	bob   = addr(0xb0, 0)
	carol = addr(0xc0, 0)
)

func addr(tag, n byte) tx.Address { return tx.Address{0: tag, 19: n} }
func op(n uint64) tx.Address      { return addr(0x0e, byte(n)) }
func member(n uint64) tx.Address  { return addr(0x3e, byte(n)) }

// consKey is the deterministic ed25519 consensus key of validator n.
func consKey(n uint64) []byte {
	seed := sha256.Sum256([]byte(fmt.Sprintf("staking test validator %d", n)))
	return ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
}

func consB64(n uint64) string { return base64.StdEncoding.EncodeToString(consKey(n)) }

// consAddr is CometBFT's address of validator n's key, computed here
// independently of the module.
func consAddr(n uint64) []byte {
	h := sha256.Sum256(consKey(n))
	return h[:20]
}

const (
	laz      = 1_000_000
	startH   = 1
	funds    = 1_000_000 * laz
	numIDAOs = 8
)

type env struct {
	t     testing.TB
	ctx   *chain.Context
	k     *staking.Keeper
	m     staking.Module
	bank  bank.Keeper
	idao  *fakeIDAO
	valid bool // check invariants after every block
}

// newEnv is a chain at height 1 with iDAOs 1..8 (op(n) has the validator
// role in iDAO n, member(n) is a data provider there), everyone funded,
// and the given staking genesis params (JSON object, may be empty).
func newEnv(t testing.TB, params string) *env {
	t.Helper()
	return newEnvOver(t, store.NewCache(store.NewMemTree().Working()), params)
}

func newEnvOver(t testing.TB, kv store.KV, params string) *env {
	t.Helper()
	if params == "" {
		params = "{}"
	}
	e, err := newEnvGenesis(t, kv, `{"params":`+params+`,"validators":[]}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.GenesisValidators(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.ctx = e.fresh(startH)
	return e
}

// newGenesisEnv is newEnv with a whole staking genesis section, its
// genesis validators handed out; the context stays at height 0.
func newGenesisEnv(t testing.TB, gen string) *env {
	t.Helper()
	e, err := newEnvGenesis(t, store.NewCache(store.NewMemTree().Working()), gen)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// newEnvGenesis funds the accounts, makes the iDAOs and runs staking's
// InitGenesis with gen, at height 0.
func newEnvGenesis(t testing.TB, kv store.KV, gen string) (*env, error) {
	t.Helper()
	ctx := chain.NewContext(kv, "test-chain", 0, time.Unix(1_700_000_000, 0), chain.ModeDeliver, nil)
	var bal []string
	f := &fakeIDAO{roles: map[uint64]map[tx.Address][]string{}}
	for n := uint64(1); n <= 200; n++ {
		bal = append(bal, fmt.Sprintf(`{"address":"%s","amount":"%d"}`, op(n), funds))
		if n <= numIDAOs {
			f.roles[n] = map[tx.Address][]string{op(n): {"admin", "validator"}, member(n): {"data_provider"}}
		}
	}
	for _, a := range []tx.Address{alice, bob, carol} {
		bal = append(bal, fmt.Sprintf(`{"address":"%s","amount":"%d"}`, a, funds))
	}
	if err := (bank.Module{}).InitGenesis(ctx, []byte(`{"balances":[`+strings.Join(bal, ",")+`]}`)); err != nil {
		t.Fatal(err)
	}
	k := &staking.Keeper{Bank: bank.Keeper{}, IDAO: f}
	e := &env{t: t, ctx: ctx, k: k, m: staking.Module{Keeper: k}, bank: bank.Keeper{}, idao: f, valid: true}
	return e, e.m.InitGenesis(ctx, []byte(gen))
}

// addIDAO makes iDAO n exist with op(n) holding the validator role.
func (e *env) addIDAO(n uint64) {
	e.idao.roles[n] = map[tx.Address][]string{op(n): {"validator"}}
}

// fresh is a context for height h over the same state, with no events.
func (e *env) fresh(h int64) *chain.Context {
	c := e.ctx.WithKV(e.ctx.KV())
	c.Height = h
	c.Time = time.Unix(1_700_000_000+5*h, 0)
	c.Misbehavior, c.LastCommit = nil, abci.CommitInfo{}
	return c
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

// create makes iDAO n a validator with a self-bond of bond ulaz from op(n).
func (e *env) create(n, bond uint64) {
	e.t.Helper()
	e.must(&staking.MsgCreateValidator{From: op(n).String(), Idao: n, ConsensusPubkey: consB64(n), SelfBond: fmt.Sprint(bond)})
}

func (e *env) delegate(from tx.Address, n, amount uint64) {
	e.t.Helper()
	e.must(&staking.MsgDelegate{From: from.String(), Idao: n, Amount: fmt.Sprint(amount)})
}

func (e *env) undelegate(from tx.Address, n, amount uint64) {
	e.t.Helper()
	e.must(&staking.MsgUndelegate{From: from.String(), Idao: n, Amount: fmt.Sprint(amount)})
}

func (e *env) val(n uint64) *staking.ValidatorInfo {
	e.t.Helper()
	v, err := e.k.Validator(e.ctx, n)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *env) tokens(n uint64) uint64 { return e.val(n).Validator.Tokens }

// worth is what a delegation is worth now, by the delegations query.
func (e *env) worth(d tx.Address, n uint64) uint64 {
	e.t.Helper()
	del, err := e.k.Delegation(e.ctx, d, n)
	if err != nil {
		return 0
	}
	v := e.val(n).Validator
	return del.Shares * v.Tokens / v.Shares // small numbers in tests
}

func (e *env) balance(a tx.Address) uint64 { return e.bank.Balance(e.ctx, a) }

// checkInvariants runs staking's and bank's invariants.
func (e *env) checkInvariants() {
	e.t.Helper()
	for _, inv := range append(e.m.Invariants(), bank.Module{}.Invariants()...) {
		if err := inv.Check(e.ctx); err != nil {
			e.t.Fatalf("height %d: invariant %s: %v", e.ctx.Height, inv.Name, err)
		}
	}
}

// vote is one LastCommit entry.
func vote(n uint64, power int64, flag cmttypes.BlockIDFlag) abci.VoteInfo {
	return abci.VoteInfo{Validator: abci.Validator{Address: consAddr(n), Power: power}, BlockIdFlag: flag}
}

// commitOf is a LastCommit in which every member of the current set
// signed, except those listed as absent.
func (e *env) commitOf(absent ...uint64) abci.CommitInfo {
	var c abci.CommitInfo
	for _, v := range e.k.Validators(e.ctx) {
		if v.Power == 0 {
			continue
		}
		flag := cmttypes.BlockIDFlagCommit
		if slices.Contains(absent, v.Validator.Idao) {
			flag = cmttypes.BlockIDFlagAbsent
		}
		c.Votes = append(c.Votes, vote(v.Validator.Idao, v.Power, flag))
	}
	return c
}

// blockResult is what a block handed CometBFT and emitted.
type blockResult struct {
	updates []abci.ValidatorUpdate
	events  []abci.Event
}

// block runs block h+1: BeginBlock with the given commit and evidence,
// txs (a function over the block's context), EndBlock and
// ValidatorUpdates, then checks every invariant.
func (e *env) block(commit abci.CommitInfo, ev []abci.Misbehavior, txs func()) blockResult {
	e.t.Helper()
	e.ctx = e.fresh(e.ctx.Height + 1)
	e.ctx.LastCommit, e.ctx.Misbehavior = commit, ev
	if err := e.m.BeginBlock(e.ctx); err != nil {
		e.t.Fatalf("begin block %d: %v", e.ctx.Height, err)
	}
	e.ctx.LastCommit, e.ctx.Misbehavior = abci.CommitInfo{}, nil
	if txs != nil {
		txs()
	}
	if err := e.m.EndBlock(e.ctx); err != nil {
		e.t.Fatalf("end block %d: %v", e.ctx.Height, err)
	}
	up, err := e.m.ValidatorUpdates(e.ctx)
	if err != nil {
		e.t.Fatalf("validator updates %d: %v", e.ctx.Height, err)
	}
	if e.valid {
		e.checkInvariants()
	}
	return blockResult{updates: up, events: e.ctx.Events()}
}

// toEpoch runs empty blocks (everyone signing) until the next epoch
// height (a multiple of every), returning the updates of the last one.
func (e *env) toEpoch(every int64) blockResult {
	e.t.Helper()
	for {
		r := e.block(e.commitOf(), nil, nil)
		if e.ctx.Height%every == 0 {
			return r
		}
	}
}

// powers reads updates as iDAO → power, by matching keys.
func powers(t testing.TB, up []abci.ValidatorUpdate) map[uint64]int64 {
	t.Helper()
	out := map[uint64]int64{}
	for _, u := range up {
		if u.PubKeyType != "ed25519" {
			t.Fatalf("update with key type %q", u.PubKeyType)
		}
		found := false
		for n := uint64(1); n <= 200; n++ {
			if bytes.Equal(u.PubKeyBytes, consKey(n)) {
				out[n] = u.Power
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("update for an unknown key %x", u.PubKeyBytes)
		}
	}
	return out
}

// eventsOf lists the events of a type among evs.
func eventsOf(evs []abci.Event, typ string) []map[string]string {
	var out []map[string]string
	for _, ev := range evs {
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

// dump is every key/value of the whole state, in order.
func dump(kv store.KV) [][2]string {
	var out [][2]string
	store.Each(kv, nil, nil, func(k, v []byte) bool {
		out = append(out, [2]string{string(k), string(v)})
		return true
	})
	return out
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

func runCases(t *testing.T, params string, setup func(e *env), cases []tcase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, params)
			if setup != nil {
				setup(e)
			}
			if c.prep != nil {
				c.prep(e)
			}
			e.ctx = e.fresh(e.ctx.Height) // the message's own events only
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
					t.Fatalf("a failed message changed the state (%d keys before, %d after)", len(before), len(after))
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

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// newStateKV is an empty state.
func newStateKV() store.KV { return store.NewCache(store.NewMemTree().Working()) }

// query runs /staking/<path> with a JSON request and decodes its JSON
// answer into out, as a client would.
func (e *env) query(path, req string, out proto.Message) {
	e.t.Helper()
	if err := e.queryErr(path, req, out); err != nil {
		e.t.Fatalf("query %s %s: %v", path, req, err)
	}
}

func (e *env) queryErr(path, req string, out proto.Message) error {
	e.t.Helper()
	for _, q := range e.m.Queries() {
		if q.Path != path {
			continue
		}
		res, err := q.Run(e.ctx, []byte(req))
		if err != nil {
			return err
		}
		raw, err := chain.EncodeJSON(res)
		if err != nil {
			e.t.Fatal(err)
		}
		if err := chain.DecodeProtoJSON(raw, out); err != nil {
			e.t.Fatalf("decode %s: %v", raw, err)
		}
		return nil
	}
	e.t.Fatalf("no query %s", path)
	return nil
}
