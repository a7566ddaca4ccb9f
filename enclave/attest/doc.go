// Package attest verifies enclave attestations (AMD SEV-SNP reports and Intel
// TDX quotes) deterministically, so that every validator reaches the same
// verdict inside DeliverTx.
//
// Verification never touches the network (no AMD KDS, no Intel PCS, no CRL
// fetch), reads no clock (the caller passes the block time) and trusts only
// the roots the caller passes in a Policy. go-sev-guest falls back to its
// embedded AMD roots and accepts a forged chain when it is given no roots
// (google/go-sev-guest#185); this package therefore never calls it without
// explicit roots and answers ErrNoRoots instead.
//
// # Evidence formats
//
// KindSEVSNP evidence is a serialized go-sev-guest sevsnp.Attestation proto
// in canonical form (see SEVEvidence): the report, and a certificate chain
// holding exactly the VCEK, ASK and ARK certificates (no VLEK, no extras).
// The ASK and ARK must be byte-identical to a pair configured in
// Policy.SEVRootsPEM, or, when Policy.Dev is set, carry go-sev-guest's
// test-only ARK/ASK keys. Only VCEK-signed reports are accepted.
//
// KindTDX evidence is a raw TDX quote (version 4) with its PCK certificate
// chain, as produced by the TDX quoting enclave. The quote's PCK chain must
// lead to a certificate in Policy.TDXRootsPEM, and the quoting enclave must
// be Intel's production TD quoting enclave. TCB status (Intel's TCB info and
// QE identity collateral) is not evaluated, because it needs the network;
// Policy.MinTDXTeeTCBSVN is the offline substitute.
//
// # Checks and their errors
//
// Verify returns an error wrapping exactly one of the package's sentinel
// errors, so callers can tell failures apart with errors.Is. Checks run in
// this order: kind (ErrKind); policy (ErrPolicy, when the Verifier is built);
// roots for the kind (ErrNoRoots); arguments (ErrPolicy for a zero time,
// ErrReportData for an all-zero expected report data); parsing and canonical
// form (ErrBadEvidence); root selection (ErrSignature); certificate validity
// at now (ErrExpired); certificate chain, report signature, VCEK chip or TD
// quoting enclave identity (ErrSignature); report data (ErrReportData);
// measurement allowlist (ErrMeasurement); debug (ErrDebug); TCB, including an
// SEV-SNP REPORTED_TCB that differs from the TCB its VCEK certifies (ErrTCB).
//
// # Cost
//
// The package-level Verify parses the policy's roots on every call. Code that
// verifies many attestations under one policy (a block's transactions) should
// build a Verifier once with NewVerifier and reuse it; a Verifier is
// immutable and safe for concurrent use.
//
// # Dev mode
//
// DevSigner produces real-format SEV-SNP evidence signed by go-sev-guest's
// test-only certificate chain, whose private keys are public. Such evidence
// verifies only when Policy.Dev is set, and the Result then has Dev set: it
// proves nothing about a real enclave.
package attest
