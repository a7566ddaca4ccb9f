package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lazchain/lazchain/blob"
	"github.com/lazchain/lazchain/enclave/attest"
	"github.com/lazchain/lazchain/enclave/seal"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"
)

// CheckedWorker is a worker whose attestation the client verified itself.
type CheckedWorker struct {
	Worker *compute.Worker
	// Dev: verified against the test-only roots: a simulated enclave.
	Dev bool
}

// CheckWorkers verifies, on this machine, the attestation of every active
// worker of the chain (of one iDAO when idaoID is not 0) against the
// chain's parameters, at the current time: the evidence must hash to the
// digest the chain recorded and bind the worker's keys, this chain and the
// block it names. Workers that fail are returned in refused with the
// reason, not silently dropped.
func (c *Client) CheckWorkers(ctx context.Context, idaoID uint64) (ok []CheckedWorker, refused map[uint64]error, err error) {
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, nil, err
	}
	params, err := c.ComputeParams(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	ws, err := c.Workers(ctx, idaoID, 0)
	if err != nil {
		return nil, nil, err
	}
	refused = map[uint64]error{}
	verifier, err := attest.NewVerifier(compute.Policy(params))
	if err != nil {
		return nil, nil, fmt.Errorf("the chain's attestation parameters: %w", err)
	}
	now := time.Now()
	for _, w := range ws.Workers {
		if w.Status != compute.StatusActive {
			continue
		}
		res, err := verifyWorker(chainID, w, verifier, now)
		if err != nil {
			refused[w.Id] = err
			continue
		}
		ok = append(ok, CheckedWorker{Worker: w, Dev: res.Dev})
	}
	return ok, refused, nil
}

func verifyWorker(chainID string, w *compute.Worker, v *attest.Verifier, now time.Time) (attest.Result, error) {
	digest := sha256.Sum256(w.Evidence)
	if hex.EncodeToString(digest[:]) != w.AttestationDigest {
		return attest.Result{}, fmt.Errorf("worker %d: its evidence does not hash to the digest the chain recorded", w.Id)
	}
	hpke, err1 := hex.DecodeString(w.HpkePublicKey)
	sign, err2 := hex.DecodeString(w.SigningKey)
	block, err3 := hex.DecodeString(w.BlockHash)
	if err := errors.Join(err1, err2, err3); err != nil {
		return attest.Result{}, fmt.Errorf("worker %d: bad stored key: %w", w.Id, err)
	}
	res, err := v.Verify(w.Kind, w.Evidence, now, attest.ReportData(chainID, compute.Operator(w).Bytes(), hpke, sign, block))
	if err != nil {
		return res, fmt.Errorf("worker %d: %w", w.Id, err)
	}
	return res, nil
}

// Progress reports a long step: stage ("encrypt", "upload"), bytes done and
// the total (-1 when unknown).
type Progress func(stage string, done, total int64)

// Sealed is data encrypted and uploaded: what a Contribute or CreatePool
// message carries, and the workers its key was wrapped to.
type Sealed struct {
	*flow.Sealed
	Workers   []CheckedWorker
	Plaintext int64
}

// SealAndUpload encrypts r with a fresh data key (AES-256-GCM in chunks,
// streaming through a temporary file, so memory stays constant whatever
// the size), uploads the ciphertext to blobs, and wraps the data key with
// HPKE to each worker, bound to chainID, pool, the ciphertext's hash and
// owner (the account that will send the message naming it).
// The data key exists only in memory here and is dropped on return.
func SealAndUpload(ctx context.Context, chainID string, pool uint64, owner tx.Address, r io.Reader, size int64, workers []CheckedWorker, blobs blob.Store, tmpDir string, progress Progress) (*Sealed, error) {
	if len(workers) == 0 {
		return nil, errors.New("no worker to wrap the data key to")
	}
	if progress == nil {
		progress = func(string, int64, int64) {}
	}
	key, err := seal.NewDataKey()
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(tmpDir, "lazchain-sealed-*")
	if err != nil {
		return nil, fmt.Errorf("temporary file for the ciphertext: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	commit := seal.Commitment(key)
	ch := sha256.New()
	in := &countingReader{r: io.TeeReader(r, commit), report: func(n int64) { progress("encrypt", n, size) }}
	n, err := seal.Encrypt(io.MultiWriter(tmp, ch), in, key)
	if err != nil {
		return nil, fmt.Errorf("encrypting: %w", err)
	}
	progress("encrypt", n, n)
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	var sum blob.Sum
	copy(sum[:], ch.Sum(nil))
	ctSize, err := tmp.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	up := &countingReader{r: tmp, report: func(n int64) { progress("upload", n, ctSize) }}
	if err := blobs.Put(ctx, sum, up, ctSize); err != nil {
		return nil, fmt.Errorf("uploading ciphertext %s: %w", sum, err)
	}
	progress("upload", ctSize, ctSize)
	out := &Sealed{Sealed: &flow.Sealed{
		CiphertextSha256: sum.String(), Size: uint64(ctSize), Commitment: hex.EncodeToString(commit.Sum(nil)),
	}, Workers: workers, Plaintext: n}
	info := seal.WrapInfo(chainID, pool, sum[:], owner.Bytes())
	for _, w := range workers {
		pub, err := hex.DecodeString(w.Worker.HpkePublicKey)
		if err != nil {
			return nil, fmt.Errorf("worker %d: bad HPKE key: %w", w.Worker.Id, err)
		}
		wrapped, err := seal.WrapKey(pub, key, info)
		if err != nil {
			return nil, fmt.Errorf("wrapping the data key to worker %d: %w", w.Worker.Id, err)
		}
		out.Grants = append(out.Grants, &flow.Grant{Worker: w.Worker.Id, Wrapped: hex.EncodeToString(wrapped)})
	}
	clear(key)
	return out, nil
}

// countingReader reports how many bytes went through, at most every MiB.
type countingReader struct {
	r      io.Reader
	n, at  int64
	report func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n-c.at >= 1<<20 {
		c.at = c.n
		c.report(c.n)
	}
	return n, err
}

// PoolWorkers are the checked workers a pool's data may be sealed to:
// those holding a grant for its validation set (and of its compute iDAO).
func PoolWorkers(p *flow.Pool, checked []CheckedWorker) []CheckedWorker {
	var out []CheckedWorker
	for _, w := range checked {
		if p.ComputeIdao != 0 && w.Worker.Idao != p.ComputeIdao {
			continue
		}
		for _, g := range p.Validation.Grants {
			if g.Worker == w.Worker.Id {
				out = append(out, w)
				break
			}
		}
	}
	return out
}

// ContributeResult is what Contribute did.
type ContributeResult struct {
	Contribution     uint64   `json:"contribution"`
	Pool             uint64   `json:"pool"`
	Job              uint64   `json:"job"`
	CiphertextSHA256 string   `json:"ciphertext_sha256"`
	CiphertextSize   uint64   `json:"ciphertext_size"`
	PlaintextSize    int64    `json:"plaintext_size"`
	Commitment       string   `json:"commitment"`
	Workers          []uint64 `json:"workers"`
	DevWorkers       bool     `json:"dev_workers"`
	Fee              string   `json:"fee"`
	TxHash           string   `json:"tx_hash"`
	Height           int64    `json:"height"`
}

// Contribute seals r to the pool's workers (after checking their
// attestations here), uploads it, and sends one Contribute message. maxFee
// nil accepts the pool's current fee.
func (c *Client) Contribute(ctx context.Context, signer tx.Signer, poolID uint64, r io.Reader, size int64, blobs blob.Store, maxFee *uint64, tmpDir string, progress Progress) (*ContributeResult, error) {
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	p, err := c.Pool(ctx, poolID, 0)
	if err != nil {
		return nil, err
	}
	checked, refused, err := c.CheckWorkers(ctx, p.ComputeIdao)
	if err != nil {
		return nil, err
	}
	workers := PoolWorkers(p, checked)
	if len(workers) < int(p.QuorumK) {
		return nil, fmt.Errorf("pool %d needs %d workers and only %d passed the attestation check here (refused: %v)", p.Id, p.QuorumK, len(workers), refused)
	}
	s, err := SealAndUpload(ctx, chainID, p.Id, signer.Address(), r, size, workers, blobs, tmpDir, progress)
	if err != nil {
		return nil, err
	}
	fee := p.VerifierFee
	if maxFee != nil {
		fee = tx.FormatBaseUnits(*maxFee)
	}
	msg := &flow.MsgContribute{From: signer.Address().String(), Pool: p.Id, Data: s.Sealed, MaxFee: fee}
	id, res, err := c.sendForID(ctx, signer, msg, TxOptions{}, "flow_contribute", "contribution")
	if err != nil {
		return nil, err
	}
	out := &ContributeResult{
		Contribution: id, Pool: p.Id, CiphertextSHA256: s.CiphertextSha256, CiphertextSize: s.Size,
		PlaintextSize: s.Plaintext, Commitment: s.Commitment, Fee: p.VerifierFee, TxHash: res.Hash, Height: res.Height,
	}
	if job, ok := res.Attr("flow_contribute", "job"); ok {
		fmt.Sscan(job, &out.Job)
	}
	for _, w := range workers {
		out.Workers = append(out.Workers, w.Worker.Id)
		out.DevWorkers = out.DevWorkers || w.Dev
	}
	return out, nil
}

// CreatePoolWithValidation seals the validation set read from r to workers
// (wrapped for enclave.ValidationPool, pool 0, since the pool does not
// exist yet), uploads it, and creates the pool described by msg with it.
func (c *Client) CreatePoolWithValidation(ctx context.Context, signer tx.Signer, msg *flow.MsgCreatePool, r io.Reader, size int64, workers []CheckedWorker, blobs blob.Store, tmpDir string, progress Progress) (uint64, error) {
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return 0, err
	}
	s, err := SealAndUpload(ctx, chainID, 0, signer.Address(), r, size, workers, blobs, tmpDir, progress)
	if err != nil {
		return 0, err
	}
	msg.Validation = s.Sealed
	id, _, err := c.CreatePool(ctx, signer, msg, TxOptions{})
	return id, err
}
