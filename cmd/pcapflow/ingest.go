package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/services"
	"github.com/pcapflow/pcapflow/tracer"
)

const ingestUsage = `Usage: pcapflow ingest FILE|- [flags]

Publish a capture (a file, or "-" for a pcap stream on stdin) into a running
deployment's FRAMES stream. It prints the capture id; with --wait it waits for
the reports and, with -o, writes them to DIR/report.<ext>.

Flags:
`

const ingestExample = `
Example:
  pcapflow ingest capture.pcap --capture demo -f json,tree --wait -o ./out
  tcpdump -i eth0 -w - | pcapflow ingest - --capture live
`

// runIngest implements "pcapflow ingest".
func runIngest(args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	nf := addNATSFlags(fs)
	capture := fs.String("capture", "", "capture id (a-z 0-9 - _; default: derived from the file name, random for stdin)")
	formats := fs.String("f", "json", "report formats, comma-separated: json, plist, tree")
	parts := fs.Int("partitions", bus.DefaultPartitions, "flow partitions of the capture")
	layer := fs.String("L", "", "stop decoding after this layer: link, internet, transport, application")
	proto := fs.String("P", "", "stop decoding after this protocol (e.g. tcp)")
	reasm := fs.String("reassemble", "", "reassemble, comma-separated: ipv4, ipv6, tcp (records join the report)")
	strict := fs.Bool("strict", false, "with --reassemble: keep incomplete datagrams and streams, marked as such")
	analyse := fs.Bool("analyse", false, "with --reassemble tcp: report HTTP, HTTP/2, TLS and FTP messages of the streams")
	trace := fs.Bool("trace", false, "trace flows (flow records join the report)")
	wait := fs.Bool("wait", false, "wait for the reports")
	out := fs.String("o", "", "with --wait: write the reports into this folder")
	if help, err := parseFlags(fs, reorderArgs(args), ingestUsage, ingestExample); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"one capture file (or -) is required"}
	}
	in := fs.Arg(0)
	id := *capture
	if id == "" {
		if in == "-" {
			id = services.NewCaptureID()
		} else {
			id = services.CaptureIDFromName(in)
		}
	}
	opts := bus.Options{Layer: *layer, Protocol: *proto, Partitions: *parts, Formats: strings.Split(*formats, ",")}
	if rc, err := reassemblyConfig(*reasm, *strict, *analyse); err != nil {
		return usageError{err.Error()}
	} else {
		opts.Reassembly = rc
	}
	if *trace {
		opts.Trace = &tracer.Config{}
	}
	if err := opts.Validate(); err != nil {
		return usageError{err.Error()}
	}
	for _, f := range opts.Formats {
		if _, err := services.Formats(&bus.Options{Formats: []string{f}}); err != nil {
			return usageError{err.Error()}
		}
	}
	var r *ingest.Reader
	if in == "-" {
		var err error
		if r, err = ingest.NewReader(stdin, "-", ingest.ReaderOptions{}); err != nil {
			return err
		}
	} else {
		rr, rc, err := ingest.Open(in, ingest.ReaderOptions{})
		if err != nil {
			return err
		}
		defer rc.Close()
		r = rr
	}
	ctx, cancel := signalContext()
	defer cancel()
	c, err := nf.connect(ctx, "pcapflow-ingest", 30*time.Second, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Setup(ctx, jsbus.StreamConfig{}); err != nil {
		return err
	}
	st, err := services.Ingest(ctx, c, r, id, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\t%d frames\t%d batches\n", id, st.Frames, st.Batches)
	if st.ReadErr != nil {
		fmt.Fprintf(stderr, "pcapflow: %v\n", st.ReadErr)
	}
	if *wait {
		if err := waitAndFetch(ctx, c, id, 0, *out); err != nil {
			return err
		}
	}
	if st.ReadErr != nil {
		return st.ReadErr
	}
	return nil
}

// reassemblyConfig parses --reassemble (nil when empty).
func reassemblyConfig(kinds string, strict, analyse bool) (*reassembler.Config, error) {
	if kinds == "" {
		return nil, nil
	}
	rc := &reassembler.Config{Strict: strict, Analyse: analyse}
	for _, k := range strings.Split(kinds, ",") {
		switch strings.TrimSpace(strings.ToLower(k)) {
		case "ipv4":
			rc.IPv4 = true
		case "ipv6":
			rc.IPv6 = true
		case "tcp":
			rc.TCP = true
		default:
			return nil, fmt.Errorf("--reassemble: unknown kind %q (ipv4, ipv6, tcp)", k)
		}
	}
	return rc, nil
}

// waitAndFetch waits for the report of capture (generation gen) and writes
// every format of it into dir (when dir is not empty).
func waitAndFetch(ctx context.Context, c *jsbus.Conn, capture string, gen uint32, dir string) error {
	done, err := services.WaitReport(ctx, c, capture, gen)
	if err != nil {
		return err
	}
	if dir == "" {
		fmt.Fprintf(stdout, "%s\treport ready\t%d frames\n", capture, done.Frames)
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range done.Files {
		p := filepath.Join(dir, filepath.Base(f.Object))
		fh, err := os.Create(p)
		if err != nil {
			return err
		}
		if err := services.FetchReport(ctx, c, done, f.Format, fh); err != nil {
			fh.Close()
			return err
		}
		if err := fh.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\t%s\t%d bytes\n", capture, p, f.Size)
	}
	return nil
}

// reorderArgs moves flags after positional arguments to the front, so that
// "ingest FILE --wait" works as "ingest --wait FILE".
func reorderArgs(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !isBoolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func isBoolFlag(a string) bool {
	switch strings.TrimLeft(a, "-") {
	case "wait", "h", "help", "bus-only", "json", "strict", "analyse", "trace":
		return true
	}
	return false
}
