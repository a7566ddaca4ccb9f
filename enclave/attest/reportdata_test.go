package attest_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/lazchain/lazchain/enclave/attest"
)

func TestReportDataGolden(t *testing.T) {
	// Vectors computed independently with Python's hashlib:
	// sha512(b"lazchain/worker/v2" + b"".join(struct.pack(">I", len(f)) + f for f in fields)).
	tests := []struct {
		name                        string
		chainID                     string
		operator, hpke, sign, block []byte
		want                        string
	}{
		{"keys", "lazchain-1", bytes.Repeat([]byte{4}, 20), bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32),
			"be35fad7d1dfd0b0007b200f2814d61fe0661f72ab5926ef58d2b222ca3b269ebb66f253d7f2bbe59c5342ff8635cb7154e8f0f5d434c4831f3ebdd3432cd9e0"},
		{"empty", "", nil, nil, nil, nil,
			"e07d787d89f6092295f9e24e330a632ed07cb346a75195f74a6817dfce0ebb4e40740214d2d31c693b33c60a99a785417c9b2e00b1025949e102a15a065caf46"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := attest.ReportData(tc.chainID, tc.operator, tc.hpke, tc.sign, tc.block)
			if hex.EncodeToString(got[:]) != tc.want {
				t.Fatalf("ReportData = %x, want %s", got, tc.want)
			}
		})
	}
}

func TestReportDataSeparatesFields(t *testing.T) {
	k := []byte("key")
	base := attest.ReportData("chain", k, k, k, k)
	variants := map[string][64]byte{
		"chain":          attest.ReportData("chain2", k, k, k, k),
		"operator":       attest.ReportData("chain", []byte("kez"), k, k, k),
		"hpke":           attest.ReportData("chain", k, []byte("kex"), k, k),
		"sign":           attest.ReportData("chain", k, k, []byte("kez"), k),
		"block":          attest.ReportData("chain", k, k, k, []byte("ke")),
		"shift boundary": attest.ReportData("chaink", []byte("ey"), k, k, k),
		"swap keys":      attest.ReportData("chain", k, k, k, []byte("key")), // same as base: sanity
	}
	for name, v := range variants {
		if name == "swap keys" {
			if v != base {
				t.Fatalf("%s: equal inputs gave different outputs", name)
			}
			continue
		}
		if v == base {
			t.Fatalf("%s: different inputs gave the same report data", name)
		}
	}
	if attest.ReportData("c", nil, []byte("a"), []byte("b"), nil) == attest.ReportData("c", nil, []byte("b"), []byte("a"), nil) {
		t.Fatal("swapping hpke and sign keys did not change the report data")
	}
}
