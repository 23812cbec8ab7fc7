//go:build unix

package tracer

import "syscall"

// fdLimit returns the process's soft limit on open file descriptors (Go
// raises it to the hard limit at start on Linux), or 4096 when unknown.
func fdLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return 4096
	}
	return int(min(rl.Cur, 1<<20))
}
