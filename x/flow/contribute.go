package flow

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/compute"
)

func (k *Keeper) execContribute(ctx *chain.Context, msg *MsgContribute) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	p, err := k.Pool(ctx, msg.Pool)
	if err != nil {
		return err
	}
	if err := k.checkSealed(ctx, "contribution", msg.Data, true); err != nil {
		return err
	}
	if err := k.checkCiphertextOwner(ctx, p.Id, from, msg.Data.CiphertextSha256); err != nil {
		return err
	}
	fee := mustAmount(p.VerifierFee)
	maxFee, err := tx.ParseBaseUnits(msg.MaxFee)
	if err != nil {
		return ErrFeeTooHigh.Wrapf("max_fee %q: %v", msg.MaxFee, err)
	}
	if fee > maxFee {
		return ErrFeeTooHigh.Wrapf("pool %d's verifier fee is %d ulaz, above your max_fee of %d ulaz", p.Id, fee, maxFee)
	}
	if err := k.Bank.Send(ctx, from, FeeEscrow, fee); err != nil {
		return err
	}
	kv := k.kv(ctx)
	c := &Contribution{
		Id: chain.NextID(kv, seqContribKey), Pool: p.Id, Contributor: from.String(), Data: msg.Data,
		Fee: tx.FormatBaseUnits(fee), Status: StatusVerifying, Job: chain.NextID(kv, seqJobKey),
		BaseSeq: p.Anchored, CreatedHeight: ctx.Height,
	}
	picked := k.pick(ctx, p, c, int(p.QuorumK))
	if len(picked) < int(p.QuorumK) {
		return ErrNotEnoughWorkers.Wrapf("pool %d needs %d workers and only %d are eligible (active, of the pool's compute iDAO, holding grants for this contribution, the validation set and every live anchored contribution)",
			p.Id, p.QuorumK, len(picked))
	}
	k.assign(ctx, p, c, picked)
	kv.Set(key(poolCPrefix, be(p.Id), be(c.Id)), present)
	kv.Set(key(userCPrefix, from.Bytes(), be(c.Id)), present)
	kv.Set(key(cipherPrefix, []byte(c.Data.CiphertextSha256), be(c.Id)), present)
	k.setContribution(ctx, c)
	ctx.Emit(chain.Event("flow_contribute",
		chain.Indexed("contribution", strconv.FormatUint(c.Id, 10)),
		chain.Indexed("pool", strconv.FormatUint(p.Id, 10)),
		chain.Indexed("contributor", c.Contributor),
		chain.Attr("job", strconv.FormatUint(c.Job, 10)),
		chain.Attr("ciphertext_sha256", c.Data.CiphertextSha256),
		chain.Attr("fee", c.Fee)))
	return nil
}

// checkCiphertextOwner refuses a ciphertext that another account has
// contributed to the pool (in any status, revoked included). The
// ciphertext and its wrapped data keys are public and the enclave cannot
// tell who sealed it, so without this check anyone could contribute a
// copy of someone else's contribution (while it verifies, before it
// becomes the base its copy is scored against, or after it was refunded or
// revoked) and be minted a DAT for their data.
func (k *Keeper) checkCiphertextOwner(ctx *chain.Context, pool uint64, from tx.Address, sum string) error {
	prefix := key(cipherPrefix, []byte(sum))
	var err error
	store.Each(k.kv(ctx), prefix, store.PrefixEnd(prefix), func(kk, _ []byte) bool {
		c, cerr := k.Contribution(ctx, store.DecodeUint64(kk[len(kk)-8:]))
		if cerr != nil {
			panic(fmt.Sprintf("flow: broken index: %v", cerr))
		}
		if c.Pool == pool && c.Contributor != from.String() {
			err = ErrUnauthorized.Wrapf("ciphertext %s was contributed to pool %d by %s (contribution %d); only its contributor may contribute it there: seal your own data",
				sum, pool, c.Contributor, c.Id)
			return false
		}
		return true
	})
	return err
}

// assign starts a round: the picked workers get an assignment each with the
// round's deadline, and the contribution is queued for that deadline.
func (k *Keeper) assign(ctx *chain.Context, p *Pool, c *Contribution, picked []*compute.Worker) {
	c.Round++
	c.Deadline = ctx.Height + int64(p.DeadlineBlocks)
	kv := k.kv(ctx)
	for _, w := range picked {
		c.Assignments = append(c.Assignments, &Assignment{Worker: w.Id, Round: c.Round, Deadline: c.Deadline, Status: AssignPending})
		k.Compute.AddOpenJobs(ctx, w.Id, 1)
		kv.Set(key(assignPrefix, be(w.Id), be(c.Id)), present)
		ctx.Emit(chain.Event("flow_assign",
			chain.Indexed("contribution", strconv.FormatUint(c.Id, 10)),
			chain.Indexed("worker", strconv.FormatUint(w.Id, 10)),
			chain.Attr("job", strconv.FormatUint(c.Job, 10)),
			chain.Attr("round", strconv.FormatUint(uint64(c.Round), 10)),
			chain.Attr("deadline", strconv.FormatInt(c.Deadline, 10))))
	}
	kv.Set(key(deadlinePref, be(uint64(c.Deadline)), be(c.Id)), present)
}

// poolWorkers are the workers that may work on pool p's jobs, in id
// order: active, of the pool's compute iDAO, bonded, holding grants for the
// validation set and for every live anchored contribution of the pool.
func (k *Keeper) poolWorkers(ctx *chain.Context, p *Pool) []*compute.Worker {
	var out []*compute.Worker
	for _, w := range k.Compute.Workers(ctx) {
		switch {
		case !k.Compute.Active(ctx, w),
			p.ComputeIdao != 0 && w.Idao != p.ComputeIdao,
			compute.Bond(w) == 0,
			!hasGrant(p.Validation.Grants, w.Id),
			k.grantCount(ctx, p.Id, w.Id) != p.AnchoredLive:
			continue
		}
		out = append(out, w)
	}
	return out
}

// eligible are the pool's workers that may take contribution c's job:
// holding a grant for the contribution and never assigned to this job.
func (k *Keeper) eligible(ctx *chain.Context, p *Pool, c *Contribution) []*compute.Worker {
	var out []*compute.Worker
	for _, w := range k.poolWorkers(ctx, p) {
		if hasGrant(c.Data.Grants, w.Id) && !assigned(c.Assignments, w.Id) {
			out = append(out, w)
		}
	}
	return out
}

func assigned(as []*Assignment, worker uint64) bool {
	for _, a := range as {
		if a.Worker == worker {
			return true
		}
	}
	return false
}

// pick chooses up to n eligible workers for c's next round.
func (k *Keeper) pick(ctx *chain.Context, p *Pool, c *Contribution, n int) []*compute.Worker {
	return draw(ctx, vscDomain, c.Id, c.Round+1, n, k.eligible(ctx, p, c))
}

// Domains of the worker draws.
const (
	vscDomain   = "lazchain/flow/vsc/v1"
	trainDomain = "lazchain/flow/train/v1"
)

// draw chooses up to n of cands, weighted by bond, without replacement.
// The draws come from the block hash, the domain, the job's id and the
// round only, so every node picks the same workers.
func draw(ctx *chain.Context, domain string, id uint64, round uint32, n int, cands []*compute.Worker) []*compute.Worker {
	var picked []*compute.Worker
	for i := 0; i < n && len(cands) > 0; i++ {
		var total uint64
		for _, w := range cands {
			total += compute.Bond(w)
		}
		h := sha256.New()
		h.Write([]byte(domain))
		h.Write(ctx.BlockHash)
		h.Write(binary.BigEndian.AppendUint64(nil, id))
		h.Write(binary.BigEndian.AppendUint32(nil, round))
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(i)))
		seed := h.Sum(nil)
		hi, lo := binary.BigEndian.Uint64(seed[:8]), binary.BigEndian.Uint64(seed[8:16])
		r := bits.Rem64(hi, lo, total) // (hi·2⁶⁴+lo) mod total: bias below 2⁻⁶⁴
		j := 0
		for ; j < len(cands)-1; j++ {
			b := compute.Bond(cands[j])
			if r < b {
				break
			}
			r -= b
		}
		picked = append(picked, cands[j])
		cands = append(cands[:j], cands[j+1:]...)
	}
	return picked
}

func (k *Keeper) grantCount(ctx *chain.Context, pool, worker uint64) uint64 {
	b := k.kv(ctx).Get(key(grantPrefix, be(pool), be(worker)))
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func (k *Keeper) addGrantCount(ctx *chain.Context, pool, worker uint64, delta int) {
	n := int64(k.grantCount(ctx, pool, worker)) + int64(delta)
	kv := k.kv(ctx)
	if n <= 0 {
		kv.Delete(key(grantPrefix, be(pool), be(worker)))
		return
	}
	kv.Set(key(grantPrefix, be(pool), be(worker)), be(uint64(n)))
}
