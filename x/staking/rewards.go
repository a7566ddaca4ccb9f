package staking

import (
	"fmt"
	"math/bits"
	"strconv"

	"github.com/holiman/uint256"

	"github.com/lazchain/lazchain/chain"
	"github.com/lazchain/lazchain/internal/accum"
	"github.com/lazchain/lazchain/store"
	"github.com/lazchain/lazchain/tx"
	"github.com/lazchain/lazchain/x/bank"
)

// Reward accounting. Everything is an exact integer; nothing is floored
// except the ulaz a withdrawal pays.
//
// Each block, BeginBlock moves the fee collector's whole balance into
// RewardsEscrow and splits pot = that + carry among the validators that
// signed the previous block, part_v = pot·power_v/Σ power (floored);
// carry = pot − Σ part_v waits for the next block. Of part_v,
// commission_bps goes to the iDAO's treasury; the rest r is spread over
// the validator's shares: num = r·Scale + acc_remainder, acc += num/shares,
// acc_remainder = num % shares. (A validator with no shares pays its whole
// part to the treasury.) Per delegation, in scaled units:
//
//	scaled_pending(d) = owed + shares·acc − reward_debt
//	pending(d)        = floor(scaled_pending / Scale)
//
// so that, always,
//
//	balance(RewardsEscrow)·Scale == Σ scaled_pending + Σ acc_remainder + carry·Scale
//
// which the "staking/rewards" invariant checks. When a delegation's shares
// change its pending ulaz are paid out first; when it is removed, the
// sub-ulaz rest of its owed joins the validator's acc_remainder.

// Scale is the fixed-point scale of acc, reward_debt and owed: 10^18.
const Scale = accum.Scale

var scale = accum.ScaleU

// u256 reads a stored decimal of this module.
func u256(s, what string) *uint256.Int { return accum.Decimal(Name, what, s) }

// mulShares is shares·acc.
func mulShares(shares uint64, acc *uint256.Int) *uint256.Int {
	return accum.MulShare(Name, shares, acc)
}

// scaledPending is a delegation's reward in scaled units.
func scaledPending(d *Delegation, acc *uint256.Int) *uint256.Int {
	v := mulShares(d.Shares, acc)
	v.Add(v, u256(d.Owed, "owed"))
	debt := u256(d.RewardDebt, "reward_debt")
	if v.Lt(debt) {
		panic(fmt.Sprintf("staking: broken invariant: delegation of %s to %d: reward_debt %s exceeds owed + shares·acc %s",
			d.Delegator, d.Idao, debt.Dec(), v.Dec()))
	}
	return v.Sub(v, debt)
}

// pendingOf is what a withdrawal would pay now, in ulaz.
func pendingOf(d *Delegation, v *Validator) uint64 {
	p := new(uint256.Int).Div(scaledPending(d, u256(v.Acc, "acc")), scale)
	if !p.IsUint64() {
		panic(fmt.Sprintf("staking: broken invariant: %s has %s ulaz of rewards pending", d.Delegator, p.Dec()))
	}
	return p.Uint64()
}

// takePending empties a delegation's whole ulaz of pending reward and
// returns it: owed keeps the sub-ulaz rest and reward_debt is reset to
// shares·acc. The caller pays it and saves the delegation.
func takePending(d *Delegation, v *Validator) uint64 {
	acc := u256(v.Acc, "acc")
	sp := scaledPending(d, acc)
	p, rest := new(uint256.Int).DivMod(sp, scale, new(uint256.Int))
	if !p.IsUint64() {
		panic(fmt.Sprintf("staking: broken invariant: %s has %s ulaz of rewards pending", d.Delegator, p.Dec()))
	}
	d.Owed = rest.Dec()
	d.RewardDebt = mulShares(d.Shares, acc).Dec()
	return p.Uint64()
}

// resetDebt makes a delegation earn from now on with its current shares.
func resetDebt(d *Delegation, v *Validator) {
	d.RewardDebt = mulShares(d.Shares, u256(v.Acc, "acc")).Dec()
}

// mulDiv is a·b/c floored, for a ≤ c or any a, b whose quotient fits 64
// bits (c > 0).
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi >= c {
		panic(fmt.Sprintf("staking: %d·%d/%d overflows 64 bits", a, b, c))
	}
	q, _ := bits.Div64(hi, lo, c)
	return q
}

// mulBps is amount·bps/10000, floored (bps ≤ 10000).
func mulBps(amount uint64, bps uint32) uint64 { return mulDiv(amount, uint64(bps), MaxBps) }

// payRewards pays a delegation's pending ulaz to its delegator, emitting
// staking_rewards; 0 pays nothing.
func (k *Keeper) payRewards(ctx *chain.Context, d *Delegation, v *Validator, to tx.Address) (uint64, error) {
	p := takePending(d, v)
	if p == 0 {
		return 0, nil
	}
	if err := k.Bank.Send(ctx, RewardsEscrow, to, p); err != nil {
		return 0, fmt.Errorf("staking: pay %d ulaz of rewards to %s: %w", p, to, err)
	}
	ctx.Emit(chain.Event("staking_rewards",
		chain.Attr("action", "withdraw"),
		chain.Indexed("idao", strconv.FormatUint(v.Idao, 10)),
		chain.Indexed("delegator", to.String()),
		chain.Attr("amount", tx.FormatBaseUnits(p))))
	return p, nil
}

// creditValidator spreads part ulaz (already in RewardsEscrow) of a
// block's rewards over a validator: commission to its iDAO's treasury, the
// rest into its accumulator. It changes v, which the caller saves.
func (k *Keeper) creditValidator(ctx *chain.Context, p *Params, v *Validator, part uint64) error {
	commission := mulBps(part, p.CommissionBps)
	rest := part - commission
	if rest > 0 {
		if v.Shares == 0 {
			commission, rest = part, 0
		} else if acc, rem, ok := accum.Spread(u256(v.Acc, "acc"), u256(v.AccRemainder, "acc_remainder"), uint256.NewInt(rest), v.Shares); ok {
			v.Acc = acc.Dec()
			v.AccRemainder = rem.Dec()
		} else {
			// Unreachable in practice (2^68 blocks of the whole supply);
			// the treasury takes it rather than the chain halting.
			commission, rest = part, 0
		}
	}
	if commission > 0 {
		if err := k.Bank.Send(ctx, RewardsEscrow, k.IDAO.Treasury(v.Idao), commission); err != nil {
			return fmt.Errorf("staking: pay commission of validator %d: %w", v.Idao, err)
		}
		v.Commission += commission
	}
	return nil
}

// carry is the ulaz of fees waiting for the next block's split.
func (k *Keeper) carry(ctx *chain.Context) uint64 {
	b := k.kv(ctx).Get(carryKey)
	if b == nil {
		return 0
	}
	return store.DecodeUint64(b)
}

// signer is one validator that signed the previous block, with the power
// CometBFT gave it.
type signer struct {
	v     *Validator
	power uint64
}

// distributeRewards moves the fee collector's balance into RewardsEscrow
// and splits it (with the carry) among signers, in LastCommit order. While
// no staking validator signed (a chain whose validators come from
// CometBFT's genesis alone), the fees stay in the fee collector.
func (k *Keeper) distributeRewards(ctx *chain.Context, p *Params, signers []signer) error {
	if len(signers) == 0 {
		return nil
	}
	fees := k.Bank.Balance(ctx, bank.FeeCollector)
	if fees > 0 {
		if err := k.Bank.Send(ctx, bank.FeeCollector, RewardsEscrow, fees); err != nil {
			return fmt.Errorf("staking: collect the block's fees: %w", err)
		}
	}
	pot := k.carry(ctx) + fees // both sit in RewardsEscrow, so no overflow
	if pot == 0 {
		return nil
	}
	total := new(uint256.Int)
	for _, s := range signers {
		total.Add(total, uint256.NewInt(s.power))
	}
	var paid uint64
	if !total.IsZero() {
		potU := uint256.NewInt(pot)
		for _, s := range signers {
			part := new(uint256.Int).Mul(potU, uint256.NewInt(s.power))
			part.Div(part, total)
			x := part.Uint64() // ≤ pot
			if x == 0 {
				continue
			}
			if err := k.creditValidator(ctx, p, s.v, x); err != nil {
				return err
			}
			k.setValidator(ctx, p, s.v)
			paid += x
		}
	}
	carry := pot - paid
	if carry == 0 {
		k.kv(ctx).Delete(carryKey)
	} else {
		k.kv(ctx).Set(carryKey, be(carry))
	}
	ctx.Emit(chain.Event("staking_rewards",
		chain.Attr("action", "distribute"),
		chain.Attr("fees", tx.FormatBaseUnits(fees)),
		chain.Attr("distributed", tx.FormatBaseUnits(paid)),
		chain.Attr("carried", tx.FormatBaseUnits(carry)),
		chain.Attr("validators", strconv.Itoa(len(signers)))))
	return nil
}
