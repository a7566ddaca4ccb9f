package attest

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"time"
)

// Kinds of evidence.
const (
	// KindSEVSNP is AMD SEV-SNP evidence: a canonical serialized
	// sevsnp.Attestation proto (see SEVEvidence).
	KindSEVSNP = "sev-snp"
	// KindTDX is Intel TDX evidence: a raw version 4 TDX quote.
	KindTDX = "tdx"
)

// measurementSize is the size of an SEV-SNP MEASUREMENT and of a TDX MRTD.
const measurementSize = 48

// teeTCBSVNSize is the size of a TDX TEE_TCB_SVN.
const teeTCBSVNSize = 16

// Policy is what the chain's parameters say about acceptable enclaves.
type Policy struct {
	// SEVRootsPEM is a PEM bundle of AMD ARK and ASK certificates (one pair
	// or more per product line, in any order). These are the only roots
	// trusted for SEV-SNP. It must not contain go-sev-guest's test-only keys:
	// use Dev for those.
	SEVRootsPEM []byte
	// TDXRootsPEM is a PEM bundle of the Intel SGX root CA certificate(s)
	// trusted for TDX quotes.
	TDXRootsPEM []byte
	// Measurements is the allowlist of SEV-SNP MEASUREMENT or TDX MRTD
	// values, 48 bytes each. An empty list refuses every enclave.
	Measurements [][]byte
	// AllowDebug, when false, refuses an SEV-SNP guest policy or TDX TD
	// attributes with debugging enabled.
	AllowDebug bool
	// MinSEVTCB is the minimum SEV-SNP REPORTED_TCB, as a kds.TCBVersion
	// value, compared component by component (boot loader, TEE, SNP,
	// microcode and the reserved bytes). Zero means no minimum.
	MinSEVTCB uint64
	// MinTDXTeeTCBSVN is the minimum TDX TEE_TCB_SVN (16 bytes), compared
	// byte by byte. Nil means no minimum.
	MinTDXTeeTCBSVN []byte
	// Dev, when true, also trusts go-sev-guest's test-only SEV-SNP chain
	// (the keys in DevSEVRootsPEM). A Result verified through it has Dev set.
	Dev bool
}

// Result is what a verified attestation proves.
type Result struct {
	// Kind is KindSEVSNP or KindTDX.
	Kind string
	// Measurement is the SEV-SNP MEASUREMENT or the TDX MRTD (48 bytes).
	Measurement []byte
	// ReportData is the report's REPORT_DATA (equal to the expected value).
	ReportData [64]byte
	// TCB is, for SEV-SNP, the report's REPORTED_TCB (a kds.TCBVersion).
	// For TDX it packs the first 8 bytes of TEE_TCB_SVN big-endian (byte 0
	// is the most significant); bytes 8 to 15, reserved in current TDX
	// modules, are not represented.
	TCB uint64
	// Debug reports whether the enclave runs with debugging enabled.
	Debug bool
	// Dev reports that the evidence was verified against go-sev-guest's
	// test-only roots: it is NOT a real enclave.
	Dev bool
	// Digest is the SHA-256 of the evidence bytes, recorded on chain as the
	// attestation digest.
	Digest [32]byte
}

// Verifier verifies evidence against one policy. Build it once per policy
// with NewVerifier; it is immutable and safe for concurrent use.
type Verifier struct {
	sevRoots     []sevRoot
	tdxRoots     *x509.CertPool
	measurements [][]byte
	allowDebug   bool
	minSEVTCB    uint64
	minTDXSVN    []byte
	dev          bool
}

// NewVerifier parses and checks policy. It fails with ErrPolicy when a root
// bundle does not parse, when SEVRootsPEM holds go-sev-guest's test-only keys
// while Dev is false, or when an allowlist entry or MinTDXTeeTCBSVN has the
// wrong size. Missing roots are not an error here: Verify reports ErrNoRoots
// for the kind that has none.
func NewVerifier(policy Policy) (*Verifier, error) {
	v := &Verifier{
		allowDebug: policy.AllowDebug,
		minSEVTCB:  policy.MinSEVTCB,
		dev:        policy.Dev,
	}
	var err error
	if v.sevRoots, err = parseSEVRoots(policy.SEVRootsPEM, policy.Dev); err != nil {
		return nil, err
	}
	if v.tdxRoots, err = parseTDXRoots(policy.TDXRootsPEM); err != nil {
		return nil, err
	}
	for i, m := range policy.Measurements {
		if len(m) != measurementSize {
			return nil, fmt.Errorf("%w: measurement %d is %d bytes, want %d: list SEV-SNP MEASUREMENT or TDX MRTD values",
				ErrPolicy, i, len(m), measurementSize)
		}
		v.measurements = append(v.measurements, bytes.Clone(m))
	}
	if policy.MinTDXTeeTCBSVN != nil {
		if len(policy.MinTDXTeeTCBSVN) != teeTCBSVNSize {
			return nil, fmt.Errorf("%w: MinTDXTeeTCBSVN is %d bytes, want %d (or nil for no minimum)",
				ErrPolicy, len(policy.MinTDXTeeTCBSVN), teeTCBSVNSize)
		}
		v.minTDXSVN = bytes.Clone(policy.MinTDXTeeTCBSVN)
	}
	return v, nil
}

// Verify checks evidence of the given kind at time now against policy and
// the expected report data want. It is NewVerifier followed by
// Verifier.Verify; see those for the errors.
func Verify(kind string, evidence []byte, policy Policy, now time.Time, want [64]byte) (Result, error) {
	if kind != KindSEVSNP && kind != KindTDX {
		return Result{}, kindError(kind)
	}
	v, err := NewVerifier(policy)
	if err != nil {
		return Result{}, err
	}
	return v.Verify(kind, evidence, now, want)
}

// Verify checks evidence of the given kind at time now (the block time)
// against the verifier's policy and the expected report data want (see
// ReportData). The error wraps one of ErrKind, ErrNoRoots, ErrPolicy,
// ErrBadEvidence, ErrSignature, ErrExpired, ErrReportData, ErrMeasurement,
// ErrDebug or ErrTCB. The same inputs always give the same Result and error.
func (v *Verifier) Verify(kind string, evidence []byte, now time.Time, want [64]byte) (Result, error) {
	switch kind {
	case KindSEVSNP:
		if len(v.sevRoots) == 0 && !v.dev {
			return Result{}, fmt.Errorf("%w: Policy.SEVRootsPEM is empty and Policy.Dev is false; configure AMD's ARK/ASK roots (DefaultSEVRootsPEM)", ErrNoRoots)
		}
	case KindTDX:
		if v.tdxRoots == nil {
			return Result{}, fmt.Errorf("%w: Policy.TDXRootsPEM is empty; configure Intel's SGX root CA (DefaultTDXRootsPEM)", ErrNoRoots)
		}
	default:
		return Result{}, kindError(kind)
	}
	if now.IsZero() {
		return Result{}, fmt.Errorf("%w: verification time is zero; pass the block time", ErrPolicy)
	}
	if want == ([64]byte{}) {
		return Result{}, fmt.Errorf("%w: expected report data is all zero; compute it with ReportData", ErrReportData)
	}
	res := Result{Kind: kind, Digest: sha256.Sum256(evidence)}
	var err error
	if kind == KindSEVSNP {
		err = v.verifySEV(evidence, now, want, &res)
	} else {
		err = v.verifyTDX(evidence, now, want, &res)
	}
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

func kindError(kind string) error {
	return fmt.Errorf("%w: %q (want %q or %q)", ErrKind, kind, KindSEVSNP, KindTDX)
}

// checkClaims applies the policy checks common to both kinds, in order:
// report data, measurement allowlist, debug.
func (v *Verifier) checkClaims(reportData, measurement []byte, debug bool, want [64]byte) error {
	if !bytes.Equal(reportData, want[:]) {
		return fmt.Errorf("%w: report carries %x, want %x; the enclave must attest ReportData(chainID, operator, hpkePub, signPub, blockHash) for this chain, its operator and a recent block",
			ErrReportData, reportData, want[:])
	}
	if len(v.measurements) == 0 {
		return fmt.Errorf("%w: the policy's allowlist is empty, so every enclave is refused; add the enclave's measurement to the chain parameters", ErrMeasurement)
	}
	found := false
	for _, m := range v.measurements {
		if bytes.Equal(m, measurement) {
			found = true
			break
		}
	}
	if !found {
		return fmt.Errorf("%w: %x is not allowed; build the approved enclave image or get its measurement added by governance", ErrMeasurement, measurement)
	}
	if debug && !v.allowDebug {
		return fmt.Errorf("%w: launch the enclave without debugging (guest policy DEBUG / TD attribute DEBUG off)", ErrDebug)
	}
	return nil
}

// checkValidity returns ErrExpired unless every certificate is valid at now.
func checkValidity(now time.Time, certs ...*x509.Certificate) error {
	for _, c := range certs {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			return fmt.Errorf("%w: certificate %q is valid from %s to %s, not at %s; fetch a current certificate chain",
				ErrExpired, c.Subject.CommonName, c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// guard turns a panic in a library parser into ErrBadEvidence. Some
// go-tdx-guest parsers index into attacker-controlled lengths.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: parser failed on malformed input: %v", ErrBadEvidence, r)
	}
}
