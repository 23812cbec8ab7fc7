package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/services"
)

const extractUsage = `Usage: pcapflow extract IN [flags]

Decode every frame of the capture IN (a pcap or pcapng file, or "-" for a
capture streamed on stdin) and write a report: a "Global Header" block, then
one "Frame N" block per frame with its frame info, each decoded layer nested
inside its parent (ethernet > ipv4 > tcp > http) and the protocol chain.
Flags may come before or after IN; one-letter flags may be grouped (-vFt).

Flags:
  -o, --output PATH     report file ("-" for stdout), or with -F the folder of
                        per-frame files; default "out" (with -a: out.json, ...)
                          pcapflow extract in.pcap -o report.json
  -f, --format FORMAT   json, plist or tree; default: from the output
                        extension (.json, .plist, .txt), else json
                          pcapflow extract in.pcap -f plist -o report.plist
  -j, --json            same as -f json
  -p, --plist           same as -f plist
  -t, --tree            same as -f tree (PyPCAPKit's tree text)
                          pcapflow extract in.pcap -t -o -
  -a, --auto-extension  append the format's extension to the output name when
                        it lacks it
                          pcapflow extract in.pcap -p -a -o report   # report.plist
  -F, --files           one complete report per frame in the folder given by
                        -o: "Frame 1.json", "Frame 2.json", ...
                          pcapflow extract in.pcap -F -o frames/
  -v, --verbose         print "Frame   1: Ethernet:IPv4:TCP" per frame (on
                        stdout; on stderr when the report goes to stdout;
                        with --engine nats://..., once the report is done)
                          pcapflow extract in.pcap -v -o out.json
  -P, --protocol NAME   stop decoding after the first layer of protocol NAME
                        (Ethernet, VLAN, IPv4, IPv6, TCP, UDP, HTTP, ...);
                        what follows is raw payload
                          pcapflow extract in.pcap -P IPv4 -o out.json
  -L, --layer LAYER     stop decoding after layer LAYER: link, internet,
                        transport or application
                          pcapflow extract in.pcap -L transport -o out.json
      --engine NAME     how the pipeline runs: inline (default, in-process),
                        embedded (every service over an embedded NATS server)
                        or a NATS URL of a running deployment; all give the
                        same report (env PCAPFLOW_ENGINE)
                          pcapflow extract in.pcap --engine embedded -o out.json
      --max-record N    largest record accepted, in bytes (default 262144);
                        a larger one is reported, never allocated
                          pcapflow extract big.pcap --max-record 1048576
` + statefulUsage + `  -h, --help            show this help

On a terminal, a long extraction shows progress (frames, bytes, rate) on
stderr. A capture cut short still gives a complete report of the frames
before the cut, then an error (exit status 1) naming the file, the frame
and the byte offset.
`

// extractFlags are the parsed flags of "pcapflow extract".
type extractFlags struct {
	output, format, protocol, layer, engine string
	json, plist, tree, auto, files, verbose bool
	maxRecord                               uint
	st                                      statefulFlags // --ipv4 --tcp --trace...: trace.go
}

func newExtractFlagSet(f *extractFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	str := func(p *string, short, long, def string) {
		fs.StringVar(p, short, def, "")
		fs.StringVar(p, long, def, "")
	}
	boolean := func(p *bool, short, long string) {
		fs.BoolVar(p, short, false, "")
		fs.BoolVar(p, long, false, "")
	}
	str(&f.output, "o", "output", "")
	str(&f.format, "f", "format", "")
	str(&f.protocol, "P", "protocol", "")
	str(&f.layer, "L", "layer", "")
	boolean(&f.json, "j", "json")
	boolean(&f.plist, "p", "plist")
	boolean(&f.tree, "t", "tree")
	boolean(&f.auto, "a", "auto-extension")
	boolean(&f.files, "F", "files")
	boolean(&f.verbose, "v", "verbose")
	fs.StringVar(&f.engine, "engine", os.Getenv("PCAPFLOW_ENGINE"), "")
	fs.UintVar(&f.maxRecord, "max-record", 0, "")
	f.st.register(fs)
	return fs
}

// runExtract implements "pcapflow extract".
func runExtract(args []string) error {
	var f extractFlags
	fs := newExtractFlagSet(&f)
	if err := fs.Parse(reorder(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, extractUsage)
			return nil
		}
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		if fs.NArg() == 0 {
			return usageError{"no input capture given (a file, or - for stdin)"}
		}
		return usageError{fmt.Sprintf("one input capture expected, got %d: %q", fs.NArg(), fs.Args())}
	}
	o, err := f.options(fs.Arg(0))
	if err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return usageError{strings.TrimPrefix(err.Error(), "extract: ")}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := services.Extract(ctx, o)
	if cerr := f.st.close(); err == nil {
		err = cerr
	}
	if f.verbose {
		fmt.Fprintf(stderr, "pcapflow: %d frames, %d bytes, %d with decode errors, in %v\n",
			st.Frames, st.Bytes, st.DecodeErrors, st.Duration.Round(1e6))
	}
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	return nil
}

// options turns the flags into services.ExtractOptions.
func (f *extractFlags) options(in string) (services.ExtractOptions, error) {
	o := services.ExtractOptions{Input: in, Files: f.files, Engine: f.engine,
		MaxRecord: uint32(min(f.maxRecord, 1<<31)), Stdin: stdin, Stdout: stdout}
	if f.maxRecord > 1<<31 {
		return o, usageError{fmt.Sprintf("--max-record %d: at most %d", f.maxRecord, uint64(1)<<31)}
	}
	var chosen []string
	for _, c := range []struct {
		set  bool
		name string
	}{{f.format != "", f.format}, {f.json, "json"}, {f.plist, "plist"}, {f.tree, "tree"}} {
		if c.set {
			chosen = append(chosen, c.name)
		}
	}
	for _, c := range chosen[min(1, len(chosen)):] {
		if !strings.EqualFold(c, chosen[0]) {
			return o, usageError{fmt.Sprintf("conflicting formats %s and %s", chosen[0], c)}
		}
	}
	o.Output = f.output
	switch {
	case len(chosen) > 0:
		ft, err := reporter.ParseFormat(chosen[0])
		if err != nil {
			return o, usageError{err.Error()}
		}
		o.Format = ft
	default:
		o.Format = reporter.JSON
		for _, ft := range []reporter.Format{reporter.JSON, reporter.Plist, reporter.Text} {
			if !f.files && strings.EqualFold(filepath.Ext(o.Output), ft.Ext()) {
				o.Format = ft
			}
		}
	}
	if o.Output == "" {
		o.Output = "out"
	}
	if f.auto && !f.files && o.Output != "-" && !strings.EqualFold(filepath.Ext(o.Output), o.Format.Ext()) {
		o.Output += o.Format.Ext()
	}
	if f.protocol != "" {
		p, ok := decoder.ParseProto(f.protocol)
		if !ok {
			return o, usageError{fmt.Sprintf("unknown protocol %q for -P", f.protocol)}
		}
		o.Decode.Protocol = p
	}
	if f.layer != "" {
		l, ok := decoder.ParseLevel(f.layer)
		if !ok {
			return o, usageError{fmt.Sprintf("unknown layer %q for -L (want link, internet, transport or application)", f.layer)}
		}
		o.Decode.Layer = l
	}
	if f.verbose {
		o.Verbose = stdout
		if o.Output == "-" {
			o.Verbose = stderr
		}
	}
	if !f.verbose && isTerminal(stderr) && !(o.Output == "-" && isTerminal(stdout)) {
		o.Progress = stderr
	}
	return o, f.st.apply(&o)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// expandCluster splits a cluster of one-letter flags ("-vFt") into
// separate flags, as getopt and PyPCAPKit's argparse accept; every letter
// but the last must be a boolean flag. It returns nil when a is not such a
// cluster (a known flag, a long name, a value after "=").
func expandCluster(fs *flag.FlagSet, a string) []string {
	if len(a) < 3 || a[0] != '-' || a[1] == '-' || strings.Contains(a, "=") || fs.Lookup(a[1:]) != nil {
		return nil
	}
	out := make([]string, 0, len(a)-1)
	for i := 1; i < len(a); i++ {
		fl := fs.Lookup(a[i : i+1])
		if fl == nil {
			return nil
		}
		b, ok := fl.Value.(interface{ IsBoolFlag() bool })
		if i < len(a)-1 && !(ok && b.IsBoolFlag()) {
			return nil
		}
		out = append(out, "-"+a[i:i+1])
	}
	return out
}

// reorder moves flags (and their values) before the positional arguments,
// so that "extract in.pcap -o out.json" parses like "extract -o out.json
// in.pcap". Everything after "--" is positional.
func reorder(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		if cluster := expandCluster(fs, a); cluster != nil {
			// "-vF" is "-v -F"; the last letter may take a value ("-to x").
			flags = append(flags, cluster[:len(cluster)-1]...)
			a, name = cluster[len(cluster)-1], cluster[len(cluster)-1][1:]
		}
		flags = append(flags, a)
		if strings.Contains(name, "=") {
			continue
		}
		fl := fs.Lookup(name)
		if fl == nil {
			continue // Parse reports it
		}
		if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 == len(args) {
			return flags // the value is missing: let Parse report it
		}
		i++
		flags = append(flags, args[i])
	}
	return append(append(flags, "--"), pos...)
}
