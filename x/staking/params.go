package staking

import (
	"fmt"

	"github.com/lazchain/lazchain/chain"
)

// Bounds of the parameters.
const (
	// MaxValidatorsLimit bounds max_validators, so that the set's total
	// power (at most MaxValidatorsLimit × MaxPower) stays under CometBFT's
	// limit of 2^60.
	MaxValidatorsLimit = 1000
	// MaxPower is the largest voting power a validator is given, however
	// many tokens it has: 2^50.
	MaxPower int64 = 1 << 50
	// MaxDowntimeWindow bounds downtime_window, so the ring each
	// validator rewrites every block stays small (at most 1250 bytes).
	MaxDowntimeWindow = 10_000
	// MaxBps is 100% in basis points.
	MaxBps = 10_000
)

// DefaultParams are the parameters of a new chain unless its genesis says
// otherwise.
func DefaultParams() *Params {
	return &Params{
		MaxValidators:      100,
		EpochBlocks:        10,
		UnbondingBlocks:    100,
		DoubleSignSlashBps: 500,
		DowntimeSlashBps:   10,
		DowntimeWindow:     100,
		MaxMissed:          50,
		JailBlocks:         100,
		PowerReduction:     1_000_000,
		MinSelfBond:        1_000_000,
		CommissionBps:      1000,
	}
}

// Validate checks that the parameters make sense together, in a sentence
// that says which to fix.
func (p *Params) Validate() error {
	switch {
	case p.MaxValidators == 0 || p.MaxValidators > MaxValidatorsLimit:
		return ErrInvalidParams.Wrapf("max_validators is %d: give 1 to %d", p.MaxValidators, MaxValidatorsLimit)
	case p.EpochBlocks == 0:
		return ErrInvalidParams.Wrap("epoch_blocks is 0: give at least 1")
	case p.UnbondingBlocks == 0:
		return ErrInvalidParams.Wrap("unbonding_blocks is 0: give at least 1")
	case p.DoubleSignSlashBps > MaxBps:
		return ErrInvalidParams.Wrapf("double_sign_slash_bps is %d: give at most %d", p.DoubleSignSlashBps, MaxBps)
	case p.DowntimeSlashBps > MaxBps:
		return ErrInvalidParams.Wrapf("downtime_slash_bps is %d: give at most %d", p.DowntimeSlashBps, MaxBps)
	case p.DowntimeWindow == 0 || p.DowntimeWindow > MaxDowntimeWindow:
		return ErrInvalidParams.Wrapf("downtime_window is %d: give 1 to %d", p.DowntimeWindow, MaxDowntimeWindow)
	case p.MaxMissed >= p.DowntimeWindow:
		return ErrInvalidParams.Wrapf("max_missed %d must be less than downtime_window %d", p.MaxMissed, p.DowntimeWindow)
	case p.JailBlocks > 1<<40:
		return ErrInvalidParams.Wrapf("jail_blocks %d is too large: give at most 2^40", p.JailBlocks)
	case p.UnbondingBlocks > 1<<40:
		return ErrInvalidParams.Wrapf("unbonding_blocks %d is too large: give at most 2^40", p.UnbondingBlocks)
	case p.PowerReduction == 0:
		return ErrInvalidParams.Wrap("power_reduction is 0: give the ulaz per unit of power, at least 1")
	case p.MinSelfBond == 0:
		return ErrInvalidParams.Wrap("min_self_bond is 0: give at least 1 ulaz")
	case p.CommissionBps > MaxBps:
		return ErrInvalidParams.Wrapf("commission_bps is %d: give at most %d", p.CommissionBps, MaxBps)
	}
	return nil
}

// Params reads the parameters; before genesis wrote them, the defaults.
func (k *Keeper) Params(ctx *chain.Context) *Params {
	p := &Params{}
	if !chain.LoadRecord(k.kv(ctx), paramsKey, p) {
		return DefaultParams()
	}
	return p
}

// setParams validates and writes the parameters.
func (k *Keeper) setParams(ctx *chain.Context, p *Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	chain.SaveRecord(k.kv(ctx), paramsKey, p)
	return nil
}

// power is the voting power of tokens: tokens/power_reduction, at most
// MaxPower.
func power(p *Params, tokens uint64) int64 {
	v := tokens / p.PowerReduction
	if v > uint64(MaxPower) {
		return MaxPower
	}
	return int64(v)
}

// describeBps renders basis points for sentences.
func describeBps(bps uint32) string { return fmt.Sprintf("%d.%02d%%", bps/100, bps%100) }
