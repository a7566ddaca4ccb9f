package attest

import "errors"

// Sentinel errors. Verify wraps exactly one of them, with detail, so callers
// can classify a refusal with errors.Is.
var (
	// ErrKind means the evidence kind is neither KindSEVSNP nor KindTDX.
	ErrKind = errors.New("attest: unsupported evidence kind")
	// ErrNoRoots means the policy trusts no root for the evidence kind, so
	// nothing can be verified. Configure Policy.SEVRootsPEM or
	// Policy.TDXRootsPEM (or Policy.Dev for SEV-SNP development chains).
	ErrNoRoots = errors.New("attest: no trusted roots configured for this evidence kind")
	// ErrPolicy means the policy or the call's arguments are malformed, for
	// example a root bundle that does not parse or a zero verification time.
	ErrPolicy = errors.New("attest: invalid policy or arguments")
	// ErrBadEvidence means the evidence bytes cannot be parsed or are not in
	// the expected canonical format.
	ErrBadEvidence = errors.New("attest: malformed evidence")
	// ErrSignature means the certificate chain or the report signature does
	// not verify against the trusted roots.
	ErrSignature = errors.New("attest: certificate chain or signature does not verify")
	// ErrExpired means a certificate of the chain is not valid at the
	// verification time.
	ErrExpired = errors.New("attest: certificate not valid at the verification time")
	// ErrReportData means the report's REPORT_DATA differs from the expected
	// binding.
	ErrReportData = errors.New("attest: report data mismatch")
	// ErrMeasurement means the enclave measurement is not on the policy's
	// allowlist (an empty allowlist refuses every enclave).
	ErrMeasurement = errors.New("attest: measurement not on the allowlist")
	// ErrDebug means the enclave runs with debugging enabled and the policy
	// does not allow it.
	ErrDebug = errors.New("attest: debug-enabled enclave refused")
	// ErrTCB means the platform TCB is below the policy minimum or is
	// inconsistent with the certificate that signed the report.
	ErrTCB = errors.New("attest: TCB refused")
)
