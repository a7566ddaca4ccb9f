package idao

import (
	"encoding/binary"
	"fmt"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
)

// EndBlock settles proposals: those queued by a vote in this block are
// executed if they still pass against the iDAO's current total weight, or
// rejected if they can no longer pass; then open proposals whose voting
// period ended at this height expire.
func (m Module) EndBlock(ctx *chain.Context) error {
	return m.Keeper.endBlock(ctx)
}

type proposalRef struct{ idao, id uint64 }

func (k *Keeper) endBlock(ctx *chain.Context) error {
	kv := ctx.Store(Name)
	var queued []proposalRef
	store.Each(kv, prefixQueue, store.PrefixEnd(prefixQueue), func(kk, _ []byte) bool {
		rest := kk[len(prefixQueue):]
		queued = append(queued, proposalRef{binary.BigEndian.Uint64(rest), binary.BigEndian.Uint64(rest[8:])})
		return true
	})
	for _, r := range queued {
		kv.Delete(key(prefixQueue, r.idao, r.id))
		if err := k.settle(ctx, r); err != nil {
			return err
		}
	}
	var ended []proposalRef
	end := key(prefixExpiry, ctx.Height+1)
	store.Each(kv, prefixExpiry, end, func(kk, _ []byte) bool {
		rest := kk[len(prefixExpiry)+8:]
		ended = append(ended, proposalRef{binary.BigEndian.Uint64(rest), binary.BigEndian.Uint64(rest[8:])})
		return true
	})
	for _, r := range ended {
		p, err := k.Proposal(ctx, r.idao, r.id)
		if err != nil {
			return fmt.Errorf("expiry index names a missing proposal: %w", err)
		}
		d, err := k.Get(ctx, r.idao)
		if err != nil {
			return err
		}
		p.Reason = fmt.Sprintf("voting ended at height %d with yes %d of %d weight (needs %d bps)",
			p.VotingEndHeight, p.Yes, d.TotalWeight, p.QuorumBps)
		k.close(ctx, p, StatusExpired)
	}
	return nil
}

// settle executes or rejects a queued proposal, or leaves it open.
func (k *Keeper) settle(ctx *chain.Context, r proposalRef) error {
	p, err := k.Proposal(ctx, r.idao, r.id)
	if err != nil {
		return fmt.Errorf("queue names a missing proposal: %w", err)
	}
	if p.Status != StatusOpen {
		return nil
	}
	d, err := k.Get(ctx, r.idao)
	if err != nil {
		return err
	}
	switch {
	case passing(p, d.TotalWeight):
		cache := store.NewCache(ctx.KV())
		ectx := ctx.WithKV(cache)
		if err := k.runActions(ectx, d.Id, p.Actions); err != nil {
			p.Reason = err.Error()
			k.close(ctx, p, StatusFailed)
			return nil
		}
		cache.Write()
		emitProposal(ctx, p, StatusPassed)
		for _, e := range ectx.Events() {
			ctx.Emit(e)
		}
		k.close(ctx, p, StatusPassed)
		emitProposal(ctx, p, "executed")
	case hopeless(p, d.TotalWeight):
		p.Reason = fmt.Sprintf("yes %d, no %d, abstain %d of total weight %d: yes can reach at most %d, below %d bps",
			p.Yes, p.No, p.Abstain, d.TotalWeight, reachable(p, d.TotalWeight), p.QuorumBps)
		k.close(ctx, p, StatusRejected)
	}
	return nil
}

// close records p's final status and drops it from the indexes of open
// proposals. The "passed" status emits its events itself.
func (k *Keeper) close(ctx *chain.Context, p *Proposal, status string) {
	p.Status = status
	p.ClosedHeight = ctx.Height
	kv := ctx.Store(Name)
	chain.SaveRecord(kv, key(prefixProposal, p.Idao, p.Id), p)
	kv.Delete(key(prefixExpiry, p.VotingEndHeight, p.Idao, p.Id))
	kv.Delete(key(prefixQueue, p.Idao, p.Id))
	if status != StatusPassed {
		emitProposal(ctx, p, status)
	}
}
