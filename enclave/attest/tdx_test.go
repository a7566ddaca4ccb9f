package attest_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"math/big"
	"reflect"
	"testing"
	"time"

	tdxabi "github.com/google/go-tdx-guest/abi"
	tdxpb "github.com/google/go-tdx-guest/proto/tdx"
	"github.com/google/go-tdx-guest/testing/testdata"

	"github.com/lazchain/lazchain/enclave/attest"
)

// tdxNow is inside the validity of the shipped quote's PCK chain (2022-09-20 to 2029-09-20).
var tdxNow = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// shippedQuote returns go-tdx-guest's real production quote (an Intel
// Sapphire Rapids E4 TD) and its parsed form.
func shippedQuote(t testing.TB) ([]byte, *tdxpb.QuoteV4) {
	t.Helper()
	raw := bytes.Clone(testdata.RawQuote)
	q, err := tdxabi.QuoteToProto(raw)
	if err != nil {
		t.Fatalf("parse shipped quote: %v", err)
	}
	return raw, q.(*tdxpb.QuoteV4)
}

func tdxPolicy(q *tdxpb.QuoteV4) attest.Policy {
	return attest.Policy{TDXRootsPEM: attest.DefaultTDXRootsPEM(), Measurements: [][]byte{q.TdQuoteBody.MrTd}}
}

func tdxWant(q *tdxpb.QuoteV4) [64]byte {
	var w [64]byte
	copy(w[:], q.TdQuoteBody.ReportData)
	return w
}

func TestTDXShippedQuoteVerifies(t *testing.T) {
	raw, q := shippedQuote(t)
	res, err := attest.Verify(attest.KindTDX, raw, tdxPolicy(q), tdxNow, tdxWant(q))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if res.Kind != attest.KindTDX || res.Dev || res.Debug {
		t.Errorf("Kind/Dev/Debug = %q/%v/%v", res.Kind, res.Dev, res.Debug)
	}
	if !bytes.Equal(res.Measurement, q.TdQuoteBody.MrTd) {
		t.Errorf("Measurement = %x, want MRTD %x", res.Measurement, q.TdQuoteBody.MrTd)
	}
	if res.ReportData != tdxWant(q) {
		t.Errorf("ReportData = %x", res.ReportData)
	}
	if want := binary.BigEndian.Uint64(q.TdQuoteBody.TeeTcbSvn[:8]); res.TCB != want || res.TCB == 0 {
		t.Errorf("TCB = %#x, want %#x (non-zero)", res.TCB, want)
	}
	if res.Digest != sha256.Sum256(raw) {
		t.Error("Digest is not the SHA-256 of the quote")
	}
	// Determinism.
	v, err := attest.NewVerifier(tdxPolicy(q))
	if err != nil {
		t.Fatal(err)
	}
	res2, err := v.Verify(attest.KindTDX, raw, tdxNow, tdxWant(q))
	if err != nil || !reflect.DeepEqual(res, res2) {
		t.Fatalf("second Verify = %+v, %v; want %+v", res2, err, res)
	}
}

func TestDefaultTDXRootIsQuoteRoot(t *testing.T) {
	_, q := shippedQuote(t)
	chain := pemCerts(t, q.SignedData.CertificationData.QeReportCertificationData.PckCertificateChainData.PckCertChain)
	roots := pemCerts(t, attest.DefaultTDXRootsPEM())
	if len(roots) != 1 || len(chain) != 3 {
		t.Fatalf("got %d roots and %d chain certificates, want 1 and 3", len(roots), len(chain))
	}
	if !bytes.Equal(roots[0].Raw, chain[2].Raw) || roots[0].Subject.CommonName != "Intel SGX Root CA" {
		t.Fatalf("DefaultTDXRootsPEM is %q, not the root of the shipped quote's PCK chain", roots[0].Subject.CommonName)
	}
}

// TestTDXFlippedBytes flips one bit in every byte of the signed part of the
// quote (header, TD quote body, signature, attestation key, QE report and its
// signature, QE auth data, PCK chain). Bytes after the signed data (the
// shipped quote carries 39 unsigned test bytes there) are not covered.
func TestTDXFlippedBytes(t *testing.T) {
	raw, q := shippedQuote(t)
	v, err := attest.NewVerifier(tdxPolicy(q))
	if err != nil {
		t.Fatal(err)
	}
	signedEnd := len(raw) - len(q.ExtraBytes)
	for i := 0; i < signedEnd; i++ {
		ev := bytes.Clone(raw)
		ev[i] ^= 0x01
		_, err := v.Verify(attest.KindTDX, ev, tdxNow, tdxWant(q))
		if err == nil {
			t.Fatalf("bit flip at byte %d of %d accepted", i, signedEnd)
		}
		wrapsExactlyOne(t, err)
	}
}

func TestTDXRefusals(t *testing.T) {
	raw, q := shippedQuote(t)
	other := measurement("other TD")
	minHigh := bytes.Clone(q.TdQuoteBody.TeeTcbSvn)
	minHigh[0]++
	minEqual := bytes.Clone(q.TdQuoteBody.TeeTcbSvn)
	amd := attest.DefaultSEVRootsPEM()
	base := tdxPolicy(q)
	with := func(f func(*attest.Policy)) attest.Policy {
		p := base
		f(&p)
		return p
	}
	tests := []struct {
		name   string
		policy attest.Policy
		want   [64]byte
		now    time.Time
		err    error
	}{
		{"wrong report data", base, testWant(), tdxNow, attest.ErrReportData},
		{"MRTD not allowed", with(func(p *attest.Policy) { p.Measurements = [][]byte{other[:]} }), tdxWant(q), tdxNow, attest.ErrMeasurement},
		{"empty allowlist", with(func(p *attest.Policy) { p.Measurements = nil }), tdxWant(q), tdxNow, attest.ErrMeasurement},
		{"self-made root", with(func(p *attest.Policy) { p.TDXRootsPEM = selfMadeRoot(t) }), tdxWant(q), tdxNow, attest.ErrSignature},
		{"AMD root", with(func(p *attest.Policy) { p.TDXRootsPEM = amd }), tdxWant(q), tdxNow, attest.ErrSignature},
		{"no root", with(func(p *attest.Policy) { p.TDXRootsPEM = nil }), tdxWant(q), tdxNow, attest.ErrNoRoots},
		{"PCK expired", base, tdxWant(q), time.Date(2029, 9, 21, 0, 0, 0, 0, time.UTC), attest.ErrExpired},
		{"before PCK validity", base, tdxWant(q), time.Date(2022, 9, 1, 0, 0, 0, 0, time.UTC), attest.ErrExpired},
		{"TEE_TCB_SVN below minimum", with(func(p *attest.Policy) { p.MinTDXTeeTCBSVN = minHigh }), tdxWant(q), tdxNow, attest.ErrTCB},
		{"TEE_TCB_SVN at minimum", with(func(p *attest.Policy) { p.MinTDXTeeTCBSVN = minEqual }), tdxWant(q), tdxNow, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := attest.Verify(attest.KindTDX, raw, tc.policy, tc.now, tc.want)
			t.Log(err)
			if tc.err == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			wantErr(t, err, tc.err)
			wrapsExactlyOne(t, err)
		})
	}
}

func TestTDXBadEvidence(t *testing.T) {
	raw, q := shippedQuote(t)
	v, err := attest.NewVerifier(tdxPolicy(q))
	if err != nil {
		t.Fatal(err)
	}
	// A quote whose signed-data size field points past the end: go-tdx-guest's
	// parser is fed attacker-controlled lengths, which must not crash Verify.
	bigSize := bytes.Clone(raw)
	binary.LittleEndian.PutUint32(bigSize[0x278:], 0xffffff00)
	smallSize := bytes.Clone(raw)
	binary.LittleEndian.PutUint32(smallSize[0x278:], 3)
	sevTee := bytes.Clone(raw)
	binary.LittleEndian.PutUint32(sevTee[4:], 0) // TEE type SGX
	tests := map[string][]byte{
		"empty":             nil,
		"garbage":           []byte("not a quote"),
		"header only":       raw[:48],
		"truncated":         raw[:len(raw)/2],
		"signed size huge":  bigSize,
		"signed size small": smallSize,
		"SGX TEE type":      sevTee,
	}
	for name, ev := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(attest.KindTDX, ev, tdxNow, tdxWant(q))
			t.Log(err)
			if err == nil {
				t.Fatal("accepted")
			}
			wantErr(t, err, attest.ErrBadEvidence)
		})
	}
}

// selfMadeRoot returns a self-signed P-256 CA named like Intel's root.
func selfMadeRoot(t testing.TB) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Intel SGX Root CA", Organization: []string{"Intel Corporation"}},
		NotBefore:             time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2049, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
