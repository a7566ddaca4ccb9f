package staking

import (
	"bytes"
	"fmt"
	"math"

	"github.com/holiman/uint256"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/store"
)

// Invariants are the module's whole-state checks.
func (m Module) Invariants() []chain.Invariant {
	k := m.Keeper
	return []chain.Invariant{
		{Name: "staking/bonded", Check: k.checkBonded},
		{Name: "staking/rewards", Check: k.checkRewards},
		{Name: "staking/shares", Check: k.checkShares},
		{Name: "staking/index", Check: k.checkIndex},
	}
}

// eachValidator calls fn for every stored validator in iDAO order.
func eachValidator(kv store.KV, fn func(v *Validator) bool) {
	store.Each(kv, validatorPrefix, store.PrefixEnd(validatorPrefix), func(_, b []byte) bool {
		v := &Validator{}
		chain.DecodeRecord(b, v)
		return fn(v)
	})
}

// eachDelegationOf calls fn for every delegation to a validator.
func eachDelegationOf(kv store.KV, id uint64, fn func(d *Delegation) bool) {
	prefix := key(delegationPrefix, be(id))
	store.Each(kv, prefix, store.PrefixEnd(prefix), func(_, b []byte) bool {
		d := &Delegation{}
		chain.DecodeRecord(b, d)
		return fn(d)
	})
}

// addChecked adds with overflow detection, for sums an invariant checks.
func addChecked(a, b uint64, over *bool) uint64 {
	if a > math.MaxUint64-b {
		*over = true
	}
	return a + b
}

// checkBonded: the bonded escrow holds exactly the validators' tokens and
// the unbonding entries, and the stored bonded total is the tokens' sum.
func (k *Keeper) checkBonded(ctx *chain.Context) error {
	kv := ctx.StoreUnmetered(Name)
	var tokens, entries uint64
	var over bool
	eachValidator(kv, func(v *Validator) bool {
		tokens = addChecked(tokens, v.Tokens, &over)
		return true
	})
	store.Each(kv, unbondingPrefix, store.PrefixEnd(unbondingPrefix), func(_, b []byte) bool {
		e := &UnbondingEntry{}
		chain.DecodeRecord(b, e)
		entries = addChecked(entries, e.Amount, &over)
		return true
	})
	if over {
		return fmt.Errorf("validator tokens and unbonding entries add up to more than 2^64 ulaz")
	}
	var total uint64
	if b := kv.Get(bondedTotalKey); b != nil {
		total = store.DecodeUint64(b)
	}
	if total != tokens {
		return fmt.Errorf("the stored bonded total is %d ulaz, but the validators' tokens add up to %d", total, tokens)
	}
	bal := k.Bank.Balance(ctx, BondedEscrow)
	if bal != tokens+entries || tokens+entries < tokens {
		return fmt.Errorf("bonded escrow %s holds %d ulaz, but validator tokens (%d) + unbonding entries (%d) = %d",
			BondedEscrow, bal, tokens, entries, tokens+entries)
	}
	return nil
}

// checkRewards: balance(RewardsEscrow)·Scale == Σ scaled pending of the
// delegations + Σ acc_remainder of the validators + carry·Scale, exactly.
func (k *Keeper) checkRewards(ctx *chain.Context) error {
	kv := ctx.StoreUnmetered(Name)
	sum := new(uint256.Int)
	var carry uint64
	if b := kv.Get(carryKey); b != nil {
		carry = store.DecodeUint64(b)
	}
	sum.Mul(uint256.NewInt(carry), scale)
	eachValidator(kv, func(v *Validator) bool {
		acc := u256(v.Acc, "acc")
		sum.Add(sum, u256(v.AccRemainder, "acc_remainder"))
		eachDelegationOf(kv, v.Idao, func(d *Delegation) bool {
			sum.Add(sum, scaledPending(d, acc))
			return true
		})
		return true
	})
	want := new(uint256.Int).Mul(uint256.NewInt(k.Bank.Balance(ctx, RewardsEscrow)), scale)
	if !want.Eq(sum) {
		return fmt.Errorf("rewards escrow %s holds %s scaled ulaz, but pending rewards + remainders + carry = %s",
			RewardsEscrow, want.Dec(), sum.Dec())
	}
	return nil
}

// checkShares: a validator's shares and self_shares are the sums of its
// delegations' (self-bonds') shares, and a validator with tokens has
// shares.
func (k *Keeper) checkShares(ctx *chain.Context) error {
	kv := ctx.StoreUnmetered(Name)
	var err error
	eachValidator(kv, func(v *Validator) bool {
		var shares, self uint64
		var over bool
		eachDelegationOf(kv, v.Idao, func(d *Delegation) bool {
			if d.Shares == 0 {
				err = fmt.Errorf("validator %d: the delegation of %s has no shares", v.Idao, d.Delegator)
				return false
			}
			shares = addChecked(shares, d.Shares, &over)
			if d.Self {
				self = addChecked(self, d.Shares, &over)
			}
			return true
		})
		switch {
		case err != nil:
		case over:
			err = fmt.Errorf("validator %d: its delegations' shares add up to more than 2^64", v.Idao)
		case shares != v.Shares || self != v.SelfShares:
			err = fmt.Errorf("validator %d: stored shares %d (self %d), its delegations add up to %d (self %d)",
				v.Idao, v.Shares, v.SelfShares, shares, self)
		case v.Tokens > 0 && v.Shares == 0:
			err = fmt.Errorf("validator %d has %d tokens but no shares", v.Idao, v.Tokens)
		}
		return err == nil
	})
	return err
}

// checkIndex: the power index lists exactly the non-jailed validators
// with a unit of power, at their tokens; every validator's consensus
// address maps back to it; the delegator index matches the delegations.
func (k *Keeper) checkIndex(ctx *chain.Context) error {
	kv := ctx.StoreUnmetered(Name)
	p := k.Params(ctx)
	var err error
	var want int
	eachValidator(kv, func(v *Validator) bool {
		if b := kv.Get(consAddrKey(ConsensusAddress(v.ConsensusPubkey))); b == nil || store.DecodeUint64(b) != v.Idao {
			err = fmt.Errorf("validator %d: its consensus address does not map back to it", v.Idao)
			return false
		}
		if candidate(p, v) {
			want++
			if !kv.Has(powerKey(v.Tokens, v.Idao)) {
				err = fmt.Errorf("validator %d (%d tokens, not jailed) is missing from the power index", v.Idao, v.Tokens)
				return false
			}
		}
		eachDelegationOf(kv, v.Idao, func(d *Delegation) bool {
			if !kv.Has(delegatorKey(delegatorOf(d), v.Idao)) {
				err = fmt.Errorf("validator %d: the delegator index misses %s", v.Idao, d.Delegator)
			}
			return err == nil
		})
		return err == nil
	})
	if err != nil {
		return err
	}
	var got int
	store.Each(kv, powerPrefix, store.PrefixEnd(powerPrefix), func(_, _ []byte) bool {
		got++
		return true
	})
	if got != want {
		return fmt.Errorf("the power index has %d entries for %d candidates", got, want)
	}
	var dangling []byte
	store.Each(kv, delegatorPrefix, store.PrefixEnd(delegatorPrefix), func(kk, _ []byte) bool {
		rest := kk[len(delegatorPrefix):]
		if len(rest) != 28 || !kv.Has(key(delegationPrefix, rest[20:], rest[:20])) {
			dangling = bytes.Clone(kk)
			return false
		}
		return true
	})
	if dangling != nil {
		return fmt.Errorf("the delegator index names a missing delegation (key %x)", dangling)
	}
	return nil
}
