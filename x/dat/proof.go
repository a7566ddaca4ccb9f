package dat

import (
	"fmt"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/tx"
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
	return k.AddProof(ctx, signer, c, msg.Token, msg.Type, msg.Uri, msg.Digest)
}

// AddProof records a proof on class c (and on one of its tokens when token
// is not 0), submitted by submitter. The caller has checked that the
// submitter may: an admin of the class's iDAO (addProof), or a module that
// verified the proof itself (flow, for the attestations of an anchored
// contribution).
func (k *Keeper) AddProof(ctx *chain.Context, submitter tx.Address, c *Class, token uint64, typ, uri, digestHex string) error {
	switch typ {
	case ProofTEEReport, ProofZK, ProofOpClaim:
	default:
		return ErrInvalidProof.Wrapf("proof type %q: want %s, %s or %s", typ, ProofTEEReport, ProofZK, ProofOpClaim)
	}
	if n := len(uri); n == 0 || n > MaxURILen {
		return ErrInvalidProof.Wrapf("proof URI is %d bytes, want 1 to %d", n, MaxURILen)
	}
	digest, ok := hex64(digestHex)
	if !ok {
		return ErrInvalidProof.Wrapf("digest %q: want 64 hex digits (the proof's SHA-256)", digestHex)
	}
	if token != 0 {
		t, err := k.Token(ctx, token)
		if err != nil {
			return err
		}
		if t.Class != c.Id {
			return ErrClassMismatch.Wrapf("token %d is of class %d, not of class %d", t.Id, t.Class, c.Id)
		}
	}
	c.Proofs++
	p := &Proof{
		Index: c.Proofs, Class: c.Id, Token: token, Type: typ, Uri: uri,
		Digest: digest, Submitter: submitter.String(), Height: ctx.Height,
	}
	chain.SaveRecord(k.kv(ctx), proofKey(c.Id, p.Index), p)
	k.setClass(ctx, c)
	ctx.Emit(chain.Event("dat_proof",
		chain.Indexed("class", strconv.FormatUint(c.Id, 10)),
		chain.Indexed("token", strconv.FormatUint(token, 10)),
		chain.Indexed("type", typ),
		chain.Indexed("submitter", p.Submitter),
		chain.Attr("index", strconv.FormatUint(p.Index, 10)),
		chain.Attr("uri", p.Uri),
		chain.Attr("digest", digest)))
	return nil
}
