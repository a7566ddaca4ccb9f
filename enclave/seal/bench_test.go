package seal

import (
	"bytes"
	"io"
	"testing"
)

const benchSize = 16 << 20

func BenchmarkEncrypt(b *testing.B) {
	key := newKey(b)
	pt := randBytes(b, benchSize)
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := Encrypt(io.Discard, bytes.NewReader(pt), key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	key := newKey(b)
	sealed := sealBytes(b, randBytes(b, benchSize), key, ChunkSize)
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := Decrypt(io.Discard, bytes.NewReader(sealed), key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCommitment(b *testing.B) {
	key := newKey(b)
	pt := randBytes(b, benchSize)
	b.SetBytes(benchSize)
	for b.Loop() {
		h := Commitment(key)
		h.Write(pt)
		h.Sum(nil)
	}
}

func BenchmarkWrapKey(b *testing.B) {
	pub := newPriv(b).PublicKey()
	dk := newKey(b)
	info := WrapInfo("lazchain-1", 1, make([]byte, 32), []byte("owner"))
	for b.Loop() {
		if _, err := WrapKey(pub, dk, info); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrapKey(b *testing.B) {
	k := newPriv(b)
	info := WrapInfo("lazchain-1", 1, make([]byte, 32), []byte("owner"))
	w, err := WrapKey(k.PublicKey(), newKey(b), info)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := k.UnwrapKey(w, info); err != nil {
			b.Fatal(err)
		}
	}
}
