package seal

import (
	"bytes"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func newPriv(t testing.TB) *PrivateKey {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestWrapUnwrap(t *testing.T) {
	k := newPriv(t)
	pub := k.PublicKey()
	if len(pub) != PublicKeySize {
		t.Fatalf("public key is %d bytes", len(pub))
	}
	dk := newKey(t)
	ctHash := sha256.Sum256([]byte("ciphertext"))
	info := WrapInfo("lazchain-1", 7, ctHash[:], []byte("owner"))
	w1, err := WrapKey(pub, dk, info)
	if err != nil {
		t.Fatal(err)
	}
	if len(w1) != wrappedSize {
		t.Fatalf("wrapped key is %d bytes, want %d", len(w1), wrappedSize)
	}
	if bytes.Contains(w1, dk) {
		t.Fatal("wrapped key contains the data key")
	}
	w2, err := WrapKey(pub, dk, info)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(w1, w2) {
		t.Fatal("two wrappings are equal; HPKE encapsulation must be randomized")
	}
	for _, w := range [][]byte{w1, w2} {
		got, err := k.UnwrapKey(w, info)
		if err != nil {
			t.Fatalf("UnwrapKey: %v", err)
		}
		if !bytes.Equal(got, dk) {
			t.Fatal("unwrapped key differs")
		}
	}
}

// TestWrapSuite opens a wrapped key with crypto/hpke configured from the
// registry IDs of the suite the spec names, to pin the suite.
func TestWrapSuite(t *testing.T) {
	k := newPriv(t)
	dk := newKey(t)
	info := []byte("some info")
	w, err := WrapKey(k.PublicKey(), dk, info)
	if err != nil {
		t.Fatal(err)
	}
	kem, err := hpke.NewKEM(0x0020) // DHKEM(X25519, HKDF-SHA256)
	if err != nil {
		t.Fatal(err)
	}
	kdf, err := hpke.NewKDF(0x0001) // HKDF-SHA256
	if err != nil {
		t.Fatal(err)
	}
	aead, err := hpke.NewAEAD(0x0002) // AES-256-GCM
	if err != nil {
		t.Fatal(err)
	}
	priv, err := kem.NewPrivateKey(k.ecdh.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	got, err := hpke.Open(priv, kdf, aead, info, w)
	if err != nil {
		t.Fatalf("hpke.Open with the named suite: %v", err)
	}
	if !bytes.Equal(got, dk) {
		t.Fatal("hpke.Open gave another key")
	}
}

func TestUnwrapRefused(t *testing.T) {
	k := newPriv(t)
	dk := newKey(t)
	h1 := sha256.Sum256([]byte("a"))
	h2 := sha256.Sum256([]byte("b"))
	info := WrapInfo("lazchain-1", 7, h1[:], []byte("owner"))
	w, err := WrapKey(k.PublicKey(), dk, info)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		key     *PrivateKey
		wrapped []byte
		info    []byte
	}{
		{"other private key", newPriv(t), w, info},
		{"other pool", k, w, WrapInfo("lazchain-1", 8, h1[:], []byte("owner"))},
		{"other chain", k, w, WrapInfo("lazchain-2", 7, h1[:], []byte("owner"))},
		{"other ciphertext", k, w, WrapInfo("lazchain-1", 7, h2[:], []byte("owner"))},
		{"other owner", k, w, WrapInfo("lazchain-1", 7, h1[:], []byte("thief"))},
		{"empty info", k, w, nil},
		{"enc flipped", k, flip(w, 0), info},
		{"ciphertext flipped", k, flip(w, PublicKeySize+3), info},
		{"tag flipped", k, flip(w, len(w)-1), info},
		{"truncated", k, w[:len(w)-1], info},
		{"extended", k, cat(w, []byte{0}), info},
		{"empty", k, nil, info},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.key.UnwrapKey(tt.wrapped, tt.info)
			if !errors.Is(err, ErrUnwrap) {
				t.Fatalf("UnwrapKey = %x, %v; want ErrUnwrap", got, err)
			}
		})
	}
}

func TestWrapBadInput(t *testing.T) {
	k := newPriv(t)
	dk := newKey(t)
	tests := []struct {
		name     string
		pub, key []byte
	}{
		{"short public key", k.PublicKey()[:31], dk},
		{"long public key", cat(k.PublicKey(), []byte{0}), dk},
		{"no public key", nil, dk},
		{"low-order public key", make([]byte, 32), dk},
		{"short data key", k.PublicKey(), dk[:16]},
		{"no data key", k.PublicKey(), nil},
	}
	for _, tt := range tests {
		if w, err := WrapKey(tt.pub, tt.key, nil); err == nil {
			t.Errorf("%s: WrapKey succeeded with %x", tt.name, w)
		}
	}
	var nilKey *PrivateKey
	if _, err := nilKey.UnwrapKey(make([]byte, wrappedSize), nil); err == nil {
		t.Error("nil key unwrapped")
	}
	if _, err := new(PrivateKey).UnwrapKey(make([]byte, wrappedSize), nil); err == nil {
		t.Error("zero key unwrapped")
	}
	if nilKey.PublicKey() != nil || new(PrivateKey).PublicKey() != nil {
		t.Error("nil or zero key has a public key")
	}
}

func TestPrivateKeyNeverPrints(t *testing.T) {
	k := newPriv(t)
	secret := k.ecdh.Bytes()
	forms := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%p"}
	for _, f := range forms {
		for _, v := range []any{k, *k, []*PrivateKey{k}, struct{ K *PrivateKey }{k}, struct{ K PrivateKey }{*k}} {
			out := fmt.Sprintf(f, v)
			if strings.Contains(out, hex.EncodeToString(secret)) || strings.Contains(strings.ToLower(out), hex.EncodeToString(secret)[:16]) ||
				strings.Contains(out, string(secret)) || strings.Contains(out, fmt.Sprint(secret)) {
				t.Fatalf("fmt %s of %T prints the secret: %s", f, v, out)
			}
		}
	}
	if got := k.String(); got != "seal.PrivateKey{…}" {
		t.Fatalf("String() = %q", got)
	}
	if got := fmt.Sprintf("%+v", k); got != "seal.PrivateKey{…}" {
		t.Fatalf("%%+v = %q", got)
	}
}

func TestWrapInfo(t *testing.T) {
	h := sha256.Sum256([]byte("x"))
	// Built by hand from the format: length-prefixed (uint32, big endian)
	// domain, chain id, 8-byte big-endian pool id, ciphertext hash.
	var want []byte
	for _, f := range [][]byte{
		[]byte("lazchain/datakey/v2"),
		[]byte("lazchain-1"),
		{0, 0, 0, 0, 0, 0, 0x01, 0x02},
		h[:],
		[]byte("owner"),
	} {
		want = binary.BigEndian.AppendUint32(want, uint32(len(f)))
		want = append(want, f...)
	}
	if got := WrapInfo("lazchain-1", 0x0102, h[:], []byte("owner")); !bytes.Equal(got, want) {
		t.Fatalf("WrapInfo = %x\nwant      %x", got, want)
	}

	// Distinct inputs give distinct infos, including ones that would
	// collide if fields were only concatenated.
	infos := map[string]string{}
	for _, in := range []struct {
		chain string
		pool  uint64
		hash  string
	}{
		{"a", 1, "bc"}, {"ab", 1, "c"}, {"a", 1, ""}, {"", 1, "a"}, {"a", 2, "bc"},
		{"a", 1 << 8, "bc"}, {"lazchain-1", 0, ""}, {"lazchain-1", 0, "\x00"},
	} {
		got := string(WrapInfo(in.chain, in.pool, []byte(in.hash), nil))
		key := fmt.Sprintf("%q/%d/%q", in.chain, in.pool, in.hash)
		for k, v := range infos {
			if v == got {
				t.Fatalf("WrapInfo(%s) == WrapInfo(%s)", key, k)
			}
		}
		infos[key] = got
	}
}
