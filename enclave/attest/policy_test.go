package attest_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-sev-guest/verify/trust"

	"github.com/lazchain/lazchain/enclave/attest"
)

func TestNewVerifierRejectsBadPolicy(t *testing.T) {
	fc := getForged(t).signer
	dev, err := attest.DevSEVRootsPEM()
	if err != nil {
		t.Fatal(err)
	}
	m := measurement("x")
	tests := []struct {
		name   string
		policy attest.Policy
	}{
		{"junk SEV roots", attest.Policy{SEVRootsPEM: []byte("not pem")}},
		{"junk after PEM", attest.Policy{SEVRootsPEM: append(attest.DefaultSEVRootsPEM(), "trailing"...)}},
		{"key block", attest.Policy{SEVRootsPEM: []byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")}},
		{"undecodable certificate", attest.Policy{TDXRootsPEM: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}},
		{"test-only keys without Dev", attest.Policy{SEVRootsPEM: dev}},
		{"VLEK bundle", attest.Policy{SEVRootsPEM: trust.AskArkMilanVlekBytes}},
		{"ASK without ARK", attest.Policy{SEVRootsPEM: rootsPEM(fc.Ask.Raw)}},
		{"ARK without ASK", attest.Policy{SEVRootsPEM: rootsPEM(fc.Ark.Raw)}},
		{"ASK of another ARK", attest.Policy{SEVRootsPEM: append(rootsPEM(fc.Ask.Raw), milanARK(t)...)}},
		{"non-AMD certificate", attest.Policy{SEVRootsPEM: attest.DefaultTDXRootsPEM()}},
		{"short measurement", attest.Policy{Measurements: [][]byte{m[:47]}}},
		{"long measurement", attest.Policy{Measurements: [][]byte{append(m[:], 0)}}},
		{"short TDX minimum", attest.Policy{MinTDXTeeTCBSVN: make([]byte, 15)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := attest.NewVerifier(tc.policy)
			t.Log(err)
			wantErr(t, err, attest.ErrPolicy)
			// The package-level Verify reports the same policy error.
			_, err = attest.Verify(attest.KindSEVSNP, []byte{1}, tc.policy, testNow, testWant())
			wantErr(t, err, attest.ErrPolicy)
		})
	}
}

func TestDefaultSEVRoots(t *testing.T) {
	bundle := attest.DefaultSEVRootsPEM()
	var names []string
	for _, c := range pemCerts(t, bundle) {
		names = append(names, c.Subject.CommonName)
	}
	want := []string{"SEV-Milan", "ARK-Milan", "SEV-Genoa", "ARK-Genoa", "SEV-Turin", "ARK-Turin"}
	if len(names) != len(want) {
		t.Fatalf("DefaultSEVRootsPEM holds %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("DefaultSEVRootsPEM holds %v, want %v", names, want)
		}
	}
	if _, err := attest.NewVerifier(attest.Policy{SEVRootsPEM: bundle, TDXRootsPEM: attest.DefaultTDXRootsPEM()}); err != nil {
		t.Fatalf("default roots refused: %v", err)
	}
	// Callers get a copy: changing it does not change the next result.
	bundle[100] ^= 0xff
	if bytes.Equal(bundle, attest.DefaultSEVRootsPEM()) {
		t.Fatal("DefaultSEVRootsPEM returned shared memory")
	}
	tdx := attest.DefaultTDXRootsPEM()
	tdx[100] ^= 0xff
	if bytes.Equal(tdx, attest.DefaultTDXRootsPEM()) {
		t.Fatal("DefaultTDXRootsPEM returned shared memory")
	}
}

func TestVerifyArguments(t *testing.T) {
	f := getFixture(t)
	tests := []struct {
		name string
		kind string
		now  time.Time
		err  error
	}{
		{"unknown kind", "sgx", testNow, attest.ErrKind},
		{"empty kind", "", testNow, attest.ErrKind},
		{"zero time", attest.KindSEVSNP, time.Time{}, attest.ErrPolicy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.devV.Verify(tc.kind, f.evidence, tc.now, testWant())
			wantErr(t, err, tc.err)
			_, err = attest.Verify(tc.kind, f.evidence, attest.Policy{Dev: true, Measurements: [][]byte{f.m[:]}}, tc.now, testWant())
			wantErr(t, err, tc.err)
		})
	}
	// SEV evidence presented as TDX, and TDX-only policy for SEV evidence.
	_, err := attest.Verify(attest.KindTDX, f.evidence, attest.Policy{TDXRootsPEM: attest.DefaultTDXRootsPEM(), Measurements: [][]byte{f.m[:]}}, testNow, testWant())
	wantErr(t, err, attest.ErrBadEvidence)
	_, err = attest.Verify(attest.KindSEVSNP, f.evidence, attest.Policy{TDXRootsPEM: attest.DefaultTDXRootsPEM(), Measurements: [][]byte{f.m[:]}}, testNow, testWant())
	wantErr(t, err, attest.ErrNoRoots)
	if errors.Is(err, attest.ErrSignature) {
		t.Fatal("ErrNoRoots also matches ErrSignature")
	}
}

// milanARK returns AMD's real Milan ARK in PEM.
func milanARK(t testing.TB) []byte {
	t.Helper()
	_, ark := milanPair(t, attest.DefaultSEVRootsPEM())
	return rootsPEM(ark)
}
