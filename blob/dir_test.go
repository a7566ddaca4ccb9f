package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

func randBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sumOf(b []byte) Sum { return Sum(sha256.Sum256(b)) }

func newDir(t testing.TB, maxSize int64) (*Dir, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "blobs")
	d, err := NewDir(path, maxSize)
	if err != nil {
		t.Fatal(err)
	}
	return d, path
}

func readAll(t testing.TB, s Store, sum Sum) []byte {
	t.Helper()
	rc, size, err := s.Get(context.Background(), sum)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading blob: %v", err)
	}
	if int64(len(b)) != size {
		t.Fatalf("Get said %d bytes, read %d", size, len(b))
	}
	return b
}

// tmpFiles lists the temporary uploads in a Dir at path.
func tmpFiles(t testing.TB, path string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(path, tmpDirName))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestSum(t *testing.T) {
	s := sumOf([]byte("abc"))
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" // SHA-256("abc"), FIPS 180-2
	if s.String() != want {
		t.Fatalf("String() = %s", s)
	}
	for _, in := range []string{want, strings.ToUpper(want)} {
		got, err := ParseSum(in)
		if err != nil || got != s {
			t.Fatalf("ParseSum(%s) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "ab", want[:63], want + "0", "zz" + want[2:], want[:62] + " 0", strings.Repeat("x", 1000)} {
		if _, err := ParseSum(bad); err == nil {
			t.Errorf("ParseSum(%q) succeeded", bad)
		}
	}
	var back Sum
	text, _ := s.MarshalText()
	if err := back.UnmarshalText(text); err != nil || back != s {
		t.Fatalf("text round trip: %v, %v", back, err)
	}
}

func TestDirPutGetStatDelete(t *testing.T) {
	ctx := context.Background()
	d, path := newDir(t, 1<<20)
	for _, size := range []int{0, 1, 1000, 1 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := randBytes(t, size)
			sum := sumOf(data)
			if _, err := d.Stat(ctx, sum); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Stat before Put: %v", err)
			}
			if _, _, err := d.Get(ctx, sum); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get before Put: %v", err)
			}
			// A reader that returns little at a time.
			if err := d.Put(ctx, sum, iotest.HalfReader(bytes.NewReader(data)), int64(size)); err != nil {
				t.Fatalf("Put: %v", err)
			}
			// The object sits where the layout says.
			h := sum.String()
			if fi, err := os.Stat(filepath.Join(path, h[:2], h[2:])); err != nil || fi.Size() != int64(size) {
				t.Fatalf("object file: %v, %v", fi, err)
			}
			if n, err := d.Stat(ctx, sum); err != nil || n != int64(size) {
				t.Fatalf("Stat = %d, %v", n, err)
			}
			if got := readAll(t, d, sum); !bytes.Equal(got, data) {
				t.Fatal("Get returned other bytes")
			}
			// Putting it again is a no-op that need not read the body.
			if err := d.Put(ctx, sum, iotest.ErrReader(errors.New("must not be read")), int64(size)); err != nil {
				t.Fatalf("second Put: %v", err)
			}
			if err := d.Delete(ctx, sum); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, err := d.Stat(ctx, sum); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Stat after Delete: %v", err)
			}
			if err := d.Delete(ctx, sum); !errors.Is(err, ErrNotFound) {
				t.Fatalf("second Delete: %v", err)
			}
			if tmp := tmpFiles(t, path); len(tmp) != 0 {
				t.Fatalf("temporary files left: %v", tmp)
			}
		})
	}
}

// TestDirPutRefused checks each refused Put leaves nothing: no object, no
// temporary file.
func TestDirPutRefused(t *testing.T) {
	ctx := context.Background()
	d, path := newDir(t, 1000)
	data := randBytes(t, 500)
	sum := sumOf(data)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		r    io.Reader
		size int64
		want error
	}{
		{"hash mismatch", ctx, bytes.NewReader(randBytes(t, 500)), 500, ErrHashMismatch},
		{"one byte flipped", ctx, bytes.NewReader(append(bytes.Clone(data[:499]), data[499]^1)), 500, ErrHashMismatch},
		{"content shorter than size", ctx, bytes.NewReader(data[:400]), 500, ErrSizeMismatch},
		{"size shorter than content", ctx, bytes.NewReader(data), 400, ErrHashMismatch},
		{"empty content", ctx, bytes.NewReader(nil), 500, ErrSizeMismatch},
		{"connection cut", ctx, io.MultiReader(bytes.NewReader(data[:100]), iotest.ErrReader(io.ErrUnexpectedEOF)), 500, ErrSizeMismatch},
		{"too large", ctx, bytes.NewReader(make([]byte, 1001)), 1001, ErrTooLarge},
		{"canceled", canceled, bytes.NewReader(data), 500, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.Put(tt.ctx, sum, tt.r, tt.size)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Put: %v, want %v", err, tt.want)
			}
			if _, err := d.Stat(ctx, sum); !errors.Is(err, ErrNotFound) {
				t.Fatalf("object visible after failed Put: %v", err)
			}
			if tmp := tmpFiles(t, path); len(tmp) != 0 {
				t.Fatalf("temporary files left: %v", tmp)
			}
		})
	}
	if err := d.Put(ctx, sum, bytes.NewReader(data), -1); err == nil {
		t.Fatal("negative size accepted")
	}
	// And the right content still goes in afterwards.
	if err := d.Put(ctx, sum, bytes.NewReader(data), 500); err != nil {
		t.Fatal(err)
	}
}

// TestDirPutReadsOnlySize checks Put never consumes bytes past size.
func TestDirPutReadsOnlySize(t *testing.T) {
	d, _ := newDir(t, 1<<20)
	data := randBytes(t, 1000)
	r := bytes.NewReader(append(bytes.Clone(data), "next"...))
	if err := d.Put(context.Background(), sumOf(data), r, 1000); err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(r); string(rest) != "next" {
		t.Fatalf("Put consumed bytes past size; left %q", rest)
	}
}

func TestDirConcurrentPuts(t *testing.T) {
	ctx := context.Background()
	d, path := newDir(t, 1<<20)
	data := randBytes(t, 300<<10)
	sum := sumOf(data)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			errs <- d.Put(ctx, sum, iotest.HalfReader(bytes.NewReader(data)), int64(len(data)))
		})
	}
	// Readers racing the writers see nothing or the whole object.
	for range 50 {
		rc, n, err := d.Get(ctx, sum)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || n != int64(len(data)) || !bytes.Equal(b, data) {
			t.Fatalf("a concurrent reader saw a partial object (%d of %d bytes)", len(b), len(data))
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Put: %v", err)
		}
	}
	if !bytes.Equal(readAll(t, d, sum), data) {
		t.Fatal("stored object differs")
	}
	if tmp := tmpFiles(t, path); len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
}

// TestDirCrashLeftovers simulates a process that died mid-upload: its
// temporary file is not visible as an object, and the next NewDir removes it.
func TestDirCrashLeftovers(t *testing.T) {
	ctx := context.Background()
	d, path := newDir(t, 1<<20)
	data := randBytes(t, 4096)
	sum := sumOf(data)
	h := sum.String()
	tmp := filepath.Join(path, tmpDirName)
	for _, name := range []string{"put-123456", h, h[2:]} {
		if err := os.WriteFile(filepath.Join(tmp, name), data[:1000], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(tmp, "put-dir"), 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Stat(ctx, sum); !errors.Is(err, ErrNotFound) {
		t.Fatalf("leftover temp file visible: %v", err)
	}
	if _, _, err := d.Get(ctx, sum); !errors.Is(err, ErrNotFound) {
		t.Fatalf("leftover temp file readable: %v", err)
	}
	// A complete object survives the restart; the leftovers do not.
	other := randBytes(t, 100)
	if err := d.Put(ctx, sumOf(other), bytes.NewReader(other), 100); err != nil {
		t.Fatal(err)
	}
	d2, err := NewDir(path, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if left := tmpFiles(t, path); len(left) != 0 {
		t.Fatalf("NewDir left temporary files: %v", left)
	}
	if !bytes.Equal(readAll(t, d2, sumOf(other)), other) {
		t.Fatal("object lost across NewDir")
	}
	if err := d2.Put(ctx, sum, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
}

func TestNewDirBadArgs(t *testing.T) {
	if _, err := NewDir(t.TempDir(), 0); err == nil {
		t.Error("max size 0 accepted")
	}
	if _, err := NewDir("", 1); err == nil {
		t.Error("empty path accepted")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewDir(file, 1); err == nil {
		t.Error("a file accepted as the store directory")
	}
}
