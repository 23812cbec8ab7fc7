package services

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/decoder"
)

// Environment variables of the NATS connection (the flags of the service
// commands fall back to them).
const (
	EnvNATSURL  = "PCAPFLOW_NATS_URL"
	EnvUser     = "PCAPFLOW_NATS_USER"
	EnvPassword = "PCAPFLOW_NATS_PASSWORD"
	EnvToken    = "PCAPFLOW_NATS_TOKEN"
	EnvCreds    = "PCAPFLOW_NATS_CREDS"
	EnvCA       = "PCAPFLOW_NATS_CA"
	EnvCert     = "PCAPFLOW_NATS_CERT"
	EnvKey      = "PCAPFLOW_NATS_KEY"
)

// ConnConfigFromEnv returns the connection settings of the environment.
func ConnConfigFromEnv() jsbus.ConnConfig {
	return jsbus.ConnConfig{URL: os.Getenv(EnvNATSURL), User: os.Getenv(EnvUser), Password: os.Getenv(EnvPassword),
		Token: os.Getenv(EnvToken), Creds: os.Getenv(EnvCreds), CA: os.Getenv(EnvCA), Cert: os.Getenv(EnvCert), Key: os.Getenv(EnvKey)}
}

// extractExternal is the external engine: it submits the capture to the
// deployment at o.Engine (credentials from the PCAPFLOW_NATS_* environment),
// waits for the reporter's report and writes it to o.Output. What the
// deployment does not store is made here from the projections once the
// report is done (the frames are decoded in the deployment, not here):
// with o.Verbose the frame listing, read back from DECODED; with o.Files
// the per-frame files, rendered from DECODED, REASSEMBLED and FLOWS; with
// a trace Sink the per-flow files, from FLOWS and FRAMES (flowfiles.go).
func extractExternal(ctx context.Context, o *ExtractOptions) (st Stats, err error) {
	start := time.Now()
	defer func() { st.Duration = time.Since(start) }()
	r, rc, err := openBusCapture(o)
	if err != nil {
		return st, err
	}
	defer rc.Close()
	var files *sink
	if o.Files {
		// Created before the capture is submitted, as the inline engine
		// does: a folder that cannot be made fails first.
		if files, err = openSink(o); err != nil {
			return st, err
		}
		defer func() {
			if files != nil {
				files.close()
			}
		}()
	}
	cfg := ConnConfigFromEnv()
	cfg.URL = o.Engine
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	c, err := jsbus.Connect(cctx, cfg, slog.New(slog.DiscardHandler))
	cancel()
	if err != nil {
		return st, fmt.Errorf("extract: %w", err)
	}
	defer c.Close()
	if err := c.Setup(ctx, jsbus.StreamConfig{}); err != nil {
		return st, fmt.Errorf("extract: %w", err)
	}
	capture := NewCaptureID()
	is, err := Ingest(ctx, c, r, capture, BusOptions(o))
	if err != nil {
		return st, fmt.Errorf("extract: submit capture: %w", err)
	}
	done, err := WaitReport(ctx, c, capture, 0)
	if err != nil {
		return st, fmt.Errorf("extract: wait for the report of capture %s: %w", capture, err)
	}
	cs := &CaptureState{V: bus.Version, Capture: capture, Gen: done.Gen, Options: BusOptions(o)}
	if files != nil {
		// Per-frame files: the report rendered here from the projections
		// (DECODED, REASSEMBLED, FLOWS) into the same per-frame writer as
		// the inline engine's, with the frame listing on the way.
		eo := &sinkOutput{s: files, o: o}
		files = nil
		rs, rerr := renderCaptureBatches(ctx, c, cs, eo, eo.frame, nil, false)
		if err := eo.finish(rs, rerr); err != nil {
			return st, fmt.Errorf("extract: per-frame files of capture %s: %w", capture, err)
		}
	} else {
		if err := writeFetched(ctx, c, o, done); err != nil {
			return st, err
		}
		if o.Verbose != nil {
			if err := listFrames(ctx, c, cs, o.Verbose); err != nil {
				return st, fmt.Errorf("extract: frame listing (-v) of capture %s: %w", capture, err)
			}
		}
	}
	if o.Trace != nil && o.Trace.Sink != nil {
		if err := writeFlowFiles(ctx, c, cs, o.Trace.Sink, decoder.New(o.Decode)); err != nil {
			return st, fmt.Errorf("extract: %w", err)
		}
	}
	st.Frames, st.Bytes, st.DecodeErrors = done.Frames, is.Bytes, done.DecodeErrors
	return st, is.ReadErr
}

// listFrames writes the verbose listing of a capture the deployment
// decoded: its DECODED events merged in frame order, as the reporter reads
// them, with the report blocks discarded.
func listFrames(ctx context.Context, c *jsbus.Conn, cs *CaptureState, w io.Writer) error {
	lo := &listOutput{w: bufio.NewWriter(w)}
	rs, err := renderCaptureBatches(ctx, c, cs, lo, lo.frame, nil, false)
	return lo.finish(rs, err)
}

// listOutput is a reportOutput that keeps only the frame listing.
type listOutput struct {
	w    *bufio.Writer
	line []byte
	pkt  decoder.Packet
	err  error
}

func (l *listOutput) header(*decoder.Tree) error        { return nil }
func (l *listOutput) block(string, *decoder.Tree) error { return l.err }

func (l *listOutput) frame(f *bus.DecodedFrame) {
	if l.err != nil {
		return
	}
	if l.err = f.Packet(&l.pkt); l.err != nil {
		l.err = fmt.Errorf("frame %d: %w", f.Index, l.err)
		return
	}
	l.line = verboseLine(l.line[:0], f.Index, &l.pkt)
	_, l.err = l.w.Write(l.line)
}

func (l *listOutput) finish(_ *reportStats, err error) error {
	if err == nil {
		err = l.err
	}
	if ferr := l.w.Flush(); err == nil {
		err = ferr
	}
	return err
}
