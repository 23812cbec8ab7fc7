package services

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// TestEmbeddedGCPolicy: the policy applies while runs use it, nested uses
// share it, the last release restores the defaults, and a program's own
// setting is left alone.
func TestEmbeddedGCPolicy(t *testing.T) {
	unsetenv(t, "GOGC")
	unsetenv(t, "GOMEMLIMIT")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))

	state := func() (int, int64) {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p, debug.SetMemoryLimit(-1)
	}
	r1 := useEmbeddedGC()
	r2 := useEmbeddedGC()
	if p, l := state(); p != embeddedGCPercent || l != embeddedMemoryLimit {
		t.Fatalf("during runs: GOGC %d, limit %d", p, l)
	}
	r1()
	r1() // a second call does nothing
	if p, l := state(); p != embeddedGCPercent || l != embeddedMemoryLimit {
		t.Fatalf("one run still going: GOGC %d, limit %d", p, l)
	}
	r2()
	if p, l := state(); p != 100 || l != math.MaxInt64 {
		t.Fatalf("after the runs: GOGC %d, limit %d, want the defaults", p, l)
	}

	debug.SetGCPercent(50) // the program's own choice
	r := useEmbeddedGC()
	if p, l := state(); p != 50 || l != math.MaxInt64 {
		t.Fatalf("with GOGC set by the program: GOGC %d, limit %d", p, l)
	}
	r()
	if p, _ := state(); p != 50 {
		t.Fatalf("after: GOGC %d, want the program's 50", p)
	}
	debug.SetGCPercent(100)

	t.Setenv("GOMEMLIMIT", "1GiB")
	r = useEmbeddedGC()
	if p, l := state(); p != 100 || l != math.MaxInt64 {
		t.Fatalf("with GOMEMLIMIT in the environment: GOGC %d, limit %d", p, l)
	}
	r()
}

// unsetenv removes key from the environment for the rest of the test.
func unsetenv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "") // restores the old value when the test ends
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}
