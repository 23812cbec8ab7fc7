package tracer

import (
	"math/rand"
	"testing"
)

// TestTracerRandom runs FuzzTracer's checks on seeded random packet
// sequences: few hosts and ports (5-tuples recur), every flag set, idle
// gaps past the UDP and TCP timeouts, MaxFlows of 1 to 8 (evictions) and
// Advance at random points — the cases a short fuzzing run reaches only
// by chance.
func TestTracerRandom(t *testing.T) {
	n := 20000
	if testing.Short() || raceEnabled { // the race detector: ten times slower
		n /= 10
	}
	rng := rand.New(rand.NewSource(4))
	for i := range n {
		in := make([]byte, 1+5*(1+rng.Intn(60)))
		rng.Read(in)
		if i%64 != 0 {
			in[0] &^= 0x10 // per-flow report files: one input in 64 (they cost a folder and files each)
		}
		func() {
			defer func() {
				if t.Failed() {
					t.Logf("input %v", in) // Fatal runs the deferred calls
				}
			}()
			fuzzTracer(t, in)
		}()
		if t.Failed() {
			return
		}
	}
}
