package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// tmpDirName is the subdirectory of a Dir where uploads are written before
// they are complete and verified. Its name is not two hex digits, so it can
// never be taken for a fan-out directory.
const tmpDirName = "tmp"

// Dir is a Store in a local directory. Each object is the file
// <path>/<first byte in hex>/<other 31 bytes in hex>; uploads are written to
// <path>/tmp, synced and renamed into place only once their size and hash
// are verified, so a crash never leaves a partial object visible. A Dir is
// safe for concurrent use; give each directory to one process only, as
// NewDir clears the temporary files it finds.
type Dir struct {
	root    string
	tmp     string
	maxSize int64
}

var _ Store = (*Dir)(nil)

// NewDir opens (creating it if needed) the store in directory path, which
// accepts objects up to maxSize bytes. It removes temporary files that an
// earlier process left behind when it stopped mid-upload.
func NewDir(path string, maxSize int64) (*Dir, error) {
	if maxSize <= 0 {
		return nil, fmt.Errorf("blob: maximum object size %d must be positive", maxSize)
	}
	if path == "" {
		return nil, errors.New("blob: no directory given for the blob store")
	}
	d := &Dir{root: path, tmp: filepath.Join(path, tmpDirName), maxSize: maxSize}
	if err := os.MkdirAll(d.tmp, 0o750); err != nil {
		return nil, fmt.Errorf("blob: creating store directory (check the path and its permissions): %w", err)
	}
	entries, err := os.ReadDir(d.tmp)
	if err != nil {
		return nil, fmt.Errorf("blob: listing leftover uploads: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(d.tmp, e.Name())); err != nil {
			return nil, fmt.Errorf("blob: removing leftover upload: %w", err)
		}
	}
	return d, nil
}

// MaxSize returns the largest object the store accepts, in bytes.
func (d *Dir) MaxSize() int64 { return d.maxSize }

// path returns the fan-out directory and the file name of sum.
func (d *Dir) path(sum Sum) (string, string) {
	h := sum.String()
	dir := filepath.Join(d.root, h[:2])
	return dir, filepath.Join(dir, h[2:])
}

// Put implements Store.
func (d *Dir) Put(ctx context.Context, sum Sum, r io.Reader, size int64) (err error) {
	if size < 0 {
		return fmt.Errorf("blob: put %s: size %d is negative", sum, size)
	}
	if size > d.maxSize {
		return fmt.Errorf("blob: put %s: %d bytes, over the limit of %d: %w", sum, size, d.maxSize, ErrTooLarge)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: put %s: %w", sum, err)
	}
	dir, name := d.path(sum)
	if _, err := os.Stat(name); err == nil {
		return nil
	}

	f, err := os.CreateTemp(d.tmp, "put-*")
	if err != nil {
		return fmt.Errorf("blob: put %s: creating temporary file: %w", sum, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(f, h), io.LimitReader(ctxReader{ctx, r}, size), make([]byte, 128<<10))
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || (err == nil && n < size):
		return fmt.Errorf("blob: put %s: content ended after %d of %d bytes: %w", sum, n, size, ErrSizeMismatch)
	case err != nil:
		return fmt.Errorf("blob: put %s: after %d of %d bytes: %w", sum, n, size, err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, sum[:]) {
		return fmt.Errorf("blob: put %s: content hashes to %x: %w", sum, got, ErrHashMismatch)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("blob: put %s: syncing temporary file: %w", sum, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("blob: put %s: closing temporary file: %w", sum, err)
	}
	created := false
	if err := os.Mkdir(dir, 0o750); err == nil {
		created = true
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("blob: put %s: creating directory: %w", sum, err)
	}
	if err := os.Rename(f.Name(), name); err != nil {
		return fmt.Errorf("blob: put %s: moving object into place: %w", sum, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("blob: put %s: %w", sum, err)
	}
	if created {
		if err := syncDir(d.root); err != nil {
			return fmt.Errorf("blob: put %s: %w", sum, err)
		}
	}
	return nil
}

// syncDir makes a directory's entries durable.
func syncDir(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening directory to sync it: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing directory: %w", err)
	}
	return nil
}

// Get implements Store. The reader is an *os.File, so it can also seek.
func (d *Dir) Get(ctx context.Context, sum Sum) (io.ReadCloser, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("blob: get %s: %w", sum, err)
	}
	_, name := d.path(sum)
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, d.fileErr("get", sum, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("blob: get %s: %w", sum, err)
	}
	return f, fi.Size(), nil
}

// Stat implements Store.
func (d *Dir) Stat(ctx context.Context, sum Sum) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("blob: stat %s: %w", sum, err)
	}
	_, name := d.path(sum)
	fi, err := os.Stat(name)
	if err != nil {
		return 0, d.fileErr("stat", sum, err)
	}
	return fi.Size(), nil
}

// Delete implements Store. Dir itself never refuses a deletion; the HTTP
// handler asks Options.CanDelete first.
func (d *Dir) Delete(ctx context.Context, sum Sum) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: delete %s: %w", sum, err)
	}
	_, name := d.path(sum)
	if err := os.Remove(name); err != nil {
		return d.fileErr("delete", sum, err)
	}
	return nil
}

func (d *Dir) fileErr(op string, sum Sum, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: %s %s: %w", op, sum, ErrNotFound)
	}
	return fmt.Errorf("blob: %s %s: %w", op, sum, err)
}
