// Package worker runs an enclave worker against a LazChain node: it
// registers (and renews) the enclave's attestation, loads the validation
// sets granted to it, follows every pool's anchored contributions, and
// scores the contributions the chain assigns to it, posting each result as
// a MsgAttest signed by the enclave's key. Plaintext stays inside package
// enclave; this package handles ids, hashes, ciphertext and scores only.
package worker

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/client"
	"github.com/lazchain/lazchain/enclave"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/service"
)

// Config is what a worker runs with.
type Config struct {
	Client  *client.Client
	Blobs   blob.Store
	Enclave *enclave.Enclave
	// Operator signs the worker's txs and pays their fees and its bond.
	Operator tx.Signer
	// IDAO is the compute-provider iDAO the worker registers under.
	IDAO     uint64
	Bond     uint64
	Endpoint string
	// Poll is how often the worker looks at the chain (default 1s).
	Poll time.Duration
	// SettleEvery is how often Run settles the receipts of paid calls
	// (default 2s); SettleBatch bounds one Settle's receipts (0: the
	// chain's max_receipts).
	SettleEvery time.Duration
	SettleBatch int
	// API, when set, is the node's HTTP API: the worker posts its txs there
	// as raw bytes (POST /v1/txs) rather than base64 inside CometBFT's
	// JSON-RPC, which for a Settle of thousands of receipts is most of what
	// the node spends on receiving it.
	API string
	Log *slog.Logger
}

// Worker is a running worker.
type Worker struct {
	cfg     Config
	id      uint64
	chainID string
	log     *slog.Logger
	// failed are pools whose validation set could not be loaded, with the
	// step at which to try again.
	failed map[uint64]int64
	// sent are contributions whose result was broadcast, so it is not sent
	// twice while its tx is in flight.
	sent map[uint64]bool
	// steps counts Steps, the clock for retries.
	steps int64
	// params are the chain's compute parameters.
	params *compute.Params
	// trained are models whose training result was broadcast.
	trained map[uint64]bool
	// srv is the paid-call state (serve.go).
	srv *serving
	// txMu orders the operator's txs: the step loop and the settle loop
	// both send, and each tx takes the next nonce.
	txMu sync.Mutex
}

// New makes a worker; Register or Use gives it its id.
func New(cfg Config) *Worker {
	if cfg.Poll == 0 {
		cfg.Poll = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.SettleEvery == 0 {
		cfg.SettleEvery = 2 * time.Second
	}
	return &Worker{cfg: cfg, log: cfg.Log, failed: map[uint64]int64{}, sent: map[uint64]bool{}, trained: map[uint64]bool{},
		srv: &serving{
			services: map[uint64]*service.Service{}, pendingEscrow: map[escrowKey]uint64{}, pendingToken: map[uint64]uint64{},
			nonces: map[string]map[uint64]bool{}, cache: map[string]cached{},
		}}
}

// ID is the worker's id on chain (0 before Register or Use).
func (w *Worker) ID() uint64 { return w.id }

// Use sets the id of an already registered worker.
func (w *Worker) Use(id uint64) { w.id = id }

// attestation makes fresh evidence bound to a recent block: the one
// before the latest, because CometBFT stores a block before the app has
// run it, and the chain knows a block's hash once it has.
func (w *Worker) attestation(ctx context.Context) (kind string, evidence []byte, blockHash string, err error) {
	b, err := w.cfg.Client.Block(ctx, 0)
	if err != nil {
		return "", nil, "", err
	}
	if b.Height > 1 {
		if b, err = w.cfg.Client.Block(ctx, b.Height-1); err != nil {
			return "", nil, "", err
		}
	}
	h, err := hex.DecodeString(b.Hash)
	if err != nil {
		return "", nil, "", fmt.Errorf("block %d hash %q: %w", b.Height, b.Hash, err)
	}
	kind, evidence, err = w.cfg.Enclave.Attest(w.chainID, w.cfg.Operator.Address(), h)
	return kind, evidence, strings.ToLower(b.Hash), err
}

// Register attests the enclave and registers it as a worker of the iDAO.
func (w *Worker) Register(ctx context.Context) (uint64, error) {
	var err error
	if w.chainID, err = w.cfg.Client.ChainID(ctx); err != nil {
		return 0, err
	}
	kind, ev, bh, err := w.attestation(ctx)
	if err != nil {
		return 0, fmt.Errorf("attesting: %w", err)
	}
	id, _, err := w.cfg.Client.RegisterWorker(ctx, w.cfg.Operator, &compute.MsgRegisterWorker{
		Idao: w.cfg.IDAO, HpkePublicKey: hex.EncodeToString(w.cfg.Enclave.HPKEPublicKey()),
		SigningKey: hex.EncodeToString(w.cfg.Enclave.SigningKey()), Endpoint: w.cfg.Endpoint,
		Bond: tx.FormatBaseUnits(w.cfg.Bond), Kind: kind, Evidence: ev, BlockHash: bh,
	}, client.TxOptions{})
	if err != nil {
		return 0, fmt.Errorf("registering worker: %w", err)
	}
	w.id = id
	w.log.Info("worker registered", "worker", id, "idao", w.cfg.IDAO, "kind", kind, "dev_enclave", w.cfg.Enclave.Dev())
	if w.cfg.Enclave.Dev() {
		w.log.Warn("DEV ENCLAVE: attestations are signed by go-sev-guest's test-only chain; this is not a real TEE", "worker", id)
	}
	return id, nil
}

// Run follows the chain until ctx ends, doing one Step every Poll. Errors
// of a step are logged and the next step tries again.
func (w *Worker) Run(ctx context.Context) error {
	if w.id == 0 {
		return errors.New("worker: not registered: call Register or Use first")
	}
	settled := make(chan struct{})
	go func() {
		defer close(settled)
		w.settleLoop(ctx)
	}()
	defer func() { <-settled }()
	t := time.NewTicker(w.cfg.Poll)
	defer t.Stop()
	for {
		if err := w.Step(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("worker step failed", "worker", w.id, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Step does one round of work: renew the registration when it is close to
// lapsing, load newly granted pools, absorb newly anchored contributions,
// and score every pending assignment.
func (w *Worker) Step(ctx context.Context) error {
	if w.chainID == "" {
		var err error
		if w.chainID, err = w.cfg.Client.ChainID(ctx); err != nil {
			return err
		}
	}
	w.steps++
	if err := w.renew(ctx); err != nil {
		return err
	}
	if err := w.loadPools(ctx); err != nil {
		return err
	}
	res, err := w.cfg.Client.Contributions(ctx, flow.ContributionsQuery{Worker: w.id, Limit: 1000}, 0)
	if err != nil {
		return err
	}
	var errs []error
	pending := make(map[uint64]bool, len(res.Contributions))
	for _, c := range res.Contributions {
		pending[c.Id] = true
	}
	for id := range w.sent { // results that landed: their ids need no guard any more
		if !pending[id] {
			delete(w.sent, id)
		}
	}
	for _, c := range res.Contributions {
		if w.sent[c.Id] || c.Status != flow.StatusVerifying {
			continue
		}
		if err := w.work(ctx, c); err != nil {
			errs = append(errs, fmt.Errorf("contribution %d: %w", c.Id, err))
		}
	}
	if err := w.trainAssigned(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := w.refreshServices(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// settleLoop settles unsettled receipts every SettleEvery, or as soon as
// more receipts wait than one batch holds, until ctx ends.
func (w *Worker) settleLoop(ctx context.Context) {
	t := time.NewTicker(w.cfg.SettleEvery)
	defer t.Stop()
	for {
		if n := w.Unsettled(); n > 0 {
			res, err := w.Settle(ctx, w.cfg.SettleBatch)
			if err != nil && ctx.Err() == nil {
				w.log.Warn("settlement failed; the receipts stay in the journal", "worker", w.id, "err", err)
			}
			if err == nil && res.Receipts > 0 && w.Unsettled() > 0 {
				continue // more waiting: the next batch at once
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *Worker) renew(ctx context.Context) error {
	me, err := w.cfg.Client.Worker(ctx, w.id, 0)
	if err != nil {
		return err
	}
	if w.params == nil { // set in genesis, so read once
		if w.params, err = w.cfg.Client.ComputeParams(ctx, 0); err != nil {
			return err
		}
	}
	params := w.params
	st, err := w.cfg.Client.Status(ctx)
	if err != nil {
		return err
	}
	if me.Status == compute.StatusRetired || me.ExpiresHeight-st.LatestHeight > int64(params.RegistrationBlocks/10)+1 {
		return nil
	}
	kind, ev, bh, err := w.attestation(ctx)
	if err != nil {
		return err
	}
	_, err = w.send(ctx, []proto.Message{&compute.MsgRenewWorker{
		From: w.cfg.Operator.Address().String(), Worker: w.id, Kind: kind, Evidence: ev, BlockHash: bh,
	}})
	if err == nil {
		w.log.Info("worker registration renewed", "worker", w.id)
	}
	return err
}

// loadPools loads the validation set of every pool granted to this worker
// and brings each loaded pool's state up to its last anchored
// contribution.
func (w *Worker) loadPools(ctx context.Context) error {
	var after uint64
	var errs []error
	for {
		page, err := w.cfg.Client.Pools(ctx, after, 100, 0)
		if err != nil {
			return err
		}
		for _, p := range page.Pools {
			after = p.Id
			if !granted(p.Validation.Grants, w.id) {
				continue
			}
			if !w.cfg.Enclave.HasPool(p.Id) {
				if at, ok := w.failed[p.Id]; ok && w.steps < at {
					continue
				}
				if err := w.withBlob(ctx, p.Validation.CiphertextSha256, func(r io.Reader) error {
					return w.cfg.Enclave.LoadPool(w.chainID, p, w.id, r)
				}); err != nil {
					w.failed[p.Id] = w.steps + 10
					errs = append(errs, fmt.Errorf("loading pool %d: %w", p.Id, err))
					continue
				}
				w.log.Info("pool loaded", "worker", w.id, "pool", p.Id)
			}
			if err := w.absorb(ctx, p); err != nil {
				errs = append(errs, err)
			}
		}
		if len(page.Pools) < 100 {
			return errors.Join(errs...)
		}
	}
}

func granted(gs []*flow.Grant, worker uint64) bool {
	for _, g := range gs {
		if g.Worker == worker {
			return true
		}
	}
	return false
}

// absorb adds the pool's anchored contributions after the last absorbed,
// in order, and forgets those revoked since (when the chain counts more
// revoked contributions than the enclave knows of).
func (w *Worker) absorb(ctx context.Context, p *flow.Pool) error {
	pool := p.Id
	for {
		seq := w.cfg.Enclave.AnchoredSeq(pool)
		page, err := w.cfg.Client.Anchored(ctx, flow.AnchoredQuery{Pool: pool, After: seq, Limit: 100}, 0)
		if err != nil {
			return err
		}
		for _, c := range page.Contributions {
			if c.Revoked || !granted(c.Data.Grants, w.id) {
				if err := w.cfg.Enclave.Absorb(w.chainID, c, w.id, nil); err != nil {
					return err
				}
				continue
			}
			if err := w.withBlob(ctx, c.Data.CiphertextSha256, func(r io.Reader) error {
				return w.cfg.Enclave.Absorb(w.chainID, c, w.id, r)
			}); err != nil {
				return fmt.Errorf("absorbing contribution %d into pool %d: %w", c.Id, pool, err)
			}
		}
		if len(page.Contributions) < 100 {
			break
		}
	}
	if int(p.Anchored-p.AnchoredLive) <= w.cfg.Enclave.Revoked(pool) {
		return nil
	}
	var after uint64
	for {
		page, err := w.cfg.Client.Anchored(ctx, flow.AnchoredQuery{Pool: pool, After: after, Limit: 100}, 0)
		if err != nil {
			return err
		}
		for _, c := range page.Contributions {
			after = c.AnchorSeq
			if c.Revoked {
				w.cfg.Enclave.Forget(pool, c.Id)
			}
		}
		if len(page.Contributions) < 100 {
			return nil
		}
	}
}

// work scores one assigned contribution and posts the result.
func (w *Worker) work(ctx context.Context, c *flow.Contribution) error {
	if !w.cfg.Enclave.HasPool(c.Pool) {
		return fmt.Errorf("pool %d is not loaded", c.Pool)
	}
	var m *flow.MsgAttest
	err := w.withBlob(ctx, c.Data.CiphertextSha256, func(r io.Reader) error {
		var err error
		m, err = w.cfg.Enclave.Score(w.chainID, c, w.id, r)
		return err
	})
	if err != nil {
		return err
	}
	m.From = w.cfg.Operator.Address().String()
	w.sent[c.Id] = true
	res, err := w.send(ctx, []proto.Message{m})
	if err != nil {
		delete(w.sent, c.Id)
		return fmt.Errorf("posting result: %w", err)
	}
	w.log.Info("result posted", "worker", w.id, "contribution", c.Id, "pool", c.Pool, "job", c.Job,
		"verdict", m.Verdict, "score_ppm", m.ScorePpm, "height", res.Height)
	return nil
}

// withBlob fetches a ciphertext and hands it to fn.
func (w *Worker) withBlob(ctx context.Context, sumHex string, fn func(io.Reader) error) error {
	sum, err := blob.ParseSum(sumHex)
	if err != nil {
		return err
	}
	rc, _, err := w.cfg.Blobs.Get(ctx, sum)
	if err != nil {
		return fmt.Errorf("fetching ciphertext %s: %w", sumHex, err)
	}
	defer rc.Close()
	return fn(rc)
}
