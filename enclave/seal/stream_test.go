package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
)

// gen is a deterministic, allocation-free source of pseudo-random bytes
// (xorshift64), so big plaintexts need no memory.
type gen struct{ s uint64 }

func newGen(seed uint64) *gen { return &gen{s: seed | 1} }

func (g *gen) Read(p []byte) (int, error) {
	for i := range p {
		g.s ^= g.s << 13
		g.s ^= g.s >> 7
		g.s ^= g.s << 17
		p[i] = byte(g.s >> 32)
	}
	return len(p), nil
}

func randBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func newKey(t testing.TB) []byte {
	t.Helper()
	k, err := NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sealBytes(t testing.TB, pt, key []byte, chunkSize int) []byte {
	t.Helper()
	var out bytes.Buffer
	n, err := encrypt(&out, bytes.NewReader(pt), key, chunkSize)
	if err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	if n != int64(len(pt)) {
		t.Fatalf("encrypt returned %d, want %d", n, len(pt))
	}
	return out.Bytes()
}

func TestNewDataKey(t *testing.T) {
	a, b := newKey(t), newKey(t)
	if len(a) != DataKeySize || len(b) != DataKeySize {
		t.Fatalf("key sizes %d, %d; want %d", len(a), len(b), DataKeySize)
	}
	if bytes.Equal(a, b) {
		t.Fatal("two data keys are equal")
	}
}

func TestRoundTrip(t *testing.T) {
	key := newKey(t)
	for _, size := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			pt := randBytes(t, size)
			var sealed bytes.Buffer
			n, err := Encrypt(&sealed, bytes.NewReader(pt), key)
			if err != nil {
				t.Fatalf("Encrypt: %v", err)
			}
			if n != int64(size) {
				t.Fatalf("Encrypt returned %d, want %d", n, size)
			}
			chunks := (size + ChunkSize - 1) / ChunkSize
			if chunks == 0 {
				chunks = 1
			}
			if want := headerSize + size + chunks*tagSize; sealed.Len() != want {
				t.Fatalf("sealed length %d, want %d", sealed.Len(), want)
			}
			if got := SealedSize(int64(size)); got != int64(sealed.Len()) {
				t.Fatalf("SealedSize(%d) = %d, sealed length is %d", size, got, sealed.Len())
			}
			if bytes.Contains(sealed.Bytes(), pt[:min(size, 64)]) && size >= 16 {
				t.Fatal("sealed stream contains the plaintext")
			}

			// Decrypt (the WriteTo path).
			var out bytes.Buffer
			m, err := Decrypt(&out, bytes.NewReader(sealed.Bytes()), key)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if m != int64(size) || !bytes.Equal(out.Bytes(), pt) {
				t.Fatalf("Decrypt gave %d bytes, not the plaintext", m)
			}

			// NewReader, fed one byte at a time (the Read path), checked
			// by iotest for reader conformance.
			r, err := NewReader(iotest.OneByteReader(bytes.NewReader(sealed.Bytes())), key)
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			if err := iotest.TestReader(r, pt); err != nil {
				t.Fatalf("reader: %v", err)
			}
		})
	}
}

// TestChunkBoundaries seals every size around small chunk boundaries, with a
// plaintext reader that returns one byte at a time.
func TestChunkBoundaries(t *testing.T) {
	key := newKey(t)
	const cs = minChunkSize
	for size := 0; size <= 4*cs+1; size++ {
		pt := randBytes(t, size)
		var sealed bytes.Buffer
		n, err := encrypt(&sealed, iotest.OneByteReader(bytes.NewReader(pt)), key, cs)
		if err != nil || n != int64(size) {
			t.Fatalf("size %d: encrypt = %d, %v", size, n, err)
		}
		chunks := max((size+cs-1)/cs, 1)
		if want := headerSize + size + chunks*tagSize; sealed.Len() != want {
			t.Fatalf("size %d: sealed length %d, want %d", size, sealed.Len(), want)
		}
		got, err := io.ReadAll(iotest.HalfReader(mustReader(t, sealed.Bytes(), key)))
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("size %d: round trip failed: %v", size, err)
		}
	}
}

func mustReader(t *testing.T, sealed, key []byte) io.Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(sealed), key)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	return r
}

// TestStreamingConstantMemory seals 64 MiB from a generator through an
// io.Pipe into Decrypt and measures, with runtime.MemStats.TotalAlloc, all
// the bytes the process allocated meanwhile: it must stay a small constant,
// far below the stream's size.
func TestStreamingConstantMemory(t *testing.T) {
	const size = 64 << 20
	key := newKey(t)
	want := sha256.New()
	if _, err := io.Copy(want, io.LimitReader(newGen(7), size)); err != nil {
		t.Fatal(err)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	pr, pw := io.Pipe()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := Encrypt(pw, io.LimitReader(newGen(7), size), key)
		pw.CloseWithError(err)
		done <- result{n, err}
	}()
	got := sha256.New()
	n, err := Decrypt(got, pr, key)
	enc := <-done

	runtime.ReadMemStats(&after)
	if enc.err != nil || enc.n != size {
		t.Fatalf("Encrypt = %d, %v", enc.n, enc.err)
	}
	if err != nil || n != size {
		t.Fatalf("Decrypt = %d, %v", n, err)
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatal("decrypted stream differs from the plaintext")
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d bytes in total to seal and open %d bytes", alloc, size)
	if alloc > 2<<20 {
		t.Fatalf("allocated %d bytes to stream %d bytes; memory is not constant", alloc, size)
	}
}

func TestWrongKey(t *testing.T) {
	key := newKey(t)
	for _, size := range []int{0, 100, 2*ChunkSize + 1} {
		sealed := sealBytes(t, randBytes(t, size), key, ChunkSize)
		var out bytes.Buffer
		_, err := Decrypt(&out, bytes.NewReader(sealed), newKey(t))
		if !errors.Is(err, ErrTampered) {
			t.Fatalf("size %d: wrong key gave %v, want ErrTampered", size, err)
		}
		if out.Len() != 0 {
			t.Fatalf("size %d: wrong key released %d bytes", size, out.Len())
		}
	}
}

func TestBadKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := Encrypt(io.Discard, bytes.NewReader(nil), make([]byte, n)); err == nil {
			t.Errorf("Encrypt with a %d-byte key succeeded", n)
		}
		if _, err := NewReader(bytes.NewReader(nil), make([]byte, n)); err == nil {
			t.Errorf("NewReader with a %d-byte key succeeded", n)
		}
	}
}

// chunkAt returns the offset and length of sealed chunk i in a stream of
// full chunks of cs plaintext bytes.
func chunkAt(i, cs int) (int, int) { return headerSize + i*(cs+tagSize), cs + tagSize }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x40
	return c
}

// TestTamper checks that every kind of modification is detected, through
// both Decrypt and a reader read in small steps, and that only the
// plaintext of chunks before the modified one is ever released.
func TestTamper(t *testing.T) {
	const cs = ChunkSize
	key := newKey(t)
	pt := randBytes(t, 3*cs+17) // chunks 0..2 full, chunk 3 final (17 bytes)
	s := sealBytes(t, pt, key, cs)
	other := sealBytes(t, randBytes(t, len(pt)), key, cs) // same key, other file
	exact := randBytes(t, 2*cs)                           // final chunk is full
	se := sealBytes(t, exact, key, cs)
	empty := sealBytes(t, nil, key, cs)

	c := func(i int) []byte { off, n := chunkAt(i, cs); return s[off : off+n] }
	hdr := s[:headerSize]
	last := s[headerSize+3*(cs+tagSize):]

	type tc struct {
		name    string
		sealed  []byte
		want    []error // any of these
		release []byte  // plaintext that may be released before the error
	}
	tests := []tc{
		{"chunk 1 body flipped", flip(s, headerSize+(cs+tagSize)+100), []error{ErrTampered}, pt[:cs]},
		{"chunk 0 tag flipped", flip(s, headerSize+cs+tagSize-1), []error{ErrTampered}, nil},
		{"final chunk flipped", flip(s, len(s)-20), []error{ErrTampered}, pt[:3*cs]},
		{"final tag flipped", flip(s, len(s)-1), []error{ErrTampered}, pt[:3*cs]},
		{"last chunk dropped", cat(hdr, c(0), c(1), c(2)), []error{ErrTruncated}, pt[:2*cs]},
		{"last two chunks dropped", cat(hdr, c(0), c(1)), []error{ErrTruncated}, pt[:cs]},
		{"only the header", bytes.Clone(hdr), []error{ErrTruncated}, nil},
		{"chunks 0 and 1 swapped", cat(hdr, c(1), c(0), c(2), last), []error{ErrTampered}, nil},
		{"chunks 1 and 2 swapped", cat(hdr, c(0), c(2), c(1), last), []error{ErrTampered}, pt[:cs]},
		{"chunk 0 replayed", cat(hdr, c(0), c(0), c(2), last), []error{ErrTampered}, pt[:cs]},
		{"chunk 1 from another file", cat(hdr, c(0), other[headerSize+cs+tagSize:headerSize+2*(cs+tagSize)], c(2), last), []error{ErrTampered}, pt[:cs]},
		{"header of another file", cat(other[:headerSize], s[headerSize:]), []error{ErrTampered}, nil},
		{"one garbage byte appended", cat(s, []byte{0}), []error{ErrTampered}, pt[:3*cs]},
		{"garbage chunk appended", cat(s, randBytes(t, cs+tagSize)), []error{ErrTampered}, pt[:3*cs]},
		{"stream appended to itself", cat(s, s), []error{ErrTampered}, pt[:3*cs]},
		{"byte appended after full final chunk", cat(se, []byte{1}), []error{ErrTampered}, exact[:cs]},
		{"final chunk of an exact stream dropped", se[:headerSize+cs+tagSize], []error{ErrTruncated}, nil},
		{"cut inside chunk 2", s[:headerSize+2*(cs+tagSize)+1000], []error{ErrTampered, ErrTruncated}, pt[:2*cs]},
		{"cut inside final chunk", s[:len(s)-1], []error{ErrTampered, ErrTruncated}, pt[:3*cs]},
		{"cut inside final tag, under 16 bytes left", s[:len(s)-len(last)+5], []error{ErrTampered, ErrTruncated}, pt[:3*cs]},
		{"cut inside header", s[:headerSize-1], []error{ErrTruncated}, nil},
		{"empty input", nil, []error{ErrTruncated}, nil},
		{"empty stream's final chunk dropped", empty[:headerSize], []error{ErrTruncated}, nil},
		{"empty stream with garbage", cat(empty, []byte("x")), []error{ErrTampered}, nil},
		{"empty stream's tag flipped", flip(empty, len(empty)-1), []error{ErrTampered}, nil},
	}
	short := sealBytes(t, pt[:100], key, cs) // one final chunk, which any valid chunk size parses
	for i := range headerSize {
		tests = append(tests,
			tc{fmt.Sprintf("header byte %d flipped", i), flip(s, i), []error{ErrTampered, ErrFormat}, nil},
			tc{fmt.Sprintf("header byte %d of a one-chunk stream flipped", i), flip(short, i), []error{ErrTampered, ErrFormat}, nil})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(how string, out []byte, err error) {
				t.Helper()
				ok := false
				for _, w := range tt.want {
					ok = ok || errors.Is(err, w)
				}
				if !ok {
					t.Fatalf("%s: error %v, want one of %v", how, err, tt.want)
				}
				if len(out) > len(tt.release) || !bytes.Equal(out, tt.release[:len(out)]) {
					t.Fatalf("%s: released %d bytes that are not a prefix of the %d authentic ones", how, len(out), len(tt.release))
				}
			}
			var out bytes.Buffer
			_, err := Decrypt(&out, bytes.NewReader(tt.sealed), key)
			check("Decrypt", out.Bytes(), err)

			var got []byte
			r, err := NewReader(bytes.NewReader(tt.sealed), key)
			if err == nil {
				got, err = io.ReadAll(iotest.HalfReader(r))
				// The error sticks.
				if _, err2 := r.Read(make([]byte, 1)); err2 != err {
					t.Fatalf("second Read returned %v after %v", err2, err)
				}
			}
			check("Read", got, err)
		})
	}
}

func TestChunkSizeLimits(t *testing.T) {
	key := newKey(t)
	for _, cs := range []int{0, 1, minChunkSize - 1, maxChunkSize + 1} {
		if _, err := encrypt(io.Discard, bytes.NewReader(nil), key, cs); err == nil {
			t.Errorf("chunk size %d accepted", cs)
		}
	}
	// A header announcing a huge chunk size is refused before any
	// allocation, as a format error.
	s := sealBytes(t, []byte("x"), key, ChunkSize)
	s[len(magic)+1] = 0xff
	if _, err := NewReader(bytes.NewReader(s), key); !errors.Is(err, ErrFormat) {
		t.Fatalf("huge chunk size gave %v, want ErrFormat", err)
	}
}

func TestSealedSize(t *testing.T) {
	tests := []struct{ n, want int64 }{
		{-1, -1},
		{0, headerSize + tagSize},
		{1, headerSize + 1 + tagSize},
		{ChunkSize, headerSize + ChunkSize + tagSize},
		{ChunkSize + 1, headerSize + ChunkSize + 1 + 2*tagSize},
		{10 << 30, headerSize + 10<<30 + (10<<30/ChunkSize)*tagSize},
		{1 << 62, -1}, // more chunks than the counter can number
	}
	for _, tt := range tests {
		if got := SealedSize(tt.n); got != tt.want {
			t.Errorf("SealedSize(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

// errWriter fails after n bytes.
type errWriter struct{ n int }

func (w *errWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestIOErrors(t *testing.T) {
	key := newKey(t)
	if _, err := Encrypt(&errWriter{n: 0}, bytes.NewReader([]byte("abc")), key); err == nil {
		t.Error("Encrypt ignored a header write error")
	}
	if _, err := Encrypt(&errWriter{n: headerSize}, bytes.NewReader([]byte("abc")), key); err == nil {
		t.Error("Encrypt ignored a chunk write error")
	}
	readErr := errors.New("read failed")
	if _, err := Encrypt(io.Discard, iotest.ErrReader(readErr), key); !errors.Is(err, readErr) {
		t.Errorf("Encrypt read error: %v", err)
	}
	s := sealBytes(t, randBytes(t, 100), key, ChunkSize)
	if _, err := Decrypt(&errWriter{n: 10}, bytes.NewReader(s), key); err == nil {
		t.Error("Decrypt ignored a write error")
	}
	r := io.MultiReader(bytes.NewReader(s[:headerSize+5]), iotest.ErrReader(readErr))
	if _, err := Decrypt(io.Discard, r, key); !errors.Is(err, readErr) {
		t.Errorf("Decrypt read error: %v", err)
	}
}

// TestNoKeystreamReuse seals identical chunks and checks their ciphertexts
// differ, that is, no two chunks (or streams) share a nonce.
func TestNoKeystreamReuse(t *testing.T) {
	key := newKey(t)
	zeros := make([]byte, 3*ChunkSize)
	a := sealBytes(t, zeros, key, ChunkSize)
	b := sealBytes(t, zeros, key, ChunkSize)
	seen := map[string]bool{}
	for _, s := range [][]byte{a, b} {
		for i := range 3 {
			off, n := chunkAt(i, ChunkSize)
			body := string(s[off : off+n-tagSize])
			if seen[body] {
				t.Fatalf("chunk %d repeats another chunk's ciphertext: nonce reused", i)
			}
			seen[body] = true
		}
	}
}

// TestFormat opens a sealed stream with crypto/cipher alone, following the
// format documented on Encrypt, so the format cannot drift from its
// description.
func TestFormat(t *testing.T) {
	key := newKey(t)
	pt := randBytes(t, 2*ChunkSize+3)
	s := sealBytes(t, pt, key, ChunkSize)

	hdr := s[:17]
	if string(hdr[:4]) != "LZS1" || hdr[4] != 1 || binary.BigEndian.Uint32(hdr[5:9]) != ChunkSize {
		t.Fatalf("header %x", hdr)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	rest := s[17:]
	for i := uint32(0); len(rest) > 0; i++ {
		n := min(len(rest), ChunkSize+16)
		final := byte(0)
		if n == len(rest) {
			final = 1
		}
		nonce := binary.BigEndian.AppendUint32(bytes.Clone(hdr[9:17]), i)
		ad := append(binary.BigEndian.AppendUint32(bytes.Clone(hdr), i), final)
		out, err := gcm.Open(nil, nonce, rest[:n], ad)
		if err != nil {
			t.Fatalf("chunk %d does not open as documented: %v", i, err)
		}
		got = append(got, out...)
		rest = rest[n:]
	}
	if !bytes.Equal(got, pt) {
		t.Fatal("documented format gives other plaintext")
	}
}
