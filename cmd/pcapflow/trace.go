package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/services"
	"github.com/pcapflow/pcapflow/tracer"
)

const traceUsage = `Usage: pcapflow trace IN [flags]

Trace the TCP, UDP and ICMP echo flows of the capture IN (a file, or "-" for
stdin) and write one file per flow into a folder, named as PyPCAPKit names
them: {src}_{sport}-{dst}_{dport}-{first timestamp} (':' of IPv6 addresses
become '_'). Flags may come before or after IN.

Flags:
  -o, --output DIR          folder of the per-flow files (default "trace")
      --trace-format FMT    pcap (default: the flow's original frames and
                            timestamps), json, plist or tree (a report of the
                            flow's frames decoded, then a "Flow" block)
      --trace-byteorder BO  pcap byte order: little (default) or big
      --trace-nanosecond    pcap with nanosecond timestamps
      --unidirectional      one flow per direction (PyPCAPKit's TCP flows)
  -r, --report PATH         also write the flow records (Zeek conn.log-like:
                            conn_state, history, service, packets and bytes
                            per direction, end reason) as a report; "-" is
                            stdout
  -f, --format FMT          format of --report: json, plist, tree, or conn
                            (Zeek's conn.log, tab-separated, for zeek-cut and
                            Zeek tooling); default from its extension (.log:
                            conn), else json
  -h, --help                show this help

Example:
  pcapflow trace in.pcap -o flows --trace-format pcap --trace-nanosecond
  pcapflow trace in.pcap -o flows -r conn.log && zeek-cut id.orig_h service history < conn.log
`

func runTrace(args []string) error {
	fs := flag.NewFlagSet("trace", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var dir, tformat, order, report, format string
	var nano, unidir bool
	fs.StringVar(&dir, "o", "trace", "")
	fs.StringVar(&dir, "output", "trace", "")
	fs.StringVar(&tformat, "trace-format", "pcap", "")
	fs.StringVar(&order, "trace-byteorder", "little", "")
	fs.BoolVar(&nano, "trace-nanosecond", false, "")
	fs.BoolVar(&unidir, "unidirectional", false, "")
	fs.StringVar(&report, "r", "", "")
	fs.StringVar(&report, "report", "", "")
	fs.StringVar(&format, "f", "", "")
	fs.StringVar(&format, "format", "", "")
	if err := fs.Parse(reorder(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, traceUsage)
			return nil
		}
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return usageError{"one input capture expected (a file, or - for stdin)"}
	}
	sink, err := newTraceSink(dir, tformat, order, nano)
	if err != nil {
		return err
	}
	tr := tracer.New(tracer.Config{Unidirectional: unidir, Sink: sink})
	run := func(emit func(*tracer.Flow)) error {
		err := feedCapture(fs.Arg(0), func(fi reporter.FrameInfo, p *decoder.Packet) { tr.Add(fi, p, emit) },
			func(sec int64, nsec uint32, at uint64) { tr.Advance(sec, nsec, at, emit) })
		tr.Flush(emit)
		return errors.Join(err, tr.Err(), sink.Close())
	}
	n := 0
	switch {
	case report == "":
		err = run(func(*tracer.Flow) { n++ })
	case strings.EqualFold(format, "conn") || format == "" && strings.EqualFold(filepath.Ext(report), ".log"):
		err = withOutput(report, func(w io.Writer) error {
			cl := tracer.NewConnLog(w)
			var werr error
			err := run(func(f *tracer.Flow) {
				n++
				if werr == nil {
					werr = cl.Write(f)
				}
			})
			return errors.Join(werr, err, cl.Close())
		})
	default:
		ft, ferr := reportFormat(format, report)
		if ferr != nil {
			return ferr
		}
		err = withReport(report, ft, func(rw reporter.Writer) error {
			var t decoder.Tree
			var werr error
			err := run(func(f *tracer.Flow) {
				n++
				if werr == nil {
					t.Reset()
					f.Fields(&t)
					werr = rw.Block(f.Name(), &t)
				}
			})
			return errors.Join(werr, err)
		})
	}
	if report != "-" {
		fmt.Fprintf(stderr, "pcapflow trace: %d flows written to %s\n", n, dir)
	}
	return err
}

// newTraceSink checks the --trace-* flags and makes the per-flow file
// sink (creating the folder).
func newTraceSink(dir, format, order string, nano bool) (*tracer.FileSink, error) {
	format, err := tracer.ParseFormat(strings.ToLower(format))
	if err != nil {
		return nil, usageError{err.Error()}
	}
	var big bool
	switch strings.ToLower(order) {
	case "little", "le", "":
	case "big", "be":
		big = true
	default:
		return nil, usageError{fmt.Sprintf("--trace-byteorder %q: want big or little", order)}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s := &tracer.FileSink{Dir: dir, Format: format, BigEndian: big, Nanosecond: nano}
	if format != "pcap" {
		// Rendering is most of the work: on two cores, one worker took
		// 5.0-7.3 s for the 1,000,000-frame generated capture in JSON, two
		// 3.8-5.1 s (tracing itself is light).
		s.Workers = runtime.GOMAXPROCS(0)
		ft, err := reporter.ParseFormat(format)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		s.NewReport = func(w io.Writer) reporter.Writer { return reporter.NewWriter(w, ft) }
	}
	return s, nil
}

// statefulFlags are extract's PyPCAPKit reassembly and tracing flags:
// --ipv4 --ipv6 --tcp --strict --trace --trace-fout --trace-format
// --trace-byteorder --trace-nanosecond. Their records join the extract
// report.
type statefulFlags struct {
	ipv4, ipv6, tcp, strict, trace, nano bool
	fout, format, order                  string
	sink                                 *tracer.FileSink
}

const statefulUsage = `      --ipv4, --ipv6, --tcp reassemble IPv4/IPv6 datagrams or TCP streams: a
                        "Datagram N" / "Stream N" block follows the frame
                        that completed it, then "Reassembly Statistics"
                          pcapflow extract in.pcap --ipv4 --tcp -o out.json
      --strict          also report incomplete datagrams and streams
      --trace           trace flows: a "Flow N" block when each flow ends
      --trace-fout DIR  with --trace, also write per-flow files into DIR
      --trace-format F  pcap (default), json, plist or tree
      --trace-byteorder big|little, --trace-nanosecond   pcap options
                          pcapflow extract in.pcap --trace --trace-fout flows
`

func (s *statefulFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&s.ipv4, "ipv4", false, "")
	fs.BoolVar(&s.ipv6, "ipv6", false, "")
	fs.BoolVar(&s.tcp, "tcp", false, "")
	fs.BoolVar(&s.strict, "strict", false, "")
	fs.BoolVar(&s.trace, "trace", false, "")
	fs.StringVar(&s.fout, "trace-fout", "", "")
	fs.StringVar(&s.format, "trace-format", "pcap", "")
	fs.StringVar(&s.order, "trace-byteorder", "little", "")
	fs.BoolVar(&s.nano, "trace-nanosecond", false, "")
}

// apply sets the reassembly and tracing options of an extraction.
func (s *statefulFlags) apply(o *services.ExtractOptions) error {
	o.Reassembly = reassembler.Config{IPv4: s.ipv4, IPv6: s.ipv6, TCP: s.tcp, Strict: s.strict}
	if s.strict && !s.ipv4 && !s.ipv6 && !s.tcp {
		return usageError{"--strict needs --ipv4, --ipv6 or --tcp"}
	}
	if !s.trace {
		if s.fout != "" {
			return usageError{"--trace-fout needs --trace"}
		}
		return nil
	}
	cfg := tracer.Config{}
	if s.fout != "" {
		sink, err := newTraceSink(s.fout, s.format, s.order, s.nano)
		if err != nil {
			return err
		}
		s.sink = sink
		cfg.Sink = sink
	}
	o.Trace = &cfg
	return nil
}

// close closes the per-flow files.
func (s *statefulFlags) close() error {
	if s.sink == nil {
		return nil
	}
	return s.sink.Close()
}
