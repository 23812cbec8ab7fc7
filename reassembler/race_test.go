//go:build race

package reassembler

const raceEnabled = true
