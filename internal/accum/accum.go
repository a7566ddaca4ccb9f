// Package accum is the exact fixed-point arithmetic of LazChain's reward
// accumulators (DAT revenue per share, staking rewards per share): a
// 256-bit accumulator of units per share scaled by Scale, with the
// division remainder carried rather than lost. Modules keep the
// accumulators in their own records as canonical decimals.
package accum

import (
	"fmt"
	"math/bits"

	"github.com/holiman/uint256"
)

// Scale is the fixed-point scale of accumulators, debts and owed amounts:
// 10^18.
const Scale = 1_000_000_000_000_000_000

var (
	// ScaleU is Scale as a 256-bit integer.
	ScaleU = uint256.NewInt(Scale)
	// MaxAcc bounds an accumulator so that share·acc (share < 2^64) and
	// the sums built on it never overflow 256 bits.
	MaxAcc = new(uint256.Int).Lsh(uint256.NewInt(1), 192)
)

// Decimal reads a stored decimal that module wrote itself in canonical
// form; anything else is a broken invariant, and it panics naming the
// module and the field.
func Decimal(module, what, s string) *uint256.Int {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		panic(fmt.Sprintf("%s: stored %s %q is not a canonical decimal", module, what, s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			panic(fmt.Sprintf("%s: stored %s %q is not a canonical decimal", module, what, s))
		}
	}
	v, err := uint256.FromDecimal(s)
	if err != nil {
		panic(fmt.Sprintf("%s: stored %s %q: %v", module, what, s, err))
	}
	return v
}

// MulShare is share·acc, which cannot overflow while acc < MaxAcc; module
// names the caller in the panic of a broken invariant.
func MulShare(module string, share uint64, acc *uint256.Int) *uint256.Int {
	v, over := new(uint256.Int).MulOverflow(uint256.NewInt(share), acc)
	if over {
		panic(fmt.Sprintf("%s: broken invariant: %d × acc %s overflows 256 bits", module, share, acc.Dec()))
	}
	return v
}

// Spread spreads amount units over shares (> 0): num = amount·Scale +
// remainder, acc += num/shares, remainder = num % shares. It returns the
// new accumulator and remainder, or ok = false (changing nothing) when the
// arithmetic would overflow or the accumulator would reach MaxAcc.
func Spread(acc, remainder, amount *uint256.Int, shares uint64) (newAcc, newRemainder *uint256.Int, ok bool) {
	num, over := new(uint256.Int).MulOverflow(amount, ScaleU)
	if !over {
		num, over = num.AddOverflow(num, remainder)
	}
	if over {
		return nil, nil, false
	}
	q, r := new(uint256.Int).DivMod(num, uint256.NewInt(shares), new(uint256.Int))
	next, over := new(uint256.Int).AddOverflow(acc, q)
	if over || !next.Lt(MaxAcc) {
		return nil, nil, false
	}
	return next, r, true
}

// MulBps is amount·bps/10000, floored, without overflow (bps ≤ 10000).
func MulBps(amount uint64, bps uint32) uint64 {
	hi, lo := bits.Mul64(amount, uint64(bps))
	q, _ := bits.Div64(hi, lo, 10000)
	return q
}
