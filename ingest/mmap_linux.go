//go:build linux

package ingest

import "syscall"

// releasePages drops the resident pages of b, a part of a read-only shared
// file mapping: reading them again faults them back in from the file.
func releasePages(b []byte) {
	syscall.Madvise(b, syscall.MADV_DONTNEED) // advice only: an error changes nothing read
}
