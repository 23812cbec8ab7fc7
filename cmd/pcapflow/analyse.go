package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
)

const analyseUsage = `Usage: pcapflow analyse IN [flags]

Application analysis (PyPCAPKit's analyse): reassemble the TCP streams of
the capture IN and report their HTTP/1.x messages (request and status
lines, headers, bodies with Content-Length or chunked, pipelined requests),
their HTTP/2 frames in cleartext (h2c: prior knowledge or an upgrade from
HTTP/1.1; one block per frame, header blocks decoded), their TLS records
(one block per record; the handshake in clear: hellos with server name,
ALPN, versions and JA3/JA3S fingerprints, TLS 1.2 certificates, alerts)
and FTP control commands and replies, each with the frames it came from.
When IN is not a capture it is read as one direction's payload.

Flags:
  -o, --output PATH  report file, "-" for stdout (default "-")
  -f, --format FMT   json, plist or tree (default from the extension, else json)
  -h, --help         show this help

Example:
  pcapflow analyse http.pcap -f tree
  pcapflow analyse request.txt
`

// maxPayloadFile bounds a payload file read by analyse.
const maxPayloadFile = 64 << 20

func runAnalyse(args []string) error {
	fs := flag.NewFlagSet("analyse", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var output, format string
	fs.StringVar(&output, "o", "-", "")
	fs.StringVar(&output, "output", "-", "")
	fs.StringVar(&format, "f", "", "")
	fs.StringVar(&format, "format", "", "")
	if err := fs.Parse(reorder(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, analyseUsage)
			return nil
		}
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return usageError{"one input expected (a capture or a payload file)"}
	}
	in := fs.Arg(0)
	ft, err := reportFormat(format, output)
	if err != nil {
		return err
	}
	isCapture := true
	if in != "-" {
		_, c, err := ingest.Open(in, ingest.ReaderOptions{})
		if err != nil {
			if !errors.Is(err, ingest.ErrNotCapture) && !errors.Is(err, ingest.ErrTruncated) {
				return err
			}
			isCapture = false
		} else {
			c.Close()
		}
	}
	return withReport(output, ft, func(rw reporter.Writer) error {
		var t decoder.Tree
		var werr error
		block := func(name string, m *reassembler.Message) {
			if werr == nil {
				t.Reset()
				m.Fields(&t)
				werr = rw.Block(name, &t)
			}
		}
		if !isCapture {
			b, err := readPayload(in)
			if err != nil {
				return err
			}
			msgs := reassembler.AnalysePayload(b)
			if msgs == nil {
				return fmt.Errorf("analyse %s: neither a capture nor an HTTP, HTTP/2 or FTP payload", in)
			}
			for i, m := range msgs {
				block(fmt.Sprintf("%s %d", m.Proto, i+1), m)
			}
			return werr
		}
		ra := reassembler.New(reassembler.Config{TCP: true, Strict: true, Analyse: true})
		emit := func(r reassembler.Record) {
			if r.Message != nil {
				block(r.Name(), r.Message)
			}
		}
		err := feedCapture(in, func(fi reporter.FrameInfo, p *decoder.Packet) { ra.Add(fi, p, emit) },
			func(sec int64, nsec uint32, at uint64) { ra.Advance(sec, nsec, at, emit) })
		ra.Flush(emit)
		return errors.Join(werr, err)
	})
}

func readPayload(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPayloadFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPayloadFile {
		return nil, fmt.Errorf("analyse %s: payload larger than %d bytes", path, maxPayloadFile)
	}
	return b, nil
}
