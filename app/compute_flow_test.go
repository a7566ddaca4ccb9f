package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/google/go-sev-guest/kds"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/app"
	"github.com/lazchain/lazchain/app/apptest"
	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/codes"
	"github.com/lazchain/lazchain/enclave"
	"github.com/lazchain/lazchain/enclave/attest"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/dat"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/idao"
)

// The iDAOs of every compute/flow harness: iDAO 1 owns the pools (admin is
// its admin, foreign a compute provider of it), iDAO 2 runs the enclaves
// (the operators are its compute providers; admin created it but does not
// provide compute).
const (
	dataIDAO    = 1
	computeIDAO = 2
	// poolFee is the verifier fee of the test pools: odd, so that shares
	// among agreeing workers have a remainder.
	poolFee = 100_001
	// testBond is a bond whose slashes round.
	testBond = 1_000_003
	// cfGas is the gas limit of the txs the harness signs.
	cfGas = 2_000_000
	cfFee = cfGas / 100
)

// wk is a registered worker with its operator and enclave.
type wk struct {
	id  uint64
	op  *tx.PrivateKey
	enc *apptest.Enclave
}

// cf drives the app through real blocks for the compute and flow modules.
// Every block it makes is recorded, so another app can be fed the same
// blocks.
type cf struct {
	*apptest.Harness
	t           *testing.T
	admin       *tx.PrivateKey
	alice, bob  *tx.PrivateKey
	foreign     *tx.PrivateKey
	poor        *tx.PrivateKey
	ops         []*tx.PrivateKey
	params      *compute.Params
	signer      *attest.DevSigner
	blocks      [][][]byte
	results     [][]*abci.ExecTxResult
	seq         int
	tracked     []tx.Address
	trackedName map[tx.Address]string
}

// newCF starts a harness with nOps compute providers and dev compute
// parameters adjusted by tweak.
func newCF(t *testing.T, nOps int, tweak func(p *compute.Params)) *cf {
	t.Helper()
	w := &cf{
		t: t, admin: tx.DeterministicKey("cf/admin"), alice: tx.DeterministicKey("cf/alice"), bob: tx.DeterministicKey("cf/bob"),
		foreign: tx.DeterministicKey("cf/foreign"), poor: tx.DeterministicKey("cf/poor"),
		params: enclave.DevComputeParams(), trackedName: map[tx.Address]string{},
	}
	if tweak != nil {
		tweak(w.params)
	}
	funds := map[tx.Address]uint64{
		w.admin.Address(): 1_000_000_000_000, w.alice.Address(): 1_000_000_000_000, w.bob.Address(): 1_000_000_000_000,
		w.foreign.Address(): 100_000_000_000, w.poor.Address(): cfFee + poolFee - 1,
	}
	adminMember := idao.GenesisMember{Address: w.admin.Address().String(), Roles: []string{idao.RoleAdmin}, Weight: 1}
	providers := []idao.GenesisMember{adminMember}
	for i := range nOps {
		op := tx.DeterministicKey(fmt.Sprintf("cf/op%d", i))
		w.ops = append(w.ops, op)
		funds[op.Address()] = 100_000_000_000
		providers = append(providers, idao.GenesisMember{Address: op.Address().String(), Roles: []string{idao.RoleComputeProvider}, Weight: 1})
	}
	params, err := chain.EncodeJSON(w.params)
	if err != nil {
		t.Fatal(err)
	}
	genesis := apptest.GenesisWith(t, funds, map[string]any{
		idao.Name: idao.Genesis{IDAOs: []idao.GenesisIDAO{
			{Name: "data", Creator: w.admin.Address().String(), Members: []idao.GenesisMember{adminMember,
				{Address: w.foreign.Address().String(), Roles: []string{idao.RoleComputeProvider}, Weight: 1}}},
			{Name: "enclaves", Creator: w.admin.Address().String(), Members: providers},
		}},
		compute.Name: compute.Genesis{Params: params},
	})
	w.Harness = apptest.New(t, nil, genesis)
	if w.signer, err = attest.NewDevSigner(enclave.DevMeasurement); err != nil {
		t.Fatal(err)
	}
	w.track("admin", w.admin.Address())
	w.track("alice", w.alice.Address())
	w.track("bob", w.bob.Address())
	w.track("foreign", w.foreign.Address())
	w.track("poor", w.poor.Address())
	for i, op := range w.ops {
		w.track(fmt.Sprintf("op%d", i), op.Address())
	}
	w.track("bond escrow", compute.BondEscrow)
	w.track("slashed", compute.Slashed)
	w.track("fee escrow", flow.FeeEscrow)
	return w
}

func (w *cf) track(name string, a tx.Address) {
	w.tracked = append(w.tracked, a)
	w.trackedName[a] = name
}

// block runs a block of raw txs and records it.
func (w *cf) block(txs ...[]byte) ([]*abci.ExecTxResult, []abci.Event) {
	w.t.Helper()
	res, events := w.BlockEvents(txs...)
	w.blocks = append(w.blocks, txs)
	w.results = append(w.results, res)
	return res, events
}

// empty runs n empty blocks and returns the events of the last.
func (w *cf) empty(n int) []abci.Event {
	w.t.Helper()
	var events []abci.Event
	for range n {
		_, events = w.block()
	}
	return events
}

// call is one tx of a batch.
type call struct {
	k    *tx.PrivateKey
	msgs []proto.Message
}

// batch runs the calls as the txs of one block, with consecutive nonces
// per signer.
func (w *cf) batch(calls ...call) []*abci.ExecTxResult {
	w.t.Helper()
	nonces := map[tx.Address]uint64{}
	var raws [][]byte
	for _, c := range calls {
		a := c.k.Address()
		n, ok := nonces[a]
		if !ok {
			n = w.Nonce(a)
		}
		raws = append(raws, apptest.Sign(w.t, c.k, apptest.TxSpec{Nonce: n, Fee: cfFee, GasLimit: cfGas, Msgs: c.msgs}))
		nonces[a] = n + 1
	}
	res, _ := w.block(raws...)
	return res
}

// exec runs msgs as k alone in a block.
func (w *cf) exec(k *tx.PrivateKey, msgs ...proto.Message) (*abci.ExecTxResult, []abci.Event) {
	w.t.Helper()
	raw := apptest.Sign(w.t, k, apptest.TxSpec{Nonce: w.Nonce(k.Address()), Fee: cfFee, GasLimit: cfGas, Msgs: msgs})
	res, events := w.block(raw)
	return res[0], events
}

// ok runs msgs as k and fails the test unless they succeed.
func (w *cf) ok(k *tx.PrivateKey, msgs ...proto.Message) *abci.ExecTxResult {
	w.t.Helper()
	r, _ := w.exec(k, msgs...)
	if r.Code != 0 {
		w.t.Fatalf("height %d: %T failed: %d (%s) %s", w.Height, msgs[0], r.Code, r.Codespace, r.Log)
	}
	return r
}

// fails runs msgs as k and fails the test unless they fail with exactly
// want, with a log that mentions each of mentions, and nothing but k's fee
// and nonce changed.
func (w *cf) fails(k *tx.PrivateKey, want *codes.Error, mentions []string, msgs ...proto.Message) {
	w.t.Helper()
	before := w.snapshot(k.Address())
	payer, nonce := w.Balance(k.Address()), w.Nonce(k.Address())
	r, _ := w.exec(k, msgs...)
	if r.Codespace != want.Codespace || r.Code != want.Code {
		w.t.Fatalf("height %d: %T: got code %d (%s) %q, want %s/%d (%s)", w.Height, msgs[0], r.Code, r.Codespace, r.Log, want.Codespace, want.Code, want.Desc)
	}
	for _, m := range mentions {
		if !strings.Contains(r.Log, m) {
			w.t.Fatalf("height %d: %T: error %q does not mention %q", w.Height, msgs[0], r.Log, m)
		}
	}
	if got := w.Balance(k.Address()); got != payer-cfFee {
		w.t.Fatalf("height %d: a failed %T cost its signer %d, want the fee %d", w.Height, msgs[0], payer-got, cfFee)
	}
	if got := w.Nonce(k.Address()); got != nonce+1 {
		w.t.Fatalf("height %d: nonce %d after a failed tx, want %d", w.Height, got, nonce+1)
	}
	after := w.snapshot(k.Address())
	if !maps.Equal(before, after) {
		var diff []string
		for k, v := range after {
			if before[k] != v {
				diff = append(diff, fmt.Sprintf("%q: %q -> %q", k, before[k], v))
			}
		}
		for k, v := range before {
			if _, ok := after[k]; !ok {
				diff = append(diff, fmt.Sprintf("%q: %q -> deleted", k, v))
			}
		}
		slices.Sort(diff)
		w.t.Fatalf("height %d: a failed %T changed state:\n%s", w.Height, msgs[0], strings.Join(diff, "\n"))
	}
}

// snapshot is the state of the compute, flow, dat and idao modules (but
// the block-hash window, which moves every block) and the balances of the
// tracked accounts but payer's.
func (w *cf) snapshot(payer tx.Address) map[string]string {
	out := map[string]string{}
	it := w.App.Tree().Latest().Iterator(nil, nil)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		k := string(it.Key())
		switch {
		case strings.HasPrefix(k, "compute/bh/"), strings.HasPrefix(k, "compute/bhh/"):
		case strings.HasPrefix(k, "compute/"), strings.HasPrefix(k, "flow/"), strings.HasPrefix(k, "dat/"), strings.HasPrefix(k, "idao/"):
			out[k] = string(it.Value())
		}
	}
	for _, a := range w.tracked {
		if a != payer {
			out["balance of "+w.trackedName[a]] = strconv.FormatUint(w.Balance(a), 10)
		}
	}
	return out
}

// wspec is a worker to register: its operator's index and its bond.
type wspec struct {
	op   int
	bond uint64
}

// register registers the workers in one block, each attested against the
// last block's hash.
func (w *cf) register(specs ...wspec) []*wk {
	w.t.Helper()
	var calls []call
	var out []*wk
	for _, s := range specs {
		w.seq++
		e := apptest.NewEnclave(fmt.Sprintf("%s/%d", w.t.Name(), w.seq), w.signer)
		op := w.ops[s.op]
		calls = append(calls, call{op, []proto.Message{e.Register(w.t, op.Address(), computeIDAO, s.bond, apptest.BlockHash(w.Height))}})
		out = append(out, &wk{op: op, enc: e})
	}
	for i, r := range w.batch(calls...) {
		if r.Code != 0 {
			w.t.Fatalf("register worker %d: %d (%s) %s", i, r.Code, r.Codespace, r.Log)
		}
		out[i].id = id(w.t, r, "compute_worker", "worker")
	}
	return out
}

func (w *cf) worker(id uint64) *compute.Worker {
	w.t.Helper()
	var r compute.Worker
	w.QueryJSON("/compute/worker", compute.WorkerQuery{ID: id}, &r)
	return &r
}

// brief is a worker without its evidence, for messages.
func brief(x *compute.Worker) *compute.Worker {
	c := proto.Clone(x).(*compute.Worker)
	c.Evidence = nil
	return c
}

func (w *cf) contribution(id uint64) *flow.Contribution {
	w.t.Helper()
	var r flow.Contribution
	w.QueryJSON("/flow/contribution", flow.ContributionQuery{ID: id}, &r)
	return &r
}

func (w *cf) pool(id uint64) *flow.Pool {
	w.t.Helper()
	var r flow.Pool
	w.QueryJSON("/flow/pool", flow.PoolQuery{ID: id}, &r)
	return &r
}

func (w *cf) token(id uint64) *dat.Token {
	w.t.Helper()
	var r dat.QueryTokenResponse
	w.QueryJSON("/dat/token", dat.TokenQuery{ID: id}, &r)
	return r.Token
}

func (w *cf) class(id uint64) *dat.QueryClassResponse {
	w.t.Helper()
	var r dat.QueryClassResponse
	w.QueryJSON("/dat/class", dat.ClassQuery{ID: id}, &r)
	return &r
}

func hexSum(parts ...string) string {
	s := sha256.Sum256([]byte(strings.Join(parts, "/")))
	return hex.EncodeToString(s[:])
}

// grants wraps a data key to each worker (any bytes: the chain never
// opens them).
func grants(seed string, ws ...*wk) []*flow.Grant {
	var out []*flow.Grant
	for _, x := range ws {
		out = append(out, &flow.Grant{Worker: x.id, Wrapped: hexSum("wrap", seed, strconv.FormatUint(x.id, 10))})
	}
	return out
}

// sealed is a sealed blob named by seed, granted to ws.
func sealed(seed string, ws ...*wk) *flow.Sealed {
	return &flow.Sealed{
		CiphertextSha256: hexSum("ciphertext", seed), Size: 1000, Commitment: hexSum("commitment", seed),
		Grants: grants(seed, ws...),
	}
}

const cfSchema = `{"type":"object","required":["features","label"],"properties":{"label":{"type":"integer","minimum":0,"maximum":2}}}`

// poolMsg is a valid pool of iDAO 1 served by iDAO 2's workers, k of
// which t must agree, its validation set granted to validators.
func (w *cf) poolMsg(k, t uint32, validators ...*wk) *flow.MsgCreatePool {
	return &flow.MsgCreatePool{
		From: w.admin.Address().String(), Idao: dataIDAO, Name: "iris", Kind: "tabular", Schema: cfSchema,
		Validation: sealed("validation", validators...),
		Weights:    &flow.Weights{ValidityBps: 2000, UniquenessBps: 2000, ValueBps: 6000},
		KnnK:       3, QuorumK: k, ThresholdT: t, ProofPolicy: "tee", DeadlineBlocks: 200,
		VerifierFee: tx.FormatBaseUnits(poolFee), Terms: &flow.DATTerms{UsageValue: 100, SharePerPpm: 7, ExpireBlocks: 500},
		ComputeIdao: computeIDAO, MinScorePpm: 1000, MaxRounds: 3,
	}
}

// createPool creates a pool and returns its id and class.
func (w *cf) createPool(m *flow.MsgCreatePool) (uint64, uint64) {
	w.t.Helper()
	r := w.ok(w.admin, m)
	return id(w.t, r, "flow_pool", "pool"), id(w.t, r, "flow_pool", "class")
}

func (w *cf) contributeMsg(k *tx.PrivateKey, pool uint64, seed string, ws ...*wk) *flow.MsgContribute {
	return &flow.MsgContribute{From: k.Address().String(), Pool: pool, Data: sealed(seed, ws...), MaxFee: tx.FormatBaseUnits(poolFee)}
}

// contribute has k contribute the blob of seed to pool, granted to ws.
func (w *cf) contribute(k *tx.PrivateKey, pool uint64, seed string, ws ...*wk) *flow.Contribution {
	w.t.Helper()
	r := w.ok(k, w.contributeMsg(k, pool, seed, ws...))
	return w.contribution(id(w.t, r, "flow_contribute", "contribution"))
}

// result is x's signed result for c.
func (x *wk) result(c *flow.Contribution, verdict string, score uint32, reason string) *flow.MsgAttest {
	return x.enc.Result(x.op.Address(), c, x.id, verdict, score, reason)
}

// assigned are c's workers with an assignment of the given status, in
// assignment order.
func assigned(c *flow.Contribution, status string, all []*wk) []*wk {
	var out []*wk
	for _, a := range c.Assignments {
		if a.Status != status {
			continue
		}
		for _, x := range all {
			if x.id == a.Worker {
				out = append(out, x)
			}
		}
	}
	return out
}

func ids(ws []*wk) []uint64 {
	var out []uint64
	for _, x := range ws {
		out = append(out, x.id)
	}
	return out
}

func without(all []*wk, drop ...*wk) []*wk {
	var out []*wk
	for _, x := range all {
		if !slices.Contains(drop, x) {
			out = append(out, x)
		}
	}
	return out
}

// slashOf is bps of bond, rounded down, computed in 128 bits.
func slashOf(bond uint64, bps uint32) uint64 {
	hi, lo := bits.Mul64(bond, uint64(bps))
	q, _ := bits.Div64(hi, lo, 10000)
	return q
}

// in runs f as subtest name with the harness reporting to the subtest.
func (w *cf) in(name string, f func()) {
	w.t.Run(name, func(t *testing.T) {
		parent := w.t
		w.t, w.Harness.T = t, t
		defer func() { w.t, w.Harness.T = parent, parent }()
		f()
	})
}

// TestComputeRegisterWorker registers a worker with dev evidence and has
// every kind of bad registration refused with its reason and no effect.
func TestComputeRegisterWorker(t *testing.T) {
	const window = 4
	w := newCF(t, 2, func(p *compute.Params) { p.BlockHashWindow = window; p.MinBond = "1000000" })
	w.empty(6)
	op := w.ops[0]
	e := apptest.NewEnclave("register/main", w.signer)
	other := apptest.NewEnclave("register/other", w.signer)
	var otherMeasurement [48]byte
	copy(otherMeasurement[:], bytes.Repeat([]byte{0x5a}, 48))
	strange, err := attest.NewDevSigner(otherMeasurement)
	if err != nil {
		t.Fatal(err)
	}
	// good is a valid registration for the next block, bound to the
	// latest block hash.
	good := func() *compute.MsgRegisterWorker {
		return e.Register(w.t, op.Address(), computeIDAO, testBond, apptest.BlockHash(w.Height))
	}
	withEvidence := func(hash []byte, ev []byte) func(m *compute.MsgRegisterWorker) {
		return func(m *compute.MsgRegisterWorker) { m.BlockHash = hex.EncodeToString(hash); m.Evidence = ev }
	}
	fakeHash := sha256.Sum256([]byte("not a block of this chain"))
	cases := []struct {
		name     string
		signer   *tx.PrivateKey
		edit     func(m *compute.MsgRegisterWorker)
		want     *codes.Error
		mentions []string
	}{
		{"not a compute provider (admin)", w.admin, nil, compute.ErrUnauthorized, []string{"compute_provider", "iDAO 2"}},
		{"not a compute provider (outsider)", w.alice, nil, compute.ErrUnauthorized, []string{"compute_provider"}},
		{"provider of another iDAO", w.foreign, nil, compute.ErrUnauthorized, []string{"compute_provider"}},
		{"provider but wrong iDAO", op, func(m *compute.MsgRegisterWorker) { m.Idao = dataIDAO }, compute.ErrUnauthorized, []string{"iDAO 1"}},
		{"HPKE key not hex", op, func(m *compute.MsgRegisterWorker) { m.HpkePublicKey = "zz" + m.HpkePublicKey[2:] }, compute.ErrInvalidWorker, []string{"hpke_public_key"}},
		{"HPKE key short", op, func(m *compute.MsgRegisterWorker) { m.HpkePublicKey = m.HpkePublicKey[2:] }, compute.ErrInvalidWorker, []string{"hpke_public_key", "64 hex digits"}},
		{"signing key short", op, func(m *compute.MsgRegisterWorker) { m.SigningKey = m.SigningKey[:62] }, compute.ErrInvalidWorker, []string{"signing_key"}},
		{"signing key missing", op, func(m *compute.MsgRegisterWorker) { m.SigningKey = "" }, compute.ErrInvalidWorker, []string{"signing_key"}},
		{"endpoint not http", op, func(m *compute.MsgRegisterWorker) { m.Endpoint = "ftp://worker.example" }, compute.ErrInvalidWorker, []string{"endpoint"}},
		{"endpoint without host", op, func(m *compute.MsgRegisterWorker) { m.Endpoint = "https://" }, compute.ErrInvalidWorker, []string{"endpoint"}},
		{"endpoint too long", op, func(m *compute.MsgRegisterWorker) {
			m.Endpoint = "https://w.example/" + strings.Repeat("a", compute.MaxEndpointLen)
		}, compute.ErrInvalidWorker, []string{"endpoint", "256"}},
		{"bond below minimum", op, func(m *compute.MsgRegisterWorker) { m.Bond = "999999" }, compute.ErrInsufficientBond, []string{"999999", "1000000"}},
		{"bond not a number", op, func(m *compute.MsgRegisterWorker) { m.Bond = "1e9" }, compute.ErrInsufficientBond, []string{"1e9"}},
		{"bond above balance", op, func(m *compute.MsgRegisterWorker) { m.Bond = "100000000001" }, bank.ErrInsufficientFunds, []string{"100000000001"}},
		{"evidence for another chain id", op, func(m *compute.MsgRegisterWorker) {
			m.Evidence = e.Evidence(w.t, "another-chain-1", op.Address(), apptest.BlockHash(w.Height), attest.DevOptions{})
		}, compute.ErrAttestation, []string{"report data"}},
		{"evidence bound to another operator", op, func(m *compute.MsgRegisterWorker) {
			m.Evidence = e.Evidence(w.t, apptest.ChainID, tx.DeterministicKey("someone else").Address(), apptest.BlockHash(w.Height), attest.DevOptions{})
		}, compute.ErrAttestation, []string{"report data"}},
		{"evidence for another key", op, func(m *compute.MsgRegisterWorker) {
			m.Evidence = other.Evidence(w.t, apptest.ChainID, op.Address(), apptest.BlockHash(w.Height), attest.DevOptions{})
		}, compute.ErrAttestation, []string{"report data"}},
		{"evidence for a hash no block had", op, func(m *compute.MsgRegisterWorker) {
			withEvidence(fakeHash[:], e.Evidence(w.t, apptest.ChainID, op.Address(), fakeHash[:], attest.DevOptions{}))(m)
		}, compute.ErrStaleBlockHash, []string{hex.EncodeToString(fakeHash[:]), "last 4 blocks"}},
		{"evidence for a hash just out of the window", op, func(m *compute.MsgRegisterWorker) {
			old := apptest.BlockHash(w.Height + 1 - window)
			withEvidence(old, e.Evidence(w.t, apptest.ChainID, op.Address(), old, attest.DevOptions{}))(m)
		}, compute.ErrStaleBlockHash, []string{"attest again"}},
		{"evidence for the genesis-era hash", op, func(m *compute.MsgRegisterWorker) {
			old := apptest.BlockHash(1)
			withEvidence(old, e.Evidence(w.t, apptest.ChainID, op.Address(), old, attest.DevOptions{}))(m)
		}, compute.ErrStaleBlockHash, []string{hex.EncodeToString(apptest.BlockHash(1))}},
		{"block hash not hex", op, func(m *compute.MsgRegisterWorker) { m.BlockHash = "xyz" }, compute.ErrStaleBlockHash, []string{"64 hex digits"}},
		{"claimed hash differs from the attested one", op, func(m *compute.MsgRegisterWorker) {
			m.BlockHash = hex.EncodeToString(apptest.BlockHash(w.Height - 1))
		}, compute.ErrAttestation, []string{"report data"}},
		{"tampered evidence", op, func(m *compute.MsgRegisterWorker) {
			rd := e.ReportData(apptest.ChainID, op.Address(), apptest.BlockHash(w.Height))
			i := bytes.Index(m.Evidence, rd[:])
			if i < 0 {
				w.t.Fatal("report data not found in the evidence")
			}
			m.Evidence[i+10] ^= 0x01
		}, compute.ErrAttestation, []string{"does not verify"}},
		{"truncated evidence", op, func(m *compute.MsgRegisterWorker) { m.Evidence = m.Evidence[:len(m.Evidence)/2] }, compute.ErrAttestation, []string{"sev-snp attestation"}},
		{"no evidence", op, func(m *compute.MsgRegisterWorker) { m.Evidence = nil }, compute.ErrAttestation, []string{"0 bytes"}},
		{"evidence too large", op, func(m *compute.MsgRegisterWorker) { m.Evidence = make([]byte, compute.MaxEvidenceLen+1) }, compute.ErrAttestation, []string{"65537 bytes"}},
		{"measurement not allowed", op, func(m *compute.MsgRegisterWorker) {
			x := &apptest.Enclave{HPKE: e.HPKE, Key: e.Key, Signer: strange}
			m.Evidence = x.Evidence(w.t, apptest.ChainID, op.Address(), apptest.BlockHash(w.Height), attest.DevOptions{})
		}, compute.ErrAttestation, []string{hex.EncodeToString(otherMeasurement[:]), "not allowed"}},
		{"debug enclave", op, func(m *compute.MsgRegisterWorker) {
			m.Evidence = e.Evidence(w.t, apptest.ChainID, op.Address(), apptest.BlockHash(w.Height), attest.DevOptions{Debug: true})
		}, compute.ErrAttestation, []string{"debug"}},
		{"expired VCEK", op, func(m *compute.MsgRegisterWorker) {
			m.Evidence = e.Evidence(w.t, apptest.ChainID, op.Address(), apptest.BlockHash(w.Height), attest.DevOptions{VCEKNotAfter: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)})
		}, compute.ErrAttestation, []string{"not valid at the verification time", "2025-06-01"}},
		{"TDX kind for SEV evidence", op, func(m *compute.MsgRegisterWorker) { m.Kind = attest.KindTDX }, compute.ErrAttestation, []string{"tdx attestation"}},
		{"unknown kind", op, func(m *compute.MsgRegisterWorker) { m.Kind = "sgx" }, compute.ErrAttestation, []string{"unsupported evidence kind"}},
	}
	for _, c := range cases {
		w.in(c.name, func() {
			m := good()
			m.From = c.signer.Address().String()
			if c.edit != nil {
				c.edit(m)
			}
			w.fails(c.signer, c.want, c.mentions, m)
		})
	}

	// The oldest hash still in the window is accepted.
	opBefore, escrowBefore := w.Balance(op.Address()), w.Balance(compute.BondEscrow)
	hash := apptest.BlockHash(w.Height + 2 - window)
	m := e.Register(t, op.Address(), computeIDAO, testBond, hash)
	m.Endpoint = "https://worker-1.example:8443"
	r := w.ok(op, m)
	wid := id(t, r, "compute_worker", "worker")
	if !hasEvent(r.Events, "compute_worker", "action", "register", "dev", "true", "operator", op.Address().String()) {
		t.Fatalf("no register event in %v", r.Events)
	}
	got := w.worker(wid)
	digest := sha256.Sum256(m.Evidence)
	want := &compute.Worker{
		Id: wid, Idao: computeIDAO, Operator: op.Address().String(),
		HpkePublicKey: hex.EncodeToString(e.HPKE), SigningKey: hex.EncodeToString(e.SigningKey()),
		Endpoint: m.Endpoint, Bond: strconv.FormatUint(testBond, 10), Kind: attest.KindSEVSNP,
		Measurement: hex.EncodeToString(enclave.DevMeasurement[:]), Dev: true,
		AttestationDigest: hex.EncodeToString(digest[:]), RegisteredHeight: w.Height, RenewedHeight: w.Height,
		ExpiresHeight: w.Height + int64(w.params.RegistrationBlocks), Status: compute.StatusActive, Slashed: "0",
		Evidence: m.Evidence, BlockHash: hex.EncodeToString(hash),
	}
	if !proto.Equal(got, want) {
		t.Fatalf("registered worker\n got %v\nwant %v", brief(got), brief(want))
	}
	if d := opBefore - w.Balance(op.Address()); d != testBond+cfFee {
		t.Fatalf("the operator paid %d, want the bond %d and the fee %d", d, testBond, cfFee)
	}
	if d := w.Balance(compute.BondEscrow) - escrowBefore; d != testBond {
		t.Fatalf("the bond escrow got %d, want %d", d, testBond)
	}
	var list compute.QueryWorkersResponse
	w.QueryJSON("/compute/workers", compute.WorkersQuery{IDAO: computeIDAO}, &list)
	if len(list.Workers) != 1 || list.Workers[0].Id != wid || !list.DevAttestation {
		t.Fatalf("%d workers of iDAO 2 (dev %v), want worker %d only", len(list.Workers), list.DevAttestation, wid)
	}
	w.QueryJSON("/compute/workers", compute.WorkersQuery{IDAO: dataIDAO}, &list)
	if len(list.Workers) != 0 {
		t.Fatalf("%d workers of iDAO 1, want none", len(list.Workers))
	}

	// The same HPKE key again, even from another operator with valid
	// evidence for it, is refused: enclaves generate their own keys.
	dup := apptest.NewEnclave("register/dup", w.signer)
	dup.HPKE = e.HPKE
	w.fails(w.ops[1], compute.ErrDuplicateKey, []string{hex.EncodeToString(e.HPKE), "already registered"},
		dup.Register(t, w.ops[1].Address(), computeIDAO, testBond, apptest.BlockHash(w.Height)))
}

// TestComputeAttestationPolicy registers dev evidence under other
// parameters: without dev attestation it is refused; a TCB minimum refuses
// older firmware and admits the minimum; allow_debug admits a debug
// enclave.
func TestComputeAttestationPolicy(t *testing.T) {
	minTCB, err := kds.ComposeTCBParts(kds.TCBParts{BlSpl: 3, TeeSpl: 0, SnpSpl: 8, UcodeSpl: 115})
	if err != nil {
		t.Fatal(err)
	}
	belowTCB, err := kds.ComposeTCBParts(kds.TCBParts{BlSpl: 3, TeeSpl: 0, SnpSpl: 7, UcodeSpl: 200})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		tweak    func(p *compute.Params)
		opts     attest.DevOptions
		want     *codes.Error // nil: admitted
		mentions []string
	}{
		{"dev attestation off", func(p *compute.Params) { p.DevAttestation = false }, attest.DevOptions{}, compute.ErrAttestation, []string{"not a trusted pair"}},
		{"TCB below the minimum", func(p *compute.Params) { p.MinSevTcb = uint64(minTCB) }, attest.DevOptions{TCB: uint64(belowTCB)}, compute.ErrAttestation, []string{"below the policy minimum"}},
		{"all-zero TCB under a minimum", func(p *compute.Params) { p.MinSevTcb = uint64(minTCB) }, attest.DevOptions{}, compute.ErrAttestation, []string{"below the policy minimum"}},
		{"TCB at the minimum", func(p *compute.Params) { p.MinSevTcb = uint64(minTCB) }, attest.DevOptions{TCB: uint64(minTCB)}, nil, nil},
		{"debug allowed", func(p *compute.Params) { p.AllowDebug = true }, attest.DevOptions{Debug: true}, nil, nil},
		{"no measurement allowed", func(p *compute.Params) { p.Measurements = nil }, attest.DevOptions{}, compute.ErrAttestation, []string{"allowlist is empty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newCF(t, 1, c.tweak)
			w.empty(1)
			e := apptest.NewEnclave("policy", w.signer)
			m := e.Register(t, w.ops[0].Address(), computeIDAO, testBond, apptest.BlockHash(w.Height))
			m.Evidence = e.Evidence(t, apptest.ChainID, w.ops[0].Address(), apptest.BlockHash(w.Height), c.opts)
			if c.want != nil {
				w.fails(w.ops[0], c.want, c.mentions, m)
				return
			}
			got := w.worker(id(t, w.ok(w.ops[0], m), "compute_worker", "worker"))
			if !got.Dev || got.Tcb != c.opts.TCB || got.Status != compute.StatusActive {
				t.Fatalf("worker %v, want dev, TCB %#x, active", brief(got), c.opts.TCB)
			}
		})
	}
}

// TestComputeGenesisParams takes the genesis parameters as given, zero
// values included, keeps the defaults of fields left out, and refuses bad
// ones.
func TestComputeGenesisParams(t *testing.T) {
	// No slashing: a missed deadline counts but takes nothing.
	w := newCF(t, 2, func(p *compute.Params) { p.MissSlashBps = 0; p.AttestationGas = 0 })
	w.empty(1) // genesis is committed with block 1
	var got compute.QueryParamsResponse
	w.QueryJSON("/compute/params", struct{}{}, &got)
	if !proto.Equal(got.Params, w.params) {
		t.Fatalf("params miss_slash_bps %d attestation_gas %d, want both 0 as in genesis", got.Params.MissSlashBps, got.Params.AttestationGas)
	}
	ws := w.register(wspec{0, testBond}, wspec{1, testBond})
	pm := w.poolMsg(1, 1, ws...)
	pm.DeadlineBlocks = 3
	pool, _ := w.createPool(pm)
	c := w.contribute(w.alice, pool, "no slashing", ws[0])
	for w.Height < c.Deadline {
		w.empty(1)
	}
	if a := w.worker(ws[0].id); a.Missed != 1 || compute.Bond(a) != testBond || a.Slashed != "0" {
		t.Fatalf("worker after a missed deadline without slashing: %v", brief(a))
	}

	// Fields left out keep their defaults.
	dev := enclave.DevComputeParams()
	h := apptest.New(t, nil, apptest.GenesisWith(t, nil, map[string]any{compute.Name: map[string]any{"params": map[string]any{
		"dev_attestation": true, "measurements": dev.Measurements, "registrationBlocks": "7"}}}))
	h.Block()
	dev.RegistrationBlocks = 7
	h.QueryJSON("/compute/params", struct{}{}, &got)
	if !proto.Equal(got.Params, dev) {
		t.Fatalf("params from a partial genesis: registration_blocks %d, min_bond %s, window %d", got.Params.RegistrationBlocks, got.Params.MinBond, got.Params.BlockHashWindow)
	}

	// Bad values stop the chain from starting.
	for bad, mention := range map[string]string{
		`{"miss_slash_bps":10001}`:    "miss_slash_bps 10001",
		`{"registration_blocks":0}`:   "registration_blocks",
		`{"block_hash_window":"0"}`:   "block_hash_window",
		`{"min_bond":""}`:             "min_bond",
		`{"measurements":["abcd"]}`:   `measurement "abcd"`,
		`{"min_tdx_tee_tcb_svn":"1"}`: "min_tdx_tee_tcb_svn",
	} {
		a, err := app.New(store.NewMemTree(), app.Options{ChainID: apptest.ChainID})
		if err != nil {
			t.Fatal(err)
		}
		state := apptest.GenesisWith(t, nil, map[string]any{compute.Name: map[string]any{"params": json.RawMessage(bad)}})
		_, err = a.InitChain(context.Background(), &abci.InitChainRequest{ChainId: apptest.ChainID, Time: apptest.GenesisTime, InitialHeight: 1, AppStateBytes: state})
		if err == nil || !strings.Contains(err.Error(), mention) {
			t.Fatalf("genesis params %s: %v, want an error naming %s", bad, err, mention)
		}
	}
}

// TestComputeWorkerLifecycle renews, lapses and retires workers: only the
// operator renews, renewal extends the registration, a lapsed worker is
// neither granted nor assigned (not even as a replacement) until renewed,
// and retirement returns the bond but waits for open jobs.
func TestComputeWorkerLifecycle(t *testing.T) {
	const regBlocks = 12
	w := newCF(t, 3, func(p *compute.Params) { p.RegistrationBlocks = regBlocks })
	w.empty(1)
	ws := w.register(wspec{0, testBond}, wspec{1, 2 * testBond}, wspec{2, testBond})
	a, b, c := ws[0], ws[1], ws[2]
	regH := w.Height
	if got := w.worker(b.id); got.ExpiresHeight != regH+regBlocks || got.Status != compute.StatusActive {
		t.Fatalf("worker %d expires at %d (%s), want %d", b.id, got.ExpiresHeight, got.Status, regH+regBlocks)
	}
	pm := w.poolMsg(1, 1, a, b, c)
	pm.DeadlineBlocks = regBlocks
	pool, _ := w.createPool(pm)
	// Granted to b and c only, before they lapse; its deadline comes after.
	stranded := w.contribute(w.alice, pool, "stranded", b, c)
	first := assigned(stranded, flow.AssignPending, ws)
	if len(first) != 1 || first[0] == a {
		t.Fatalf("assignments %v, want one of b, c", stranded.Assignments)
	}

	renew := func(x *wk, by *tx.PrivateKey, enc *apptest.Enclave) *compute.MsgRenewWorker {
		return &compute.MsgRenewWorker{From: by.Address().String(), Worker: x.id, Kind: attest.KindSEVSNP,
			Evidence:  enc.Evidence(t, apptest.ChainID, x.op.Address(), apptest.BlockHash(w.Height), attest.DevOptions{}),
			BlockHash: hex.EncodeToString(apptest.BlockHash(w.Height))}
	}
	w.fails(b.op, compute.ErrUnauthorized, []string{"does not operate", "renew"}, renew(a, b.op, a.enc))
	w.fails(a.op, compute.ErrAttestation, []string{"report data"}, renew(a, a.op, b.enc))
	w.fails(a.op, compute.ErrNotFound, []string{"worker 99"}, &compute.MsgRenewWorker{From: a.op.Address().String(), Worker: 99})
	before := w.worker(a.id)
	m := renew(a, a.op, a.enc)
	r := w.ok(a.op, m)
	if !hasEvent(r.Events, "compute_worker", "action", "renew", "worker", strconv.FormatUint(a.id, 10)) {
		t.Fatalf("no renew event: %v", r.Events)
	}
	after := w.worker(a.id)
	digest := sha256.Sum256(m.Evidence)
	if after.ExpiresHeight != w.Height+regBlocks || after.RenewedHeight != w.Height || after.RegisteredHeight != before.RegisteredHeight ||
		after.AttestationDigest != hex.EncodeToString(digest[:]) || after.BlockHash != m.BlockHash || !bytes.Equal(after.Evidence, m.Evidence) ||
		after.Bond != before.Bond {
		t.Fatalf("renewed worker %v (before %v)", brief(after), brief(before))
	}

	// b and c lapse at regH+regBlocks exactly.
	for w.Height < regH+regBlocks-1 {
		w.empty(1)
	}
	if got := w.worker(b.id).Status; got != compute.StatusActive {
		t.Fatalf("at height %d worker %d is %s, want active until %d", w.Height, b.id, got, regH+regBlocks)
	}
	w.empty(1)
	for _, x := range []*wk{b, c} {
		if got := w.worker(x.id).Status; got != compute.StatusLapsed {
			t.Fatalf("at height %d worker %d is %s, want lapsed", w.Height, x.id, got)
		}
	}
	if got := w.worker(a.id).Status; got != compute.StatusActive {
		t.Fatalf("renewed worker %d is %s", a.id, got)
	}
	// A lapsed worker takes no new grants...
	w.fails(w.alice, flow.ErrInvalidSealed, []string{fmt.Sprintf("worker %d, which is lapsed", b.id)}, w.contributeMsg(w.alice, pool, "late", a, b))
	// ...and is no replacement: at the deadline the missed worker is
	// slashed and, the other granted worker having lapsed, the job stalls.
	for w.Height < stranded.Deadline-1 {
		w.empty(1)
	}
	missedBefore := w.worker(first[0].id)
	events := w.empty(1)
	got := w.contribution(stranded.Id)
	if got.Status != flow.StatusStalled || got.Round != 1 || !strings.Contains(got.Reason, "no eligible worker") {
		t.Fatalf("stranded contribution: %s round %d (%q), want stalled in round 1 with no replacement", got.Status, got.Round, got.Reason)
	}
	if !hasEvent(events, "flow_deadline", "contribution", strconv.FormatUint(stranded.Id, 10), "missed", "1", "replaced", "0", "status", flow.StatusStalled) {
		t.Fatalf("no deadline event: %v", events)
	}
	slashed := w.worker(first[0].id)
	if compute.Bond(slashed) != compute.Bond(missedBefore)-slashOf(compute.Bond(missedBefore), w.params.MissSlashBps) || slashed.Missed != 1 || slashed.OpenJobs != 0 {
		t.Fatalf("missed worker %v (before %v)", brief(slashed), brief(missedBefore))
	}

	// Renewed, b is granted and assigned again.
	w.ok(b.op, renew(b, b.op, b.enc))
	if got := w.worker(b.id); got.Status != compute.StatusActive || got.ExpiresHeight != w.Height+regBlocks {
		t.Fatalf("renewed lapsed worker %v", brief(got))
	}
	cb := w.contribute(w.alice, pool, "for b", b)
	if as := assigned(cb, flow.AssignPending, ws); len(as) != 1 || as[0] != b {
		t.Fatalf("assignments %v, want worker %d", cb.Assignments, b.id)
	}

	// Retirement waits for open jobs and returns the bond.
	w.fails(b.op, compute.ErrWorkerBusy, []string{"1 open job"}, &compute.MsgRetireWorker{From: b.op.Address().String(), Worker: b.id})
	w.fails(a.op, compute.ErrUnauthorized, []string{"does not operate", "retire"}, &compute.MsgRetireWorker{From: a.op.Address().String(), Worker: b.id})
	w.ok(b.op, b.result(cb, flow.VerdictAccept, 500_000, ""))
	if got := w.contribution(cb.Id); got.Status != flow.StatusAnchored {
		t.Fatalf("contribution %d is %s, want anchored", cb.Id, got.Status)
	}
	for _, x := range []*wk{b, c} { // c is lapsed: it may retire too
		bond := compute.Bond(w.worker(x.id))
		opBefore, escrowBefore := w.Balance(x.op.Address()), w.Balance(compute.BondEscrow)
		r := w.ok(x.op, &compute.MsgRetireWorker{From: x.op.Address().String(), Worker: x.id})
		if !hasEvent(r.Events, "compute_worker", "action", "retire", "returned", strconv.FormatUint(bond, 10)) {
			t.Fatalf("no retire event returning %d: %v", bond, r.Events)
		}
		if got := w.Balance(x.op.Address()); got != opBefore+bond-cfFee {
			t.Fatalf("operator has %d after retiring, want %d", got, opBefore+bond-cfFee)
		}
		if got := w.Balance(compute.BondEscrow); got != escrowBefore-bond {
			t.Fatalf("bond escrow %d after retiring, want %d", got, escrowBefore-bond)
		}
		if got := w.worker(x.id); got.Status != compute.StatusRetired || got.Bond != "0" {
			t.Fatalf("retired worker %v", brief(got))
		}
	}
	w.fails(b.op, compute.ErrWorkerInactive, []string{"already retired"}, &compute.MsgRetireWorker{From: b.op.Address().String(), Worker: b.id})
	w.fails(b.op, compute.ErrWorkerInactive, []string{"retired"}, renew(b, b.op, b.enc))
	w.fails(w.alice, flow.ErrInvalidSealed, []string{fmt.Sprintf("worker %d, which is retired", b.id)}, w.contributeMsg(w.alice, pool, "to retired", b))
}

// TestFlowCreatePool creates a pool and has every bad pool refused.
func TestFlowCreatePool(t *testing.T) {
	w := newCF(t, 4, nil)
	w.empty(1)
	ws := w.register(wspec{0, testBond}, wspec{1, testBond}, wspec{2, testBond}, wspec{3, testBond})
	retired := ws[3]
	w.ok(retired.op, &compute.MsgRetireWorker{From: retired.op.Address().String(), Worker: retired.id})
	live := ws[:3]

	m := w.poolMsg(3, 2, live...)
	m.KnnK, m.DupThresholdPpm, m.MaxRounds = 0, 0, 0 // defaults
	r := w.ok(w.admin, m)
	pid, cls := id(t, r, "flow_pool", "pool"), id(t, r, "flow_pool", "class")
	p := w.pool(pid)
	def, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	defSum := sha256.Sum256(def)
	if p.Idao != dataIDAO || p.Creator != w.admin.Address().String() || p.Class != cls || p.KnnK != flow.DefaultKNN ||
		p.DupThresholdPpm != flow.DefaultDupPPM || p.MaxRounds != flow.DefaultRounds || p.QuorumK != 3 || p.ThresholdT != 2 ||
		p.VerifierFee != strconv.Itoa(poolFee) || !proto.Equal(p.Validation, m.Validation) || p.CreatedHeight != w.Height || p.Anchored != 0 {
		t.Fatalf("pool %v", p)
	}
	c := w.class(cls).Class
	if c.Idao != dataIDAO || c.Name != "pool iris" || c.MetadataUri != fmt.Sprintf("lazchain:flow/pools/%d", pid) ||
		c.IntegrityHash != hex.EncodeToString(defSum[:]) || c.Tokens != 0 {
		t.Fatalf("pool class %v", c)
	}
	var classes dat.QueryClassesResponse
	w.QueryJSON("/dat/classes", dat.ClassesQuery{IDAO: dataIDAO}, &classes)
	if len(classes.Classes) != 1 || classes.Classes[0].Id != cls {
		t.Fatalf("classes of iDAO 1: %v", classes.Classes)
	}

	type edit = func(m *flow.MsgCreatePool)
	cases := []struct {
		name     string
		signer   *tx.PrivateKey
		edit     edit
		want     *codes.Error
		mentions []string
	}{
		{"not a member", w.alice, nil, flow.ErrUnauthorized, []string{"not an admin of iDAO 1"}},
		{"member, not admin", w.foreign, nil, flow.ErrUnauthorized, []string{"not an admin of iDAO 1"}},
		{"admin of another iDAO", w.ops[0], nil, flow.ErrUnauthorized, []string{"not an admin"}},
		{"unknown iDAO", w.admin, func(m *flow.MsgCreatePool) { m.Idao = 99 }, flow.ErrNotFound, []string{"iDAO 99"}},
		{"no name", w.admin, func(m *flow.MsgCreatePool) { m.Name = "" }, flow.ErrInvalidPool, []string{"name"}},
		{"long name", w.admin, func(m *flow.MsgCreatePool) { m.Name = strings.Repeat("n", flow.MaxNameLen+1) }, flow.ErrInvalidPool, []string{"name is 65 bytes"}},
		{"unknown kind", w.admin, func(m *flow.MsgCreatePool) { m.Kind = "image" }, flow.ErrInvalidPool, []string{`kind "image"`}},
		{"schema not JSON", w.admin, func(m *flow.MsgCreatePool) { m.Schema = "{not json" }, flow.ErrInvalidPool, []string{"schema"}},
		{"schema not an object", w.admin, func(m *flow.MsgCreatePool) { m.Schema = `{"type":"array"}` }, flow.ErrInvalidPool, []string{"schema"}},
		{"schema requires an unknown field", w.admin, func(m *flow.MsgCreatePool) { m.Schema = `{"required":["image"]}` }, flow.ErrInvalidPool, []string{"image"}},
		{"schema too large", w.admin, func(m *flow.MsgCreatePool) {
			m.Schema = `{"description":"` + strings.Repeat("x", flow.MaxSchemaLen) + `"}`
		}, flow.ErrInvalidPool, []string{"at most 16384"}},
		{"weights 9999", w.admin, func(m *flow.MsgCreatePool) { m.Weights.ValueBps-- }, flow.ErrInvalidPool, []string{"10000"}},
		{"weights 10001", w.admin, func(m *flow.MsgCreatePool) { m.Weights.ValueBps++ }, flow.ErrInvalidPool, []string{"10000"}},
		{"no weights", w.admin, func(m *flow.MsgCreatePool) { m.Weights = nil }, flow.ErrInvalidPool, []string{"10000"}},
		{"knn too large", w.admin, func(m *flow.MsgCreatePool) { m.KnnK = flow.MaxKNN + 1 }, flow.ErrInvalidPool, []string{"knn_k 101"}},
		{"k = 0", w.admin, func(m *flow.MsgCreatePool) { m.QuorumK, m.ThresholdT = 0, 0 }, flow.ErrInvalidPool, []string{"quorum_k 0"}},
		{"k above max", w.admin, func(m *flow.MsgCreatePool) { m.QuorumK, m.ThresholdT = flow.MaxQuorum+1, flow.MaxQuorum }, flow.ErrInvalidPool, []string{"quorum_k 17"}},
		{"t = 0", w.admin, func(m *flow.MsgCreatePool) { m.QuorumK, m.ThresholdT = 1, 0 }, flow.ErrInvalidPool, []string{"threshold_t 0 of quorum_k 1"}},
		{"t > k", w.admin, func(m *flow.MsgCreatePool) { m.QuorumK, m.ThresholdT = 3, 4 }, flow.ErrInvalidPool, []string{"threshold_t 4 of quorum_k 3"}},
		{"2t = k", w.admin, func(m *flow.MsgCreatePool) { m.QuorumK, m.ThresholdT = 4, 2 }, flow.ErrInvalidPool, []string{"threshold_t 2 of quorum_k 4", "majority"}},
		{"2t < k", w.admin, func(m *flow.MsgCreatePool) { m.QuorumK, m.ThresholdT = 3, 1 }, flow.ErrInvalidPool, []string{"threshold_t 1 of quorum_k 3"}},
		{"zk policy", w.admin, func(m *flow.MsgCreatePool) { m.ProofPolicy = "zk" }, flow.ErrUnsupportedPolicy, []string{`"zk"`, "not supported"}},
		{"op policy", w.admin, func(m *flow.MsgCreatePool) { m.ProofPolicy = "op" }, flow.ErrUnsupportedPolicy, []string{`"op"`}},
		{"unknown policy", w.admin, func(m *flow.MsgCreatePool) { m.ProofPolicy = "sgx" }, flow.ErrInvalidPool, []string{`proof policy "sgx"`}},
		{"no policy", w.admin, func(m *flow.MsgCreatePool) { m.ProofPolicy = "" }, flow.ErrInvalidPool, []string{"proof policy"}},
		{"deadline 0", w.admin, func(m *flow.MsgCreatePool) { m.DeadlineBlocks = 0 }, flow.ErrInvalidPool, []string{"deadline_blocks 0"}},
		{"deadline too far", w.admin, func(m *flow.MsgCreatePool) { m.DeadlineBlocks = flow.MaxDeadline + 1 }, flow.ErrInvalidPool, []string{"deadline_blocks 100001"}},
		{"fee negative", w.admin, func(m *flow.MsgCreatePool) { m.VerifierFee = "-1" }, flow.ErrInvalidPool, []string{"verifier_fee"}},
		{"fee leading zero", w.admin, func(m *flow.MsgCreatePool) { m.VerifierFee = "0100" }, flow.ErrInvalidPool, []string{"verifier_fee"}},
		{"fee missing", w.admin, func(m *flow.MsgCreatePool) { m.VerifierFee = "" }, flow.ErrInvalidPool, []string{"verifier_fee"}},
		{"fee overflows", w.admin, func(m *flow.MsgCreatePool) { m.VerifierFee = "18446744073709551616" }, flow.ErrInvalidPool, []string{"verifier_fee"}},
		{"no terms", w.admin, func(m *flow.MsgCreatePool) { m.Terms = nil }, flow.ErrInvalidPool, []string{"share_per_ppm"}},
		{"share 0", w.admin, func(m *flow.MsgCreatePool) { m.Terms.SharePerPpm = 0 }, flow.ErrInvalidPool, []string{"share_per_ppm must be at least 1"}},
		{"share overflows", w.admin, func(m *flow.MsgCreatePool) { m.Terms.SharePerPpm = (1<<64-1)/flow.PPM + 1 }, flow.ErrInvalidPool, []string{"overflows"}},
		{"unknown compute iDAO", w.admin, func(m *flow.MsgCreatePool) { m.ComputeIdao = 99 }, flow.ErrNotFound, []string{"compute iDAO 99"}},
		{"min score above 1e6", w.admin, func(m *flow.MsgCreatePool) { m.MinScorePpm = flow.PPM + 1 }, flow.ErrInvalidPool, []string{"min_score_ppm 1000001"}},
		{"dup threshold above 1e6", w.admin, func(m *flow.MsgCreatePool) { m.DupThresholdPpm = flow.PPM + 1 }, flow.ErrInvalidPool, []string{"dup_threshold_ppm 1000001"}},
		{"too many rounds", w.admin, func(m *flow.MsgCreatePool) { m.MaxRounds = flow.MaxRounds + 1 }, flow.ErrInvalidPool, []string{"max_rounds 11"}},
		{"no validation set", w.admin, func(m *flow.MsgCreatePool) { m.Validation = nil }, flow.ErrInvalidSealed, []string{"validation set: missing"}},
		{"validation not granted", w.admin, func(m *flow.MsgCreatePool) { m.Validation.Grants = nil }, flow.ErrInvalidSealed, []string{"no grants"}},
		{"grant to an unknown worker", w.admin, func(m *flow.MsgCreatePool) {
			m.Validation.Grants = append(m.Validation.Grants, &flow.Grant{Worker: 99, Wrapped: "00ff"})
		}, flow.ErrInvalidSealed, []string{"worker 99"}},
		{"grant to a retired worker", w.admin, func(m *flow.MsgCreatePool) { m.Validation.Grants = grants("v", slices.Concat(live, []*wk{retired})...) },
			flow.ErrInvalidSealed, []string{fmt.Sprintf("worker %d, which is retired", retired.id)}},
		{"two grants to one worker", w.admin, func(m *flow.MsgCreatePool) {
			m.Validation.Grants = append(m.Validation.Grants, &flow.Grant{Worker: live[0].id, Wrapped: "abcd"})
		}, flow.ErrInvalidSealed, []string{fmt.Sprintf("worker %d has two grants", live[0].id)}},
		{"wrapped key not hex", w.admin, func(m *flow.MsgCreatePool) { m.Validation.Grants[0].Wrapped = "xyz" }, flow.ErrInvalidSealed, []string{"hex"}},
		{"wrapped key empty", w.admin, func(m *flow.MsgCreatePool) { m.Validation.Grants[0].Wrapped = "" }, flow.ErrInvalidSealed, []string{"hex"}},
		{"wrapped key too long", w.admin, func(m *flow.MsgCreatePool) {
			m.Validation.Grants[0].Wrapped = strings.Repeat("ab", flow.MaxWrappedLen+1)
		}, flow.ErrInvalidSealed, []string{"256 bytes"}},
		{"too many grants", w.admin, func(m *flow.MsgCreatePool) {
			for i := range flow.MaxGrants + 1 - len(m.Validation.Grants) {
				m.Validation.Grants = append(m.Validation.Grants, &flow.Grant{Worker: uint64(1000 + i), Wrapped: "ab"})
			}
		}, flow.ErrInvalidSealed, []string{"65 grants"}},
		{"ciphertext hash upper case", w.admin, func(m *flow.MsgCreatePool) {
			m.Validation.CiphertextSha256 = strings.ToUpper(m.Validation.CiphertextSha256)
		}, flow.ErrInvalidSealed, []string{"ciphertext_sha256"}},
		{"ciphertext hash short", w.admin, func(m *flow.MsgCreatePool) { m.Validation.CiphertextSha256 = "abcd" }, flow.ErrInvalidSealed, []string{"ciphertext_sha256"}},
		{"commitment not hex", w.admin, func(m *flow.MsgCreatePool) { m.Validation.Commitment = strings.Repeat("g", 64) }, flow.ErrInvalidSealed, []string{"commitment"}},
		{"size 0", w.admin, func(m *flow.MsgCreatePool) { m.Validation.Size = 0 }, flow.ErrInvalidSealed, []string{"size is 0"}},
	}
	for _, c := range cases {
		w.in(c.name, func() {
			m := w.poolMsg(3, 2, live...)
			m.From = c.signer.Address().String()
			if c.edit != nil {
				c.edit(m)
			}
			w.fails(c.signer, c.want, c.mentions, m)
		})
	}
	// Quorums that are a strict majority are accepted.
	for _, q := range [][2]uint32{{1, 1}, {2, 2}, {3, 2}, {4, 3}, {16, 9}} {
		m := w.poolMsg(q[0], q[1], live...)
		pid, _ := w.createPool(m)
		if p := w.pool(pid); p.QuorumK != q[0] || p.ThresholdT != q[1] {
			t.Fatalf("pool %d quorum %d/%d, want %d/%d", pid, p.ThresholdT, p.QuorumK, q[1], q[0])
		}
	}
}

// TestFlowContribute escrows fees and assigns k distinct eligible workers
// weighted by bond, and refuses contributions that cannot be served.
func TestFlowContribute(t *testing.T) {
	w := newCF(t, 4, nil)
	w.empty(1)
	ws := w.register(wspec{0, 1_000_000}, wspec{1, 9_000_000}, wspec{2, 1_000_000}, wspec{3, 1_000_000})
	light, heavy := ws[0], ws[1]
	// A worker of iDAO 1, granted everywhere, must never serve iDAO 2's pools.
	fe := apptest.NewEnclave("contribute/foreign", w.signer)
	foreign := &wk{op: w.foreign, enc: fe}
	foreign.id = id(t, w.ok(w.foreign, fe.Register(t, w.foreign.Address(), dataIDAO, 1_000_000, apptest.BlockHash(w.Height))), "compute_worker", "worker")
	all := append(slices.Clone(ws), foreign)

	poolA, _ := w.createPool(w.poolMsg(4, 3, all...))
	aliceBefore := w.Balance(w.alice.Address())
	r, events := w.exec(w.alice, w.contributeMsg(w.alice, poolA, "a/1", all...))
	if r.Code != 0 {
		t.Fatalf("contribute: %s", r.Log)
	}
	c := w.contribution(id(t, r, "flow_contribute", "contribution"))
	if got := aliceBefore - w.Balance(w.alice.Address()); got != poolFee+cfFee {
		t.Fatalf("alice paid %d, want the verifier fee %d and the tx fee %d", got, poolFee, cfFee)
	}
	if got := w.Balance(flow.FeeEscrow); got != poolFee {
		t.Fatalf("fee escrow %d, want %d", got, poolFee)
	}
	if c.Status != flow.StatusVerifying || c.Fee != strconv.Itoa(poolFee) || c.Round != 1 || c.Deadline != w.Height+200 ||
		c.Job == 0 || c.BaseSeq != 0 || c.CreatedHeight != w.Height || c.Contributor != w.alice.Address().String() || len(c.Assignments) != 4 {
		t.Fatalf("contribution %v", c)
	}
	var got []uint64
	for _, a := range c.Assignments {
		if a.Status != flow.AssignPending || a.Round != 1 || a.Deadline != c.Deadline {
			t.Fatalf("assignment %v", a)
		}
		got = append(got, a.Worker)
		if !hasEvent(events, "flow_assign", "contribution", strconv.FormatUint(c.Id, 10), "worker", strconv.FormatUint(a.Worker, 10)) &&
			!hasEvent(r.Events, "flow_assign", "contribution", strconv.FormatUint(c.Id, 10), "worker", strconv.FormatUint(a.Worker, 10)) {
			t.Fatalf("no assign event for worker %d", a.Worker)
		}
	}
	slices.Sort(got)
	if want := []uint64{ws[0].id, ws[1].id, ws[2].id, ws[3].id}; !slices.Equal(got, want) {
		t.Fatalf("assigned %v, want iDAO 2's workers %v exactly once each", got, want)
	}
	for _, x := range ws {
		if n := w.worker(x.id).OpenJobs; n != 1 {
			t.Fatalf("worker %d has %d open jobs, want 1", x.id, n)
		}
	}
	var list flow.QueryContributionsResponse
	for _, q := range []flow.ContributionsQuery{{Pool: poolA}, {Contributor: c.Contributor}, {Worker: light.id}, {Ciphertext: c.Data.CiphertextSha256}} {
		w.QueryJSON("/flow/contributions", q, &list)
		if len(list.Contributions) != 1 || list.Contributions[0].Id != c.Id {
			t.Fatalf("contributions %+v: %v", q, list.Contributions)
		}
	}
	w.QueryJSON("/flow/contributions", flow.ContributionsQuery{Worker: foreign.id}, &list)
	if len(list.Contributions) != 0 {
		t.Fatalf("the foreign worker is assigned %v", list.Contributions)
	}

	// Refusals.
	w.fails(w.alice, flow.ErrNotEnoughWorkers, []string{"needs 4 workers and only 3 are eligible"}, w.contributeMsg(w.alice, poolA, "a/x", light, heavy, ws[2], foreign))
	low := w.contributeMsg(w.alice, poolA, "a/x", all...)
	low.MaxFee = strconv.Itoa(poolFee - 1)
	w.fails(w.alice, flow.ErrFeeTooHigh, []string{"100001", "max_fee of 100000"}, low)
	low.MaxFee = "lots"
	w.fails(w.alice, flow.ErrFeeTooHigh, []string{"max_fee"}, low)
	w.fails(w.alice, flow.ErrNotFound, []string{"pool 99"}, w.contributeMsg(w.alice, 99, "a/x", all...))
	w.fails(w.alice, flow.ErrInvalidSealed, []string{"no grants"}, w.contributeMsg(w.alice, poolA, "a/x"))
	w.fails(w.alice, flow.ErrInvalidSealed, []string{"contribution: missing"}, &flow.MsgContribute{From: w.alice.Address().String(), Pool: poolA, MaxFee: "1000000"})
	w.fails(w.poor, bank.ErrInsufficientFunds, []string{"100001"}, w.contributeMsg(w.poor, poolA, "a/x", all...))

	// k = 2 of four workers, many times in one block: always two
	// different workers.
	poolB, _ := w.createPool(w.poolMsg(2, 2, ws...))
	var calls []call
	for i := range 30 {
		calls = append(calls, call{w.bob, []proto.Message{w.contributeMsg(w.bob, poolB, fmt.Sprintf("b/%d", i), ws...)}})
	}
	var open uint64 = 4
	for i, r := range w.batch(calls...) {
		if r.Code != 0 {
			t.Fatalf("contribution %d: %s", i, r.Log)
		}
		c := w.contribution(id(t, r, "flow_contribute", "contribution"))
		if len(c.Assignments) != 2 || c.Assignments[0].Worker == c.Assignments[1].Worker {
			t.Fatalf("contribution %d assignments %v, want two different workers", c.Id, c.Assignments)
		}
		open += 2
	}
	var sum uint64
	for _, x := range ws {
		sum += w.worker(x.id).OpenJobs
	}
	if sum != open {
		t.Fatalf("workers have %d open jobs, want %d", sum, open)
	}

	// k = 1 between bonds 1:9: the heavy worker takes about 90% of jobs.
	poolC, _ := w.createPool(w.poolMsg(1, 1, light, heavy))
	counts := map[uint64]int{}
	const n = 200
	for b := range 2 {
		calls = calls[:0]
		for i := range n / 2 {
			calls = append(calls, call{w.bob, []proto.Message{w.contributeMsg(w.bob, poolC, fmt.Sprintf("c/%d/%d", b, i), light, heavy)}})
		}
		for _, r := range w.batch(calls...) {
			if r.Code != 0 {
				t.Fatalf("contribution: %s", r.Log)
			}
			c := w.contribution(id(t, r, "flow_contribute", "contribution"))
			counts[c.Assignments[0].Worker]++
		}
	}
	t.Logf("bond 9M picked %d times, bond 1M %d times, of %d", counts[heavy.id], counts[light.id], n)
	if counts[heavy.id]+counts[light.id] != n || counts[heavy.id] < 150 || counts[light.id] < 5 {
		t.Fatalf("picks %v of %d: want the 9x bond picked far more often (about 90%%), the light one sometimes", counts, n)
	}
	if got, want := w.Balance(flow.FeeEscrow), uint64(1+30+n)*poolFee; got != want {
		t.Fatalf("fee escrow %d, want %d", got, want)
	}
}

// attestWorld has five workers of distinct operators and pools for the
// attestation tests.
func attestWorld(t *testing.T) (*cf, []*wk) {
	w := newCF(t, 5, nil)
	w.empty(1)
	ws := w.register(wspec{0, testBond}, wspec{1, testBond}, wspec{2, testBond}, wspec{3, testBond}, wspec{4, testBond})
	return w, ws
}

// TestFlowAttestBindings has every misbound result refused: another pool,
// job, contribution or chain, a worker not assigned, another worker's key,
// another operator, bad results and a second report.
func TestFlowAttestBindings(t *testing.T) {
	w, ws := attestWorld(t)
	four := ws[:4]
	p1, _ := w.createPool(w.poolMsg(3, 2, four...))
	p2, _ := w.createPool(w.poolMsg(3, 2, four...))
	c1 := w.contribute(w.alice, p1, "bind/1", four...)
	c2 := w.contribute(w.alice, p1, "bind/2", four...)
	in1 := assigned(c1, flow.AssignPending, four)
	in2 := assigned(c2, flow.AssignPending, four)
	var both *wk // a worker assigned to both contributions
	for _, x := range in1 {
		if slices.Contains(in2, x) {
			both = x
			break
		}
	}
	a1, a2 := in1[0], in1[1]
	if both == a2 {
		a1, a2 = a2, a1 // keep a2 distinct from both
	}
	if both == nil || a1 == a2 {
		t.Fatalf("assignments %v and %v", c1.Assignments, c2.Assignments)
	}
	unassigned := without(four, in1...)[0]

	resign := func(m *flow.MsgAttest, chainID string, x *wk) *flow.MsgAttest {
		flow.SignResult(chainID, m, x.enc.Key)
		return m
	}
	cases := []struct {
		name     string
		signer   *tx.PrivateKey
		msg      func() *flow.MsgAttest
		want     *codes.Error
		mentions []string
	}{
		{"another pool, signed for it", both.op, func() *flow.MsgAttest {
			m := both.result(c1, flow.VerdictAccept, 500_000, "")
			m.Pool = p2
			return resign(m, apptest.ChainID, both)
		}, flow.ErrWrongJob, []string{fmt.Sprintf("pool %d", p2), fmt.Sprintf("is in pool %d", p1)}},
		{"another job, signed for it", both.op, func() *flow.MsgAttest {
			m := both.result(c1, flow.VerdictAccept, 500_000, "")
			m.Job = c2.Job
			return resign(m, apptest.ChainID, both)
		}, flow.ErrWrongJob, []string{fmt.Sprintf("job %d", c2.Job)}},
		{"replayed on another contribution", both.op, func() *flow.MsgAttest {
			m := both.result(c1, flow.VerdictAccept, 500_000, "")
			m.Contribution, m.Job = c2.Id, c2.Job
			return m
		}, flow.ErrBadSignature, []string{fmt.Sprintf("contribution %d", c2.Id)}},
		{"signed for another chain", both.op, func() *flow.MsgAttest {
			return resign(both.result(c1, flow.VerdictAccept, 500_000, ""), "another-chain-1", both)
		}, flow.ErrBadSignature, []string{"not signed by", apptest.ChainID}},
		{"worker not assigned", unassigned.op, func() *flow.MsgAttest {
			return unassigned.result(c1, flow.VerdictAccept, 500_000, "")
		}, flow.ErrNotAssigned, []string{fmt.Sprintf("worker %d has no pending assignment", unassigned.id)}},
		{"unknown worker", a1.op, func() *flow.MsgAttest {
			m := a1.result(c1, flow.VerdictAccept, 500_000, "")
			m.Worker = 99
			return resign(m, apptest.ChainID, a1)
		}, flow.ErrNotAssigned, []string{"worker 99"}},
		{"signed by another worker's key", a1.op, func() *flow.MsgAttest {
			return resign(a1.result(c1, flow.VerdictAccept, 500_000, ""), apptest.ChainID, a2)
		}, flow.ErrBadSignature, []string{fmt.Sprintf("worker %d's enclave key", a1.id)}},
		{"another worker's id on one's own result", a2.op, func() *flow.MsgAttest {
			m := a2.result(c1, flow.VerdictAccept, 500_000, "")
			m.Worker = a1.id
			return m
		}, flow.ErrUnauthorized, []string{"does not operate"}},
		{"sent by another operator", a2.op, func() *flow.MsgAttest {
			m := a1.result(c1, flow.VerdictAccept, 500_000, "")
			m.From = a2.op.Address().String()
			return m
		}, flow.ErrUnauthorized, []string{fmt.Sprintf("does not operate worker %d", a1.id)}},
		{"signature not hex", a1.op, func() *flow.MsgAttest {
			m := a1.result(c1, flow.VerdictAccept, 500_000, "")
			m.Signature = "zz"
			return m
		}, flow.ErrBadSignature, []string{fmt.Sprintf("not signed by worker %d", a1.id)}},
		{"signature over other scores", a1.op, func() *flow.MsgAttest {
			m := a1.result(c1, flow.VerdictAccept, 500_000, "")
			m.ScorePpm++
			return m
		}, flow.ErrBadSignature, []string{fmt.Sprintf("not signed by worker %d", a1.id)}},
		{"bad verdict", a1.op, func() *flow.MsgAttest {
			return resign(a1.result(c1, "maybe", 500_000, ""), apptest.ChainID, a1)
		}, flow.ErrInvalidResult, []string{`verdict "maybe"`}},
		{"score above 1e6", a1.op, func() *flow.MsgAttest {
			m := a1.result(c1, flow.VerdictAccept, 500_000, "")
			m.ValuePpm = flow.PPM + 1
			return resign(m, apptest.ChainID, a1)
		}, flow.ErrInvalidResult, []string{"1000001"}},
		{"accept with score 0", a1.op, func() *flow.MsgAttest {
			return a1.result(c1, flow.VerdictAccept, 0, "")
		}, flow.ErrInvalidResult, []string{"score above 0"}},
		{"reason too long", a1.op, func() *flow.MsgAttest {
			return a1.result(c1, flow.VerdictReject, 0, strings.Repeat("r", flow.MaxReasonLen+1))
		}, flow.ErrInvalidResult, []string{"257 bytes"}},
		{"unknown contribution", a1.op, func() *flow.MsgAttest {
			m := a1.result(c1, flow.VerdictAccept, 500_000, "")
			m.Contribution = 99
			return m
		}, flow.ErrNotFound, []string{"contribution 99"}},
	}
	for _, c := range cases {
		w.in(c.name, func() { w.fails(c.signer, c.want, c.mentions, c.msg()) })
	}

	// A good report; the same worker cannot report again, even with
	// another result.
	w.ok(a1.op, a1.result(c1, flow.VerdictAccept, 500_000, ""))
	got := w.contribution(c1.Id)
	if got.Status != flow.StatusVerifying || len(got.Results) != 1 || got.Results[0].Worker != a1.id || got.Results[0].Height != w.Height {
		t.Fatalf("after one report: %v", got)
	}
	wantOpen := uint64(0)
	if slices.Contains(in2, a1) {
		wantOpen = 1 // its job for the second contribution
	}
	if n := w.worker(a1.id).OpenJobs; n != wantOpen {
		t.Fatalf("worker %d has %d open jobs after reporting, want %d", a1.id, n, wantOpen)
	}
	w.fails(a1.op, flow.ErrNotAssigned, []string{fmt.Sprintf("worker %d has no pending assignment", a1.id)}, a1.result(c1, flow.VerdictAccept, 500_000, ""))
	w.fails(a1.op, flow.ErrNotAssigned, []string{"no pending assignment"}, a1.result(c1, flow.VerdictReject, 0, "changed my mind"))
}

// TestFlowAnchor anchors t identical accepts (token, proofs, fee split),
// rejects t identical rejects, and does not anchor disagreeing results.
func TestFlowAnchor(t *testing.T) {
	w, ws := attestWorld(t)
	four := ws[:4]
	pool, cls := w.createPool(w.poolMsg(3, 2, four...))
	c := w.contribute(w.alice, pool, "anchor/1", four...)
	in := assigned(c, flow.AssignPending, four)
	a1, a2, a3 := in[0], in[1], in[2]
	const score = 612_345

	// a1 accepts; a2 disagrees (another score); nothing anchors.
	w.ok(a1.op, a1.result(c, flow.VerdictAccept, score, ""))
	w.ok(a2.op, a2.result(c, flow.VerdictAccept, score+1, ""))
	if got := w.contribution(c.Id); got.Status != flow.StatusVerifying || len(got.Results) != 2 || got.Token != 0 {
		t.Fatalf("two disagreeing results: %v", got)
	}
	// a3 agrees with a1: anchored, a1 and a3 paid, a2 not.
	bal := func(x *wk) uint64 { return w.Balance(x.op.Address()) }
	b1, b2, b3 := bal(a1), bal(a2), bal(a3)
	m3 := a3.result(c, flow.VerdictAccept, score, "")
	r := w.ok(a3.op, m3)
	got := w.contribution(c.Id)
	if got.Status != flow.StatusAnchored || got.ScorePpm != score || got.Token == 0 || got.AnchorSeq != 1 || got.ClosedHeight != w.Height {
		t.Fatalf("anchored contribution %v", got)
	}
	if !hasEvent(r.Events, "flow_anchor", "contribution", strconv.FormatUint(c.Id, 10), "token", strconv.FormatUint(got.Token, 10)) {
		t.Fatalf("no anchor event: %v", r.Events)
	}
	tok := w.token(got.Token)
	if tok.Owner != w.alice.Address().String() || tok.Class != cls || tok.Value != 100 || tok.ShareRatio != score*7 ||
		tok.ExpireAtHeight != uint64(w.Height)+500 || tok.IntegrityHash != c.Data.Commitment || tok.MintedHeight != w.Height {
		t.Fatalf("minted token %v", tok)
	}
	class := w.class(cls)
	if class.Class.Proofs != 2 || len(class.Proofs) != 2 {
		t.Fatalf("class %d proofs %v, want the two agreeing attestations", cls, class.Proofs)
	}
	for i, x := range []*wk{a1, a3} {
		p := class.Proofs[i]
		wkr := w.worker(x.id)
		ev := sha256.Sum256(wkr.Evidence)
		if p.Token != got.Token || p.Type != dat.ProofTEEReport || p.Digest != hex.EncodeToString(ev[:]) ||
			p.Submitter != x.op.Address().String() || !strings.Contains(p.Uri, got.Results[slices.IndexFunc(got.Results, func(r *flow.Result) bool { return r.Worker == x.id })].Digest) {
			t.Fatalf("proof %d %v, want worker %d's attestation digest %x", i, p, x.id, ev)
		}
	}
	resultSum := sha256.Sum256(append(flow.ResultSignBytes(apptest.ChainID, m3), m3.Signature...))
	if d := got.Results[2].Digest; d != hex.EncodeToString(resultSum[:]) {
		t.Fatalf("result digest %s, want the SHA-256 of the signed bytes and signature %x", d, resultSum)
	}
	if d := bal(a1) - b1; d != poolFee/2+1 {
		t.Fatalf("first agreeing worker got %d, want %d (half and the remainder)", d, poolFee/2+1)
	}
	if d := bal(a3) + cfFee - b3; d != poolFee/2 {
		t.Fatalf("second agreeing worker got %d, want %d", d, poolFee/2)
	}
	if bal(a2) != b2 {
		t.Fatalf("the disagreeing worker was paid %d", bal(a2)-b2)
	}
	if got := w.Balance(flow.FeeEscrow); got != 0 {
		t.Fatalf("fee escrow %d after the only job closed", got)
	}
	for _, x := range four {
		if n := w.worker(x.id).OpenJobs; n != 0 {
			t.Fatalf("worker %d has %d open jobs after anchoring", x.id, n)
		}
	}
	if p := w.pool(pool); p.Anchored != 1 || p.AnchoredLive != 1 {
		t.Fatalf("pool anchored %d live %d", p.Anchored, p.AnchoredLive)
	}
	var anchored flow.QueryContributionsResponse
	w.QueryJSON("/flow/anchored", flow.AnchoredQuery{Pool: pool}, &anchored)
	if len(anchored.Contributions) != 1 || anchored.Contributions[0].Id != c.Id {
		t.Fatalf("anchored %v", anchored.Contributions)
	}
	w.fails(a2.op, flow.ErrClosed, []string{"anchored"}, a2.result(c, flow.VerdictAccept, score, ""))

	// t identical rejects: rejected with the reason, fee paid, no token.
	c2 := w.contribute(w.alice, pool, "anchor/2", four...)
	if c2.BaseSeq != 1 {
		t.Fatalf("second contribution's base_seq %d, want 1", c2.BaseSeq)
	}
	in = assigned(c2, flow.AssignPending, four)
	const reason = "near-duplicate of anchored contribution 1"
	w.ok(in[0].op, in[0].result(c2, flow.VerdictReject, 0, reason))
	w.ok(in[1].op, in[1].result(c2, flow.VerdictReject, 0, reason+"!"))
	if got := w.contribution(c2.Id); got.Status != flow.StatusVerifying {
		t.Fatalf("rejects with different reasons closed the job: %v", got)
	}
	r = w.ok(in[2].op, in[2].result(c2, flow.VerdictReject, 0, reason))
	got = w.contribution(c2.Id)
	if got.Status != flow.StatusRejected || got.Reason != reason || got.Token != 0 || got.AnchorSeq != 0 {
		t.Fatalf("rejected contribution %v", got)
	}
	if !hasEvent(r.Events, "flow_reject", "contribution", strconv.FormatUint(c2.Id, 10), "reason", reason) {
		t.Fatalf("no reject event: %v", r.Events)
	}
	if p := w.pool(pool); p.Anchored != 1 || w.class(cls).Class.Tokens != 1 || w.Balance(flow.FeeEscrow) != 0 {
		t.Fatalf("a reject anchored something: pool %v", p)
	}

	// k = t = 3: the fee splits in three, the remainder to the earliest.
	pool3, _ := w.createPool(w.poolMsg(3, 3, four...))
	c3 := w.contribute(w.bob, pool3, "anchor/3", four...)
	in = assigned(c3, flow.AssignPending, four)
	var before []uint64
	for _, x := range in {
		before = append(before, bal(x))
	}
	w.batch(
		call{in[0].op, []proto.Message{in[0].result(c3, flow.VerdictAccept, 7, "")}},
		call{in[1].op, []proto.Message{in[1].result(c3, flow.VerdictAccept, 7, "")}},
		call{in[2].op, []proto.Message{in[2].result(c3, flow.VerdictAccept, 7, "")}},
	)
	if got := w.contribution(c3.Id); got.Status != flow.StatusAnchored {
		t.Fatalf("three agreeing results in one block: %v", got)
	}
	for i, want := range []uint64{33_334, 33_334, 33_333} {
		if d := bal(in[i]) + cfFee - before[i]; d != want {
			t.Fatalf("agreeing worker %d got %d, want %d", i, d, want)
		}
	}
}

// TestFlowDeadlines lets deadlines pass: missed workers are slashed and
// replaced by fresh ones; jobs stall when nobody is left, the rounds run
// out or results disagree; only stalled jobs are refunded.
func TestFlowDeadlines(t *testing.T) {
	const bps = 1234
	w := newCF(t, 5, func(p *compute.Params) { p.MissSlashBps = bps })
	w.empty(1)
	ws := w.register(wspec{0, testBond}, wspec{1, testBond}, wspec{2, testBond}, wspec{3, 2*testBond + 7}, wspec{4, testBond})
	const deadline = 5
	pm := w.poolMsg(3, 2, ws...)
	pm.DeadlineBlocks = deadline
	pool, _ := w.createPool(pm)

	// Replacement: one reports, two miss and are replaced by the two
	// workers never assigned; one of those agrees and the job anchors.
	c := w.contribute(w.alice, pool, "dl/1", ws...)
	in := assigned(c, flow.AssignPending, ws)
	fresh := without(ws, in...)
	w.ok(in[0].op, in[0].result(c, flow.VerdictAccept, 400_000, ""))
	for w.Height < c.Deadline-1 {
		w.empty(1)
	}
	if got := w.contribution(c.Id); got.Round != 1 {
		t.Fatalf("a block before the deadline the job is in round %d", got.Round)
	}
	before := map[uint64]*compute.Worker{}
	for _, x := range ws {
		before[x.id] = w.worker(x.id)
	}
	slashedBefore := w.Balance(compute.Slashed)
	events := w.empty(1)
	got := w.contribution(c.Id)
	if got.Status != flow.StatusVerifying || got.Round != 2 || got.Deadline != w.Height+deadline || len(got.Assignments) != 5 {
		t.Fatalf("after the deadline: %v", got)
	}
	if !hasEvent(events, "flow_deadline", "contribution", strconv.FormatUint(c.Id, 10), "missed", "2", "replaced", "2") {
		t.Fatalf("no deadline event: %v", events)
	}
	var total uint64
	for _, x := range in[1:] {
		b, a := before[x.id], w.worker(x.id)
		cut := slashOf(compute.Bond(b), bps)
		total += cut
		if compute.Bond(a) != compute.Bond(b)-cut || a.Slashed != strconv.FormatUint(cut, 10) || a.Missed != 1 || a.OpenJobs != 0 {
			t.Fatalf("missed worker %d: bond %s slashed %s missed %d open %d, want bond %d slashed %d", x.id, a.Bond, a.Slashed, a.Missed, a.OpenJobs, compute.Bond(b)-cut, cut)
		}
		if !hasEvent(events, "compute_slash", "worker", strconv.FormatUint(x.id, 10), "amount", strconv.FormatUint(cut, 10)) {
			t.Fatalf("no slash event for worker %d", x.id)
		}
	}
	if got := w.Balance(compute.Slashed) - slashedBefore; got != total {
		t.Fatalf("slashed account got %d, want %d", got, total)
	}
	if a := w.worker(in[0].id); a.Bond != before[in[0].id].Bond || a.Missed != 0 {
		t.Fatalf("the worker that reported was slashed: %v", brief(a))
	}
	round2 := assigned(got, flow.AssignPending, ws)
	slices.SortFunc(round2, func(x, y *wk) int { return int(x.id) - int(y.id) })
	if !slices.Equal(round2, fresh) {
		t.Fatalf("replacements %v, want the never-assigned workers %v", got.Assignments, ids(fresh))
	}
	for _, a := range got.Assignments[3:] {
		if a.Round != 2 || a.Deadline != got.Deadline {
			t.Fatalf("replacement assignment %v", a)
		}
	}
	for _, x := range in[1:] {
		w.fails(x.op, flow.ErrNotAssigned, []string{fmt.Sprintf("worker %d has no pending assignment", x.id)}, x.result(c, flow.VerdictAccept, 400_000, ""))
	}
	w.ok(fresh[1].op, fresh[1].result(c, flow.VerdictAccept, 400_000, ""))
	if got := w.contribution(c.Id); got.Status != flow.StatusAnchored || got.Round != 2 {
		t.Fatalf("after a replacement agreed: %v", got)
	}
	for _, x := range ws {
		if n := w.worker(x.id).OpenJobs; n != 0 {
			t.Fatalf("worker %d has %d open jobs", x.id, n)
		}
	}

	w.fails(w.bob, flow.ErrNotStalled, []string{"anchored"}, &flow.MsgRefund{From: w.bob.Address().String(), Contribution: c.Id})

	// No replacement left: a k=1 job granted to one worker stalls; refund
	// only then, exactly the fee, to the contributor, once.
	solo := w.poolMsg(1, 1, ws[0])
	solo.DeadlineBlocks = deadline
	soloPool, _ := w.createPool(solo)
	cs := w.contribute(w.alice, soloPool, "dl/solo", ws[0])
	w.fails(w.bob, flow.ErrNotStalled, []string{"verifying until", strconv.FormatInt(cs.Deadline, 10)}, &flow.MsgRefund{From: w.bob.Address().String(), Contribution: cs.Id})
	for w.Height < cs.Deadline {
		w.empty(1)
	}
	got = w.contribution(cs.Id)
	if got.Status != flow.StatusStalled || !strings.Contains(got.Reason, "no eligible worker") || got.ClosedHeight != cs.Deadline {
		t.Fatalf("lone job after its deadline: %s %q", got.Status, got.Reason)
	}
	w.fails(ws[0].op, flow.ErrClosed, []string{"stalled"}, ws[0].result(cs, flow.VerdictAccept, 1, ""))
	aliceBefore, escrowBefore := w.Balance(w.alice.Address()), w.Balance(flow.FeeEscrow)
	r := w.ok(w.bob, &flow.MsgRefund{From: w.bob.Address().String(), Contribution: cs.Id})
	if !hasEvent(r.Events, "flow_refund", "contribution", strconv.FormatUint(cs.Id, 10), "fee", strconv.Itoa(poolFee)) {
		t.Fatalf("no refund event: %v", r.Events)
	}
	if d := w.Balance(w.alice.Address()) - aliceBefore; d != poolFee {
		t.Fatalf("contributor refunded %d, want %d", d, poolFee)
	}
	if d := escrowBefore - w.Balance(flow.FeeEscrow); d != poolFee {
		t.Fatalf("escrow released %d, want %d", d, poolFee)
	}
	w.fails(w.bob, flow.ErrNotStalled, []string{"refunded"}, &flow.MsgRefund{From: w.bob.Address().String(), Contribution: cs.Id})
	w.fails(w.bob, flow.ErrNotFound, []string{"contribution 999"}, &flow.MsgRefund{From: w.bob.Address().String(), Contribution: 999})

	// Rounds run out: k=1, two rounds, three candidates: two misses stall
	// it though a third worker is left.
	short := w.poolMsg(1, 1, ws[:3]...)
	short.DeadlineBlocks, short.MaxRounds = deadline, 2
	shortPool, _ := w.createPool(short)
	cr := w.contribute(w.alice, shortPool, "dl/rounds", ws[:3]...)
	for w.Height < cr.Deadline+deadline {
		w.empty(1)
	}
	got = w.contribution(cr.Id)
	if got.Status != flow.StatusStalled || got.Round != 2 || len(got.Assignments) != 2 || !strings.Contains(got.Reason, "last of 2 rounds") {
		t.Fatalf("after two missed rounds: %s round %d %q %v", got.Status, got.Round, got.Reason, got.Assignments)
	}
	for _, a := range got.Assignments {
		if a.Status != flow.AssignMissed {
			t.Fatalf("assignment %v, want missed", a)
		}
	}

	// Results that disagree, everyone reported: stalled at the deadline,
	// nobody slashed.
	cd := w.contribute(w.alice, pool, "dl/disagree", ws...)
	in = assigned(cd, flow.AssignPending, ws)
	for i, x := range in {
		w.ok(x.op, x.result(cd, flow.VerdictAccept, uint32(100+i), ""))
	}
	for _, x := range ws {
		before[x.id] = w.worker(x.id)
	}
	for w.Height < cd.Deadline {
		w.empty(1)
	}
	got = w.contribution(cd.Id)
	if got.Status != flow.StatusStalled || got.Round != 1 || !strings.Contains(got.Reason, "disagree") {
		t.Fatalf("disagreeing job after its deadline: %s round %d %q", got.Status, got.Round, got.Reason)
	}
	for _, x := range ws {
		if a := w.worker(x.id); a.Bond != before[x.id].Bond {
			t.Fatalf("worker %d slashed though everyone reported", x.id)
		}
	}

	// Disagreement with a miss under k = t = 3: the replacement cannot
	// make three agree, so the job stalls and the replacement's
	// assignment is closed again.
	all3 := w.poolMsg(3, 3, ws...)
	all3.DeadlineBlocks = deadline
	pool3, _ := w.createPool(all3)
	cu := w.contribute(w.alice, pool3, "dl/unreachable", ws...)
	in = assigned(cu, flow.AssignPending, ws)
	w.ok(in[0].op, in[0].result(cu, flow.VerdictAccept, 10, ""))
	w.ok(in[1].op, in[1].result(cu, flow.VerdictAccept, 11, ""))
	for w.Height < cu.Deadline {
		w.empty(1)
	}
	got = w.contribution(cu.Id)
	if got.Status != flow.StatusStalled || !strings.Contains(got.Reason, "can no longer be reached") {
		t.Fatalf("unreachable job: %s %q %v", got.Status, got.Reason, got.Assignments)
	}
	last := got.Assignments[len(got.Assignments)-1]
	if last.Round != 2 || last.Status != flow.AssignClosed {
		t.Fatalf("replacement assignment %v, want closed in round 2", last)
	}
	for _, x := range ws {
		if n := w.worker(x.id).OpenJobs; n != 0 {
			t.Fatalf("worker %d has %d open jobs after every job closed", x.id, n)
		}
	}
	// Every open fee is owed to a stalled job.
	if got, want := w.Balance(flow.FeeEscrow), uint64(3*poolFee); got != want {
		t.Fatalf("fee escrow %d, want the three stalled jobs' fees %d", got, want)
	}
}

// TestFlowRevokeAndGrant revokes contributions before and after anchoring
// and grants keys to new workers, which makes them eligible.
func TestFlowRevokeAndGrant(t *testing.T) {
	w := newCF(t, 5, nil)
	w.empty(1)
	ws := w.register(wspec{0, testBond}, wspec{1, testBond}, wspec{2, testBond}, wspec{3, testBond})
	pm := w.poolMsg(1, 1, ws[:3]...)
	pm.DeadlineBlocks = 10
	pool, _ := w.createPool(pm)
	other, _ := w.createPool(w.poolMsg(1, 1, ws[:3]...))

	// Revoked while verifying: fee refunded, job closed, no slash later.
	cv := w.contribute(w.alice, pool, "rv/verifying", ws[:3]...)
	vw := assigned(cv, flow.AssignPending, ws)[0]
	w.fails(w.bob, flow.ErrUnauthorized, []string{"only its contributor"}, &flow.MsgRevoke{From: w.bob.Address().String(), Contribution: cv.Id})
	aliceBefore := w.Balance(w.alice.Address())
	r := w.ok(w.alice, &flow.MsgRevoke{From: w.alice.Address().String(), Contribution: cv.Id})
	if !hasEvent(r.Events, "flow_revoke", "contribution", strconv.FormatUint(cv.Id, 10), "status", flow.StatusRevoked) {
		t.Fatalf("no revoke event: %v", r.Events)
	}
	if d := w.Balance(w.alice.Address()) + cfFee - aliceBefore; d != poolFee {
		t.Fatalf("revoking a verifying contribution refunded %d, want %d", d, poolFee)
	}
	got := w.contribution(cv.Id)
	if got.Status != flow.StatusRevoked || !got.Revoked || len(got.Data.Grants) != 0 || got.Assignments[0].Status != flow.AssignClosed {
		t.Fatalf("revoked contribution %v", got)
	}
	bondBefore := w.worker(vw.id).Bond
	for w.Height <= cv.Deadline {
		w.empty(1)
	}
	if a := w.worker(vw.id); a.Bond != bondBefore || a.Missed != 0 || a.OpenJobs != 0 {
		t.Fatalf("worker of a revoked job after its old deadline: %v", brief(a))
	}
	w.fails(w.alice, flow.ErrRevoked, []string{"already revoked"}, &flow.MsgRevoke{From: w.alice.Address().String(), Contribution: cv.Id})
	w.fails(w.bob, flow.ErrNotStalled, []string{"revoked"}, &flow.MsgRefund{From: w.bob.Address().String(), Contribution: cv.Id})

	// Anchor one contribution granted to workers 1-3.
	ca := w.contribute(w.alice, pool, "rv/anchored", ws[:3]...)
	aw := assigned(ca, flow.AssignPending, ws)[0]
	w.ok(aw.op, aw.result(ca, flow.VerdictAccept, 300_000, ""))
	if p := w.pool(pool); p.AnchoredLive != 1 {
		t.Fatalf("pool %v", p)
	}

	// Worker 4 joins. It needs the validation set (admin) and the anchored
	// contribution (its contributor) before it may take jobs.
	w4 := ws[3]
	soloMsg := func(seed string) *flow.MsgContribute { return w.contributeMsg(w.alice, pool, seed, w4) }
	notYet := []string{"needs 1 workers and only 0 are eligible"}
	w.fails(w.alice, flow.ErrNotEnoughWorkers, notYet, soloMsg("rv/w4"))
	grantV := &flow.MsgGrant{From: w.alice.Address().String(), Pool: pool, Grants: grants("validation", w4)}
	w.fails(w.alice, flow.ErrUnauthorized, []string{"not an admin of iDAO 1"}, grantV)
	grantV.From = w.admin.Address().String()
	w.fails(w.admin, flow.ErrInvalidSealed, []string{"no grants"}, &flow.MsgGrant{From: grantV.From, Pool: pool})
	w.fails(w.admin, flow.ErrNotFound, []string{"pool 99"}, &flow.MsgGrant{From: grantV.From, Pool: 99, Grants: grantV.Grants})
	w.fails(w.admin, flow.ErrInvalidSealed, []string{"worker 99"}, &flow.MsgGrant{From: grantV.From, Pool: pool, Grants: []*flow.Grant{{Worker: 99, Wrapped: "ab"}}})
	w.ok(w.admin, grantV)
	if p := w.pool(pool); len(p.Validation.Grants) != 4 || p.Validation.Grants[3].Worker != w4.id {
		t.Fatalf("validation grants %v", p.Validation.Grants)
	}
	w.fails(w.alice, flow.ErrNotEnoughWorkers, notYet, soloMsg("rv/w4"))
	grantC := &flow.MsgGrant{From: w.bob.Address().String(), Pool: pool, Contribution: ca.Id, Grants: grants("rv/anchored", w4)}
	w.fails(w.bob, flow.ErrUnauthorized, []string{"only its contributor"}, grantC)
	grantC.From = w.alice.Address().String()
	grantC.Pool = other
	w.fails(w.alice, flow.ErrWrongJob, []string{fmt.Sprintf("is in pool %d", pool)}, grantC)
	grantC.Pool = pool
	// A grant listing a worker twice would count it twice.
	dup := &flow.MsgGrant{From: grantC.From, Pool: pool, Contribution: ca.Id, Grants: append(grants("rv/anchored", w4), grants("rv/again", w4)...)}
	w.fails(w.alice, flow.ErrInvalidSealed, []string{fmt.Sprintf("worker %d has two grants", w4.id)}, dup)
	w.ok(w.alice, grantC)
	cw := w.contribute(w.alice, pool, "rv/w4", w4)
	if a := cw.Assignments; len(a) != 1 || a[0].Worker != w4.id {
		t.Fatalf("worker 4 not assigned once granted everything: %v", a)
	}
	w.ok(w4.op, w4.result(cw, flow.VerdictReject, 0, "bad"))

	// A granted worker that retires does not block later grants.
	ret := ws[2]
	if n := w.worker(ret.id).OpenJobs; n != 0 {
		t.Fatalf("worker %d has open jobs", ret.id)
	}
	w.ok(ret.op, &compute.MsgRetireWorker{From: ret.op.Address().String(), Worker: ret.id})
	w5 := w.register(wspec{4, testBond})[0]
	w.ok(w.admin, &flow.MsgGrant{From: w.admin.Address().String(), Pool: pool, Grants: grants("validation", w5)})
	w.ok(w.alice, &flow.MsgGrant{From: w.alice.Address().String(), Pool: pool, Contribution: ca.Id, Grants: grants("rv/anchored", w5)})
	c5 := w.contribute(w.alice, pool, "rv/w5", w5)
	if a := c5.Assignments; len(a) != 1 || a[0].Worker != w5.id {
		t.Fatalf("worker 5 not assigned: %v", a)
	}
	w.ok(w5.op, w5.result(c5, flow.VerdictReject, 0, "bad"))

	// Revoked after anchoring: the token stays, the pool's live count and
	// the grant counts drop, so a worker without that grant is eligible.
	w6 := w.register(wspec{4, testBond})[0]
	w.ok(w.admin, &flow.MsgGrant{From: w.admin.Address().String(), Pool: pool, Grants: grants("validation", w6)})
	w.fails(w.alice, flow.ErrNotEnoughWorkers, notYet, w.contributeMsg(w.alice, pool, "rv/w6", w6))
	escrowBefore := w.Balance(flow.FeeEscrow)
	aliceBefore = w.Balance(w.alice.Address())
	w.ok(w.alice, &flow.MsgRevoke{From: w.alice.Address().String(), Contribution: ca.Id})
	if d := aliceBefore - w.Balance(w.alice.Address()); d != cfFee || w.Balance(flow.FeeEscrow) != escrowBefore {
		t.Fatalf("revoking an anchored contribution moved fees: alice paid %d", d)
	}
	got = w.contribution(ca.Id)
	if got.Status != flow.StatusAnchored || !got.Revoked || len(got.Data.Grants) != 0 || w.token(got.Token).Owner != w.alice.Address().String() {
		t.Fatalf("revoked anchored contribution %v", got)
	}
	if p := w.pool(pool); p.Anchored != 1 || p.AnchoredLive != 0 {
		t.Fatalf("pool after revoking its anchored contribution: anchored %d live %d", p.Anchored, p.AnchoredLive)
	}
	w.fails(w.alice, flow.ErrRevoked, []string{"can no longer be granted"}, &flow.MsgGrant{From: w.alice.Address().String(), Pool: pool, Contribution: ca.Id, Grants: grants("x", w6)})
	c6 := w.contribute(w.alice, pool, "rv/w6", w6)
	if a := c6.Assignments; len(a) != 1 || a[0].Worker != w6.id {
		t.Fatalf("worker 6 not eligible after the revocation: %v", a)
	}
	// Workers that held the revoked grant are still eligible too.
	c4 := w.contribute(w.alice, pool, "rv/w4 again", w4)
	if a := c4.Assignments; len(a) != 1 || a[0].Worker != w4.id {
		t.Fatalf("worker 4 not eligible after the revocation: %v", a)
	}

	// A ciphertext and its wrapped keys are public: nobody but its
	// contributor may contribute it to the pool, whether it is verifying
	// or was revoked. Its contributor may contribute it again.
	for _, seed := range []string{"rv/w6", "rv/verifying"} {
		w.fails(w.bob, flow.ErrUnauthorized, []string{"contributed to pool", w.alice.Address().String()},
			w.contributeMsg(w.bob, pool, seed, ws[0], ws[1], w4))
	}
	again := w.contribute(w.alice, pool, "rv/verifying", ws[0], ws[1], w4)
	if again.Status != flow.StatusVerifying {
		t.Fatalf("contributor's own ciphertext again: %v", again)
	}
}

// TestComputeFlowDeterminism feeds the blocks of a whole flow (workers,
// pool, contributions, reports, a missed deadline with slash and
// replacement, a stall and refund, a revocation) to a second app, which
// must reach the same app hash at every height.
func TestComputeFlowDeterminism(t *testing.T) {
	w := newCF(t, 4, nil)
	w.empty(1)
	ws := w.register(wspec{0, 1_000_000}, wspec{1, 3_000_000}, wspec{2, 5_000_000}, wspec{3, 7_000_000})
	pm := w.poolMsg(3, 2, ws...)
	pm.DeadlineBlocks = 4
	pool, _ := w.createPool(pm)
	var cs []*flow.Contribution
	for i := range 3 {
		cs = append(cs, w.contribute(w.alice, pool, fmt.Sprintf("det/%d", i), ws...))
	}
	in := assigned(cs[0], flow.AssignPending, ws)
	w.batch(call{in[0].op, []proto.Message{in[0].result(cs[0], flow.VerdictAccept, 1000, "")}},
		call{in[1].op, []proto.Message{in[1].result(cs[0], flow.VerdictAccept, 1000, "")}})
	in = assigned(cs[1], flow.AssignPending, ws)
	w.ok(in[0].op, in[0].result(cs[1], flow.VerdictAccept, 2000, ""))
	w.ok(w.alice, &flow.MsgRevoke{From: w.alice.Address().String(), Contribution: cs[2].Id})
	w.empty(12)
	// cs[1]: one report, two misses replaced by the one worker left, which
	// misses too: stalled in round 2 and refunded.
	if got := w.contribution(cs[1].Id); got.Status != flow.StatusStalled || got.Round != 2 {
		t.Fatalf("contribution %d: %s round %d (%s), want stalled in round 2", got.Id, got.Status, got.Round, got.Reason)
	}
	w.ok(w.bob, &flow.MsgRefund{From: w.bob.Address().String(), Contribution: cs[1].Id})
	var missed uint64
	for _, x := range ws {
		missed += w.worker(x.id).Missed
	}
	if missed != 3 {
		t.Fatalf("%d missed deadlines, want 3", missed)
	}

	replay := newCF(t, 4, nil)
	for i, txs := range w.blocks {
		res, _ := replay.BlockEvents(txs...)
		for j, r := range res {
			if o := w.results[i][j]; r.Code != o.Code || r.GasUsed != o.GasUsed || r.Log != o.Log {
				t.Fatalf("height %d tx %d: %d %d %q on replay, %d %d %q originally", i+1, j, r.Code, r.GasUsed, r.Log, o.Code, o.GasUsed, o.Log)
			}
		}
		orig, err := w.App.Tree().At(int64(i + 1))
		if err != nil {
			t.Fatal(err)
		}
		if got := replay.App.Tree().Latest().Hash(); !bytes.Equal(got, orig.Hash()) {
			t.Fatalf("height %d: app hash %X on replay, %X originally", i+1, got, orig.Hash())
		}
	}
	if replay.Height != w.Height || !bytes.Equal(replay.App.Tree().Latest().Hash(), w.App.Tree().Latest().Hash()) {
		t.Fatal("final app hashes differ")
	}
}
