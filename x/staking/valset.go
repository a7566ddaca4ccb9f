package staking

import (
	"fmt"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
)

// PubKeyType is the type of every consensus key: CometBFT's ed25519.
const PubKeyType = "ed25519"

// member is one validator of a set with its power, sets being kept
// sorted by iDAO id.
type member struct {
	idao  uint64
	power int64
}

// topN is the set the candidates give now: the max_validators non-jailed
// validators with the most tokens (ties: lower iDAO id first) and at least
// one unit of power, sorted by iDAO id.
func (k *Keeper) topN(ctx *chain.Context, p *Params) []member {
	var out []member
	store.Each(k.kv(ctx), powerPrefix, store.PrefixEnd(powerPrefix), func(kk, _ []byte) bool {
		if len(out) == int(p.MaxValidators) {
			return false
		}
		tokens := ^store.DecodeUint64(kk[len(powerPrefix) : len(powerPrefix)+8])
		out = append(out, member{idao: store.DecodeUint64(kk[len(kk)-8:]), power: power(p, tokens)})
		return true
	})
	sortMembers(out)
	return out
}

// sortMembers sorts a set by iDAO id (insertion sort: sets are small and
// mostly sorted).
func sortMembers(s []member) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].idao < s[j-1].idao; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// lastSet is the set last handed to CometBFT, sorted by iDAO id.
func (k *Keeper) lastSet(ctx *chain.Context) []member {
	var out []member
	store.Each(k.kv(ctx), lastSetPrefix, store.PrefixEnd(lastSetPrefix), func(kk, v []byte) bool {
		out = append(out, member{idao: store.DecodeUint64(kk[len(kk)-8:]), power: int64(store.DecodeUint64(v))})
		return true
	})
	return out
}

// update is the CometBFT update giving a validator a power.
func (k *Keeper) update(ctx *chain.Context, m member) abci.ValidatorUpdate {
	v := k.mustValidator(ctx, m.idao)
	return abci.ValidatorUpdate{Power: m.power, PubKeyType: PubKeyType, PubKeyBytes: append([]byte(nil), v.ConsensusPubkey...)}
}

// apply stores next as the set handed to CometBFT and returns the updates
// that turn last into it, in iDAO order: changed powers, new members, and
// power 0 for those leaving.
func (k *Keeper) apply(ctx *chain.Context, last, next []member) []abci.ValidatorUpdate {
	kv := k.kv(ctx)
	var out []abci.ValidatorUpdate
	emit := func(m member, action string) {
		out = append(out, k.update(ctx, m))
		ctx.Emit(chain.Event("staking_set",
			chain.Indexed("idao", strconv.FormatUint(m.idao, 10)),
			chain.Attr("action", action),
			chain.Attr("power", strconv.FormatInt(m.power, 10))))
	}
	i, j := 0, 0
	for i < len(last) || j < len(next) {
		switch {
		case j == len(next) || (i < len(last) && last[i].idao < next[j].idao):
			kv.Delete(lastSetKey(last[i].idao))
			emit(member{idao: last[i].idao}, "leave")
			i++
		case i == len(last) || next[j].idao < last[i].idao:
			kv.Set(lastSetKey(next[j].idao), be(uint64(next[j].power)))
			emit(next[j], "join")
			j++
		default:
			if last[i].power != next[j].power {
				kv.Set(lastSetKey(next[j].idao), be(uint64(next[j].power)))
				emit(next[j], "power")
			}
			i++
			j++
		}
	}
	return out
}

// keepOne is the set of one member of last that an update would leave
// empty, so the chain does not halt: the one with the most power (ties:
// lower iDAO id), with an event saying so.
func keepOne(ctx *chain.Context, last []member) []member {
	best := last[0]
	for _, m := range last[1:] {
		if m.power > best.power {
			best = m
		}
	}
	ctx.Emit(chain.Event("staking_set",
		chain.Indexed("idao", strconv.FormatUint(best.idao, 10)),
		chain.Attr("action", "kept"),
		chain.Attr("power", strconv.FormatInt(best.power, 10)),
		chain.Attr("reason", "the update would leave the validator set empty, so this validator stays")))
	return []member{best}
}

// GenesisValidators is the set the chain starts with (see topN), stored
// as the set handed to CometBFT. Empty when no validator has a unit of
// power: CometBFT's genesis validators then stand.
func (m Module) GenesisValidators(ctx *chain.Context) ([]abci.ValidatorUpdate, error) {
	k := m.Keeper
	if last := k.lastSet(ctx); len(last) != 0 {
		return nil, fmt.Errorf("staking: genesis validators asked for twice: a set of %d is already stored", len(last))
	}
	return k.apply(ctx, nil, k.topN(ctx, k.Params(ctx))), nil
}

// ValidatorUpdates are the changes to hand CometBFT at the end of this
// block. At epoch heights (multiples of epoch_blocks) the set is
// recomputed (see topN); at any height, validators jailed in this block
// leave at once. No update leaves the set empty: the strongest member of
// the last set is kept instead.
func (m Module) ValidatorUpdates(ctx *chain.Context) ([]abci.ValidatorUpdate, error) {
	k := m.Keeper
	p := k.Params(ctx)
	kv := k.kv(ctx)
	jailed := store.Keys(kv, jailedBlockPrefix, store.PrefixEnd(jailedBlockPrefix))
	for _, kk := range jailed {
		kv.Delete(kk)
	}
	epoch := ctx.Height > 0 && uint64(ctx.Height)%p.EpochBlocks == 0
	if !epoch && len(jailed) == 0 {
		return nil, nil
	}
	last := k.lastSet(ctx)
	var next []member
	if epoch {
		next = k.topN(ctx, p)
	} else {
		gone := make([]uint64, len(jailed))
		for i, kk := range jailed {
			gone[i] = store.DecodeUint64(kk[len(kk)-8:])
		}
		// Both lists are sorted by iDAO id.
		g := 0
		for _, mb := range last {
			for g < len(gone) && gone[g] < mb.idao {
				g++
			}
			if g < len(gone) && gone[g] == mb.idao {
				continue
			}
			next = append(next, mb)
		}
	}
	if len(next) == 0 && len(last) > 0 {
		next = keepOne(ctx, last)
	}
	return k.apply(ctx, last, next), nil
}
