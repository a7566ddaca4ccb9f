package idao

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
)

// Invariants implements chain.Module.
func (m Module) Invariants() []chain.Invariant {
	return []chain.Invariant{
		{Name: "idao/counts", Check: m.Keeper.checkCounts},
		{Name: "idao/proposals", Check: m.Keeper.checkProposals},
	}
}

// checkCounts recounts every iDAO's members, total weight and admins.
func (k *Keeper) checkCounts(ctx *chain.Context) error {
	var ds []*IDAO
	store.Each(ctx.Store(Name), prefixIDAO, store.PrefixEnd(prefixIDAO), func(_, v []byte) bool {
		d := &IDAO{}
		chain.DecodeRecord(v, d)
		ds = append(ds, d)
		return true
	})
	for _, d := range ds {
		var n, weight, admins uint64
		for _, m := range k.members(ctx, d.Id) {
			if weight > math.MaxUint64-m.Weight {
				return fmt.Errorf("iDAO %d: member weights overflow", d.Id)
			}
			n++
			weight += m.Weight
			if hasRole(m.Roles, RoleAdmin) {
				admins++
			}
		}
		if n != d.Members || weight != d.TotalWeight || admins != d.Admins {
			return fmt.Errorf("iDAO %d records %d members, weight %d, %d admins; its members count %d, %d, %d",
				d.Id, d.Members, d.TotalWeight, d.Admins, n, weight, admins)
		}
		if admins == 0 {
			return fmt.Errorf("iDAO %d has no admin", d.Id)
		}
	}
	return nil
}

// checkProposals checks the expiry index against the open proposals and
// every proposal's tallies against its stored votes.
func (k *Keeper) checkProposals(ctx *chain.Context) error {
	kv := ctx.Store(Name)
	var props []*Proposal
	store.Each(kv, prefixProposal, store.PrefixEnd(prefixProposal), func(_, v []byte) bool {
		p := &Proposal{}
		chain.DecodeRecord(v, p)
		props = append(props, p)
		return true
	})
	for _, p := range props {
		indexed := kv.Has(key(prefixExpiry, p.VotingEndHeight, p.Idao, p.Id))
		if open := p.Status == StatusOpen; open != indexed {
			return fmt.Errorf("proposal %d of iDAO %d is %s but its expiry index entry present=%v", p.Id, p.Idao, p.Status, indexed)
		}
		var sums [4]uint64
		vp := key(prefixVote, p.Idao, p.Id)
		store.Each(kv, vp, store.PrefixEnd(vp), func(_, v []byte) bool {
			vote := &Vote{}
			chain.DecodeRecord(v, vote)
			if o := int(vote.Option); o > 0 && o < len(sums) {
				sums[o] += vote.Weight
			}
			return true
		})
		if sums[1] != p.Yes || sums[2] != p.No || sums[3] != p.Abstain {
			return fmt.Errorf("proposal %d of iDAO %d tallies yes %d, no %d, abstain %d; its votes add up to %d, %d, %d",
				p.Id, p.Idao, p.Yes, p.No, p.Abstain, sums[1], sums[2], sums[3])
		}
	}
	var keys [][]byte
	store.Each(kv, prefixExpiry, store.PrefixEnd(prefixExpiry), func(kk, _ []byte) bool {
		keys = append(keys, append([]byte(nil), kk...))
		return true
	})
	for _, kk := range keys {
		rest := kk[len(prefixExpiry):]
		if len(rest) != 24 {
			return fmt.Errorf("expiry index key %x is malformed", kk)
		}
		end := int64(binary.BigEndian.Uint64(rest))
		id, pid := binary.BigEndian.Uint64(rest[8:]), binary.BigEndian.Uint64(rest[16:])
		p := &Proposal{}
		if !chain.LoadRecord(kv, key(prefixProposal, id, pid), p) || p.Status != StatusOpen || p.VotingEndHeight != end {
			return fmt.Errorf("expiry index at height %d names proposal %d of iDAO %d, which is not an open proposal ending then", end, pid, id)
		}
	}
	return nil
}
