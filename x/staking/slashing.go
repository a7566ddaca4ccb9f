package staking

import (
	"fmt"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/api/cometbft/types/v1"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// Reasons of slashes and jails, as events carry them.
const (
	ReasonDoubleSign = "double_sign"
	ReasonDowntime   = "downtime"
	ReasonSelfBond   = "self_bond_below_minimum"
)

// byConsAddress is the iDAO whose validator has the CometBFT address;
// false for an address staking does not know.
func (k *Keeper) byConsAddress(ctx *chain.Context, addr []byte) (uint64, bool) {
	if len(addr) != 20 {
		return 0, false
	}
	b := k.kv(ctx).Get(consAddrKey(addr))
	if b == nil {
		return 0, false
	}
	return store.DecodeUint64(b), true
}

// slash takes bps of a validator's tokens, and of its unbonding entries
// created after the infraction height, into SlashedAccount. It changes v,
// which the caller saves.
func (k *Keeper) slash(ctx *chain.Context, v *Validator, bps uint32, infraction int64, reason string) error {
	fromTokens := mulBps(v.Tokens, bps)
	v.Tokens -= fromTokens
	var fromEntries uint64
	prefix := key(unbondValPrefix, be(v.Idao))
	start := key(prefix, beHeight(infraction+1))
	for _, kk := range store.Keys(k.kv(ctx), start, store.PrefixEnd(prefix)) {
		e := k.mustUnbonding(ctx, store.DecodeUint64(kk[len(kk)-8:]))
		if e.CreationHeight <= infraction {
			continue // unreachable: the key orders by creation height
		}
		cut := mulBps(e.Amount, bps)
		if cut == 0 {
			continue
		}
		e.Amount -= cut
		fromEntries += cut
		chain.SaveRecord(k.kv(ctx), unbondingKey(e.Id), e)
	}
	total := fromTokens + fromEntries // both are in the bonded escrow
	if total > 0 {
		if err := k.Bank.Send(ctx, BondedEscrow, SlashedAccount, total); err != nil {
			return fmt.Errorf("staking: slash validator %d: %w", v.Idao, err)
		}
	}
	v.Slashes++
	v.Slashed += total
	ctx.Emit(chain.Event("staking_slash",
		chain.Indexed("idao", strconv.FormatUint(v.Idao, 10)),
		chain.Attr("reason", reason),
		chain.Attr("infraction_height", strconv.FormatInt(infraction, 10)),
		chain.Attr("fraction", describeBps(bps)),
		chain.Attr("tokens", tx.FormatBaseUnits(fromTokens)),
		chain.Attr("unbonding", tx.FormatBaseUnits(fromEntries))))
	return nil
}

// jail takes a validator out of the candidates until the given height:
// it leaves the set at once (see ValidatorUpdates) and its downtime ring
// is reset. It changes v, which the caller saves.
func (k *Keeper) jail(ctx *chain.Context, p *Params, v *Validator, until int64, reason string) {
	kv := k.kv(ctx)
	v.Jailed = true
	v.JailedUntil = max(v.JailedUntil, until)
	kv.Delete(missedKey(v.Idao))
	if kv.Has(lastSetKey(v.Idao)) {
		kv.Set(jailedBlockKey(v.Idao), present)
	}
	ctx.Emit(chain.Event("staking_jail",
		chain.Indexed("idao", strconv.FormatUint(v.Idao, 10)),
		chain.Attr("reason", reason),
		chain.Attr("until", strconv.FormatInt(v.JailedUntil, 10))))
}

// punishDoubleSign handles one piece of evidence: a duplicate vote by a
// known validator, at most unbonding_blocks old and not punished yet, is
// slashed and jailed. Anything else is ignored.
func (k *Keeper) punishDoubleSign(ctx *chain.Context, p *Params, m abci.Misbehavior) error {
	if m.Type != abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE {
		return nil
	}
	id, ok := k.byConsAddress(ctx, m.Validator.Address)
	if !ok {
		return nil
	}
	h := m.Height
	if h <= 0 || h > ctx.Height || uint64(ctx.Height-h) > p.UnbondingBlocks {
		return nil
	}
	kv := k.kv(ctx)
	if kv.Has(doubleSignKey(h, id)) {
		return nil
	}
	kv.Set(doubleSignKey(h, id), present)
	v := k.mustValidator(ctx, id)
	if err := k.slash(ctx, v, p.DoubleSignSlashBps, h, ReasonDoubleSign); err != nil {
		return err
	}
	k.jail(ctx, p, v, ctx.Height+int64(p.JailBlocks), ReasonDoubleSign)
	k.setValidator(ctx, p, v)
	return nil
}

// pruneDoubleSigns forgets the punished heights older than evidence can
// be, which punishDoubleSign ignores anyway.
func (k *Keeper) pruneDoubleSigns(ctx *chain.Context, p *Params) {
	oldest := ctx.Height - int64(p.UnbondingBlocks)
	if oldest <= 1 {
		return
	}
	kv := k.kv(ctx)
	for _, kk := range store.Keys(kv, doubleSignPrefix, key(doubleSignPrefix, beHeight(oldest))) {
		kv.Delete(kk)
	}
}

// recordSignature notes in a validator's ring whether it missed the
// previous block, and slashes and jails it when it has missed more than
// max_missed of the window. It changes v, which the caller saves; it
// says whether v changed.
func (k *Keeper) recordSignature(ctx *chain.Context, p *Params, v *Validator, missed bool) (bool, error) {
	kv := k.kv(ctx)
	r := &MissedBlocks{}
	n := (p.DowntimeWindow + 7) / 8
	if !chain.LoadRecord(kv, missedKey(v.Idao), r) || uint32(len(r.Bitmap)) != n || r.Index >= p.DowntimeWindow {
		r = &MissedBlocks{Bitmap: make([]byte, n)}
	}
	i, bit := r.Index/8, byte(1)<<(r.Index%8)
	if r.Bitmap[i]&bit != 0 {
		r.Missed--
		r.Bitmap[i] &^= bit
	}
	if missed {
		r.Missed++
		r.Bitmap[i] |= bit
	}
	r.Index = (r.Index + 1) % p.DowntimeWindow
	if r.Missed <= p.MaxMissed {
		chain.SaveRecord(kv, missedKey(v.Idao), r)
		return false, nil
	}
	if err := k.slash(ctx, v, p.DowntimeSlashBps, ctx.Height-1, ReasonDowntime); err != nil {
		return false, err
	}
	k.jail(ctx, p, v, ctx.Height+int64(p.JailBlocks), ReasonDowntime) // resets the ring
	return true, nil
}

// beginBlock punishes evidence and downtime, then distributes the
// previous block's fees among its signers.
func (k *Keeper) beginBlock(ctx *chain.Context) error {
	p := k.Params(ctx)
	k.pruneDoubleSigns(ctx, p)
	for _, m := range ctx.Misbehavior {
		if err := k.punishDoubleSign(ctx, p, m); err != nil {
			return err
		}
	}
	signers := make([]signer, 0, len(ctx.LastCommit.Votes))
	seen := make(map[uint64]bool, len(ctx.LastCommit.Votes)) // lookups only
	for _, vote := range ctx.LastCommit.Votes {
		id, ok := k.byConsAddress(ctx, vote.Validator.Address)
		if !ok || seen[id] {
			continue // unknown, or listed twice (CometBFT never does)
		}
		seen[id] = true
		v := k.mustValidator(ctx, id)
		if !v.Jailed {
			changed, err := k.recordSignature(ctx, p, v, vote.BlockIdFlag == cmttypes.BlockIDFlagAbsent)
			if err != nil {
				return err
			}
			if changed {
				k.setValidator(ctx, p, v)
			}
		}
		if vote.BlockIdFlag == cmttypes.BlockIDFlagCommit && vote.Validator.Power > 0 {
			signers = append(signers, signer{v: v, power: uint64(vote.Validator.Power)})
		}
	}
	return k.distributeRewards(ctx, p, signers)
}

// unjail brings a jailed validator back among the candidates.
func (k *Keeper) unjail(ctx *chain.Context, from tx.Address, id uint64) error {
	p := k.Params(ctx)
	v, err := k.getValidator(ctx, id)
	if err != nil {
		return err
	}
	if !k.IDAO.HasRole(ctx, id, from, roleValidator) {
		return ErrUnauthorized.Wrapf("%s does not hold the %q role in iDAO %d: only its validators may unjail it", from, roleValidator, id)
	}
	if !v.Jailed {
		return ErrNotJailed.Wrapf("validator %d is not jailed: nothing to do", id)
	}
	if ctx.Height < v.JailedUntil {
		return ErrStillJailed.Wrapf("validator %d is jailed until height %d (now %d): try again then", id, v.JailedUntil, ctx.Height)
	}
	if sb := SelfBond(v); sb < p.MinSelfBond {
		return ErrSelfBondTooLow.Wrapf("validator %d has a self-bond of %d ulaz, below the minimum of %d: add %d ulaz with MsgBond first",
			id, sb, p.MinSelfBond, p.MinSelfBond-sb)
	}
	v.Jailed = false
	v.JailedUntil = 0
	k.kv(ctx).Delete(jailedBlockKey(id))
	k.setValidator(ctx, p, v)
	ctx.Emit(chain.Event("staking_unjail",
		chain.Indexed("idao", strconv.FormatUint(id, 10)),
		chain.Indexed("delegator", from.String())))
	return nil
}
