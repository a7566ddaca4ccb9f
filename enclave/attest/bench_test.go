package attest_test

import (
	"testing"

	"github.com/lazchain/lazchain/enclave/attest"
)

// BenchmarkVerifySEV measures SEV-SNP verification as DeliverTx runs it.
//
//   - verifier/configured-root: a reused Verifier, evidence under a root
//     configured in SEVRootsPEM (the path of real AMD evidence; the test root
//     is RSA-2048 where AMD's ASK/ARK are RSA-4096).
//   - verifier/dev: a reused Verifier, dev evidence (RSA-4096 test-only chain,
//     plus the check of the dev ARK's self-signature).
//   - package-verify/amd-roots+dev: the package-level Verify, which also
//     parses AMD's default roots on every call.
func BenchmarkVerifySEV(b *testing.B) {
	f := getFixture(b)
	fc := getForged(b).signer
	customEv := resign(b, f.evidence, fc.Keys.Vcek, nil, fc.Vcek.Raw, fc.Ask.Raw, fc.Ark.Raw)
	customV, err := attest.NewVerifier(attest.Policy{SEVRootsPEM: rootsPEM(fc.Ask.Raw, fc.Ark.Raw), Measurements: [][]byte{f.m[:]}})
	if err != nil {
		b.Fatal(err)
	}
	want := testWant()
	b.Run("verifier/configured-root", func(b *testing.B) {
		for b.Loop() {
			if _, err := customV.Verify(attest.KindSEVSNP, customEv, testNow, want); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verifier/dev", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.devV.Verify(attest.KindSEVSNP, f.evidence, testNow, want); err != nil {
				b.Fatal(err)
			}
		}
	})
	policy := attest.Policy{SEVRootsPEM: attest.DefaultSEVRootsPEM(), Dev: true, Measurements: [][]byte{f.m[:]}}
	b.Run("package-verify/amd-roots+dev", func(b *testing.B) {
		for b.Loop() {
			if _, err := attest.Verify(attest.KindSEVSNP, f.evidence, policy, testNow, want); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyTDX measures verification of go-tdx-guest's shipped real quote.
func BenchmarkVerifyTDX(b *testing.B) {
	raw, q := shippedQuote(b)
	v, err := attest.NewVerifier(tdxPolicy(q))
	if err != nil {
		b.Fatal(err)
	}
	want := tdxWant(q)
	for b.Loop() {
		if _, err := v.Verify(attest.KindTDX, raw, tdxNow, want); err != nil {
			b.Fatal(err)
		}
	}
}
