package auth

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// DefaultParams are the parameters of a new chain.
func DefaultParams() *Params {
	return &Params{
		MinGasPrice:  "0.01",
		MaxTxBytes:   4 << 20, // a Settle of thousands of receipts (node.MaxTxBytes)
		MaxMsgs:      64,
		MaxMemoBytes: 256,
		TxByteGas:    10,
		SigVerifyGas: 1000,
	}
}

// gasPriceScale is the fixed-point scale of a gas price: prices have at most
// six fractional digits of ulaz.
const gasPriceScale = 1_000_000

// ParseGasPrice reads a gas price in ulaz per gas ("0.01") as an integer
// number of millionths of an ulaz.
func ParseGasPrice(s string) (uint64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 6 || strings.ContainsAny(whole+frac, "+-eE ") {
		return 0, fmt.Errorf("gas price %q: want a decimal number of ulaz with at most 6 fractional digits, like 0.01", s)
	}
	frac += strings.Repeat("0", 6-len(frac))
	w, err := strconv.ParseUint(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("gas price %q: %v", s, err)
	}
	f, err := strconv.ParseUint(frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("gas price %q: %v", s, err)
	}
	hi, lo := bits.Mul64(w, gasPriceScale)
	if hi != 0 || lo+f < lo {
		return 0, fmt.Errorf("gas price %q is too large", s)
	}
	return lo + f, nil
}

// RequiredFee is the least fee, in ulaz, for gasLimit at a price in
// millionths of an ulaz per gas, rounded up. ok is false when it does not
// fit in 64 bits.
func RequiredFee(gasLimit, priceMicro uint64) (fee uint64, ok bool) {
	hi, lo := bits.Mul64(gasLimit, priceMicro)
	if hi >= gasPriceScale {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, gasPriceScale)
	if r != 0 {
		if q == ^uint64(0) {
			return 0, false
		}
		q++
	}
	return q, true
}

// Validate checks that the parameters make sense together.
func (p *Params) Validate() error {
	if _, err := ParseGasPrice(p.MinGasPrice); err != nil {
		return fmt.Errorf("min_gas_price: %v", err)
	}
	if p.MaxTxBytes < 256 {
		return fmt.Errorf("max_tx_bytes %d is below 256: no tx would fit", p.MaxTxBytes)
	}
	if p.MaxMsgs == 0 {
		return fmt.Errorf("max_msgs must be at least 1")
	}
	return nil
}
