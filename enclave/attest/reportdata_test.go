package attest_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/lazchain/lazchain/enclave/attest"
)

func TestReportDataGolden(t *testing.T) {
	// Vectors computed independently with Python's hashlib:
	// sha512(b"lazchain/worker/v1" + b"".join(struct.pack(">I", len(f)) + f for f in fields)).
	tests := []struct {
		name              string
		chainID           string
		hpke, sign, block []byte
		want              string
	}{
		{"keys", "lazchain-1", bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32),
			"48be980b5f4278e2d1d2f441f0b58996730df7229d21a6117645a29f82fad7bb9e7d598f48faaea0a7faf30c88ff7e725a5809a5d7eab915eeaa9e0c570107d4"},
		{"empty", "", nil, nil, nil,
			"8198690c153e2fc7542c39c8428a3a1b08c5a290b2c0e4c4f0e9b54dda06e4d7977da92925f88f93c9fc874f7fbe8f14b5b5db56c3fde9918ea674c7724a9dd1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := attest.ReportData(tc.chainID, tc.hpke, tc.sign, tc.block)
			if hex.EncodeToString(got[:]) != tc.want {
				t.Fatalf("ReportData = %x, want %s", got, tc.want)
			}
		})
	}
}

func TestReportDataSeparatesFields(t *testing.T) {
	k := []byte("key")
	base := attest.ReportData("chain", k, k, k)
	variants := map[string][64]byte{
		"chain":          attest.ReportData("chain2", k, k, k),
		"hpke":           attest.ReportData("chain", []byte("kex"), k, k),
		"sign":           attest.ReportData("chain", k, []byte("kez"), k),
		"block":          attest.ReportData("chain", k, k, []byte("ke")),
		"shift boundary": attest.ReportData("chaink", []byte("ey"), k, k),
		"swap keys":      attest.ReportData("chain", k, k, []byte("key")), // same as base: sanity
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
	if attest.ReportData("c", []byte("a"), []byte("b"), nil) == attest.ReportData("c", []byte("b"), []byte("a"), nil) {
		t.Fatal("swapping hpke and sign keys did not change the report data")
	}
}
