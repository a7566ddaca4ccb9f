package flow

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
)

// EndBlock handles the jobs whose deadline is this block: every assigned
// worker that has not reported is slashed and replaced by a fresh one,
// until the pool's max rounds; a job that can no longer reach its
// threshold is stalled, and its fee may then be refunded by anyone.
func (k *Keeper) EndBlock(ctx *chain.Context) error {
	kv := ctx.StoreUnmetered(Name)
	end := key(deadlinePref, be(uint64(ctx.Height)+1))
	var due []uint64
	store.Each(kv, deadlinePref, end, func(kk, _ []byte) bool {
		due = append(due, store.DecodeUint64(kk[len(kk)-8:]))
		return true
	})
	for _, id := range due {
		c, err := k.Contribution(ctx, id)
		if err != nil {
			return fmt.Errorf("flow: deadline queue names %d: %w", id, err)
		}
		kv.Delete(key(deadlinePref, be(uint64(c.Deadline)), be(c.Id)))
		if err := k.deadline(ctx, c); err != nil {
			return err
		}
	}
	return k.trainDeadlines(ctx)
}

func (k *Keeper) deadline(ctx *chain.Context, c *Contribution) error {
	p := k.mustPool(ctx, c.Pool)
	bps := k.Compute.Params(ctx).MissSlashBps
	missed := 0
	for _, a := range c.Assignments {
		if a.Status != AssignPending {
			continue
		}
		a.Status = AssignMissed
		missed++
		k.Compute.AddOpenJobs(ctx, a.Worker, -1)
		k.kv(ctx).Delete(key(assignPrefix, be(a.Worker), be(c.Id)))
		why := fmt.Sprintf("missed the deadline (height %d) of job %d for contribution %d", a.Deadline, c.Job, c.Id)
		if _, err := k.Compute.Slash(ctx, a.Worker, bps, why); err != nil {
			return err
		}
	}
	var picked int
	if missed > 0 && c.Round < p.MaxRounds {
		ws := k.pick(ctx, p, c, missed)
		if len(ws) > 0 {
			k.assign(ctx, p, c, ws)
			picked = len(ws)
		}
	}
	if picked == 0 || !reachable(c, int(p.ThresholdT), picked) {
		c.Status = StatusStalled
		c.ClosedHeight = ctx.Height
		c.Reason = stallReason(c, p, missed, picked)
		k.closeJob(ctx, c)
	}
	k.setContribution(ctx, c)
	ctx.Emit(chain.Event("flow_deadline",
		chain.Indexed("contribution", strconv.FormatUint(c.Id, 10)),
		chain.Attr("missed", strconv.Itoa(missed)),
		chain.Attr("replaced", strconv.Itoa(picked)),
		chain.Attr("status", c.Status),
		chain.Attr("reason", c.Reason)))
	return nil
}

// reachable says whether some result could still reach the threshold t
// with pending more reports.
func reachable(c *Contribution, t, pending int) bool {
	best := 0
	for _, r := range c.Results {
		best = max(best, len(agreeing(c, r)))
	}
	return best+pending >= t
}

func stallReason(c *Contribution, p *Pool, missed, picked int) string {
	switch {
	case missed == 0:
		return fmt.Sprintf("the %d results disagree and none reached the threshold of %d", len(c.Results), p.ThresholdT)
	case c.Round >= p.MaxRounds && picked == 0:
		return fmt.Sprintf("%d workers missed the deadline in the last of %d rounds", missed, p.MaxRounds)
	case picked == 0:
		return fmt.Sprintf("%d workers missed the deadline and no eligible worker is left to replace them", missed)
	default:
		return fmt.Sprintf("only %d replacement workers were found; the threshold of %d can no longer be reached", picked, p.ThresholdT)
	}
}

func (k *Keeper) execRefund(ctx *chain.Context, msg *MsgRefund) error {
	if _, err := parseAddr("from", msg.From); err != nil {
		return err
	}
	c, err := k.Contribution(ctx, msg.Contribution)
	if err != nil {
		return err
	}
	if c.Status != StatusStalled {
		if c.Status == StatusVerifying {
			return ErrNotStalled.Wrapf("contribution %d is verifying until its deadline at height %d", c.Id, c.Deadline)
		}
		return ErrNotStalled.Wrapf("contribution %d is %s; only a stalled contribution's fee is refunded", c.Id, c.Status)
	}
	if err := k.Bank.Send(ctx, FeeEscrow, mustAddr(c.Contributor), mustAmount(c.Fee)); err != nil {
		return err
	}
	c.Status = StatusRefunded
	k.setContribution(ctx, c)
	ctx.Emit(chain.Event("flow_refund",
		chain.Indexed("contribution", strconv.FormatUint(c.Id, 10)),
		chain.Indexed("contributor", c.Contributor),
		chain.Attr("fee", c.Fee)))
	return nil
}

func (k *Keeper) execRevoke(ctx *chain.Context, msg *MsgRevoke) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	c, err := k.Contribution(ctx, msg.Contribution)
	if err != nil {
		return err
	}
	if c.Contributor != from.String() {
		return ErrUnauthorized.Wrapf("%s did not contribute %d; only its contributor %s may revoke it", from, c.Id, c.Contributor)
	}
	if c.Revoked {
		return ErrRevoked.Wrapf("contribution %d is already revoked", c.Id)
	}
	switch c.Status {
	case StatusVerifying, StatusStalled:
		k.closeJob(ctx, c)
		if err := k.Bank.Send(ctx, FeeEscrow, from, mustAmount(c.Fee)); err != nil {
			return err
		}
		c.Status = StatusRevoked
		c.Reason = "revoked by its contributor before verification finished; fee refunded"
		c.ClosedHeight = ctx.Height
	case StatusAnchored:
		p := k.mustPool(ctx, c.Pool)
		p.AnchoredLive--
		k.setPool(ctx, p)
		for _, g := range c.Data.Grants {
			k.addGrantCount(ctx, p.Id, g.Worker, -1)
		}
	}
	c.Revoked = true
	c.Data.Grants = nil
	k.setContribution(ctx, c)
	ctx.Emit(chain.Event("flow_revoke",
		chain.Indexed("contribution", strconv.FormatUint(c.Id, 10)),
		chain.Indexed("contributor", c.Contributor),
		chain.Attr("ciphertext_sha256", c.Data.CiphertextSha256),
		chain.Attr("status", c.Status)))
	return nil
}

func (k *Keeper) execGrant(ctx *chain.Context, msg *MsgGrant) error {
	from, err := parseAddr("from", msg.From)
	if err != nil {
		return err
	}
	p, err := k.Pool(ctx, msg.Pool)
	if err != nil {
		return err
	}
	if len(msg.Grants) == 0 {
		return ErrInvalidSealed.Wrap("no grants given")
	}
	if msg.Contribution == 0 {
		if !k.IDAO.HasRole(ctx, p.Idao, from, roleAdmin) {
			return ErrUnauthorized.Wrapf("%s is not an admin of iDAO %d: only its admins may grant pool %d's validation set", from, p.Idao, p.Id)
		}
		merged, err := k.addGrants(ctx, "validation set", p.Validation.Grants, msg.Grants)
		if err != nil {
			return err
		}
		p.Validation.Grants = merged
		k.setPool(ctx, p)
	} else {
		c, err := k.Contribution(ctx, msg.Contribution)
		if err != nil {
			return err
		}
		switch {
		case c.Pool != p.Id:
			return ErrWrongJob.Wrapf("contribution %d is in pool %d, not pool %d", c.Id, c.Pool, p.Id)
		case c.Contributor != from.String():
			return ErrUnauthorized.Wrapf("%s did not contribute %d; only its contributor may grant its key", from, c.Id)
		case c.Revoked:
			return ErrRevoked.Wrapf("contribution %d is revoked; its key can no longer be granted", c.Id)
		}
		merged, err := k.addGrants(ctx, "contribution", c.Data.Grants, msg.Grants)
		if err != nil {
			return err
		}
		if c.Status == StatusAnchored {
			for _, g := range msg.Grants {
				if !hasGrant(c.Data.Grants, g.Worker) {
					k.addGrantCount(ctx, p.Id, g.Worker, 1)
				}
			}
		}
		c.Data.Grants = merged
		k.setContribution(ctx, c)
	}
	ctx.Emit(chain.Event("flow_grant",
		chain.Indexed("pool", strconv.FormatUint(p.Id, 10)),
		chain.Indexed("contribution", strconv.FormatUint(msg.Contribution, 10)),
		chain.Attr("grants", strconv.Itoa(len(msg.Grants)))))
	return nil
}

// addGrants checks the grants a MsgGrant adds and merges them into old.
// Only the new grants are checked (each worker once, existing and active):
// the old ones were checked when given. Checking only the merged set, as
// before, let a worker listed twice in one message be counted twice in
// the pool's grant counts (mergeGrants drops the duplicate, so the check
// never saw it), which left that worker ineligible for good; and one old
// grant to a worker that had since lapsed or retired refused every later
// grant, so no new worker could ever join the pool.
func (k *Keeper) addGrants(ctx *chain.Context, what string, old, add []*Grant) ([]*Grant, error) {
	if err := k.checkGrants(ctx, what, add); err != nil {
		return nil, err
	}
	merged := mergeGrants(old, add)
	if len(merged) > MaxGrants {
		return nil, ErrInvalidSealed.Wrapf("%s: %d grants with the new ones, at most %d", what, len(merged), MaxGrants)
	}
	return merged, nil
}

func hasGrant(gs []*Grant, worker uint64) bool {
	for _, g := range gs {
		if g.Worker == worker {
			return true
		}
	}
	return false
}

// mergeGrants is old with add applied: a worker's new grant replaces its
// old one; the result is in worker order.
func mergeGrants(old, add []*Grant) []*Grant {
	out := make([]*Grant, 0, len(old)+len(add))
	for _, g := range old {
		if !hasGrant(add, g.Worker) {
			out = append(out, g)
		}
	}
	for _, g := range add {
		if !hasGrant(out, g.Worker) {
			out = append(out, &Grant{Worker: g.Worker, Wrapped: g.Wrapped})
		}
	}
	slices.SortFunc(out, func(a, b *Grant) int { return cmp.Compare(a.Worker, b.Worker) })
	return out
}
