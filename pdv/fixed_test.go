package pdv

import (
	"errors"
	"testing"
)

func TestParseFixed(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error // nil, ErrOutOfRange, or errSyntax for "not a JSON number"
	}{
		{"16", 160000, nil},
		{"5.1", 51000, nil},
		{"0", 0, nil},
		{"-0", 0, nil},
		{"-0.0", 0, nil},
		{"1e3", 10_000_000, nil},
		{"1E+3", 10_000_000, nil},
		{"1.23456e2", 1_234_560, nil},
		{"0.0001", 1, nil},
		{"0.00005", 1, nil},    // half rounds away from zero
		{"-0.00005", -1, nil},  // half rounds away from zero
		{"0.00004999", 0, nil}, // below half
		{"0.000049999999999999999999", 0, nil},
		{"2.5e-4", 3, nil},   // 2.5 units → 3
		{"-2.5e-4", -3, nil}, // -2.5 units → -3
		{"2.4999e-4", 2, nil},
		{"1.00015", 10002, nil},
		{"123.45678", 1234568, nil},
		{"1e-99999999999999999999", 0, nil}, // huge negative exponent
		{"0e99999999999999999999", 0, nil},  // zero with a huge exponent
		{"100000", MaxFeature, nil},
		{"-100000", -MaxFeature, nil},
		{"100000.00004", MaxFeature, nil},
		{"100000.00005", 0, ErrOutOfRange}, // rounds above the bound
		{"100001", 0, ErrOutOfRange},
		{"1e99999999999999999999", 0, ErrOutOfRange},
		{"123456789012345678901234567890", 0, ErrOutOfRange},
		{"-1e6", 0, ErrOutOfRange},
		{"0.000000000000000000000000000001e32", 1_000_000, nil}, // 100 → 10^6
		{"01", 0, errSyntax},
		{"1.", 0, errSyntax},
		{".5", 0, errSyntax},
		{"+1", 0, errSyntax},
		{"1e", 0, errSyntax},
		{"-", 0, errSyntax},
		{"", 0, errSyntax},
		{"1x", 0, errSyntax},
		{"NaN", 0, errSyntax},
	}
	for _, tc := range tests {
		got, err := ParseFixed(tc.in)
		switch {
		case tc.err == errSyntax:
			if err == nil || errors.Is(err, ErrOutOfRange) {
				t.Errorf("ParseFixed(%q) = %d, %v; want a syntax error", tc.in, got, err)
			}
		case !errors.Is(err, tc.err) || (tc.err == nil && err != nil):
			t.Errorf("ParseFixed(%q) error %v, want %v", tc.in, err, tc.err)
		case got != tc.want:
			t.Errorf("ParseFixed(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

var errSyntax = errors.New("syntax")

func TestParseInteger(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"3", 3, nil},
		{"3.0", 3, nil},
		{"3e2", 300, nil},
		{"0.1e1", 1, nil},
		{"-0", 0, nil},
		{"0e-5", 0, nil},
		{"9223372036854775807", 9223372036854775807, nil},
		{"-9223372036854775808", -9223372036854775808, nil},
		{"9223372036854775808", 0, ErrOutOfRange},
		{"1e19", 0, ErrOutOfRange},
		{"1e99999999999999999999", 0, ErrOutOfRange},
		{"1.5", 0, ErrNotInteger},
		{"12e-1", 0, ErrNotInteger},
		{"1e-99999999999999999999", 0, ErrNotInteger},
	}
	for _, tc := range tests {
		got, err := parseInteger(tc.in)
		if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) || got != tc.want {
			t.Errorf("parseInteger(%q) = %d, %v; want %d, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestFormatFixed(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"},
		{51000, "5.1"},
		{160000, "16"},
		{-1, "-0.0001"},
		{1234568, "123.4568"},
		{-MaxFeature, "-100000"},
		{10, "0.001"},
	}
	for _, tc := range tests {
		if got := FormatFixed(tc.in); got != tc.want {
			t.Errorf("FormatFixed(%d) = %q, want %q", tc.in, got, tc.want)
		}
		if tc.in != 0 {
			back, err := ParseFixed(tc.want)
			if err != nil || back != tc.in {
				t.Errorf("ParseFixed(FormatFixed(%d)) = %d, %v", tc.in, back, err)
			}
		}
	}
	if got := string(TabularContent([]int64{51000, 35000, -1}, -2)); got != "5.1,3.5,-0.0001;-2" {
		t.Errorf("TabularContent = %q", got)
	}
}
