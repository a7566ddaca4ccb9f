//go:build !unix || solaris || aix

package journal

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// lockDir creates the directory's LOCK file exclusively and writes our
// pid into it. Without flock(2) a lock left by a killed process stays:
// the error names its pid so an operator can remove the file.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			b, _ := os.ReadFile(path)
			return nil, fmt.Errorf("%w: %s is held by process %s; stop that process, or remove the file if it is no longer running", ErrLocked, path, strings.TrimSpace(string(b)))
		}
		return nil, fmt.Errorf("create lock file %s: %w", path, err)
	}
	if _, err := f.WriteString(strconv.Itoa(os.Getpid()) + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("write pid to lock file %s: %w", path, err)
	}
	return f, nil
}

// unlockDir releases the lock taken by lockDir.
func unlockDir(f *os.File) error {
	err := f.Close()
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	return err
}
