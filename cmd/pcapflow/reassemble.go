package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/services"
)

const reassembleUsage = `Usage: pcapflow reassemble IN --proto ipv4|ipv6|tcp [flags]

Reassemble the fragmented IPv4/IPv6 datagrams or the TCP streams of the
capture IN (a file, or "-" for stdin) and write one report block per
datagram ("Datagram N") or connection ("Stream N"), N being its first frame,
then a "Reassembly Statistics" block. Flags may come before or after IN.

Flags:
  --proto LIST       ipv4, ipv6, tcp, or a comma-separated list (required)
                       pcapflow reassemble in.pcap --proto ipv4,ipv6
  --strict           also report what could not be completed (timeout,
                     caps, end of capture, gaps), marked incomplete; missing
                     bytes are never zero-filled
                       pcapflow reassemble in.pcap --proto tcp --strict
  --analyse          add the HTTP, HTTP/2, TLS and FTP messages of each
                     stream ("HTTP N.M", "HTTP/2 N.M": one per HTTP/2 frame,
                     "TLS N.M": one per TLS record)
  -o, --output PATH  report file, "-" for stdout (default "-")
  -f, --format FMT   json, plist or tree; default from the output extension,
                     else json
  -h, --help         show this help
`

func runReassemble(args []string) error {
	fs := flag.NewFlagSet("reassemble", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var proto, output, format string
	var strict, analyse bool
	fs.StringVar(&proto, "proto", "", "")
	fs.BoolVar(&strict, "strict", false, "")
	fs.BoolVar(&analyse, "analyse", false, "")
	fs.StringVar(&output, "o", "-", "")
	fs.StringVar(&output, "output", "-", "")
	fs.StringVar(&format, "f", "", "")
	fs.StringVar(&format, "format", "", "")
	if err := fs.Parse(reorder(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, reassembleUsage)
			return nil
		}
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return usageError{"one input capture expected (a file, or - for stdin)"}
	}
	cfg := reassembler.Config{Strict: strict, Analyse: analyse}
	if proto == "" {
		return usageError{"--proto is required (ipv4, ipv6, tcp)"}
	}
	for _, p := range strings.Split(proto, ",") {
		switch strings.ToLower(strings.TrimSpace(p)) {
		case "ipv4":
			cfg.IPv4 = true
		case "ipv6":
			cfg.IPv6 = true
		case "tcp":
			cfg.TCP = true
		default:
			return usageError{fmt.Sprintf("--proto %q: want ipv4, ipv6 or tcp", p)}
		}
	}
	ft, err := reportFormat(format, output)
	if err != nil {
		return err
	}
	ra := reassembler.New(cfg)
	return withReport(output, ft, func(rw reporter.Writer) error {
		var t decoder.Tree
		var werr error
		emit := func(r reassembler.Record) {
			if werr != nil {
				return
			}
			t.Reset()
			r.Fields(&t)
			werr = rw.Block(r.Name(), &t)
		}
		err := feedCapture(fs.Arg(0), func(fi reporter.FrameInfo, p *decoder.Packet) { ra.Add(fi, p, emit) },
			func(sec int64, nsec uint32, at uint64) { ra.Advance(sec, nsec, at, emit) })
		ra.Flush(emit)
		st := ra.Stats()
		t.Reset()
		st.Fields(&t)
		if werr == nil {
			werr = rw.Block("Reassembly Statistics", &t)
		}
		return errors.Join(werr, err)
	})
}

// reportFormat picks the report format from -f, else from the output
// extension, else JSON.
func reportFormat(format, output string) (reporter.Format, error) {
	if format != "" {
		ft, err := reporter.ParseFormat(format)
		if err != nil {
			return 0, usageError{err.Error()}
		}
		return ft, nil
	}
	for _, ft := range []reporter.Format{reporter.JSON, reporter.Plist, reporter.Text} {
		if strings.EqualFold(filepath.Ext(output), ft.Ext()) {
			return ft, nil
		}
	}
	return reporter.JSON, nil
}

// withReport opens the report output ("-": stdout), runs body with a
// report Writer on it, and closes both.
func withReport(output string, ft reporter.Format, body func(reporter.Writer) error) error {
	return withOutput(output, func(w io.Writer) error {
		rw := reporter.NewWriter(w, ft)
		err := body(rw)
		if cerr := rw.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// withOutput opens output ("-": stdout), runs body on it, and closes it.
func withOutput(output string, body func(io.Writer) error) error {
	var w io.Writer = stdout
	var f *os.File
	if output != "-" {
		var err error
		if f, err = os.Create(output); err != nil {
			return err
		}
		w = f
	}
	err := body(w)
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// feedCapture reads the capture at path, decodes every frame and passes it
// to add; every bus.AdvanceEvery frames, and after the last one, it
// calls advance with the last frame's timestamp and index. A capture file
// is read and decoded a batch ahead in a goroutine of its own; standard
// input, a live stream, frame by frame.
func feedCapture(path string, add func(reporter.FrameInfo, *decoder.Packet), advance func(int64, uint32, uint64)) error {
	var r *ingest.Reader
	if path == "-" {
		var err error
		if r, err = ingest.NewReader(stdin, "-", ingest.ReaderOptions{}); err != nil {
			return err
		}
	} else {
		rr, c, err := ingest.Open(path, ingest.ReaderOptions{})
		if err != nil {
			return err
		}
		defer c.Close()
		r = rr
	}
	return services.Feed(r, services.FeedOptions{Live: path == "-"}, add, advance)
}
