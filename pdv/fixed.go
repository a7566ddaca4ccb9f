package pdv

import (
	"errors"
	"fmt"
	"strconv"
)

// FeatureScale is the fixed-point scale of features: a feature value v is
// stored as the int64 round(v·FeatureScale), i.e. with four decimals.
const FeatureScale = 10_000

// featureDecimals is the number of decimals FeatureScale keeps.
const featureDecimals = 4

// MaxFeature is the largest magnitude of a fixed-point feature
// (100000.0000 in real units). Records with a larger feature are invalid.
// Any difference of two features is then below 2^31 in magnitude and its
// square below 2^62.
const MaxFeature int64 = 100_000 * FeatureScale

// ErrOutOfRange reports a number whose magnitude is beyond the supported
// bound (MaxFeature for features, the int64 range for integers).
var ErrOutOfRange = errors.New("number out of the supported range")

// ErrNotInteger reports a number with a non-zero fractional part where an
// integer is required.
var ErrNotInteger = errors.New("number is not an integer")

// decimal is a JSON number split into its parts: value = ±digits·10^exp,
// where digits has no leading zeros (it is empty for zero).
type decimal struct {
	neg    bool
	digits string
	exp    int64
}

// maxExp bounds the decimal exponent we track; anything beyond it is
// saturated, which keeps the result the same (zero or out of range).
const maxExp = 1 << 40

// parseDecimal splits a JSON number literal into a decimal. It accepts
// exactly the JSON number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func parseDecimal(s string) (decimal, error) {
	var d decimal
	i := 0
	if i < len(s) && s[i] == '-' {
		d.neg = true
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[start:i]
	if len(intPart) == 0 || (len(intPart) > 1 && intPart[0] == '0') {
		return decimal{}, fmt.Errorf("%q is not a JSON number", s)
	}
	var fracPart string
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		fracPart = s[fs:i]
		if len(fracPart) == 0 {
			return decimal{}, fmt.Errorf("%q is not a JSON number", s)
		}
	}
	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		es := i
		for i < len(s) && isDigit(s[i]) {
			if exp < maxExp {
				exp = exp*10 + int64(s[i]-'0')
			}
			i++
		}
		if i == es {
			return decimal{}, fmt.Errorf("%q is not a JSON number", s)
		}
		if exp > maxExp {
			exp = maxExp
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return decimal{}, fmt.Errorf("%q is not a JSON number", s)
	}
	all := intPart
	if fracPart != "" {
		all += fracPart
	}
	k := 0
	for k < len(all) && all[k] == '0' {
		k++
	}
	d.digits = all[k:]
	d.exp = exp - int64(len(fracPart))
	if d.digits == "" {
		d.neg = false
		d.exp = 0
	}
	return d, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scaled returns round(|d|·10^shift) rounding half away from zero, with the
// sign applied, or ErrOutOfRange when the magnitude exceeds limit.
func (d decimal) scaled(shift int64, limit uint64) (int64, error) {
	if d.digits == "" {
		return 0, nil
	}
	e := d.exp + shift
	var mag uint64
	if e >= 0 {
		if int64(len(d.digits))+e > 19 {
			return 0, ErrOutOfRange
		}
		v, err := strconv.ParseUint(d.digits, 10, 64)
		if err != nil {
			return 0, ErrOutOfRange
		}
		for ; e > 0; e-- {
			if v > limit/10 {
				return 0, ErrOutOfRange
			}
			v *= 10
		}
		mag = v
	} else {
		keep := int64(len(d.digits)) + e // digits left of the point
		switch {
		case keep < 0:
			mag = 0
		case keep == 0:
			if d.digits[0] >= '5' {
				mag = 1
			}
		default:
			if keep > 19 {
				return 0, ErrOutOfRange
			}
			v, err := strconv.ParseUint(d.digits[:keep], 10, 64)
			if err != nil {
				return 0, ErrOutOfRange
			}
			if d.digits[keep] >= '5' {
				v++
			}
			mag = v
		}
	}
	if mag > limit {
		return 0, ErrOutOfRange
	}
	if d.neg {
		return -int64(mag), nil
	}
	return int64(mag), nil
}

// isInteger reports whether d has no non-zero fractional digit.
func (d decimal) isInteger() bool {
	if d.exp >= 0 || d.digits == "" {
		return true
	}
	keep := int64(len(d.digits)) + d.exp
	if keep < 0 {
		return false
	}
	for _, c := range d.digits[keep:] {
		if c != '0' {
			return false
		}
	}
	return true
}

// ParseFixed converts a JSON number literal (such as "16", "-0.00005" or
// "1e3") to a fixed-point feature in units of 1/FeatureScale, rounding half
// away from zero at the fifth decimal. It returns ErrOutOfRange when the
// rounded magnitude exceeds MaxFeature, and an error when s is not a JSON
// number.
func ParseFixed(s string) (int64, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return 0, err
	}
	return d.scaled(featureDecimals, uint64(MaxFeature))
}

// parseInteger converts a JSON number literal with no fractional part
// ("3", "3.0", "3e2") to an int64.
func parseInteger(s string) (int64, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return 0, err
	}
	if !d.isInteger() {
		return 0, ErrNotInteger
	}
	limit := uint64(1<<63 - 1)
	if d.neg {
		limit = 1 << 63
	}
	if d.digits == "" {
		return 0, nil
	}
	// Integer: the scaled value is exact, so rounding never applies.
	e := d.exp
	digits := d.digits
	if e < 0 {
		digits = digits[:int64(len(digits))+e]
		e = 0
	}
	if int64(len(digits))+e > 19 {
		return 0, ErrOutOfRange
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, ErrOutOfRange
	}
	for ; e > 0; e-- {
		if v > limit/10 {
			return 0, ErrOutOfRange
		}
		v *= 10
	}
	if v > limit {
		return 0, ErrOutOfRange
	}
	if d.neg {
		return int64(-v), nil // -2^63 maps to itself, as intended
	}
	return int64(v), nil
}

// FormatFixed renders a fixed-point feature as its canonical decimal: the
// integer part, then a point and the fractional digits without trailing
// zeros when the fraction is non-zero ("5.1", "16", "-0.0001").
func FormatFixed(v int64) string {
	return string(appendFixed(nil, v))
}

func appendFixed(b []byte, v int64) []byte {
	u := uint64(v)
	if v < 0 {
		b = append(b, '-')
		u = -u
	}
	b = strconv.AppendUint(b, u/FeatureScale, 10)
	frac := u % FeatureScale
	if frac == 0 {
		return b
	}
	var buf [featureDecimals]byte
	for i := featureDecimals - 1; i >= 0; i-- {
		buf[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := featureDecimals
	for n > 0 && buf[n-1] == '0' {
		n--
	}
	b = append(b, '.')
	return append(b, buf[:n]...)
}
