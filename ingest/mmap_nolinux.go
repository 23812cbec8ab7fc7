//go:build !linux

package ingest

// releasePages does nothing outside Linux: the mapped pages stay resident
// until the kernel reclaims them (they are clean file pages).
func releasePages([]byte) {}
