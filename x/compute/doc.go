// Package compute is the compute module: the registry of enclave workers.
//
// A worker is admitted by an attestation the chain verifies itself, inside
// the block (package enclave/attest: AMD SEV-SNP through go-sev-guest,
// Intel TDX through go-tdx-guest), with the roots, measurement allowlist,
// debug rule and minimum TCB taken from the module's parameters, no network
// access and the block time as "now". The attestation's report data binds
// the worker's HPKE key (what contributors wrap data keys to) and its
// ed25519 signing key (what signs its results) to this chain and to one of
// its recent block hashes, which the module records at the start of every
// block, so evidence cannot be replayed on another chain or long after.
//
// Every worker posts a bond, held by the module's bond escrow, which the
// flow module slashes when the worker misses a job's deadline.
// Registrations lapse after registration_blocks and are renewed with a
// fresh attestation of the same keys.
//
// Store layout (under "compute/"):
//
//	s/worker                 last worker id
//	w/{id}                   Worker
//	op/{operator}{id}        index of workers by operator
//	hk/{hpke key}            worker id of an HPKE key (keys are never reused)
//	bh/{hash}                height of a recent block hash
//	bhh/{height}             that hash, for pruning the window
//	params                   Params
package compute
