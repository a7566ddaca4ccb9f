package flow

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/x/compute"
	"github.com/lazchain/lazchain/x/dat"
)

func (k *Keeper) execAttest(ctx *chain.Context, msg *MsgAttest) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	c, err := k.Contribution(ctx, msg.Contribution)
	if err != nil {
		return err
	}
	switch {
	case msg.Pool != c.Pool:
		return ErrWrongJob.Wrapf("the result names pool %d but contribution %d is in pool %d", msg.Pool, c.Id, c.Pool)
	case msg.Job != c.Job:
		return ErrWrongJob.Wrapf("the result names job %d but contribution %d's job is %d", msg.Job, c.Id, c.Job)
	case c.Status != StatusVerifying:
		return ErrClosed.Wrapf("contribution %d is %s; its job takes no more results", c.Id, c.Status)
	}
	slot := -1
	for i, a := range c.Assignments {
		if a.Worker == msg.Worker && a.Status == AssignPending {
			slot = i
		}
	}
	if slot < 0 {
		return ErrNotAssigned.Wrapf("worker %d has no pending assignment in job %d of contribution %d", msg.Worker, c.Job, c.Id)
	}
	w, err := k.Compute.Worker(ctx, msg.Worker)
	if err != nil {
		return err
	}
	if w.Operator != from.String() {
		return ErrUnauthorized.Wrapf("%s does not operate worker %d (its operator is %s)", from, w.Id, w.Operator)
	}
	if err := checkResult(msg); err != nil {
		return err
	}
	pub, _ := hex.DecodeString(w.SigningKey)
	sig, err := hex.DecodeString(msg.Signature)
	if err != nil || !ed25519.Verify(pub, ResultSignBytes(ctx.ChainID, msg), sig) {
		return ErrBadSignature.Wrapf("the result is not signed by worker %d's enclave key for chain %s, pool %d, contribution %d, job %d",
			w.Id, ctx.ChainID, msg.Pool, msg.Contribution, msg.Job)
	}
	c.Assignments[slot].Status = AssignReported
	k.Compute.AddOpenJobs(ctx, w.Id, -1)
	k.kv(ctx).Delete(key(assignPrefix, be(w.Id), be(c.Id)))
	r := &Result{
		Worker: w.Id, Verdict: msg.Verdict, ScorePpm: msg.ScorePpm, ValidityPpm: msg.ValidityPpm,
		UniquenessPpm: msg.UniquenessPpm, ValuePpm: msg.ValuePpm, Reason: msg.Reason, Height: ctx.Height,
		Digest: resultDigest(ctx.ChainID, msg),
	}
	c.Results = append(c.Results, r)
	ctx.Emit(chain.Event("flow_attest",
		chain.Indexed("contribution", strconv.FormatUint(c.Id, 10)),
		chain.Indexed("worker", strconv.FormatUint(w.Id, 10)),
		chain.Attr("verdict", r.Verdict),
		chain.Attr("score_ppm", strconv.FormatUint(uint64(r.ScorePpm), 10)),
		chain.Attr("digest", r.Digest)))
	if agree := agreeing(c, r); len(agree) >= int(k.mustPool(ctx, c.Pool).ThresholdT) {
		return k.finalize(ctx, c, r, agree)
	}
	k.setContribution(ctx, c)
	return nil
}

func checkResult(m *MsgAttest) error {
	switch m.Verdict {
	case VerdictAccept, VerdictReject:
	default:
		return ErrInvalidResult.Wrapf("verdict %q: want %q or %q", m.Verdict, VerdictAccept, VerdictReject)
	}
	for _, v := range []uint32{m.ScorePpm, m.ValidityPpm, m.UniquenessPpm, m.ValuePpm} {
		if v > PPM {
			return ErrInvalidResult.Wrapf("score %d ppm is above %d", v, PPM)
		}
	}
	if len(m.Reason) > MaxReasonLen {
		return ErrInvalidResult.Wrapf("reason is %d bytes, at most %d", len(m.Reason), MaxReasonLen)
	}
	if m.Verdict == VerdictAccept && m.ScorePpm == 0 {
		return ErrInvalidResult.Wrap("an accepted contribution needs a score above 0")
	}
	return nil
}

func sameResult(a, b *Result) bool {
	return a.Verdict == b.Verdict && a.ScorePpm == b.ScorePpm && a.ValidityPpm == b.ValidityPpm &&
		a.UniquenessPpm == b.UniquenessPpm && a.ValuePpm == b.ValuePpm && a.Reason == b.Reason
}

// agreeing are the results of c identical to r (r included), in the order
// they came.
func agreeing(c *Contribution, r *Result) []*Result {
	var out []*Result
	for _, x := range c.Results {
		if sameResult(x, r) {
			out = append(out, x)
		}
	}
	return out
}

func (k *Keeper) mustPool(ctx *chain.Context, id uint64) *Pool {
	p, err := k.Pool(ctx, id)
	if err != nil {
		panic(fmt.Sprintf("flow: broken invariant: %v", err))
	}
	return p
}

// finalize closes c's job with the quorum's result r: the contribution is
// anchored (and its token minted) or rejected, the fee paid to the
// agreeing workers, and every other open assignment closed.
func (k *Keeper) finalize(ctx *chain.Context, c *Contribution, r *Result, agree []*Result) error {
	p := k.mustPool(ctx, c.Pool)
	c.ScorePpm = r.ScorePpm
	c.ClosedHeight = ctx.Height
	if r.Verdict == VerdictAccept {
		if err := k.anchor(ctx, p, c, agree); err != nil {
			return err
		}
	} else {
		c.Status = StatusRejected
		c.Reason = r.Reason
	}
	if err := k.payWorkers(ctx, c, agree); err != nil {
		return err
	}
	k.closeJob(ctx, c)
	k.setContribution(ctx, c)
	event := "flow_reject"
	if c.Status == StatusAnchored {
		event = "flow_anchor"
	}
	ctx.Emit(chain.Event(event,
		chain.Indexed("contribution", strconv.FormatUint(c.Id, 10)),
		chain.Indexed("pool", strconv.FormatUint(c.Pool, 10)),
		chain.Indexed("contributor", c.Contributor),
		chain.Attr("token", strconv.FormatUint(c.Token, 10)),
		chain.Attr("score_ppm", strconv.FormatUint(uint64(c.ScorePpm), 10)),
		chain.Attr("reason", c.Reason)))
	return nil
}

// anchor mints the contributor's token in the pool's class, records the
// agreeing workers' attestations as its proofs, and advances the pool's
// anchored sequence.
func (k *Keeper) anchor(ctx *chain.Context, p *Pool, c *Contribution, agree []*Result) error {
	var expire uint64
	if p.Terms.ExpireBlocks != 0 {
		expire = uint64(ctx.Height) + p.Terms.ExpireBlocks
	}
	share := uint64(c.ScorePpm) * p.Terms.SharePerPpm
	token, err := k.DAT.Mint(ctx, p.Class, mustAddr(c.Contributor), p.Terms.UsageValue, share, expire, 0)
	if err != nil {
		return err
	}
	if err := k.DAT.SetIntegrityHash(ctx, token, c.Data.Commitment); err != nil {
		return err
	}
	class, err := k.DAT.Class(ctx, p.Class)
	if err != nil {
		return err
	}
	for _, r := range agree {
		w, err := k.Compute.Worker(ctx, r.Worker)
		if err != nil {
			return err
		}
		uri := fmt.Sprintf("lazchain:flow/contributions/%d/results/%d?result=%s", c.Id, w.Id, r.Digest)
		if err := k.DAT.AddProof(ctx, compute.Operator(w), class, token, dat.ProofTEEReport, uri, w.AttestationDigest); err != nil {
			return err
		}
		class, _ = k.DAT.Class(ctx, p.Class) // AddProof advanced its proof count
	}
	p.Anchored++
	p.AnchoredLive++
	c.AnchorSeq = p.Anchored
	c.Token = token
	c.Status = StatusAnchored
	for _, g := range c.Data.Grants {
		k.addGrantCount(ctx, p.Id, g.Worker, 1)
	}
	k.kv(ctx).Set(key(anchorPrefix, be(p.Id), be(c.AnchorSeq)), be(c.Id))
	k.setPool(ctx, p)
	return nil
}

// payWorkers shares c's fee equally among the agreeing workers' operators.
func (k *Keeper) payWorkers(ctx *chain.Context, c *Contribution, agree []*Result) error {
	ids := make([]uint64, len(agree))
	for i, r := range agree {
		ids[i] = r.Worker
	}
	return k.shareFee(ctx, mustAmount(c.Fee), ids)
}

// shareFee pays fee out of the escrow equally to the workers' operators;
// the remainder goes one ulaz each to the earliest.
func (k *Keeper) shareFee(ctx *chain.Context, fee uint64, workers []uint64) error {
	n := uint64(len(workers))
	each, rest := fee/n, fee%n
	for i, id := range workers {
		amt := each
		if uint64(i) < rest {
			amt++
		}
		if amt == 0 {
			continue
		}
		w, err := k.Compute.Worker(ctx, id)
		if err != nil {
			return err
		}
		if err := k.Bank.Send(ctx, FeeEscrow, compute.Operator(w), amt); err != nil {
			return err
		}
	}
	return nil
}

// closeJob closes c's pending assignments (the job finished or was
// withdrawn without them) and takes it off the deadline queue.
func (k *Keeper) closeJob(ctx *chain.Context, c *Contribution) {
	kv := k.kv(ctx)
	for _, a := range c.Assignments {
		if a.Status == AssignPending {
			a.Status = AssignClosed
			k.Compute.AddOpenJobs(ctx, a.Worker, -1)
			kv.Delete(key(assignPrefix, be(a.Worker), be(c.Id)))
		}
	}
	kv.Delete(key(deadlinePref, be(uint64(c.Deadline)), be(c.Id)))
}
