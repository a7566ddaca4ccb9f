// Package seal encrypts data contributions and wraps their keys to enclave
// workers.
//
// A contributor picks a fresh data key with NewDataKey, encrypts the file
// with Encrypt (streaming, in memory proportional to ChunkSize, whatever the
// file's size) and wraps the data key to each enclave worker's HPKE public key
// with WrapKey, using WrapInfo so that a wrapped key opens only for the chain,
// pool and ciphertext it was made for. A worker unwraps the key with
// PrivateKey.UnwrapKey and reads the plaintext with NewReader or Decrypt.
//
// The sealed stream is a header followed by AES-256-GCM chunks; every chunk
// authenticates the header, its position and whether it is the last one, so a
// reader detects a wrong key, flipped bits, truncation, reordered or swapped
// chunks and trailing garbage, and never hands out bytes that did not
// authenticate. The stream format is described on Encrypt.
//
// Commitment gives a keyed commitment to the plaintext: only holders of the
// data key can compute or check it.
package seal
