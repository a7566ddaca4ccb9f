package auth

import (
	"math"
	"strings"
	"testing"
)

func TestParseGasPrice(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		err  string
	}{
		{"0.01", 10_000, ""},
		{"1", 1_000_000, ""},
		{"0", 0, ""},
		{"0.000001", 1, ""},
		{"2.5", 2_500_000, ""},
		{"0.0000001", 0, "6 fractional"},
		{"-1", 0, "decimal"},
		{"1e3", 0, "decimal"},
		{"", 0, "decimal"},
		{"18446744073709551615", 0, "too large"},
	} {
		got, err := ParseGasPrice(c.in)
		if c.err == "" && (err != nil || got != c.want) {
			t.Errorf("ParseGasPrice(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("ParseGasPrice(%q) = %d, %v; want error %q", c.in, got, err, c.err)
		}
	}
}

func TestRequiredFeeRoundsUp(t *testing.T) {
	for _, c := range []struct {
		gas, price, want uint64
		ok               bool
	}{
		{200_000, 10_000, 2_000, true}, // 0.01 ulaz/gas
		{1, 10_000, 1, true},           // 0.01 rounds up to 1
		{100, 10_000, 1, true},         // exactly 1
		{101, 10_000, 2, true},         // 1.01 rounds up
		{0, 10_000, 0, true},
		{math.MaxUint64, 1_000_000, math.MaxUint64, true},
		{math.MaxUint64, 2_000_000, 0, false},
		{math.MaxUint64, 1_000_001, 0, false},
	} {
		got, ok := RequiredFee(c.gas, c.price)
		if got != c.want || ok != c.ok {
			t.Errorf("RequiredFee(%d, %d) = %d, %v; want %d, %v", c.gas, c.price, got, ok, c.want, c.ok)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
	p := DefaultParams()
	p.MaxTxBytes = 10
	if err := p.Validate(); err == nil {
		t.Fatal("tiny max_tx_bytes accepted")
	}
	p = DefaultParams()
	p.MinGasPrice = "cheap"
	if err := p.Validate(); err == nil {
		t.Fatal("bad gas price accepted")
	}
}
