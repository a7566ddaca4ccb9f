package dat

import (
	"fmt"
	"strconv"

	"github.com/lazchain/lazchain/chain"
)

// Proof types a class or token can carry. They are recorded, not yet
// verified: verification (TEE reports, ZK proofs, optimistic claims) comes
// with the compute module.
const (
	ProofTEEReport = "tee_report"
	ProofZK        = "zk_proof"
	ProofOpClaim   = "op_claim"
)

func (k *Keeper) execAddProof(ctx *chain.Context, msg *MsgAddProof) error {
	signer, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	c, err := k.Class(ctx, msg.Class)
	if err != nil {
		return err
	}
	if err := k.requireAdmin(ctx, signer, c.Idao, fmt.Sprintf("add proofs to class %d", c.Id)); err != nil {
		return err
	}
	switch msg.Type {
	case ProofTEEReport, ProofZK, ProofOpClaim:
	default:
		return ErrInvalidProof.Wrapf("proof type %q: want %s, %s or %s", msg.Type, ProofTEEReport, ProofZK, ProofOpClaim)
	}
	if n := len(msg.Uri); n == 0 || n > MaxURILen {
		return ErrInvalidProof.Wrapf("proof URI is %d bytes, want 1 to %d", n, MaxURILen)
	}
	digest, ok := hex64(msg.Digest)
	if !ok {
		return ErrInvalidProof.Wrapf("digest %q: want 64 hex digits (the proof's SHA-256)", msg.Digest)
	}
	if msg.Token != 0 {
		t, err := k.Token(ctx, msg.Token)
		if err != nil {
			return err
		}
		if t.Class != c.Id {
			return ErrClassMismatch.Wrapf("token %d is of class %d, not of class %d", t.Id, t.Class, c.Id)
		}
	}
	c.Proofs++
	p := &Proof{
		Index: c.Proofs, Class: c.Id, Token: msg.Token, Type: msg.Type, Uri: msg.Uri,
		Digest: digest, Submitter: signer.String(), Height: ctx.Height,
	}
	chain.SaveRecord(k.kv(ctx), proofKey(c.Id, p.Index), p)
	k.setClass(ctx, c)
	ctx.Emit(chain.Event("dat_proof",
		chain.Indexed("class", strconv.FormatUint(c.Id, 10)),
		chain.Indexed("token", strconv.FormatUint(msg.Token, 10)),
		chain.Indexed("type", msg.Type),
		chain.Indexed("submitter", p.Submitter),
		chain.Attr("index", strconv.FormatUint(p.Index, 10)),
		chain.Attr("uri", p.Uri),
		chain.Attr("digest", digest)))
	return nil
}
