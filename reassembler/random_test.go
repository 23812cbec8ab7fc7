package reassembler

import (
	"math/rand"
	"testing"
)

// TestFragmentsRandom runs FuzzFragments' checks on seeded random fragment
// sequences long enough to cross the 30 s timeout (one frame per second)
// and to reuse identifiers: the cases a short fuzzing run rarely reaches.
func TestFragmentsRandom(t *testing.T) {
	randomRun(t, 20000, 1, func(rng *rand.Rand) []byte {
		in := make([]byte, 4*(1+rng.Intn(90)))
		for i := 0; i < len(in); i += 4 {
			in[i] = byte(rng.Intn(8))    // offset/8
			in[i+1] = byte(rng.Intn(40)) // length
			in[i+2] = byte(rng.Intn(4))  // MF, IPv6
			in[i+3] = byte(rng.Intn(4))  // identification
		}
		return in
	}, checkFragments)
}

// randomRun runs body on n seeded random inputs from gen (n/10 with
// -short or the race detector, which makes them ten times slower: the
// fuzz targets and the non-race run cover the rest), logging the failing
// input.
func randomRun(t *testing.T, n int, seed int64, gen func(*rand.Rand) []byte, body func(*testing.T, []byte)) {
	t.Helper()
	if testing.Short() || raceEnabled {
		n /= 10
	}
	rng := rand.New(rand.NewSource(seed))
	for range n {
		in := gen(rng)
		func() {
			defer func() {
				if t.Failed() {
					t.Logf("input %v", in) // Fatal runs the deferred calls
				}
			}()
			body(t, in)
		}()
		if t.Failed() {
			return
		}
	}
}

// TestStreamRandom runs FuzzStream's checks on seeded random segment
// sequences of one connection: pauses cross the 5 min idle timeout (in
// Add or in Advance) and the connection starts again on the same 5-tuple,
// SYNs with another ISN reuse it, RST and FIN end it, and the sequence
// offsets stay close so that segments overlap, arrive in order, out of
// order and past the pending cap; half of them with StableFrames.
func TestStreamRandom(t *testing.T) {
	randomRun(t, 20000, 2, func(rng *rand.Rand) []byte {
		in := make([]byte, 4*(1+rng.Intn(100)))
		hi := byte(rng.Intn(3)) // the offsets' range: 64 B to 16 KiB
		for i := 0; i < len(in); i += 4 {
			ctl := byte(rng.Intn(2)) << 4 // direction
			switch x := rng.Intn(40); {
			case x < 2:
				ctl |= 0x01 // SYN
			case x < 3:
				ctl |= 0x03 // SYN+ACK
			case x < 4:
				ctl |= 0x04 // RST
			case x < 6:
				ctl |= 0x0a // FIN+ACK
			default:
				ctl |= 0x02
			}
			if rng.Intn(50) == 0 {
				ctl |= 0x20 // a pause past the idle timeout
			}
			if rng.Intn(20) == 0 {
				ctl |= 0x40 // Advance
			}
			in[i] = ctl
			if hi > 0 {
				in[i+1] = byte(rng.Intn(int(hi)))
			}
			in[i+2] = byte(rng.Intn(64))
			switch rng.Intn(3) {
			case 0:
				in[i+3] = byte(64 * rng.Intn(4)) // whole offset steps: in-order runs
			default:
				in[i+3] = byte(rng.Intn(256))
			}
		}
		if rng.Intn(2) == 0 {
			in[0] |= 0x80 // StableFrames
		}
		return in
	}, checkStream)
}

// TestFastPathRandom runs FuzzFastPath's checks on seeded random segment
// sequences of its two connections: mostly in-order runs (the fast path),
// with retransmissions, jumps ahead, FIN, RST and SYN; under the small
// limits every second ends both connections by the 50 ns idle timeout and
// the memory cap evicts one, under the defaults (one input in eight) the
// same 5-tuples live on. Each input runs twice (with and without the fast
// path) and compares: 5000 inputs take about as long as the other random
// tests' 20000.
func TestFastPathRandom(t *testing.T) {
	randomRun(t, 5000, 3, func(rng *rand.Rand) []byte {
		in := make([]byte, 4*(1+rng.Intn(120)))
		for i := 0; i < len(in); i += 4 {
			ctl := byte(rng.Intn(4)) << 4 // direction, connection
			if rng.Intn(4) != 0 {
				ctl |= 0x40 // at the next expected byte
			}
			switch x := rng.Intn(40); {
			case x < 1:
				ctl |= 0x01 // SYN
			case x < 2:
				ctl |= 0x03 // SYN+ACK
			case x < 3:
				ctl |= 0x04 // RST
			case x < 5:
				ctl |= 0x0a // FIN+ACK
			default:
				ctl |= 0x02
			}
			in[i] = ctl
			in[i+2] = byte(rng.Intn(256)) // offset/8, up to 2 KiB
			in[i+3] = byte(rng.Intn(256))
		}
		in[0] &^= 0x80
		if rng.Intn(8) == 0 {
			in[0] |= 0x80 // default limits
		}
		return in
	}, checkFastPath)
}
