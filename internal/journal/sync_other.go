//go:build !linux

package journal

import "os"

// syncData makes the file's data and size durable.
func syncData(f *os.File) error { return f.Sync() }
