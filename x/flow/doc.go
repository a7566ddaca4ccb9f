// Package flow is the flow module: the data path from an encrypted
// contribution to a minted DAT.
//
// An iDAO creates a pool (kind, record schema, validation set sealed to the
// pool's workers, scoring weights, quorum k of which t must agree, proof
// policy, deadline, verifier fee, DAT terms); the module creates the pool's
// DAT class. A contributor sends one Contribute message naming the
// ciphertext (its SHA-256, size and a keyed commitment to the plaintext)
// and its data key wrapped to workers; the fee is escrowed and the module
// assigns k workers at once, deterministically from the block hash,
// weighted by bond, never the same worker twice for one job (the Verifiable
// Service Coordinator). A ciphertext belongs to the first account that
// contributes it to a pool: its wrapped keys are public, so nobody else may
// contribute it there.
//
// Each assigned worker decrypts and scores the contribution in its enclave
// and posts an Attest message signed by its enclave key over ResultSignBytes:
// chain id, pool, contribution, job, worker and result, so a result cannot
// be replayed for anything else. When t results are identical the
// contribution is anchored (a token of the pool's class is minted to the
// contributor, share ∝ score, with the agreeing workers' attestation
// digests recorded as proofs) or rejected with its reason; the fee goes to
// the agreeing workers. At a job's deadline every assigned worker that has
// not reported is slashed and replaced, up to the pool's max rounds; a job
// that can no longer finish is stalled and anyone may refund its fee.
//
// A contribution is scored against the pool's anchored contributions with
// anchor_seq ≤ its job's base_seq, so every worker scores against the same
// data whatever it has seen since. A worker is eligible for a job only if
// it holds grants for the contribution, the validation set and every live
// anchored contribution of the pool.
//
// Store layout (under "flow/"):
//
//	s/pool, s/contribution, s/job     sequences
//	p/{pool}                          Pool
//	c/{contribution}                  Contribution
//	pc/{pool}{contribution}           contributions of a pool
//	uc/{contributor}{contribution}    contributions of a contributor
//	ch/{ciphertext sha256}{contribution}  contributions of a ciphertext
//	pa/{pool}{anchor seq}             anchored contributions of a pool, in order
//	dl/{height}{contribution}         deadlines of verifying contributions
//	wa/{worker}{contribution}         pending assignments of a worker
//	gw/{pool}{worker}                 live anchored contributions granted to a worker
package flow
