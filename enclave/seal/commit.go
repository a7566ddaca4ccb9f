package seal

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
)

// commitInfo is the HKDF info that derives the commitment key.
const commitInfo = "lazchain/commit/v1"

// Commitment returns a streaming keyed commitment to a plaintext: write the
// plaintext to it and call Sum. It is HMAC-SHA256 under the key
// HKDF-SHA256(ikm = dataKey, no salt, info = "lazchain/commit/v1", 32 bytes),
// so only holders of the data key can compute it or test guesses of the
// plaintext against it.
func Commitment(dataKey []byte) hash.Hash {
	return hmac.New(sha256.New, commitKey(dataKey))
}

// commitKey is HKDF-SHA256 (RFC 5869) with an empty salt and a 32-byte output,
// which is one extract and the first expand block:
//
//	PRK = HMAC(salt = 32 zero bytes, dataKey)
//	key = HMAC(PRK, info || 0x01)
//
// Written out with crypto/hmac rather than crypto/hkdf because hkdf.Key
// returns an error (for short keys in FIPS 140-only mode) that Commitment
// could not report; the tests check it against crypto/hkdf.
func commitKey(dataKey []byte) []byte {
	ext := hmac.New(sha256.New, make([]byte, sha256.Size))
	ext.Write(dataKey)
	prk := ext.Sum(nil)
	exp := hmac.New(sha256.New, prk)
	exp.Write([]byte(commitInfo))
	exp.Write([]byte{1})
	return exp.Sum(nil)
}
