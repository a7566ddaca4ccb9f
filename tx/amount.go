package tx

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// LAZ is the native token. Amounts on chain are integers of its base unit,
// the ulaz: 1 LAZ = 10^6 ulaz. Six decimals keep every realistic supply far
// inside 64 bits (2^64 ulaz is 1.8·10^13 LAZ) while leaving fractions of a
// cent expressible.
const (
	BaseDenom    = "ulaz"
	DisplayDenom = "laz"
	Decimals     = 6
	UnitsPerLAZ  = 1_000_000
)

// ErrOverflow marks an amount too large for 64-bit base units.
var ErrOverflow = errors.New("amount overflows 64-bit ulaz")

// ParseBaseUnits reads a decimal integer of ulaz as carried in messages:
// digits only, no sign, no leading zeros.
func ParseBaseUnits(s string) (uint64, error) {
	if s == "" {
		return 0, errors.New("amount is empty")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("amount %q: want a decimal integer of ulaz", s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("amount %q: leading zeros are not allowed", s)
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("amount %s: %w (max %d)", s, ErrOverflow, uint64(math.MaxUint64))
		}
		return 0, fmt.Errorf("amount %q: %v", s, err)
	}
	return v, nil
}

// FormatBaseUnits renders ulaz as carried in messages.
func FormatBaseUnits(v uint64) string { return strconv.FormatUint(v, 10) }

// ParseAmount reads an amount as a person writes it: "12.5laz", "12.5 LAZ"
// or "12500000ulaz". A bare number is refused, since it is ambiguous.
func ParseAmount(s string) (uint64, error) {
	in := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	switch {
	case strings.HasSuffix(in, BaseDenom):
		return ParseBaseUnits(strings.TrimSuffix(in, BaseDenom))
	case strings.HasSuffix(in, DisplayDenom):
		return parseDecimalLAZ(strings.TrimSuffix(in, DisplayDenom), s)
	default:
		return 0, fmt.Errorf("amount %q has no unit: write it as 12.5laz or 12500000ulaz", s)
	}
}

func parseDecimalLAZ(num, orig string) (uint64, error) {
	whole, frac, hasDot := strings.Cut(num, ".")
	if whole == "" && (!hasDot || frac == "") {
		return 0, fmt.Errorf("amount %q: no number before the unit", orig)
	}
	if len(frac) > Decimals {
		return 0, fmt.Errorf("amount %q: LAZ has %d decimals, got %d", orig, Decimals, len(frac))
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, fmt.Errorf("amount %q: want digits with an optional decimal point", orig)
			}
		}
	}
	frac += strings.Repeat("0", Decimals-len(frac))
	digits := strings.TrimLeft(whole+frac, "0")
	if digits == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %s: %w (max %s)", orig, ErrOverflow, FormatLAZ(math.MaxUint64))
	}
	return v, nil
}

// FormatLAZ renders ulaz as LAZ with trailing zeros trimmed: 12500000 → "12.5".
func FormatLAZ(v uint64) string {
	whole := v / UnitsPerLAZ
	frac := v % UnitsPerLAZ
	if frac == 0 {
		return strconv.FormatUint(whole, 10)
	}
	f := strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
	return strconv.FormatUint(whole, 10) + "." + f
}

// FormatAmount renders ulaz for people: "12.5 LAZ".
func FormatAmount(v uint64) string { return FormatLAZ(v) + " LAZ" }
