package tx

import (
	"crypto/ecdsa"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
)

// SignatureLen is the length of a recoverable secp256k1 signature.
const SignatureLen = 65

// Signer signs 32-byte digests for one address. A PrivateKey is a Signer;
// a hardware or remote signer can be one too.
type Signer interface {
	Address() Address
	SignDigest(digest []byte) ([]byte, error)
}

// PrivateKey is a secp256k1 private key.
type PrivateKey struct {
	key  *ecdsa.PrivateKey
	addr Address
}

// GenerateKey makes a new random key.
func GenerateKey() (*PrivateKey, error) {
	k, err := crypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	return FromECDSA(k), nil
}

// FromECDSA wraps a go-ethereum key.
func FromECDSA(k *ecdsa.PrivateKey) *PrivateKey {
	return &PrivateKey{key: k, addr: Address(crypto.PubkeyToAddress(k.PublicKey))}
}

// PrivateKeyFromBytes reads a 32-byte secret.
func PrivateKeyFromBytes(b []byte) (*PrivateKey, error) {
	k, err := crypto.ToECDSA(b)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	return FromECDSA(k), nil
}

// PrivateKeyFromHex reads a 64-hex-digit secret, with or without 0x.
func PrivateKeyFromHex(s string) (*PrivateKey, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "0x")
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("private key: not hex: %v", err)
	}
	return PrivateKeyFromBytes(b)
}

// DeterministicKey derives a key from a seed phrase by hashing it. It is for
// test keyrings only: anyone who knows the phrase knows the key.
func DeterministicKey(seed string) *PrivateKey {
	for i := 0; ; i++ {
		h := crypto.Keccak256([]byte(fmt.Sprintf("lazchain/test-key/%d/%s", i, seed)))
		if k, err := PrivateKeyFromBytes(h); err == nil {
			return k
		}
	}
}

// Address is the key's account address.
func (k *PrivateKey) Address() Address { return k.addr }

// ECDSA returns the underlying key, for keystore encoding.
func (k *PrivateKey) ECDSA() *ecdsa.PrivateKey { return k.key }

// Bytes returns the 32-byte secret.
func (k *PrivateKey) Bytes() []byte { return crypto.FromECDSA(k.key) }

// Hex returns the secret as 64 hex digits.
func (k *PrivateKey) Hex() string { return hex.EncodeToString(k.Bytes()) }

// SignDigest signs a 32-byte digest, returning [R || S || V] with V in {0,1}.
func (k *PrivateKey) SignDigest(digest []byte) ([]byte, error) {
	return crypto.Sign(digest, k.key)
}

// RecoverAddress returns the address whose key made sig over digest. It
// accepts only canonical signatures (V in {0,1}, low S), so one signed tx has
// exactly one encoding and one hash.
func RecoverAddress(digest, sig []byte) (Address, error) {
	if len(sig) != SignatureLen {
		return Address{}, fmt.Errorf("signature must be %d bytes, got %d", SignatureLen, len(sig))
	}
	v := sig[64]
	if v > 1 {
		return Address{}, fmt.Errorf("signature recovery id must be 0 or 1, got %d (subtract 27 from Ethereum-style v)", v)
	}
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:64])
	if !crypto.ValidateSignatureValues(v, r, s, true) {
		return Address{}, fmt.Errorf("signature values out of range (s must be in the lower half of the curve order)")
	}
	pub, err := crypto.SigToPub(digest, sig)
	if err != nil {
		return Address{}, fmt.Errorf("recover public key: %v", err)
	}
	return Address(crypto.PubkeyToAddress(*pub)), nil
}
