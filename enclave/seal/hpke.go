package seal

import (
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

// The HPKE suite used to wrap data keys: DHKEM(X25519, HKDF-SHA256),
// HKDF-SHA256, AES-256-GCM (RFC 9180, base mode).
var (
	hpkeKDF  = hpke.HKDFSHA256
	hpkeAEAD = hpke.AES256GCM
)

// PublicKeySize is the length in bytes of an enclave's X25519 public key.
const PublicKeySize = 32

// wrapDomain separates data-key wrapping info from any other use of HPKE.
const wrapDomain = "lazchain/datakey/v2"

// redacted is what a PrivateKey prints as, whatever the format verb.
const redacted = "seal.PrivateKey{…}"

// PrivateKey is an enclave's HPKE private key (X25519). It lives only in
// memory and never prints its secret: every fmt verb gives
// "seal.PrivateKey{…}". Create one with GenerateKey.
type PrivateKey struct {
	ecdh *ecdh.PrivateKey
	hpke hpke.PrivateKey
}

// GenerateKey returns a new random X25519 private key for HPKE.
func GenerateKey() (*PrivateKey, error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("seal: generating X25519 key: %w", err)
	}
	return newPrivateKey(k)
}

// DevPrivateKey rebuilds a key from the bytes DevBytes gave. Only dev
// enclaves persist their key (a simulated enclave has no sealed storage);
// a real enclave's key never leaves it.
func DevPrivateKey(b []byte) (*PrivateKey, error) {
	k, err := ecdh.X25519().NewPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("seal: X25519 key: %w", err)
	}
	return newPrivateKey(k)
}

// DevBytes are the key's secret bytes, for a dev enclave to persist (see
// DevPrivateKey).
func (k *PrivateKey) DevBytes() []byte { return k.ecdh.Bytes() }

func newPrivateKey(k *ecdh.PrivateKey) (*PrivateKey, error) {
	hk, err := hpke.NewDHKEMPrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("seal: making HPKE key: %w", err)
	}
	return &PrivateKey{ecdh: k, hpke: hk}, nil
}

// PublicKey returns the key's X25519 public key, PublicKeySize bytes, which
// contributors pass to WrapKey. It returns nil for a nil or zero key.
func (k *PrivateKey) PublicKey() []byte {
	if k == nil || k.ecdh == nil {
		return nil
	}
	return k.ecdh.PublicKey().Bytes()
}

// String returns "seal.PrivateKey{…}", never the key.
func (k PrivateKey) String() string { return redacted }

// GoString returns "seal.PrivateKey{…}", never the key.
func (k PrivateKey) GoString() string { return redacted }

// Format prints "seal.PrivateKey{…}" for every verb, so no fmt verb (%x, %+v,
// %#v, …) can print the key.
func (k PrivateKey) Format(f fmt.State, _ rune) { f.Write([]byte(redacted)) }

// WrapKey seals dataKey (DataKeySize bytes) to the enclave public key
// recipientPub with HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256
// and AES-256-GCM, with info as the HPKE info (use WrapInfo for a
// contribution's data key). It returns enc || ciphertext: the 32-byte
// encapsulated key, then the sealed data key with its 16-byte tag.
func WrapKey(recipientPub, dataKey, info []byte) ([]byte, error) {
	if len(dataKey) != DataKeySize {
		return nil, fmt.Errorf("seal: data key is %d bytes, want %d (use NewDataKey)", len(dataKey), DataKeySize)
	}
	if len(recipientPub) != PublicKeySize {
		return nil, fmt.Errorf("seal: enclave public key is %d bytes, want %d (an X25519 key from the enclave's attestation)", len(recipientPub), PublicKeySize)
	}
	pk, err := ecdh.X25519().NewPublicKey(recipientPub)
	if err != nil {
		return nil, fmt.Errorf("seal: enclave public key: %w", err)
	}
	hpk, err := hpke.NewDHKEMPublicKey(pk)
	if err != nil {
		return nil, fmt.Errorf("seal: enclave public key for HPKE: %w", err)
	}
	wrapped, err := hpke.Seal(hpk, hpkeKDF(), hpkeAEAD(), info, dataKey)
	if err != nil {
		return nil, fmt.Errorf("seal: wrapping data key (check the enclave public key): %w", err)
	}
	return wrapped, nil
}

// wrappedSize is the length of WrapKey's output: enc, data key, tag.
const wrappedSize = PublicKeySize + DataKeySize + tagSize

// ErrUnwrap means a wrapped data key did not open: it was wrapped to another
// enclave key or with other info (another chain, pool or ciphertext), or it
// was modified.
var ErrUnwrap = errors.New("wrapped data key does not open with this enclave key and info")

// UnwrapKey opens a data key that WrapKey wrapped to k's public key with the
// same info. It fails with an error wrapping ErrUnwrap if the key was wrapped
// to another enclave, with other info, or was modified.
func (k *PrivateKey) UnwrapKey(wrapped, info []byte) ([]byte, error) {
	if k == nil || k.hpke == nil {
		return nil, errors.New("seal: unwrapping with a nil or zero PrivateKey (create it with GenerateKey)")
	}
	if len(wrapped) != wrappedSize {
		return nil, fmt.Errorf("seal: wrapped data key is %d bytes, want %d: %w", len(wrapped), wrappedSize, ErrUnwrap)
	}
	key, err := hpke.Open(k.hpke, hpkeKDF(), hpkeAEAD(), info, wrapped)
	if err != nil {
		return nil, fmt.Errorf("seal: %w (%v)", ErrUnwrap, err)
	}
	if len(key) != DataKeySize {
		return nil, fmt.Errorf("seal: unwrapped data key is %d bytes, want %d", len(key), DataKeySize)
	}
	return key, nil
}

// WrapInfo returns the HPKE info for wrapping a contribution's data key: the
// domain "lazchain/datakey/v2", the chain id, the pool id (8 bytes, big
// endian), the SHA-256 of the sealed stream and the owner (the
// contributor's address), each preceded by its length as a big-endian
// uint32. A key wrapped with one info opens only with the same info, so it
// cannot be replayed for another chain, pool, ciphertext or contributor:
// someone who copies a contribution's hashes and wrapped keys into a
// contribution of their own gets it rejected, since the keys do not open.
func WrapInfo(chainID string, pool uint64, ciphertextSHA256, owner []byte) []byte {
	var poolBytes [8]byte
	binary.BigEndian.PutUint64(poolBytes[:], pool)
	fields := [][]byte{[]byte(wrapDomain), []byte(chainID), poolBytes[:], ciphertextSHA256, owner}
	n := 0
	for _, f := range fields {
		n += 4 + len(f)
	}
	out := make([]byte, 0, n)
	for _, f := range fields {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}
