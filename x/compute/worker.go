package compute

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"net/url"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/enclave/attest"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// MaxEndpointLen bounds a worker's endpoint URL.
const MaxEndpointLen = 256

// MaxEvidenceLen bounds the attestation evidence a message may carry.
const MaxEvidenceLen = 64 << 10

func parseAddr(field, s string) (tx.Address, error) {
	a, err := tx.ParseAddress(s)
	if err != nil {
		return a, ErrInvalidAddress.Wrapf("%s: %v", field, err)
	}
	return a, nil
}

// verified is what a checked attestation says about a worker.
type verified struct {
	res       attest.Result
	evidence  []byte
	blockHash []byte
}

// verify checks evidence of kind against the chain's parameters, at the
// block time, for the given operator, keys and recent block hash. It charges the
// parameters' attestation gas first.
func (k *Keeper) verify(ctx *chain.Context, kind string, evidence []byte, operator tx.Address, hpkePub, signPub []byte, blockHash string) (verified, error) {
	p := k.Params(ctx)
	if ctx.Gas != nil {
		ctx.Gas.Consume(p.AttestationGas, "verify attestation")
	}
	if len(evidence) == 0 || len(evidence) > MaxEvidenceLen {
		return verified{}, ErrAttestation.Wrapf("evidence is %d bytes, want 1 to %d", len(evidence), MaxEvidenceLen)
	}
	h, err := k.recentBlock(ctx, blockHash)
	if err != nil {
		return verified{}, err
	}
	want := attest.ReportData(ctx.ChainID, operator.Bytes(), hpkePub, signPub, h)
	v, err := k.verifier(p)
	if err != nil {
		return verified{}, ErrAttestation.Wrapf("the chain's attestation parameters: %v", err)
	}
	res, err := v.Verify(kind, evidence, ctx.Time, want)
	if err != nil {
		return verified{}, ErrAttestation.Wrapf("%s attestation: %v", kind, err)
	}
	return verified{res: res, evidence: append([]byte(nil), evidence...), blockHash: h}, nil
}

func decodeKey(field, s string, size int) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != size {
		return nil, ErrInvalidWorker.Wrapf("%s %q: want %d hex digits", field, s, 2*size)
	}
	return b, nil
}

func checkEndpoint(s string) error {
	if len(s) > MaxEndpointLen {
		return ErrInvalidWorker.Wrapf("endpoint is %d bytes, at most %d", len(s), MaxEndpointLen)
	}
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ErrInvalidWorker.Wrapf("endpoint %q: want an http(s) URL or nothing", s)
	}
	return nil
}

func (k *Keeper) execRegisterWorker(ctx *chain.Context, msg *MsgRegisterWorker) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	if !k.IDAO.HasRole(ctx, msg.Idao, from, roleComputeProvider) {
		return ErrUnauthorized.Wrapf("%s is not a compute_provider of iDAO %d: only its compute providers may register its workers", from, msg.Idao)
	}
	hpkePub, err := decodeKey("hpke_public_key", msg.HpkePublicKey, 32)
	if err != nil {
		return err
	}
	signPub, err := decodeKey("signing_key", msg.SigningKey, ed25519.PublicKeySize)
	if err != nil {
		return err
	}
	if err := checkEndpoint(msg.Endpoint); err != nil {
		return err
	}
	bond, err := tx.ParseBaseUnits(msg.Bond)
	if err != nil {
		return ErrInsufficientBond.Wrapf("bond %q: %v", msg.Bond, err)
	}
	p := k.Params(ctx)
	minBond, _ := tx.ParseBaseUnits(p.MinBond)
	if bond < minBond {
		return ErrInsufficientBond.Wrapf("bond %d ulaz is below the minimum %d ulaz", bond, minBond)
	}
	kv := k.kv(ctx)
	if kv.Get(store.Key(hpkePrefix, hpkePub)) != nil {
		return ErrDuplicateKey.Wrapf("HPKE key %s is already registered: every enclave generates its own keys", msg.HpkePublicKey)
	}
	v, err := k.verify(ctx, msg.Kind, msg.Evidence, from, hpkePub, signPub, msg.BlockHash)
	if err != nil {
		return err
	}
	if err := k.Bank.Send(ctx, from, BondEscrow, bond); err != nil {
		return err
	}
	id := chain.NextID(kv, seqWorkerKey)
	w := &Worker{
		Id: id, Idao: msg.Idao, Operator: from.String(),
		HpkePublicKey: hex.EncodeToString(hpkePub), SigningKey: hex.EncodeToString(signPub),
		Endpoint: msg.Endpoint, Bond: tx.FormatBaseUnits(bond), Slashed: "0",
		RegisteredHeight: ctx.Height, Status: StatusActive,
	}
	apply(ctx, w, v, p)
	k.setWorker(ctx, w)
	kv.Set(store.Key(hpkePrefix, hpkePub), store.EncodeUint64(id))
	kv.Set(store.Key(operatorPrefix, from.Bytes(), store.EncodeUint64(id)), present)
	ctx.Emit(chain.Event("compute_worker",
		chain.Indexed("worker", strconv.FormatUint(id, 10)),
		chain.Indexed("idao", strconv.FormatUint(w.Idao, 10)),
		chain.Indexed("operator", w.Operator),
		chain.Attr("action", "register"),
		chain.Attr("kind", w.Kind),
		chain.Attr("dev", strconv.FormatBool(w.Dev)),
		chain.Attr("measurement", w.Measurement),
		chain.Attr("expires_height", strconv.FormatInt(w.ExpiresHeight, 10))))
	return nil
}

// apply writes a verified attestation's facts into the worker.
func apply(ctx *chain.Context, w *Worker, v verified, p *Params) {
	w.Evidence = v.evidence
	w.BlockHash = hex.EncodeToString(v.blockHash)
	w.Kind = v.res.Kind
	w.Measurement = hex.EncodeToString(v.res.Measurement)
	w.Tcb = v.res.TCB
	w.Dev = v.res.Dev
	w.AttestationDigest = hex.EncodeToString(v.res.Digest[:])
	w.RenewedHeight = ctx.Height
	w.ExpiresHeight = ctx.Height + int64(p.RegistrationBlocks)
}

// operatorWorker reads a worker the signer operates.
func (k *Keeper) operatorWorker(ctx *chain.Context, from string, id uint64, action string) (*Worker, tx.Address, error) {
	signer, err := parseAddr("from", from)
	if err != nil {
		return nil, signer, err
	}
	w, err := k.Worker(ctx, id)
	if err != nil {
		return nil, signer, err
	}
	if w.Operator != signer.String() {
		return nil, signer, ErrUnauthorized.Wrapf("%s does not operate worker %d (its operator is %s) and cannot %s it", signer, id, w.Operator, action)
	}
	return w, signer, nil
}

func (k *Keeper) execRenewWorker(ctx *chain.Context, msg *MsgRenewWorker) error {
	w, _, err := k.operatorWorker(ctx, msg.From, msg.Worker, "renew")
	if err != nil {
		return err
	}
	if w.Status == StatusRetired {
		return ErrWorkerInactive.Wrapf("worker %d is retired; register a new one", w.Id)
	}
	hpkePub, _ := hex.DecodeString(w.HpkePublicKey)
	signPub, _ := hex.DecodeString(w.SigningKey)
	v, err := k.verify(ctx, msg.Kind, msg.Evidence, Operator(w), hpkePub, signPub, msg.BlockHash)
	if err != nil {
		return err
	}
	apply(ctx, w, v, k.Params(ctx))
	w.Status = StatusActive
	k.setWorker(ctx, w)
	ctx.Emit(chain.Event("compute_worker",
		chain.Indexed("worker", strconv.FormatUint(w.Id, 10)),
		chain.Indexed("idao", strconv.FormatUint(w.Idao, 10)),
		chain.Indexed("operator", w.Operator),
		chain.Attr("action", "renew"),
		chain.Attr("dev", strconv.FormatBool(w.Dev)),
		chain.Attr("expires_height", strconv.FormatInt(w.ExpiresHeight, 10))))
	return nil
}

func (k *Keeper) execRetireWorker(ctx *chain.Context, msg *MsgRetireWorker) error {
	w, signer, err := k.operatorWorker(ctx, msg.From, msg.Worker, "retire")
	if err != nil {
		return err
	}
	if w.Status == StatusRetired {
		return ErrWorkerInactive.Wrapf("worker %d is already retired", w.Id)
	}
	if w.OpenJobs > 0 {
		return ErrWorkerBusy.Wrapf("worker %d has %d open job assignments: finish them or let their deadlines pass", w.Id, w.OpenJobs)
	}
	bond := Bond(w)
	if err := k.Bank.Send(ctx, BondEscrow, signer, bond); err != nil {
		return err
	}
	w.Bond = "0"
	w.Status = StatusRetired
	k.setWorker(ctx, w)
	ctx.Emit(chain.Event("compute_worker",
		chain.Indexed("worker", strconv.FormatUint(w.Id, 10)),
		chain.Indexed("idao", strconv.FormatUint(w.Idao, 10)),
		chain.Indexed("operator", w.Operator),
		chain.Attr("action", "retire"),
		chain.Attr("returned", tx.FormatBaseUnits(bond))))
	return nil
}

// verifier is the attestation verifier for parameters p, built once per
// distinct set of parameters (parsing the roots costs more than checking a
// report). The cache only saves work: the result is the same either way.
func (k *Keeper) verifier(p *Params) (*attest.Verifier, error) {
	key, err := proto.MarshalOptions{Deterministic: true}.Marshal(p)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cachedKey != nil && bytes.Equal(k.cachedKey, key) {
		return k.cached, nil
	}
	v, err := attest.NewVerifier(Policy(p))
	if err != nil {
		return nil, err
	}
	k.cachedKey, k.cached = key, v
	return v, nil
}
