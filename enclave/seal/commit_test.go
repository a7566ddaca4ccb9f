package seal

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"testing"
)

func TestCommitKeyIsHKDF(t *testing.T) {
	for _, n := range []int{0, 1, 16, 32, 100} {
		dk := randBytes(t, n)
		want, err := hkdf.Key(sha256.New, dk, nil, "lazchain/commit/v1", 32)
		if err != nil {
			t.Fatal(err)
		}
		if got := commitKey(dk); !bytes.Equal(got, want) {
			t.Fatalf("%d-byte key: commitKey = %x, hkdf.Key = %x", n, got, want)
		}
	}
}

func commit(key, data []byte) []byte {
	h := Commitment(key)
	h.Write(data)
	return h.Sum(nil)
}

func TestCommitment(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	data := randBytes(t, 3*ChunkSize+5)
	c := commit(k1, data)
	if len(c) != sha256.Size {
		t.Fatalf("commitment is %d bytes", len(c))
	}

	// It is HMAC-SHA256 under the HKDF-derived key.
	dk, err := hkdf.Key(sha256.New, k1, nil, "lazchain/commit/v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, dk)
	m.Write(data)
	if !bytes.Equal(c, m.Sum(nil)) {
		t.Fatal("commitment is not HMAC-SHA256 under HKDF(dataKey)")
	}

	if !bytes.Equal(c, commit(k1, data)) {
		t.Fatal("commitment is not deterministic")
	}
	// Streaming in odd pieces gives the same commitment.
	h := Commitment(k1)
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 4097)
		h.Write(rest[:n])
		rest = rest[n:]
	}
	if !bytes.Equal(c, h.Sum(nil)) {
		t.Fatal("streamed commitment differs")
	}
	if bytes.Equal(c, commit(k2, data)) {
		t.Fatal("commitment does not depend on the key")
	}
	if bytes.Equal(c, commit(k1, flip(data, 12345))) {
		t.Fatal("commitment does not depend on the content")
	}
	if bytes.Equal(c, commit(k1, data[:len(data)-1])) {
		t.Fatal("commitment does not depend on the length")
	}
	plain := sha256.Sum256(data)
	if bytes.Equal(c, plain[:]) {
		t.Fatal("commitment is the plain SHA-256")
	}
}
