package services

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/embedded"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
)

// Engine names of the bus engines.
const (
	EngineEmbedded = "embedded"
	// URLs nats://HOST:PORT and tls://HOST:PORT select the external engine.
)

// NewCaptureID returns a fresh capture id ("c" and 16 hex digits).
func NewCaptureID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "c" + hex.EncodeToString(b[:])
}

// BusOptions returns the bus options of an extraction.
func BusOptions(o *ExtractOptions) bus.Options {
	bo := bus.Options{Layer: o.Decode.Layer.String(), Formats: []string{o.Format.String()}}
	if o.Decode.Protocol != decoder.ProtoNone {
		bo.Protocol = o.Decode.Protocol.Key()
	}
	if o.reassemblyOn() {
		rc := o.Reassembly
		bo.Reassembly = &rc
	}
	if o.Trace != nil {
		tc := *o.Trace
		tc.Sink = nil
		bo.Trace = &tc
	}
	return bo
}

// embeddedAhead bounds the batches ingest publishes ahead of the report in
// the embedded engine.
const embeddedAhead = 128

// extractEmbedded is the embedded engine: an embedded NATS server with
// JetStream (file storage in a temporary directory) and every stage as a
// service in this process over in-process connections; the reporter stage
// writes straight to the extraction's output.
func extractEmbedded(ctx context.Context, o *ExtractOptions) (st Stats, err error) {
	start := time.Now()
	defer func() { st.Duration = time.Since(start) }()
	if o.Trace != nil && o.Trace.Sink != nil {
		return st, errors.New("extract: per-flow trace files are written by the inline engine only")
	}
	r, rc, err := openBusCapture(o)
	if err != nil {
		return st, err
	}
	defer rc.Close()
	out, err := openSink(o)
	if err != nil {
		return st, err
	}
	dir, err := os.MkdirTemp("", "pcapflow-embedded-")
	if err != nil {
		out.close()
		return st, err
	}
	defer os.RemoveAll(dir)
	srv, err := embedded.Start(embedded.Config{DataDir: dir, NoListen: true})
	if err != nil {
		out.close()
		return st, err
	}
	defer srv.Stop()
	conn := func() (*jsbus.Conn, error) {
		nc, err := srv.ConnectInProcess()
		if err != nil {
			return nil, err
		}
		return jsbus.New(nc, jsbus.ConnConfig{}, slog.New(slog.DiscardHandler))
	}
	ingConn, err := conn()
	if err != nil {
		out.close()
		return st, err
	}
	defer ingConn.Close()
	if err := ingConn.Setup(ctx, jsbus.StreamConfig{}); err != nil {
		out.close()
		return st, err
	}

	capture := NewCaptureID()
	bo := BusOptions(o)
	cs := &CaptureState{V: bus.Version, Capture: capture, Options: bo}

	sctx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(sctx)
	decConn, err := conn()
	if err != nil {
		out.close()
		return st, err
	}
	defer decConn.Close()
	g.Go(func() error {
		d := NewDecoder(decConn, DecoderConfig{Workers: 2 * runtime.GOMAXPROCS(0), MaxAckPending: 128, NoEvents: true}) // no subscriber can reach an in-process server
		if err := d.Run(gctx); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	})
	for _, stage := range statefulStages() {
		sc, err := conn()
		if err != nil {
			out.close()
			return st, err
		}
		defer sc.Close()
		s := newStatefulScheduler(sc, stage, 0, capture, 0, "")
		if stage == StageReassembler && bo.Reassembly == nil || stage == StageTracer && bo.Trace == nil {
			continue
		}
		g.Go(func() error { return s.Run(gctx) })
	}
	// Ingest runs at most embeddedAhead batches ahead of the report: what
	// is in flight stays in the server's caches and memory stays flat.
	var rendered atomic.Uint64
	var readErr error
	g.Go(func() error {
		is, err := ingestPaced(gctx, ingConn, r, capture, bo, func(ctx context.Context, seq uint64) error {
			for seq > rendered.Load()+embeddedAhead {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Millisecond):
				}
			}
			return nil
		})
		readErr = is.ReadErr
		return err
	})
	var rs *reportStats
	g.Go(func() error {
		defer stop() // the report is the last stage: stop the others
		eo := &sinkOutput{s: out, o: o}
		var verr error
		rs, verr = renderCaptureBatches(gctx, ingConn, cs, eo, eo.frame, true, func(seq uint64) { rendered.Store(seq) })
		return eo.finish(rs, verr)
	})
	err = g.Wait()
	if rs != nil {
		st.Frames, st.Bytes, st.DecodeErrors = rs.Frames, rs.Bytes, rs.DecodeErrors
	}
	if err != nil && !(errors.Is(err, context.Canceled) && ctx.Err() == nil && rs != nil) {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		return st, err
	}
	if readErr != nil {
		return st, readErr
	}
	return st, nil
}

// sinkOutput renders into the extraction's own sink (file, standard
// output or per-frame files), as the inline engine does.
type sinkOutput struct {
	s    *sink
	o    *ExtractOptions
	line []byte
	pkt  decoder.Packet
}

func (e *sinkOutput) header(t *decoder.Tree) error { return e.s.header(t) }

func (e *sinkOutput) block(name string, t *decoder.Tree) error { return e.s.w.Block(name, t) }

func (e *sinkOutput) frame(f *bus.DecodedFrame) {
	if e.o.Verbose == nil {
		return
	}
	if err := f.Packet(&e.pkt); err != nil {
		return
	}
	e.line = verboseLine(e.line[:0], f.Index, &e.pkt)
	e.o.Verbose.Write(e.line)
}

func (e *sinkOutput) finish(_ *reportStats, err error) error {
	cerr := e.s.close()
	if err != nil {
		return err
	}
	if cerr != nil {
		return fmt.Errorf("write report %s: %w", e.s.name, unwrapWrite(cerr))
	}
	return nil
}

// openBusCapture opens o.Input for a bus engine, as the inline engine
// opens it (same reader options, same errors).
func openBusCapture(o *ExtractOptions) (*ingest.Reader, io.Closer, error) {
	opts := ingest.ReaderOptions{MaxRecord: o.MaxRecord}
	if o.Input == "-" {
		in := o.Stdin
		if in == nil {
			in = os.Stdin
		}
		r, err := ingest.NewReader(in, "-", opts)
		return r, io.NopCloser(nil), err
	}
	f, err := os.Open(o.Input)
	if err != nil {
		return nil, nil, fmt.Errorf("open capture: %w", err)
	}
	r, err := ingest.NewReader(f, o.Input, opts)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return r, f, nil
}
