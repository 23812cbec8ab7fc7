package services

import (
	"math"
	"os"
	"runtime/debug"
	"sync"
)

// The embedded engine's garbage collection policy.
//
// A stateless embedded run allocates fast (the NATS server's handling of
// every message above all) from a small live heap (whatever the capture's
// length): with Go's default GOGC=100 the collector runs often. For the
// length of such a run the collector is told to wait for 4 times the live
// heap (GOGC=400) but to keep the heap under a soft limit of 384 MiB: on
// the 1,000,000-frame capture 456k–473k frames/s against 440k–452k with
// the defaults, for the same peak RSS (~390 MiB; 512 MiB of limit gave
// 472k–473k at ~520 MiB): docs/events.md, "Performance". Runs with
// stateful stages keep the defaults: their live heap grows with the
// reassembler's and tracer's caps, which a fixed limit makes the collector
// chase (measured: 35 s instead of 10 s under a 512 MiB limit).
//
// The policy is left alone when the program chose its own: GOGC or
// GOMEMLIMIT in the environment, or a GC percent or memory limit set in
// the process. Concurrent runs share it; the last one to finish restores
// what was there before.
const (
	embeddedGCPercent   = 400
	embeddedMemoryLimit = 384 << 20
)

var gcPolicy struct {
	mu      sync.Mutex
	users   int
	applied bool
	percent int
	limit   int64
}

// useEmbeddedGC applies the embedded engine's GC policy (see above) and
// returns the function that ends this run's use of it.
func useEmbeddedGC() (release func()) {
	gcPolicy.mu.Lock()
	defer gcPolicy.mu.Unlock()
	if gcPolicy.users == 0 {
		gcPolicy.applied = false
		if _, set := os.LookupEnv("GOGC"); !set {
			if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
				percent := debug.SetGCPercent(embeddedGCPercent)
				limit := debug.SetMemoryLimit(-1) // reads it
				if percent == 100 && limit == math.MaxInt64 {
					debug.SetMemoryLimit(embeddedMemoryLimit)
					gcPolicy.applied, gcPolicy.percent, gcPolicy.limit = true, percent, limit
				} else {
					debug.SetGCPercent(percent) // the program's own choice
				}
			}
		}
	}
	gcPolicy.users++
	var once sync.Once
	return func() {
		once.Do(func() {
			gcPolicy.mu.Lock()
			defer gcPolicy.mu.Unlock()
			gcPolicy.users--
			if gcPolicy.users == 0 && gcPolicy.applied {
				debug.SetGCPercent(gcPolicy.percent)
				debug.SetMemoryLimit(gcPolicy.limit)
				gcPolicy.applied = false
			}
		})
	}
}
