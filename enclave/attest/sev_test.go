package attest_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
	spb "github.com/google/go-sev-guest/proto/sevsnp"
	"github.com/google/go-sev-guest/testing/data"
	"github.com/google/go-sev-guest/verify"

	"github.com/lazchain/lazchain/enclave/attest"
)

func TestDevReportVerifies(t *testing.T) {
	f := getFixture(t)
	res, err := f.devV.Verify(attest.KindSEVSNP, f.evidence, testNow, testWant())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !res.Dev {
		t.Error("Result.Dev = false for a test-only chain")
	}
	if res.Kind != attest.KindSEVSNP {
		t.Errorf("Kind = %q", res.Kind)
	}
	if !bytes.Equal(res.Measurement, f.m[:]) {
		t.Errorf("Measurement = %x, want %x", res.Measurement, f.m)
	}
	if res.ReportData != testWant() {
		t.Errorf("ReportData = %x, want %x", res.ReportData, testWant())
	}
	if res.Digest != sha256.Sum256(f.evidence) {
		t.Error("Digest is not the SHA-256 of the evidence")
	}
	if res.Debug || res.TCB != 0 {
		t.Errorf("Debug = %v, TCB = %#x; want false, 0", res.Debug, res.TCB)
	}
	res2, err := attest.Verify(attest.KindSEVSNP, f.evidence, attest.Policy{Dev: true, Measurements: [][]byte{f.m[:]}}, testNow, testWant())
	if err != nil {
		t.Fatalf("attest.Verify: %v", err)
	}
	if !reflect.DeepEqual(res, res2) {
		t.Fatalf("package Verify = %+v, Verifier.Verify = %+v", res2, res)
	}
}

func TestDevSignersAgree(t *testing.T) {
	f := getFixture(t)
	other, err := attest.NewDevSigner(measurement("other enclave"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := other.Attest(testWant())
	if err != nil {
		t.Fatal(err)
	}
	a, b := decode(t, f.evidence).CertificateChain, decode(t, ev).CertificateChain
	if bytes.Equal(a.AskCert, b.AskCert) && bytes.Equal(a.ArkCert, b.ArkCert) {
		t.Log("note: the two builds produced identical ASK/ARK bytes")
	}
	m := other.Measurement()
	v, err := attest.NewVerifier(attest.Policy{Dev: true, Measurements: [][]byte{f.m[:], m[:]}})
	if err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string][]byte{"first": f.evidence, "second": ev} {
		if _, err := v.Verify(attest.KindSEVSNP, e, testNow, testWant()); err != nil {
			t.Fatalf("%s signer's evidence: %v", name, err)
		}
	}
	// The second signer's VCEK certificate under the first build's ASK/ARK also verifies:
	// trust rests on the test-only keys, not on one build's signature bytes.
	mixed := resign(t, ev, data.VCEKPrivateKey, nil, b.VcekCert, a.AskCert, a.ArkCert)
	if _, err := v.Verify(attest.KindSEVSNP, mixed, testNow, testWant()); err != nil {
		t.Fatalf("mixed builds: %v", err)
	}
}

func TestDevSEVRootsPEM(t *testing.T) {
	f := getFixture(t)
	p1, err := attest.DevSEVRootsPEM()
	if err != nil {
		t.Fatal(err)
	}
	p2, err := attest.DevSEVRootsPEM()
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := pemCerts(t, p1), pemCerts(t, p2)
	if len(c1) != 2 || len(c2) != 2 {
		t.Fatalf("DevSEVRootsPEM has %d and %d certificates, want 2 (ASK, ARK)", len(c1), len(c2))
	}
	chain := decode(t, f.evidence).CertificateChain
	for i, want := range []struct {
		cn  string
		key *x509.Certificate
	}{{"SEV-Milan", mustParse(t, chain.AskCert)}, {"ARK-Milan", mustParse(t, chain.ArkCert)}} {
		for _, c := range []*x509.Certificate{c1[i], c2[i]} {
			if c.Subject.CommonName != want.cn {
				t.Errorf("certificate %d is %q, want %q", i, c.Subject.CommonName, want.cn)
			}
			if !bytes.Equal(c.RawTBSCertificate, want.key.RawTBSCertificate) {
				t.Errorf("%s: to-be-signed part differs from the dev signer's (creation time or keys not fixed)", want.cn)
			}
		}
	}
	if !c1[1].NotBefore.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ARK NotBefore = %s, want 2024-01-01", c1[1].NotBefore)
	}
	// The dev roots must not be configurable as real roots, but are accepted (redundantly) in dev mode.
	_, err = attest.NewVerifier(attest.Policy{SEVRootsPEM: p1})
	wantErr(t, err, attest.ErrPolicy)
	v, err := attest.NewVerifier(attest.Policy{SEVRootsPEM: p1, Dev: true, Measurements: [][]byte{f.m[:]}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(attest.KindSEVSNP, f.evidence, testNow, testWant())
	if err != nil || !res.Dev {
		t.Fatalf("Verify = %+v, %v; want Dev result", res, err)
	}
}

func TestSEVTamperedReport(t *testing.T) {
	f := getFixture(t)
	tests := []struct {
		name   string
		mutate func(*spb.Report)
	}{
		{"measurement", func(r *spb.Report) { r.Measurement[0] ^= 1 }},
		{"report data", func(r *spb.Report) { r.ReportData[63] ^= 1 }},
		{"guest policy", func(r *spb.Report) { r.Policy ^= 1 << 19 }}, // debug bit
		{"reported tcb", func(r *spb.Report) { r.ReportedTcb ^= 1 }},
		{"host data", func(r *spb.Report) { r.HostData[5] ^= 0x80 }},
		{"signature", func(r *spb.Report) { r.Signature[10] ^= 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			att := decode(t, f.evidence)
			tc.mutate(att.Report)
			_, err := f.devV.Verify(attest.KindSEVSNP, encode(t, att), testNow, testWant())
			wantErr(t, err, attest.ErrSignature)
		})
	}
}

func TestSEVTamperedCert(t *testing.T) {
	f := getFixture(t)
	forged := getForged(t)
	// A configured (non-test) root whose ASK/ARK must match byte for byte.
	custom := rootsPEM(forged.signer.Ask.Raw, forged.signer.Ark.Raw)
	customEv := resign(t, f.evidence, forged.signer.Keys.Vcek, nil, forged.signer.Vcek.Raw, forged.signer.Ask.Raw, forged.signer.Ark.Raw)
	customV, err := attest.NewVerifier(attest.Policy{SEVRootsPEM: custom, Measurements: [][]byte{f.m[:]}})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := customV.Verify(attest.KindSEVSNP, customEv, testNow, testWant()); err != nil || res.Dev {
		t.Fatalf("configured-root evidence: %+v, %v; want a non-dev result", res, err)
	}
	for _, tc := range []struct {
		name     string
		v        *attest.Verifier
		evidence []byte
	}{{"dev", f.devV, f.evidence}, {"configured root", customV, customEv}} {
		for _, cert := range []string{"vcek", "ask", "ark"} {
			for _, where := range []string{"start", "middle", "signature"} {
				t.Run(tc.name+"/"+cert+"/"+where, func(t *testing.T) {
					att := decode(t, tc.evidence)
					der := map[string][]byte{"vcek": att.CertificateChain.VcekCert, "ask": att.CertificateChain.AskCert, "ark": att.CertificateChain.ArkCert}[cert]
					i := map[string]int{"start": 40, "middle": len(der) / 2, "signature": len(der) - 5}[where]
					der[i] ^= 0x04
					_, err := tc.v.Verify(attest.KindSEVSNP, encode(t, att), testNow, testWant())
					t.Log(err)
					if err == nil {
						t.Fatal("tampered certificate accepted")
					}
					wrapsExactlyOne(t, err)
				})
			}
		}
	}
}

// TestSEVEveryByteMatters flips one bit of every evidence byte: the canonical
// encoding leaves no byte that can change without a refusal.
func TestSEVEveryByteMatters(t *testing.T) {
	f := getFixture(t)
	for i := range f.evidence {
		ev := bytes.Clone(f.evidence)
		ev[i] ^= 0x01
		_, err := f.devV.Verify(attest.KindSEVSNP, ev, testNow, testWant())
		if err == nil {
			t.Fatalf("bit flip at byte %d of %d accepted", i, len(f.evidence))
		}
		wrapsExactlyOne(t, err)
	}
}

func TestSEVPolicyChecks(t *testing.T) {
	f := getFixture(t)
	other := measurement("not allowed")
	debugEv, err := f.signer.AttestWithOptions(testWant(), attest.DevOptions{Debug: true})
	if err != nil {
		t.Fatal(err)
	}
	wrongWant := attest.ReportData("another-chain", nil, nil, nil, nil)
	tests := []struct {
		name     string
		policy   attest.Policy
		evidence []byte
		want     [64]byte
		err      error
	}{
		{"wrong report data", attest.Policy{Dev: true, Measurements: [][]byte{f.m[:]}}, f.evidence, wrongWant, attest.ErrReportData},
		{"zero report data", attest.Policy{Dev: true, Measurements: [][]byte{f.m[:]}}, f.evidence, [64]byte{}, attest.ErrReportData},
		{"measurement not allowed", attest.Policy{Dev: true, Measurements: [][]byte{other[:]}}, f.evidence, testWant(), attest.ErrMeasurement},
		{"empty allowlist", attest.Policy{Dev: true}, f.evidence, testWant(), attest.ErrMeasurement},
		{"debug refused", attest.Policy{Dev: true, Measurements: [][]byte{f.m[:]}}, debugEv, testWant(), attest.ErrDebug},
		{"debug allowed", attest.Policy{Dev: true, AllowDebug: true, Measurements: [][]byte{f.m[:]}}, debugEv, testWant(), nil},
		{"second allowlist entry", attest.Policy{Dev: true, Measurements: [][]byte{other[:], f.m[:]}}, f.evidence, testWant(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := attest.Verify(attest.KindSEVSNP, tc.evidence, tc.policy, testNow, tc.want)
			if tc.err == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if tc.name == "debug allowed" && !res.Debug {
					t.Fatal("Result.Debug = false for a debug guest")
				}
				return
			}
			wantErr(t, err, tc.err)
			wrapsExactlyOne(t, err)
		})
	}
}

func TestSEVTCB(t *testing.T) {
	f := getFixture(t)
	tcb := kds.TCBParts{BlSpl: 3, TeeSpl: 0, SnpSpl: 8, UcodeSpl: 115}
	ver, err := kds.ComposeTCBParts(tcb)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := f.signer.AttestWithOptions(testWant(), attest.DevOptions{TCB: uint64(ver)})
	if err != nil {
		t.Fatal(err)
	}
	compose := func(p kds.TCBParts) uint64 {
		v, err := kds.ComposeTCBParts(p)
		if err != nil {
			t.Fatal(err)
		}
		return uint64(v)
	}
	tests := []struct {
		name string
		min  uint64
		ok   bool
	}{
		{"no minimum", 0, true},
		{"equal", uint64(ver), true},
		{"lower", compose(kds.TCBParts{BlSpl: 2, SnpSpl: 8, UcodeSpl: 100}), true},
		{"higher microcode", compose(kds.TCBParts{BlSpl: 3, SnpSpl: 8, UcodeSpl: 116}), false},
		{"higher snp", compose(kds.TCBParts{BlSpl: 3, SnpSpl: 9, UcodeSpl: 115}), false},
		// Numerically below the report's TCB, but its TEE component is higher.
		{"componentwise", compose(kds.TCBParts{BlSpl: 0, TeeSpl: 1, SnpSpl: 8, UcodeSpl: 115}), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := attest.Verify(attest.KindSEVSNP, ev, attest.Policy{Dev: true, Measurements: [][]byte{f.m[:]}, MinSEVTCB: tc.min}, testNow, testWant())
			if tc.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if res.TCB != uint64(ver) {
					t.Fatalf("TCB = %#x, want %#x", res.TCB, uint64(ver))
				}
				return
			}
			wantErr(t, err, attest.ErrTCB)
		})
	}
	// The zero-TCB default evidence is below any non-zero minimum.
	_, err = attest.Verify(attest.KindSEVSNP, f.evidence, attest.Policy{Dev: true, Measurements: [][]byte{f.m[:]}, MinSEVTCB: compose(kds.TCBParts{UcodeSpl: 1})}, testNow, testWant())
	wantErr(t, err, attest.ErrTCB)
	// A report whose REPORTED_TCB differs from the TCB its VCEK certifies is refused,
	// even when correctly signed by that VCEK.
	att := decode(t, ev)
	lying := resign(t, ev, data.VCEKPrivateKey, func(r *spb.Report) { r.ReportedTcb = compose(kds.TCBParts{BlSpl: 9, SnpSpl: 9, UcodeSpl: 200}) },
		att.CertificateChain.VcekCert, att.CertificateChain.AskCert, att.CertificateChain.ArkCert)
	_, err = f.devV.Verify(attest.KindSEVSNP, lying, testNow, testWant())
	wantErr(t, err, attest.ErrTCB)
}

// TestSEVChipID refuses a report whose CHIP_ID is not the HWID its VCEK
// certificate was issued for, even when that VCEK signed it.
func TestSEVChipID(t *testing.T) {
	f := getFixture(t)
	chain := decode(t, f.evidence).CertificateChain
	otherChip := resign(t, f.evidence, data.VCEKPrivateKey, func(r *spb.Report) { r.ChipId[0] = 0x42 },
		chain.VcekCert, chain.AskCert, chain.ArkCert)
	_, err := f.devV.Verify(attest.KindSEVSNP, otherChip, testNow, testWant())
	wantErr(t, err, attest.ErrSignature)
	// Control: the same re-signing without the change verifies.
	same := resign(t, f.evidence, data.VCEKPrivateKey, nil, chain.VcekCert, chain.AskCert, chain.ArkCert)
	if _, err := f.devV.Verify(attest.KindSEVSNP, same, testNow, testWant()); err != nil {
		t.Fatalf("re-signed unchanged report: %v", err)
	}
}

func TestSEVExpired(t *testing.T) {
	f := getFixture(t)
	notAfter := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	ev, err := f.signer.AttestWithOptions(testWant(), attest.DevOptions{VCEKNotAfter: notAfter})
	if err != nil {
		t.Fatal(err)
	}
	vcek := mustParse(t, decode(t, ev).CertificateChain.VcekCert)
	if !vcek.NotAfter.Equal(notAfter) {
		t.Fatalf("VCEK NotAfter = %s, want %s", vcek.NotAfter, notAfter)
	}
	tests := []struct {
		name     string
		evidence []byte
		now      time.Time
		err      error
	}{
		{"just before VCEK expiry", ev, notAfter.Add(-time.Second), nil},
		{"at VCEK expiry", ev, notAfter, nil},
		{"after VCEK expiry", ev, notAfter.Add(time.Second), attest.ErrExpired},
		{"long after", ev, testNow, attest.ErrExpired},
		{"before ARK/ASK validity", f.evidence, time.Date(2023, 12, 31, 23, 59, 59, 0, time.UTC), attest.ErrExpired},
		{"first second of ARK/ASK validity", f.evidence, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), nil},
		{"after ARK/ASK expiry", f.evidence, time.Date(2049, 1, 1, 0, 0, 0, 0, time.UTC), attest.ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.devV.Verify(attest.KindSEVSNP, tc.evidence, tc.now, testWant())
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

// TestSEVForgery covers google/go-sev-guest#185: with no trusted roots the
// library accepts a chain anyone can make. Verify must refuse it.
func TestSEVForgery(t *testing.T) {
	f := getFixture(t)
	fc := getForged(t).signer
	forgedEv := resign(t, f.evidence, fc.Keys.Vcek, nil, fc.Vcek.Raw, fc.Ask.Raw, fc.Ark.Raw)

	// Precondition: the forgery is good enough to fool the library without roots,
	// so the refusals below are due to this package's root handling.
	att := decode(t, forgedEv)
	if err := verify.SnpAttestation(att, &verify.Options{DisableCertFetching: true, Now: testNow}); err != nil {
		t.Fatalf("precondition: go-sev-guest with nil TrustedRoots refused the forgery (%v); the forgery is not meaningful", err)
	}

	amd := attest.DefaultSEVRootsPEM()
	amdASK, amdARK := milanPair(t, amd)
	copiedRoots := resign(t, f.evidence, fc.Keys.Vcek, nil, fc.Vcek.Raw, amdASK, amdARK)
	devChain := decode(t, f.evidence).CertificateChain
	devAnchored := resign(t, f.evidence, fc.Keys.Vcek, nil, fc.Vcek.Raw, devChain.AskCert, devChain.ArkCert)

	tests := []struct {
		name     string
		policy   attest.Policy
		evidence []byte
		err      error
	}{
		{"self-made chain, AMD roots", attest.Policy{SEVRootsPEM: amd, Measurements: [][]byte{f.m[:]}}, forgedEv, attest.ErrSignature},
		{"self-made chain, AMD roots and dev", attest.Policy{SEVRootsPEM: amd, Dev: true, Measurements: [][]byte{f.m[:]}}, forgedEv, attest.ErrSignature},
		{"self-made chain, dev only", attest.Policy{Dev: true, Measurements: [][]byte{f.m[:]}}, forgedEv, attest.ErrSignature},
		{"forged VCEK under copied AMD ASK/ARK", attest.Policy{SEVRootsPEM: amd, Measurements: [][]byte{f.m[:]}}, copiedRoots, attest.ErrSignature},
		{"forged VCEK under dev ASK/ARK", attest.Policy{Dev: true, Measurements: [][]byte{f.m[:]}}, devAnchored, attest.ErrSignature},
		{"no roots at all", attest.Policy{Measurements: [][]byte{f.m[:]}}, forgedEv, attest.ErrNoRoots},
		{"no roots, genuine dev evidence", attest.Policy{Measurements: [][]byte{f.m[:]}}, f.evidence, attest.ErrNoRoots},
		{"dev evidence, AMD roots only", attest.Policy{SEVRootsPEM: amd, Measurements: [][]byte{f.m[:]}}, f.evidence, attest.ErrSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := attest.Verify(attest.KindSEVSNP, tc.evidence, tc.policy, testNow, testWant())
			t.Log(err)
			wantErr(t, err, tc.err)
			wrapsExactlyOne(t, err)
		})
	}
}

func TestSEVBadEvidence(t *testing.T) {
	f := getFixture(t)
	withExtra := decode(t, f.evidence)
	withExtra.CertificateChain.Extras = map[string][]byte{abi.ExtraPlatformInfoGUID: {1, 2, 3, 4, 5, 6, 7, 8}}
	withVlek := decode(t, f.evidence)
	withVlek.CertificateChain.VlekCert = withVlek.CertificateChain.VcekCert
	noVcek := decode(t, f.evidence)
	noVcek.CertificateChain.VcekCert = nil
	noArk := decode(t, f.evidence)
	noArk.CertificateChain.ArkCert = nil
	withProduct := decode(t, f.evidence)
	withProduct.Product = abi.DefaultSevProduct()
	v2fms := decode(t, f.evidence)
	v2fms.Report.Version = 2 // v2 reports have no FMS bytes: the proto's FMS is outside the signed ABI bytes
	vlekSigned := decode(t, f.evidence)
	vlekSigned.Report.SignerInfo = abi.ComposeSignerInfo(abi.SignerInfo{SigningKey: abi.VlekReportSigner})

	tests := map[string][]byte{
		"empty":            nil,
		"garbage":          []byte("definitely not an attestation"),
		"unknown field":    append(bytes.Clone(f.evidence), 0xf8, 0x07, 0x01), // field 127, varint 1
		"truncated":        f.evidence[:len(f.evidence)-10],
		"extras":           encode(t, withExtra),
		"vlek certificate": encode(t, withVlek),
		"no vcek":          encode(t, noVcek),
		"no ark":           encode(t, noArk),
		"product field":    encode(t, withProduct),
		"unsigned fms":     encode(t, v2fms),
		"vlek signer":      encode(t, vlekSigned),
		"raw report bytes": decode(t, f.evidence).Report.Signature,
	}
	for name, ev := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := f.devV.Verify(attest.KindSEVSNP, ev, testNow, testWant())
			t.Log(err)
			wantErr(t, err, attest.ErrBadEvidence)
			wrapsExactlyOne(t, err)
		})
	}
	if _, err := attest.SEVEvidence(make([]byte, 100), []byte{1}, []byte{1}, []byte{1}); err == nil {
		t.Fatal("SEVEvidence accepted a 100-byte report")
	}
}

func TestSEVDeterministic(t *testing.T) {
	f := getFixture(t)
	r1, err1 := f.devV.Verify(attest.KindSEVSNP, f.evidence, testNow, testWant())
	r2, err2 := attest.Verify(attest.KindSEVSNP, f.evidence, attest.Policy{Dev: true, Measurements: [][]byte{f.m[:]}}, testNow, testWant())
	if err1 != nil || err2 != nil {
		t.Fatalf("Verify: %v, %v", err1, err2)
	}
	if !reflect.DeepEqual(r1, r2) {
		t.Fatalf("results differ:\n%+v\n%+v", r1, r2)
	}
	// The Result does not alias the evidence.
	ev := bytes.Clone(f.evidence)
	r3, err := f.devV.Verify(attest.KindSEVSNP, ev, testNow, testWant())
	if err != nil {
		t.Fatal(err)
	}
	for i := range ev {
		ev[i] = 0
	}
	if !reflect.DeepEqual(r1, r3) {
		t.Fatal("Result changed when the caller reused the evidence buffer")
	}
}

func pemCerts(t testing.TB, bundle []byte) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, bundle = pem.Decode(bundle)
		if b == nil {
			return out
		}
		out = append(out, mustParse(t, b.Bytes))
	}
}

func mustParse(t testing.TB, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return c
}

func rootsPEM(ders ...[]byte) []byte {
	var b bytes.Buffer
	for _, d := range ders {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: d})
	}
	return b.Bytes()
}

// milanPair returns the DER of AMD's Milan ASK and ARK from a roots bundle.
func milanPair(t testing.TB, bundle []byte) (ask, ark []byte) {
	t.Helper()
	for _, c := range pemCerts(t, bundle) {
		switch c.Subject.CommonName {
		case "SEV-Milan":
			ask = c.Raw
		case "ARK-Milan":
			ark = c.Raw
		}
	}
	if ask == nil || ark == nil {
		t.Fatal("no Milan ASK/ARK in the bundle")
	}
	return ask, ark
}
