package enclave

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/lazchain/lazchain/enclave/seal"
	"github.com/lazchain/lazchain/ml"
	"github.com/lazchain/lazchain/pdv"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/flow"
	"github.com/lazchain/lazchain/x/service"
)

// MaxModelBytes bounds a sealed model the enclave will open.
const MaxModelBytes = 256 << 20

// Train trains model m on its pool's records as of m.BaseSeq (the accepted
// records of every live anchored contribution, in anchor order), evaluates
// it on the pool's validation set, seals the weights to the recipients
// (the pool's workers) and returns the signed result and the weights'
// ciphertext, which the caller uploads before sending the result. The
// enclave must have absorbed the pool up to m.BaseSeq. Plaintext records
// and weights never leave the enclave.
func (e *Enclave) Train(chainID string, m *flow.Model, worker uint64, recipients []*compute.Worker) (*flow.MsgTrainResult, []byte, error) {
	p, err := e.pool(m.Pool)
	if err != nil {
		return nil, nil, err
	}
	if have := e.AnchoredSeq(m.Pool); have < m.BaseSeq {
		return nil, nil, fmt.Errorf("pool %d is absorbed to %d, model %d trains on %d: absorb first", m.Pool, have, m.Id, m.BaseSeq)
	}
	h, err := ml.ParseHyper(ml.Kind(m.Kind), m.Hyper)
	if err != nil {
		return nil, nil, fmt.Errorf("model %d: %w", m.Id, err)
	}
	p.stateMu.RLock()
	e.mu.Lock()
	st := p.state(m.BaseSeq)
	e.mu.Unlock()
	train := examples(st.Records())
	p.stateMu.RUnlock()
	in := ml.Input{PoolKind: p.cfg.Kind}
	if in.PoolKind == pdv.KindText {
		in.Dims = cmp.Or(p.cfg.TextDims, pdv.DefaultTextDims)
	}
	model, err := ml.Train(ml.Kind(m.Kind), h, in, train)
	if err != nil {
		return nil, nil, fmt.Errorf("model %d: training on %d records: %w", m.Id, len(train), err)
	}
	weights, err := model.MarshalBinary()
	if err != nil {
		return nil, nil, err
	}
	defer clear(weights)
	commit := model.Commitment()
	data := ml.DataCommitment(train)
	sealed, ciphertext, err := sealTo(chainID, m.Pool, mustAddr(m.Requester), weights, recipients)
	if err != nil {
		return nil, nil, fmt.Errorf("model %d: sealing the weights: %w", m.Id, err)
	}
	msg := &flow.MsgTrainResult{
		Pool: m.Pool, Model: m.Id, Worker: worker,
		ModelCommitment: hex.EncodeToString(commit[:]), DataCommitment: hex.EncodeToString(data[:]),
		Records: uint64(len(train)), AccuracyPpm: model.Accuracy(examples(p.validation)), Weights: sealed,
	}
	flow.SignTrainResult(chainID, msg, e.sign)
	return msg, ciphertext, nil
}

func examples(recs []pdv.Record) []ml.Example {
	out := make([]ml.Example, len(recs))
	for i, r := range recs {
		out[i] = ml.Example{Features: r.Features, Label: r.Label}
	}
	return out
}

func mustAddr(s string) tx.Address {
	a, err := tx.ParseAddress(s)
	if err != nil {
		panic(fmt.Sprintf("enclave: bad address from the chain %q: %v", s, err))
	}
	return a
}

// sealTo encrypts plaintext under a fresh data key and wraps the key to
// each recipient, binding the chain, the pool, the ciphertext and owner.
func sealTo(chainID string, pool uint64, owner tx.Address, plaintext []byte, recipients []*compute.Worker) (*flow.Sealed, []byte, error) {
	key, err := seal.NewDataKey()
	if err != nil {
		return nil, nil, err
	}
	defer clear(key)
	var ct bytes.Buffer
	commit := seal.Commitment(key)
	commit.Write(plaintext)
	if _, err := seal.Encrypt(&ct, bytes.NewReader(plaintext), key); err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(ct.Bytes())
	s := &flow.Sealed{CiphertextSha256: hex.EncodeToString(sum[:]), Size: uint64(ct.Len()), Commitment: hex.EncodeToString(commit.Sum(nil))}
	info := seal.WrapInfo(chainID, pool, sum[:], owner.Bytes())
	for _, w := range recipients {
		pub, err := hex.DecodeString(w.HpkePublicKey)
		if err != nil {
			return nil, nil, fmt.Errorf("worker %d: bad HPKE key: %w", w.Id, err)
		}
		wrapped, err := seal.WrapKey(pub, key, info)
		if err != nil {
			return nil, nil, fmt.Errorf("wrapping to worker %d: %w", w.Id, err)
		}
		s.Grants = append(s.Grants, &flow.Grant{Worker: w.Id, Wrapped: hex.EncodeToString(wrapped)})
	}
	return s, ct.Bytes(), nil
}

// LoadModel opens a trained model's weights, granted to worker, checks
// them against the model's commitment and keeps the model for Infer.
func (e *Enclave) LoadModel(chainID string, m *flow.Model, worker uint64, ciphertext io.Reader) error {
	s := m.Weights
	if s == nil || m.Status != flow.ModelTrained {
		return fmt.Errorf("model %d is %s: nothing to load", m.Id, m.Status)
	}
	var wrapped []byte
	for _, g := range s.Grants {
		if g.Worker == worker {
			wrapped, _ = hex.DecodeString(g.Wrapped)
		}
	}
	if wrapped == nil {
		return fmt.Errorf("model %d: %w", m.Id, ErrNoGrant)
	}
	ct, err := io.ReadAll(io.LimitReader(ciphertext, MaxModelBytes+1))
	if err != nil {
		return fmt.Errorf("model %d: reading weights: %w", m.Id, err)
	}
	sum := sha256.Sum256(ct)
	if hex.EncodeToString(sum[:]) != s.CiphertextSha256 {
		return fmt.Errorf("model %d: %w", m.Id, ErrCiphertext)
	}
	key, err := e.hpke.UnwrapKey(wrapped, seal.WrapInfo(chainID, m.Pool, sum[:], mustAddr(m.Requester).Bytes()))
	if err != nil {
		return fmt.Errorf("model %d: the weights' key granted to worker %d does not open", m.Id, worker)
	}
	defer clear(key)
	var plain bytes.Buffer
	if _, err := seal.Decrypt(&plain, bytes.NewReader(ct), key); err != nil {
		return fmt.Errorf("model %d: weights do not decrypt: %w", m.Id, err)
	}
	defer clear(plain.Bytes())
	model, err := ml.Unmarshal(plain.Bytes())
	if err != nil {
		return fmt.Errorf("model %d: %w", m.Id, err)
	}
	if c := model.Commitment(); hex.EncodeToString(c[:]) != m.ModelCommitment {
		return fmt.Errorf("model %d: the weights do not match the model commitment on chain", m.Id)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.models == nil {
		e.models = map[uint64]*ml.Model{}
	}
	e.models[m.Id] = model
	return nil
}

// HasModel says whether a model is loaded.
func (e *Enclave) HasModel(id uint64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.models[id] != nil
}

// Infer runs a loaded model on one input (JSON) and returns the output
// (JSON).
func (e *Enclave) Infer(model uint64, input []byte) ([]byte, error) {
	e.mu.Lock()
	m := e.models[model]
	e.mu.Unlock()
	if m == nil {
		return nil, fmt.Errorf("model %d is not loaded in this enclave", model)
	}
	return m.Infer(input)
}

// SignReceipt signs a call's receipt with the enclave's key and remembers
// it as issued, for SignBatch.
func (e *Enclave) SignReceipt(r *service.Receipt) {
	service.SignReceipt(r, e.sign)
	d := sha256.Sum256(service.ReceiptSignBytes(r))
	e.mu.Lock()
	if e.issued == nil {
		e.issued = map[[32]byte]bool{}
	}
	e.issued[d] = true
	e.mu.Unlock()
}

// SignBatch vouches for a batch of receipts with one signature over their
// BatchDigest, which lets validators check one enclave signature per
// Settle. The enclave signs only receipts it issued: ones it signed since
// it started, or whose own signature is its (receipts journaled before a
// restart).
func (e *Enclave) SignBatch(chainID string, worker uint64, receipts []*service.Receipt) (string, error) {
	pub := hex.EncodeToString(e.SigningKey())
	for i, r := range receipts {
		d := sha256.Sum256(service.ReceiptSignBytes(r))
		e.mu.Lock()
		issued := e.issued[d]
		e.mu.Unlock()
		if !issued && !service.VerifyReceipt(r, pub) {
			return "", fmt.Errorf("receipt %d of the batch was not issued by this enclave", i)
		}
	}
	d := service.BatchDigest(chainID, worker, receipts)
	return hex.EncodeToString(ed25519.Sign(e.sign, d[:])), nil
}

// ForgetReceipts drops settled receipts from the issued set.
func (e *Enclave) ForgetReceipts(receipts []*service.Receipt) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range receipts {
		delete(e.issued, sha256.Sum256(service.ReceiptSignBytes(r)))
	}
}
