package main

import (
	"flag"
	"fmt"
	"runtime"
	"time"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/services"
)

const replayUsage = `Usage: pcapflow replay CAPTURE [flags]

Rebuild the projections (DECODED, REASSEMBLED, FLOWS) and the reports of a
capture from its FRAMES alone: the old projections are deleted, the capture's
generation is bumped, this command decodes FRAMES again, and the deployment's
stateful stages and reporter rebuild the rest. With -o it waits for the new
reports and writes them into a folder.

Flags:
`

// runReplay implements "pcapflow replay".
func runReplay(args []string) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	nf := addNATSFlags(fs)
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "decoder workers")
	out := fs.String("o", "", "write the rebuilt reports into this folder")
	if help, err := parseFlags(fs, reorderArgs(args), replayUsage, "\nExample:\n  pcapflow replay demo -o ./out\n"); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"one capture id is required"}
	}
	capture := fs.Arg(0)
	if err := bus.ValidCapture(capture); err != nil {
		return usageError{err.Error()}
	}
	ctx, cancel := signalContext()
	defer cancel()
	c, err := nf.connect(ctx, "pcapflow-replay", 30*time.Second, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	gen, err := services.Replay(ctx, c, capture, *workers)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\tgeneration %d decoded\n", capture, gen)
	return waitAndFetch(ctx, c, capture, gen, *out)
}

const fetchUsage = `Usage: pcapflow fetch CAPTURE -o DIR [flags]

Download the finished reports of a capture from the deployment's object
store (bucket pcapflow-reports) into DIR/report.<ext>, waiting for them if
they are not ready yet.

Flags:
`

// runFetch implements "pcapflow fetch".
func runFetch(args []string) error {
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	nf := addNATSFlags(fs)
	out := fs.String("o", ".", "folder for the reports")
	gen := fs.Uint("gen", 0, "generation (bumped by each replay)")
	if help, err := parseFlags(fs, reorderArgs(args), fetchUsage, "\nExample:\n  pcapflow fetch demo -o ./out\n"); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"one capture id is required"}
	}
	ctx, cancel := signalContext()
	defer cancel()
	c, err := nf.connect(ctx, "pcapflow-fetch", 30*time.Second, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	return waitAndFetch(ctx, c, fs.Arg(0), uint32(*gen), *out)
}
