package reassembler

import (
	"math/rand"
	"testing"
)

// TestFragmentsRandom runs FuzzFragments' checks on seeded random fragment
// sequences long enough to cross the 30 s timeout (one frame per second)
// and to reuse identifiers: the cases a short fuzzing run rarely reaches.
func TestFragmentsRandom(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	rng := rand.New(rand.NewSource(1))
	for range n {
		in := make([]byte, 4*(1+rng.Intn(90)))
		for i := 0; i < len(in); i += 4 {
			in[i] = byte(rng.Intn(8))    // offset/8
			in[i+1] = byte(rng.Intn(40)) // length
			in[i+2] = byte(rng.Intn(4))  // MF, IPv6
			in[i+3] = byte(rng.Intn(4))  // identification
		}
		func() {
			defer func() {
				if t.Failed() {
					t.Logf("input %v", in) // Fatal runs the deferred calls
				}
			}()
			checkFragments(t, in)
		}()
	}
}
