//go:build !unix

package ingest

import "io"

const mappingSupported = false

// mapCloser stands for the unix type in the shared tests.
type mapCloser struct {
	io.Closer
	b []byte
}
