package attest_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-sev-guest/abi"
	spb "github.com/google/go-sev-guest/proto/sevsnp"
	sevtest "github.com/google/go-sev-guest/testing"
	"google.golang.org/protobuf/proto"

	"github.com/lazchain/lazchain/enclave/attest"
)

// testNow is the block time of most tests: inside the dev chain's validity
// (2024-01-01 to 2048-12-25) and the shipped TDX quote's (2022-09-20 to 2029-09-20).
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func measurement(label string) [48]byte {
	return sha512.Sum384([]byte(label))
}

func testWant() [64]byte {
	return attest.ReportData("lazchain-test", bytes.Repeat([]byte{4}, 20), bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32))
}

// fixture holds objects that are costly to build (RSA-4096 signatures), shared by tests.
type fixture struct {
	signer   *attest.DevSigner
	m        [48]byte
	evidence []byte // signer.Attest(testWant())
	devV     *attest.Verifier
}

var (
	fixOnce sync.Once
	fix     fixture
	fixErr  error
)

func getFixture(t testing.TB) fixture {
	t.Helper()
	fixOnce.Do(func() {
		fix.m = measurement("lazchain test enclave")
		if fix.signer, fixErr = attest.NewDevSigner(fix.m); fixErr != nil {
			return
		}
		if fix.evidence, fixErr = fix.signer.Attest(testWant()); fixErr != nil {
			return
		}
		fix.devV, fixErr = attest.NewVerifier(attest.Policy{Dev: true, Measurements: [][]byte{fix.m[:]}})
	})
	if fixErr != nil {
		t.Fatalf("fixture: %v", fixErr)
	}
	return fix
}

// forgedChain is a self-made AMD-looking chain on fresh keys (RSA-2048 to keep
// key generation fast), built with go-sev-guest's AmdSignerBuilder.
type forgedChain struct {
	signer *sevtest.AmdSigner
}

var (
	forgedOnce sync.Once
	forged     forgedChain
	forgedErr  error
)

func getForged(t testing.TB) forgedChain {
	t.Helper()
	forgedOnce.Do(func() {
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			forgedErr = err
			return
		}
		vcek, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		if err != nil {
			forgedErr = err
			return
		}
		epoch := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		b := &sevtest.AmdSignerBuilder{
			Keys:             &sevtest.AmdKeys{Ark: rsaKey, Ask: rsaKey, Asvk: rsaKey, Vcek: vcek},
			ProductName:      "Milan-B1",
			ArkCreationTime:  epoch,
			AskCreationTime:  epoch,
			AsvkCreationTime: epoch,
			VcekCreationTime: epoch,
		}
		forged.signer, forgedErr = b.TestOnlyCertChain()
	})
	if forgedErr != nil {
		t.Fatalf("forged chain: %v", forgedErr)
	}
	return forged
}

// decode parses SEV evidence into its proto.
func decode(t testing.TB, evidence []byte) *spb.Attestation {
	t.Helper()
	att := &spb.Attestation{}
	if err := proto.Unmarshal(evidence, att); err != nil {
		t.Fatalf("decode evidence: %v", err)
	}
	return att
}

// encode serializes att canonically.
func encode(t testing.TB, att *spb.Attestation) []byte {
	t.Helper()
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(att)
	if err != nil {
		t.Fatalf("encode evidence: %v", err)
	}
	return out
}

// resign rewrites the report of evidence with mutate, signs it with key and
// attaches the given certificates (DER).
func resign(t testing.TB, evidence []byte, key *ecdsa.PrivateKey, mutate func(*spb.Report), vcek, ask, ark []byte) []byte {
	t.Helper()
	att := decode(t, evidence)
	if mutate != nil {
		mutate(att.Report)
	}
	body, err := abi.ReportToAbiBytes(att.Report)
	if err != nil {
		t.Fatalf("report to ABI: %v", err)
	}
	digest := sha512.Sum384(abi.SignedComponent(body))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	if err := abi.SetSignature(r, s, body); err != nil {
		t.Fatalf("set signature: %v", err)
	}
	out, err := attest.SEVEvidence(body, vcek, ask, ark)
	if err != nil {
		t.Fatalf("SEVEvidence: %v", err)
	}
	return out
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// sentinels lists every sentinel error, to check that an error wraps exactly one.
var sentinels = []error{
	attest.ErrKind, attest.ErrNoRoots, attest.ErrPolicy, attest.ErrBadEvidence, attest.ErrSignature,
	attest.ErrExpired, attest.ErrReportData, attest.ErrMeasurement, attest.ErrDebug, attest.ErrTCB,
}

func wrapsExactlyOne(t testing.TB, err error) {
	t.Helper()
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("error %v wraps %d sentinel errors, want exactly 1", err, n)
	}
}
