package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/enclave"
	"github.com/lazchain/lazchain/internal/datasets"
	"github.com/lazchain/lazchain/node"
	"github.com/lazchain/lazchain/node/nodetest"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/worker"
	"github.com/lazchain/lazchain/x/bank"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/service"
)

const chainID = "flow-test-1"

// Markers that appear only in plaintext contributions: none may be found
// in the chain's txs or events, the blob store or the logs.
const (
	secretFeature = "7.77777"
	secretText    = "SECRET-MARKER-0451"
)

// syncBuffer is a log sink shared by the node and the workers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type network struct {
	t       testing.TB
	home    string
	node    *node.Node
	c       *client.Client
	blobs   blob.Store
	log     *slog.Logger
	logs    *syncBuffer
	alice   *tx.PrivateKey
	carol   *tx.PrivateKey
	ops     []*tx.PrivateKey
	workers []*worker.Worker
	ctx     context.Context
	// settleEvery, when set, is how often serving workers settle.
	settleEvery time.Duration
}

func key(t testing.TB) *tx.PrivateKey {
	k, err := tx.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newNetwork starts a node whose genesis has a data iDAO (1, alice admin)
// and a compute iDAO (2) whose compute providers are the operators, with
// dev attestation on; more iDAOs (3, …; alice admin) may follow.
func newNetwork(t testing.TB, operators int, more ...string) *network {
	return newNetworkWith(t, netOptions{operators: operators, more: more, invariants: true, blockTime: nodetest.BlockTime})
}

// netOptions shape newNetworkWith's network.
type netOptions struct {
	operators  int
	more       []string
	invariants bool
	blockTime  time.Duration
	// withdrawDelay, when set, is the service module's
	// withdraw_delay_blocks.
	withdrawDelay int
}

func newNetworkWith(t testing.TB, o netOptions) *network {
	operators, more := o.operators, o.more
	n := &network{t: t, alice: key(t), carol: key(t), logs: &syncBuffer{}}
	n.log = slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	accounts := []bank.Balance{
		{Address: n.alice.Address(), Amount: "1000000000000"},
		{Address: n.carol.Address(), Amount: "1000000000000"},
	}
	var opAddrs []tx.Address
	for range operators {
		op := key(t)
		n.ops = append(n.ops, op)
		opAddrs = append(opAddrs, op.Address())
		accounts = append(accounts, bank.Balance{Address: op.Address(), Amount: "100000000000"})
	}
	idaos := []nodetest.ComputeIDAO{{Name: "enclaves", Operators: opAddrs}}
	for _, name := range more {
		idaos = append(idaos, nodetest.ComputeIDAO{Name: name})
	}
	sections := nodetest.FlowGenesis(t, n.alice.Address(), "iris-pool", idaos...)
	if o.withdrawDelay > 0 {
		sections[service.Name] = json.RawMessage(fmt.Sprintf(`{"params":{"withdraw_delay_blocks":"%d"}}`, o.withdrawDelay))
	}
	n.home = t.TempDir()
	if _, err := node.Init(n.home, node.InitOptions{
		ChainID: chainID, Moniker: "flow", BlockTime: o.blockTime, Accounts: accounts, Sections: sections,
	}); err != nil {
		t.Fatal(err)
	}
	n.node = nodetest.Start(t, n.home, node.StartOptions{CheckInvariants: o.invariants, Logger: n.log, BlockTime: o.blockTime})
	n.c = n.node.Client
	n.blobs = blob.NewClient(n.node.APIURL(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	n.ctx = ctx
	return n
}

// addWorker registers operator i's dev enclave with bond, and runs it
// unless offline.
func (n *network) addWorker(i int, bond uint64, offline bool) *worker.Worker {
	n.t.Helper()
	e, err := enclave.NewDev()
	if err != nil {
		n.t.Fatal(err)
	}
	w := worker.New(worker.Config{
		Client: n.c, Blobs: n.blobs, Enclave: e, Operator: n.ops[i], IDAO: 2, Bond: bond,
		Poll: 100 * time.Millisecond, Log: n.log,
	})
	if _, err := w.Register(n.ctx); err != nil {
		n.t.Fatal(err)
	}
	if !offline {
		go w.Run(n.ctx)
	}
	n.workers = append(n.workers, w)
	return w
}

// checked are the registered workers verified client-side; the test fails
// if any is refused.
func (n *network) checked(ids ...uint64) []client.CheckedWorker {
	n.t.Helper()
	ok, refused, err := n.c.CheckWorkers(n.ctx, 2)
	if err != nil || len(refused) > 0 {
		n.t.Fatalf("check workers: %v, refused %v", err, refused)
	}
	var out []client.CheckedWorker
	for _, w := range ok {
		if !w.Dev {
			n.t.Fatalf("worker %d verified as a real enclave; it is a dev one", w.Worker.Id)
		}
		for _, id := range ids {
			if w.Worker.Id == id {
				out = append(out, w)
			}
		}
	}
	if len(out) != len(ids) {
		n.t.Fatalf("workers %v: only %d passed the check", ids, len(out))
	}
	return out
}

func (n *network) createPool(msg *flow.MsgCreatePool, validation []byte, workers []client.CheckedWorker) *flow.Pool {
	n.t.Helper()
	id, err := n.c.CreatePoolWithValidation(n.ctx, n.alice, msg, bytes.NewReader(validation), int64(len(validation)), workers, n.blobs, n.t.TempDir(), nil)
	if err != nil {
		n.t.Fatalf("create pool: %v", err)
	}
	p, err := n.c.Pool(n.ctx, id, 0)
	if err != nil {
		n.t.Fatal(err)
	}
	return p
}

func (n *network) contribute(pool uint64, data []byte) *client.ContributeResult {
	n.t.Helper()
	var stages []string
	res, err := n.c.Contribute(n.ctx, n.carol, pool, bytes.NewReader(data), int64(len(data)), n.blobs, nil, n.t.TempDir(),
		func(stage string, _, _ int64) {
			if len(stages) == 0 || stages[len(stages)-1] != stage {
				stages = append(stages, stage)
			}
		})
	if err != nil {
		n.t.Fatalf("contribute: %v", err)
	}
	if strings.Join(stages, ",") != "encrypt,upload" {
		n.t.Errorf("progress stages %v, want encrypt then upload", stages)
	}
	return res
}

// waitStatus waits until the contribution leaves verifying.
func (n *network) waitStatus(id uint64, timeout time.Duration) *flow.Contribution {
	n.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, err := n.c.Contribution(n.ctx, id, 0)
		if err != nil {
			n.t.Fatal(err)
		}
		if c.Status != flow.StatusVerifying {
			return c
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("contribution %d still verifying after %v: %+v\nlogs:\n%s", id, timeout, c, tail(n.logs.String(), 4000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func irisSplit(keep func(i int) bool, extra ...string) []byte {
	var out [][]byte
	for i, l := range datasets.Lines(datasets.Iris) {
		if keep(i) {
			out = append(out, l)
		}
	}
	for _, e := range extra {
		out = append(out, []byte(e))
	}
	return datasets.Join(out)
}

const irisSchema = `{"type":"object","required":["features","label"],"additionalProperties":false,
 "properties":{"features":{"type":"array","minItems":4,"maxItems":4,"items":{"type":"number","minimum":0,"maximum":10}},
 "label":{"type":"integer","minimum":0,"maximum":2}}}`

func poolMsg(k, t uint32, deadline uint64, rounds uint32) *flow.MsgCreatePool {
	return &flow.MsgCreatePool{
		Idao: 1, Name: "iris", Kind: "tabular", Schema: irisSchema,
		Weights: &flow.Weights{ValidityBps: 2000, UniquenessBps: 2000, ValueBps: 6000},
		KnnK:    3, QuorumK: k, ThresholdT: t, ProofPolicy: "tee", DeadlineBlocks: deadline,
		VerifierFee: "300000", Terms: &flow.DATTerms{UsageValue: 100, SharePerPpm: 1}, ComputeIdao: 2,
		MinScorePpm: 1000, MaxRounds: rounds,
	}
}

// TestContributionPath runs the whole data path through real blocks: dev
// enclaves attest and register, a pool is created with a sealed
// validation set, contributions are encrypted, uploaded, assigned to k=3
// workers of which one is offline, scored, and anchored by t=2 identical
// results; duplicates and garbage are rejected with reasons; a missed
// deadline slashes and replaces a worker; a stalled job is refunded; a
// revoked contribution's ciphertext can be deleted; and no plaintext
// reaches the chain, the blob store or the logs.
func TestContributionPath(t *testing.T) {
	n := newNetwork(t, 4)
	// The offline worker has by far the largest bond, so assignments
	// weighted by bond pick it.
	w0 := n.addWorker(0, 10_000_000, false)
	w1 := n.addWorker(1, 10_000_000, false)
	w2 := n.addWorker(2, 10_000_000_000, true)
	all := n.checked(w0.ID(), w1.ID(), w2.ID())

	validation := irisSplit(func(i int) bool { return i%5 == 0 })
	pool := n.createPool(poolMsg(3, 2, 60, 2), validation, all)
	if pool.Class == 0 || len(pool.Validation.Grants) != 3 {
		t.Fatalf("pool: %+v", pool)
	}

	// An honest contribution: anchored by the two online workers.
	contrib := irisSplit(func(i int) bool { return i%5 == 1 }, `{"features":[`+secretFeature+`,3.1,1.1,0.2],"label":0}`)
	res := n.contribute(pool.Id, contrib)
	if !res.DevWorkers || len(res.Workers) != 3 {
		t.Fatalf("contribute result: %+v", res)
	}
	c := n.waitStatus(res.Contribution, 30*time.Second)
	if c.Status != flow.StatusAnchored {
		t.Fatalf("contribution %d is %s (%s), want anchored; results %v", c.Id, c.Status, c.Reason, c.Results)
	}
	t.Logf("anchored: score %d ppm (validity %d, uniqueness %d, value %d)", c.ScorePpm, c.Results[0].ValidityPpm, c.Results[0].UniquenessPpm, c.Results[0].ValuePpm)
	if len(c.Results) != 2 || c.ScorePpm == 0 || c.Token == 0 || c.AnchorSeq != 1 {
		t.Fatalf("anchored contribution: %+v", c)
	}
	for _, a := range c.Assignments {
		if a.Worker == w2.ID() && a.Status != flow.AssignClosed {
			t.Errorf("offline worker's assignment is %s, want closed", a.Status)
		}
	}
	tok, err := n.c.DATToken(n.ctx, c.Token, 0)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Token.Owner != n.carol.Address().String() || tok.Token.ShareRatio != uint64(c.ScorePpm) ||
		tok.Token.Value != 100 || tok.Token.IntegrityHash != res.Commitment || tok.Token.Class != pool.Class {
		t.Fatalf("minted token %+v, contribution %+v", tok.Token, c)
	}
	class, err := n.c.DATClass(n.ctx, pool.Class, 0)
	if err != nil {
		t.Fatal(err)
	}
	if class.Class.Proofs != 2 {
		t.Fatalf("class %d has %d proofs, want the 2 agreeing attestations", pool.Class, class.Class.Proofs)
	}
	if esc, _, _ := n.c.Balance(n.ctx, flow.FeeEscrow, 0); esc != 0 {
		t.Fatalf("fee escrow holds %d after the job closed", esc)
	}

	// The same records again: near-duplicates of the pool, rejected.
	dup := n.waitStatus(n.contribute(pool.Id, contrib).Contribution, 30*time.Second)
	if dup.Status != flow.StatusRejected || dup.Reason == "" {
		t.Fatalf("duplicate contribution: %s (%q), want rejected with a reason", dup.Status, dup.Reason)
	}
	t.Logf("duplicate: %s", dup.Reason)
	// Garbage: rejected, naming the first errors, without echoing the data.
	garbage := []byte("not json " + secretText + "\n{\"features\":\"" + secretText + "\",\"label\":1}\n")
	bad := n.waitStatus(n.contribute(pool.Id, garbage).Contribution, 30*time.Second)
	if bad.Status != flow.StatusRejected || !strings.Contains(bad.Reason, "line 1") {
		t.Fatalf("garbage contribution: %s (%q), want rejected naming line 1", bad.Status, bad.Reason)
	}

	t.Logf("garbage: %s", bad.Reason)
	// A missed deadline: with t=3 of k=3 the offline worker must be
	// replaced. A fourth worker joins so there is someone to replace it.
	w3 := n.addWorker(3, 10_000_000, false)
	all = n.checked(w0.ID(), w1.ID(), w2.ID(), w3.ID())
	pool2 := n.createPool(poolMsg(3, 3, 15, 3), validation, all)
	before, err := n.c.Worker(n.ctx, w2.ID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	c2 := n.waitStatus(n.contribute(pool2.Id, irisSplit(func(i int) bool { return i%5 == 2 })).Contribution, 60*time.Second)
	if c2.Status != flow.StatusAnchored || c2.Round != 2 {
		t.Fatalf("contribution %d: %s round %d (%s), want anchored in round 2; assignments %v", c2.Id, c2.Status, c2.Round, c2.Reason, c2.Assignments)
	}
	after, err := n.c.Worker(n.ctx, w2.ID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	wantSlash := compute.Bond(before) * 500 / 10000
	if after.Missed != before.Missed+1 || compute.Bond(after) != compute.Bond(before)-wantSlash {
		t.Fatalf("offline worker after the deadline: missed %d bond %s, want missed %d bond %d", after.Missed, after.Bond, before.Missed+1, compute.Bond(before)-wantSlash)
	}

	// A job nobody can finish: only the offline worker is granted, one
	// round. It stalls at the deadline and anyone may refund the fee.
	pool3 := n.createPool(poolMsg(1, 1, 10, 1), validation, n.checked(w2.ID()))
	carolBefore, _, _ := n.c.Balance(n.ctx, n.carol.Address(), 0)
	r3 := n.contribute(pool3.Id, irisSplit(func(i int) bool { return i%5 == 3 }))
	c3 := n.waitStatus(r3.Contribution, 30*time.Second)
	if c3.Status != flow.StatusStalled {
		t.Fatalf("contribution %d is %s, want stalled", c3.Id, c3.Status)
	}
	if _, err := n.c.SignAndBroadcast(n.ctx, n.alice, []proto.Message{&flow.MsgRefund{From: n.alice.Address().String(), Contribution: c3.Id}}, client.TxOptions{}); err != nil {
		t.Fatalf("refund: %v", err)
	}
	carolAfter, _, _ := n.c.Balance(n.ctx, n.carol.Address(), 0)
	contributeFee := carolBefore - carolAfter // what the contribute tx itself cost, the verifier fee refunded
	if c3, _ = n.c.Contribution(n.ctx, c3.Id, 0); c3.Status != flow.StatusRefunded || contributeFee > 200_000 {
		t.Fatalf("after refund: %s, carol paid %d ulaz net", c3.Status, contributeFee)
	}

	// Revocation: the ciphertext may be deleted only once revoked.
	sum, _ := blob.ParseSum(res.CiphertextSHA256)
	if err := n.blobs.Delete(n.ctx, sum); !errors.Is(err, blob.ErrForbidden) {
		t.Fatalf("delete before revoke: %v, want forbidden", err)
	}
	if _, err := n.c.SignAndBroadcast(n.ctx, n.carol, []proto.Message{&flow.MsgRevoke{From: n.carol.Address().String(), Contribution: c.Id}}, client.TxOptions{}); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if err := n.blobs.Delete(n.ctx, sum); err != nil {
		t.Fatalf("delete after revoke: %v", err)
	}
	if rc, err := n.c.Contribution(n.ctx, c.Id, 0); err != nil || !rc.Revoked || len(rc.Data.Grants) != 0 || rc.Data.CiphertextSha256 != res.CiphertextSHA256 {
		t.Fatalf("revoked contribution: %+v %v", rc, err)
	}

	// The workers forget a revoked contribution's records: the same data,
	// sealed afresh, is no longer a near-duplicate of the pool.
	again := n.waitStatus(n.contribute(pool.Id, contrib).Contribution, 30*time.Second)
	if again.Status != flow.StatusAnchored || again.Results[0].UniquenessPpm != 1_000_000 {
		t.Fatalf("the revoked data contributed again: %s (%s) %v, want anchored as unique", again.Status, again.Reason, again.Results)
	}

	n.checkNoPlaintext(secretFeature, secretText)
}

// checkNoPlaintext looks for plaintext markers in every tx and tx result
// of the chain, every object of the blob store, and the logs.
func (n *network) checkNoPlaintext(markers ...string) {
	t := n.t
	st, err := n.c.Status(n.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var scanned int
	for h := int64(1); h <= st.LatestHeight; h++ {
		b, err := n.c.RPC().Block(n.ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		res, err := n.c.RPC().BlockResults(n.ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		events, _ := json.Marshal(res)
		for _, m := range markers {
			for _, raw := range b.Block.Txs {
				if bytes.Contains(raw, []byte(m)) {
					t.Fatalf("plaintext marker %q in a tx at height %d", m, h)
				}
			}
			if bytes.Contains(events, []byte(m)) {
				t.Fatalf("plaintext marker %q in the results of height %d", m, h)
			}
		}
		scanned += len(b.Block.Txs)
	}
	if scanned == 0 {
		t.Fatal("no tx scanned")
	}
	var objects int
	err = filepath.Walk(node.BlobDir(n.home), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		data, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		objects++
		for _, m := range markers {
			if bytes.Contains(data, []byte(m)) {
				return fmt.Errorf("plaintext marker %q in blob %s", m, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if objects < 4 {
		t.Fatalf("only %d blobs scanned", objects)
	}
	logs := n.logs.String()
	if !strings.Contains(logs, "result posted") {
		t.Fatal("the workers' logs were not captured")
	}
	for _, m := range markers {
		if strings.Contains(logs, m) {
			t.Fatalf("plaintext marker %q in the logs", m)
		}
	}
}

// textLines makes n JSON Lines records of a two-topic text corpus, label
// 0 for animals and 1 for markets, each sentence distinct.
func textLines(from, n int) []byte {
	animals := []string{"cat", "dog", "horse", "otter", "badger", "heron", "fox", "hare"}
	places := []string{"meadow", "river bank", "old barn", "forest edge", "garden", "hillside"}
	assets := []string{"shares", "bonds", "futures", "copper", "the index", "grain contracts"}
	moves := []string{"rallied", "slumped", "traded flat", "rose sharply", "fell in late trading", "recovered"}
	var lines [][]byte
	for i := from; i < from+n; i++ {
		var text string
		label := i % 2
		if label == 0 {
			text = fmt.Sprintf("the %s slept by the %s on day %d", animals[i%len(animals)], places[(i/2)%len(places)], i)
		} else {
			text = fmt.Sprintf("%s %s as traders watched the session number %d", assets[i%len(assets)], moves[(i/2)%len(moves)], i)
		}
		b, _ := json.Marshal(map[string]any{"text": text, "label": label})
		lines = append(lines, b)
	}
	return datasets.Join(lines)
}

// TestTextPool runs a text pool (hashed character n-grams) through the
// path: a fresh contribution is anchored with value, a copy rejected.
func TestTextPool(t *testing.T) {
	n := newNetwork(t, 1)
	w := n.addWorker(0, 10_000_000, false)
	schema := `{"type":"object","required":["text","label"],"properties":{"text":{"type":"string","minLength":1,"maxLength":500},"label":{"type":"integer","minimum":0,"maximum":1}}}`
	msg := poolMsg(1, 1, 60, 1)
	msg.Kind, msg.Schema, msg.Name = "text", schema, "news and nature"
	pool := n.createPool(msg, textLines(0, 40), n.checked(w.ID()))
	data := textLines(1000, 30)
	c := n.waitStatus(n.contribute(pool.Id, data).Contribution, 30*time.Second)
	if c.Status != flow.StatusAnchored || c.Results[0].ValuePpm == 0 || c.Results[0].UniquenessPpm == 0 {
		t.Fatalf("text contribution: %s (%s) %+v", c.Status, c.Reason, c.Results)
	}
	dup := n.waitStatus(n.contribute(pool.Id, data).Contribution, 30*time.Second)
	if dup.Status != flow.StatusRejected {
		t.Fatalf("copied text contribution: %s (%s), want rejected", dup.Status, dup.Reason)
	}
	// Sentences that differ only in their number are near-duplicates of
	// each other, so uniqueness is below 100%.
	t.Logf("text pool: score %d ppm (uniqueness %d, value %d); copy: %s", c.ScorePpm, c.Results[0].UniquenessPpm, c.Results[0].ValuePpm, dup.Reason)
}
