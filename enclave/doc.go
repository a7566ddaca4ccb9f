// Package enclave is a worker's enclave boundary. An Enclave holds the only
// copies of the worker's HPKE private key (data keys are wrapped to it) and
// its ed25519 signing key (results are signed with it), and every
// plaintext contribution while it is scored. Nothing leaves it but public
// keys, attestations, signed results and scores: plaintext is streamed from
// the ciphertext through decryption into the parser and never written to
// disk, to a log or to an error message.
//
// In dev mode (NewDev) the attestation comes from go-sev-guest's test-only
// certificate chain: a simulated enclave whose reports have the real
// format. A chain accepts those only when its genesis enables dev
// attestation, and Dev() says so to every caller.
package enclave
