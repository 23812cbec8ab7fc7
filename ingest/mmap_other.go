//go:build !unix

package ingest

import "io"

// OpenMapped is Open on systems without syscall.Mmap: see the unix
// version, of which this is the fallback (Stable reports false).
func OpenMapped(path string, opts ReaderOptions) (*Reader, io.Closer, error) {
	return Open(path, opts)
}
