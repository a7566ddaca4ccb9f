package attest

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha512"
	"fmt"
	"time"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
	sevtest "github.com/google/go-sev-guest/testing"
)

const (
	// devProductName is the product of the dev chain and of dev reports.
	devProductName = "Milan-B1"
	// devValidity is how long the dev ARK and ASK are valid: go-sev-guest
	// issues them for 25 years of 365 days.
	devValidity = 25 * 365 * 24 * time.Hour
	// vcekLifetime is go-sev-guest's VCEK validity (7 years of 365 days),
	// counted from the builder's VCEK creation time.
	vcekLifetime = 7 * 365 * 24 * time.Hour
)

// devEpoch is the fixed creation time of the dev chain.
func devEpoch() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }

// DevOptions adjusts a dev attestation, for tests.
type DevOptions struct {
	// Debug sets the DEBUG bit of the guest policy.
	Debug bool
	// TCB, when non-zero, is the report's TCB (REPORTED, CURRENT, COMMITTED
	// and LAUNCH) and the TCB certified by the VCEK. Zero keeps the default,
	// an all-zero TCB. Every component except microcode must be at most 127.
	TCB uint64
	// VCEKNotAfter, when non-zero, is the VCEK certificate's expiry (whole
	// seconds). Zero keeps the default: the ASK's expiry, 2048-12-25 UTC.
	VCEKNotAfter time.Time
}

// buildDevChain builds go-sev-guest's test-only chain (its published ARK,
// ASK and VCEK keys) for Milan-B1 with the ARK and ASK created at devEpoch.
// Each call costs several RSA-4096 signatures.
func buildDevChain(opts DevOptions) (*sevtest.AmdSigner, error) {
	epoch := devEpoch()
	notAfter := epoch.Add(devValidity)
	if !opts.VCEKNotAfter.IsZero() {
		notAfter = opts.VCEKNotAfter.UTC().Truncate(time.Second)
	}
	keys := sevtest.DefaultAmdKeys()
	keys.Vlek = nil // no VLEK certificate: dev reports are VCEK-signed
	b := &sevtest.AmdSignerBuilder{
		Keys:             keys,
		ProductName:      devProductName,
		CSPID:            "go-sev-guest",
		ArkCreationTime:  epoch,
		AskCreationTime:  epoch,
		AsvkCreationTime: epoch,
		VcekCreationTime: notAfter.Add(-vcekLifetime),
	}
	if opts.TCB != 0 {
		parts := kds.DecomposeTCBVersion(kds.TCBVersion(opts.TCB))
		if _, err := kds.ComposeTCBParts(parts); err != nil {
			return nil, fmt.Errorf("attest: dev TCB %#x is not a valid TCB version: %w", opts.TCB, err)
		}
		b.VcekCustom.Extensions = sevtest.CustomExtensions(parts, make([]byte, abi.ChipIDSize), "", devProductName)
	}
	chain, err := b.TestOnlyCertChain()
	if err != nil {
		return nil, fmt.Errorf("attest: build go-sev-guest test-only chain: %w", err)
	}
	if !chain.Vcek.NotAfter.Equal(notAfter) {
		return nil, fmt.Errorf("attest: dev VCEK expires %s, want %s: go-sev-guest's VCEK lifetime changed, adjust vcekLifetime",
			chain.Vcek.NotAfter, notAfter)
	}
	return chain, nil
}

// DevSigner makes real-format SEV-SNP attestations signed by go-sev-guest's
// test-only chain (Milan-B1, ARK and ASK created 2024-01-01 UTC). Its private
// keys are published with go-sev-guest, so its evidence proves nothing: use
// it for dev networks and tests only. Verify accepts it only with Policy.Dev
// set, and marks the Result as Dev. A DevSigner is safe for concurrent use
// (under GODEBUG=cryptocustomrand=1, go-sev-guest's certificate builder would
// share a math/rand source between concurrent AttestWithOptions calls that
// issue a new VCEK).
type DevSigner struct {
	measurement [48]byte
	chain       *sevtest.AmdSigner
}

// NewDevSigner returns a DevSigner whose reports carry measurement. It builds
// the test-only certificate chain, which costs several RSA-4096 signatures.
func NewDevSigner(measurement [48]byte) (*DevSigner, error) {
	chain, err := buildDevChain(DevOptions{})
	if err != nil {
		return nil, err
	}
	return &DevSigner{measurement: measurement, chain: chain}, nil
}

// Measurement returns the measurement the signer's reports carry.
func (s *DevSigner) Measurement() [48]byte { return s.measurement }

// Attest returns KindSEVSNP evidence (see SEVEvidence): a version 3
// Milan-B1 report with REPORT_DATA = reportData, the signer's measurement,
// guest debugging off and an all-zero TCB, signed by the test-only VCEK,
// with the VCEK, ASK and ARK certificates.
func (s *DevSigner) Attest(reportData [64]byte) ([]byte, error) {
	return s.AttestWithOptions(reportData, DevOptions{})
}

// AttestWithOptions is Attest adjusted by opts. A TCB or VCEKNotAfter
// option issues a fresh VCEK certificate (the same key), which costs several
// RSA-4096 signatures.
func (s *DevSigner) AttestWithOptions(reportData [64]byte, opts DevOptions) ([]byte, error) {
	chain := s.chain
	if opts.TCB != 0 || !opts.VCEKNotAfter.IsZero() {
		var err error
		if chain, err = buildDevChain(opts); err != nil {
			return nil, err
		}
	}
	raw := sevtest.CreateRawReport(&sevtest.TestReportOptions{
		ReportData: reportData[:],
		SignerInfo: abi.SignerInfo{SigningKey: abi.VcekReportSigner},
		FMS:        abi.MaskedCpuid1EaxFromSevProduct(abi.DefaultSevProduct()),
		Version:    abi.ReportVersion3,
	})
	report, err := abi.ReportToProto(raw[:abi.ReportSize])
	if err != nil {
		return nil, fmt.Errorf("attest: dev report template: %w", err)
	}
	report.Policy = abi.SnpPolicyToBytes(abi.SnpPolicy{SMT: true, Debug: opts.Debug})
	report.Measurement = append([]byte(nil), s.measurement[:]...)
	report.ReportedTcb = opts.TCB
	report.CurrentTcb = opts.TCB
	report.CommittedTcb = opts.TCB
	report.LaunchTcb = opts.TCB
	body, err := abi.ReportToAbiBytes(report)
	if err != nil {
		return nil, fmt.Errorf("attest: encode dev report: %w", err)
	}
	// Sign with the test-only VCEK key. This is what AmdSigner.Sign does,
	// but with crypto/rand instead of go-sev-guest's shared math/rand
	// source, which is not safe for concurrent use.
	digest := sha512.Sum384(abi.SignedComponent(body))
	r, sig, err := ecdsa.Sign(rand.Reader, chain.Keys.Vcek, digest[:])
	if err != nil {
		return nil, fmt.Errorf("attest: sign dev report: %w", err)
	}
	if err := abi.SetSignature(r, sig, body); err != nil {
		return nil, fmt.Errorf("attest: place dev report signature: %w", err)
	}
	return SEVEvidence(body, chain.Vcek.Raw, chain.Ask.Raw, chain.Ark.Raw)
}
