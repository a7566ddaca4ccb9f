package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

var (
	// ErrNotFound means no blob with that hash is stored.
	ErrNotFound = errors.New("blob not found")
	// ErrTooLarge means the blob is larger than the store accepts.
	ErrTooLarge = errors.New("blob is larger than the store accepts")
	// ErrHashMismatch means the bytes do not hash (SHA-256) to the name they
	// were sent or stored under; hash the exact bytes you send.
	ErrHashMismatch = errors.New("blob content does not match its SHA-256")
	// ErrSizeMismatch means the content ended before the announced size.
	ErrSizeMismatch = errors.New("blob content is shorter than its announced size")
	// ErrForbidden means the store refused the operation (deleting a blob
	// that the chain still needs, for example).
	ErrForbidden = errors.New("operation not allowed on this blob")
)

// Sum is the SHA-256 of a blob's bytes, its name in a Store.
type Sum [sha256.Size]byte

// ParseSum parses the 64 hexadecimal digits of a SHA-256 (either case).
func ParseSum(s string) (Sum, error) {
	var sum Sum
	if len(s) != 2*len(sum) {
		return Sum{}, fmt.Errorf("blob: hash %s is %d characters; want the 64 hex digits of a SHA-256", quote(s), len(s))
	}
	if _, err := hex.Decode(sum[:], []byte(s)); err != nil {
		return Sum{}, fmt.Errorf("blob: hash %s is not hexadecimal; want the 64 hex digits of a SHA-256", quote(s))
	}
	return sum, nil
}

// quote quotes s for an error message, shortened if long.
func quote(s string) string {
	if len(s) > 80 {
		return fmt.Sprintf("%q…", s[:80])
	}
	return fmt.Sprintf("%q", s)
}

// String returns the sum as 64 lower-case hex digits.
func (s Sum) String() string { return hex.EncodeToString(s[:]) }

// MarshalText encodes the sum as 64 lower-case hex digits (for JSON).
func (s Sum) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a sum written by MarshalText.
func (s *Sum) UnmarshalText(b []byte) error {
	v, err := ParseSum(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Store keeps blobs under their SHA-256. Dir and Client implement it, and a
// later S3-compatible backend will too. Errors wrap the sentinel errors of
// this package where one applies, so callers test them with errors.Is.
type Store interface {
	// Put stores exactly size bytes read from r under sum. It reads no more
	// than size bytes from r, checks the size and the SHA-256 while
	// writing, and never makes a partial or mismatching object visible.
	// Putting an object that exists succeeds at once, possibly without
	// reading r. Errors: ErrTooLarge, ErrHashMismatch, ErrSizeMismatch.
	Put(ctx context.Context, sum Sum, r io.Reader, size int64) error
	// Get opens the blob for reading and returns its size. The caller
	// must close the reader. Errors: ErrNotFound.
	Get(ctx context.Context, sum Sum) (io.ReadCloser, int64, error)
	// Stat returns the blob's size. Errors: ErrNotFound.
	Stat(ctx context.Context, sum Sum) (int64, error)
	// Delete removes the blob. Errors: ErrNotFound, ErrForbidden.
	Delete(ctx context.Context, sum Sum) error
}

// ctxReader fails reads once ctx is done, so a long copy stops when its
// caller gives up.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
