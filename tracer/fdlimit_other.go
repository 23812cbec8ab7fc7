//go:build !unix

package tracer

// fdLimit returns a conservative descriptor budget where the limit cannot
// be read.
func fdLimit() int { return 512 }
