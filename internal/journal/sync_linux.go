//go:build linux

package journal

import (
	"os"
	"syscall"
)

// syncData makes the file's data and size durable (fdatasync).
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
