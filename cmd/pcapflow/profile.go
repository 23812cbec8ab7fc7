package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts the profiles the environment asks for:
// PCAPFLOW_CPUPROFILE=FILE writes a CPU profile of the whole command,
// PCAPFLOW_MEMPROFILE=FILE a heap profile at its end (go tool pprof reads
// both). The returned function stops and writes them.
func startProfiles() (stop func(), err error) {
	var cpu *os.File
	if name := os.Getenv("PCAPFLOW_CPUPROFILE"); name != "" {
		if cpu, err = os.Create(name); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		if name := os.Getenv("PCAPFLOW_MEMPROFILE"); name != "" {
			f, err := os.Create(name)
			if err != nil {
				fmt.Fprintf(stderr, "pcapflow: heap profile: %v\n", err)
				return
			}
			runtime.GC()
			if err := pprof.WriteHeapProfile(f); err != nil {
				fmt.Fprintf(stderr, "pcapflow: heap profile: %v\n", err)
			}
			f.Close()
		}
	}, nil
}
