package blob

import (
	"bytes"
	"context"
	"io"
	"testing"
)

// BenchmarkPutGet stores an 8 MiB blob (with fsync), reads it back and
// deletes it, directly on a Dir and through the HTTP client and handler.
func BenchmarkPutGet(b *testing.B) {
	const size = 8 << 20
	data := randBytes(b, size)
	sum := sumOf(data)
	run := func(b *testing.B, s Store) {
		ctx := context.Background()
		b.SetBytes(size)
		for b.Loop() {
			if err := s.Put(ctx, sum, bytes.NewReader(data), size); err != nil {
				b.Fatal(err)
			}
			rc, _, err := s.Get(ctx, sum)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				b.Fatal(err)
			}
			rc.Close()
			if err := s.Delete(ctx, sum); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("dir", func(b *testing.B) {
		d, _ := newDir(b, 1<<30)
		run(b, d)
	})
	b.Run("http", func(b *testing.B) {
		d, _ := newDir(b, 1<<30)
		_, c := newServer(b, d, Options{CanDelete: allowAll})
		run(b, c)
	})
}
