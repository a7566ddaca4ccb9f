package staking

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
)

// sharesFor is the shares amount ulaz buy of a validator at its current
// rate (floored): amount itself for a validator without shares.
func sharesFor(v *Validator, amount uint64) (uint64, error) {
	if v.Shares == 0 {
		return amount, nil
	}
	if v.Tokens == 0 {
		return 0, ErrNoTokens.Wrapf("validator %d has lost all its tokens to slashing, so its shares are worth nothing: delegate to another validator", v.Idao)
	}
	hi, _ := bits.Mul64(amount, v.Shares)
	if hi >= v.Tokens {
		return 0, ErrOverflow.Wrapf("%d ulaz would buy more than 2^64 shares of validator %d: delegate less", amount, v.Idao)
	}
	return mulDiv(amount, v.Shares, v.Tokens), nil
}

// checkDelegate checks that delegator can bond amount to v, and returns
// the shares it would get. It changes nothing.
func (k *Keeper) checkDelegate(ctx *chain.Context, v *Validator, delegator tx.Address, amount uint64) (uint64, error) {
	if amount == 0 {
		return 0, ErrInvalidAmount.Wrap("the amount to bond must be greater than zero")
	}
	if have := k.Bank.Balance(ctx, delegator); have < amount {
		return 0, ErrInsufficientFunds.Wrapf("%s has %d ulaz and cannot bond %d ulaz: bond less or fund the account", delegator, have, amount)
	}
	sh, err := sharesFor(v, amount)
	if err != nil {
		return 0, err
	}
	if sh == 0 {
		return 0, ErrAmountTooSmall.Wrapf("%d ulaz buy no share of validator %d (%d tokens for %d shares): bond more", amount, v.Idao, v.Tokens, v.Shares)
	}
	if v.Shares > math.MaxUint64-sh || v.Tokens > math.MaxUint64-amount {
		return 0, ErrOverflow.Wrapf("bonding %d ulaz would overflow validator %d's totals: bond less", amount, v.Idao)
	}
	return sh, nil
}

// delegate bonds amount from delegator to the validator of iDAO id; self
// marks the delegation as a self-bond (it stays one). Checks come first,
// so a refusal changes nothing.
func (k *Keeper) delegate(ctx *chain.Context, p *Params, v *Validator, delegator tx.Address, amount uint64, self bool) error {
	sh, err := k.checkDelegate(ctx, v, delegator, amount)
	if err != nil {
		return err
	}
	d, ok := k.getDelegation(ctx, v.Idao, delegator)
	if !ok {
		d = &Delegation{Delegator: delegator.String(), Idao: v.Idao, RewardDebt: "0", Owed: "0"}
	} else if _, err := k.payRewards(ctx, d, v, delegator); err != nil {
		return err
	}
	if self && !d.Self {
		d.Self = true
		v.SelfShares += d.Shares
	}
	d.Shares += sh
	resetDebt(d, v)
	v.Shares += sh
	v.Tokens += amount
	if d.Self {
		v.SelfShares += sh
	}
	if err := k.Bank.Send(ctx, delegator, BondedEscrow, amount); err != nil {
		return err
	}
	k.setDelegation(ctx, delegator, d)
	k.setValidator(ctx, p, v)
	ctx.Emit(chain.Event("staking_delegate",
		chain.Indexed("idao", strconv.FormatUint(v.Idao, 10)),
		chain.Indexed("delegator", delegator.String()),
		chain.Attr("amount", tx.FormatBaseUnits(amount)),
		chain.Attr("shares", strconv.FormatUint(sh, 10)),
		chain.Attr("self", strconv.FormatBool(d.Self))))
	return nil
}

// Delegate bonds amount ulaz from delegator to the validator of iDAO id,
// as MsgDelegate does; a delegation by the iDAO's own treasury is a
// self-bond. For other modules (an iDAO bonding its treasury by proposal).
func (k *Keeper) Delegate(ctx *chain.Context, delegator tx.Address, id uint64, amount uint64) error {
	v, err := k.getValidator(ctx, id)
	if err != nil {
		return err
	}
	return k.delegate(ctx, k.Params(ctx), v, delegator, amount, delegator == k.IDAO.Treasury(id))
}

// undelegate takes amount ulaz of delegator's delegation out of the
// validator into a new unbonding entry. selfOnly refuses a delegation
// that is not a self-bond (MsgUnbond).
func (k *Keeper) undelegate(ctx *chain.Context, id uint64, delegator tx.Address, amount uint64, selfOnly bool) error {
	p := k.Params(ctx)
	v, err := k.getValidator(ctx, id)
	if err != nil {
		return err
	}
	d, ok := k.getDelegation(ctx, id, delegator)
	if !ok {
		return ErrNoDelegation.Wrapf("%s has no delegation to validator %d: nothing to unbond", delegator, id)
	}
	if selfOnly && !d.Self {
		return ErrNotSelfBond.Wrapf("the delegation of %s to validator %d is not a self-bond: use MsgUndelegate", delegator, id)
	}
	if amount == 0 {
		return ErrInvalidAmount.Wrap("the amount to unbond must be greater than zero")
	}
	worth := tokensOf(v, d.Shares)
	if amount > worth {
		return ErrInsufficientShares.Wrapf("the delegation of %s to validator %d is worth %d ulaz: unbond at most that", delegator, id, worth)
	}
	// Shares out: enough to cover amount (rounded up), and the whole
	// delegation if what would be left is worth nothing.
	out := ceilMulDiv(amount, v.Shares, v.Tokens)
	if out > d.Shares || tokensOf(v, d.Shares-out) == 0 {
		out = d.Shares
	}
	tokensOut := amount
	if out == v.Shares {
		tokensOut = v.Tokens // the last holder takes the dust too
	}
	if _, err := k.payRewards(ctx, d, v, delegator); err != nil {
		return err
	}
	d.Shares -= out
	v.Shares -= out
	v.Tokens -= tokensOut
	if d.Self {
		v.SelfShares -= out
	}
	if d.Shares == 0 {
		// The sub-ulaz rest of its reward goes back to the validator's
		// remainder, to be spread with the next rewards.
		rem := u256(v.AccRemainder, "acc_remainder")
		rem.Add(rem, u256(d.Owed, "owed"))
		v.AccRemainder = rem.Dec()
		k.deleteDelegation(ctx, delegator, id)
	} else {
		resetDebt(d, v)
		k.setDelegation(ctx, delegator, d)
	}
	e := &UnbondingEntry{
		Id: chain.NextID(k.kv(ctx), seqUnbondingKey), Delegator: delegator.String(), Idao: id,
		Amount: tokensOut, InitialAmount: tokensOut,
		CreationHeight: ctx.Height, CompletionHeight: ctx.Height + int64(p.UnbondingBlocks),
	}
	k.setUnbonding(ctx, e)
	ctx.Emit(chain.Event("staking_unbond",
		chain.Indexed("idao", strconv.FormatUint(id, 10)),
		chain.Indexed("delegator", delegator.String()),
		chain.Attr("entry", strconv.FormatUint(e.Id, 10)),
		chain.Attr("amount", tx.FormatBaseUnits(tokensOut)),
		chain.Attr("shares", strconv.FormatUint(out, 10)),
		chain.Attr("completion_height", strconv.FormatInt(e.CompletionHeight, 10))))
	if d.Self && !v.Jailed && v.Tokens > 0 && SelfBond(v) < p.MinSelfBond {
		// A validator may not go on with less than the minimum at stake.
		k.jail(ctx, p, v, ctx.Height, ReasonSelfBond)
	}
	k.setValidator(ctx, p, v)
	return nil
}

// ceilMulDiv is ⌈a·b/c⌉ (c > 0), saturating at 2^64−1.
func ceilMulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi >= c {
		return math.MaxUint64
	}
	q, r := bits.Div64(hi, lo, c)
	if r != 0 {
		if q == math.MaxUint64 {
			return q
		}
		q++
	}
	return q
}

// setUnbonding writes an unbonding entry with its indexes.
func (k *Keeper) setUnbonding(ctx *chain.Context, e *UnbondingEntry) {
	kv := k.kv(ctx)
	chain.SaveRecord(kv, unbondingKey(e.Id), e)
	d := delegatorOfEntry(e)
	kv.Set(unbondValKey(e.Idao, e.CreationHeight, e.Id), present)
	kv.Set(unbondDelKey(d, e.Id), present)
	kv.Set(unbondQueueKey(e.CompletionHeight, e.Id), present)
}

func (k *Keeper) deleteUnbonding(ctx *chain.Context, e *UnbondingEntry) {
	kv := k.kv(ctx)
	kv.Delete(unbondingKey(e.Id))
	kv.Delete(unbondValKey(e.Idao, e.CreationHeight, e.Id))
	kv.Delete(unbondDelKey(delegatorOfEntry(e), e.Id))
	kv.Delete(unbondQueueKey(e.CompletionHeight, e.Id))
}

func (k *Keeper) mustUnbonding(ctx *chain.Context, id uint64) *UnbondingEntry {
	e := &UnbondingEntry{}
	if !chain.LoadRecord(k.kv(ctx), unbondingKey(id), e) {
		panic("staking: broken invariant: an index names missing unbonding entry " + strconv.FormatUint(id, 10))
	}
	return e
}

func delegatorOfEntry(e *UnbondingEntry) tx.Address {
	a, err := tx.ParseAddress(e.Delegator)
	if err != nil {
		panic("staking: unbonding entry " + strconv.FormatUint(e.Id, 10) + " has a bad stored delegator: " + err.Error())
	}
	return a
}

// completeUnbondings pays out the entries whose completion height is
// reached, in completion then id order.
func (k *Keeper) completeUnbondings(ctx *chain.Context) error {
	if ctx.Height < 0 {
		return nil
	}
	kv := k.kv(ctx)
	end := key(unbondQueuePrefix, beHeight(ctx.Height+1))
	for _, kk := range store.Keys(kv, unbondQueuePrefix, end) {
		e := k.mustUnbonding(ctx, store.DecodeUint64(kk[len(kk)-8:]))
		to := delegatorOfEntry(e)
		if e.Amount > 0 {
			if err := k.Bank.Send(ctx, BondedEscrow, to, e.Amount); err != nil {
				return err
			}
		}
		k.deleteUnbonding(ctx, e)
		ctx.Emit(chain.Event("staking_complete",
			chain.Indexed("idao", strconv.FormatUint(e.Idao, 10)),
			chain.Indexed("delegator", to.String()),
			chain.Attr("entry", strconv.FormatUint(e.Id, 10)),
			chain.Attr("amount", tx.FormatBaseUnits(e.Amount))))
	}
	return nil
}
