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
		bo.FlowFiles = o.Trace.Sink != nil
	}
	return bo
}

// embeddedAhead bounds the batches ingest publishes ahead of the report in
// the embedded engine.
const embeddedAhead = 16

// embeddedStreamBytes is the size limit of each stream of the embedded
// engine. What is not yet consumed is at most embeddedAhead batches, each
// of at most BatchBytes plus one frame (maxRecord) of frame data and, on
// DECODED, per-frame fields (chain and spans of up to decoder.MaxLayers
// layers: under 6 KiB a frame, bus.AdvanceEvery frames a batch); two more
// batches are margin. Older messages, which every stage has consumed, are
// discarded (DiscardOld), so the server's files and block caches, and so
// the process's memory, stay flat however long the capture.
func embeddedStreamBytes(maxRecord uint32) int64 {
	if maxRecord == 0 {
		maxRecord = ingest.DefaultMaxRecord
	}
	perBatch := BatchBytes + int64(maxRecord) + bus.AdvanceEvery*6<<10
	return max(16<<20, (embeddedAhead+2)*perBatch)
}

// embeddedStall is how long the embedded engine waits for the report to
// move on before it gives up with an error: longer than a redelivery (the
// decoders' 30 s ack wait) and a lease takeover (6 s), so only a run that
// cannot finish (a stage that needs messages its bounded streams no
// longer hold) hits it, and fails rather than hangs. A variable for tests.
var embeddedStall = 2 * time.Minute

// embeddedLeaseTTL is the lease lifetime of the embedded engine's
// stateful units. Leases hand a partition over when its owner dies; here
// every stage lives and dies with the process, so there is no one to hand
// over to, while a lease that expires because a loaded machine delayed its
// renewal past the default 6 s makes the unit start over from the first
// batch, which the bounded streams may no longer hold: the report then
// stalls until the watchdog fails it (seen at load 11 on 2 cores).
const embeddedLeaseTTL = 24 * time.Hour

// embeddedDuplicates is the embedded engine's deduplication window: what
// it dedupes is the outputs of an input delivered again (after the 30 s
// ack wait) or a publish retried, so a few minutes are enough. The server
// keeps every message id of the window (~100 bytes each; about 20 a batch
// with reassembly and tracing): with the 30-minute default that table grew
// with the capture for any run shorter than half an hour; now with the
// last two minutes of it at most.
const embeddedDuplicates = 2 * time.Minute

// embeddedLimit gives the size limit of the embedded engine's streams (a
// variable for tests).
var embeddedLimit = embeddedStreamBytes

// extractEmbedded is the embedded engine: an embedded NATS server with
// JetStream (file storage in a temporary directory) and every stage as a
// service in this process over in-process connections; the reporter stage
// writes straight to the extraction's output.
func extractEmbedded(ctx context.Context, o *ExtractOptions) (st Stats, err error) {
	start := time.Now()
	defer func() { st.Duration = time.Since(start) }()
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
	// Every stage has returned when this runs, so nothing is in flight:
	// the connections close without draining, and the streams, whose data
	// is thrown away with the directory, are deleted first, which spares
	// the server writing their state out when it stops (together ~0.1 s
	// that every run paid).
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), ingConn.Timeout())
		defer cancel()
		var names []string
		for n := range ingConn.JS.StreamNames(dctx).Name() {
			names = append(names, n)
		}
		for _, n := range names {
			_ = ingConn.JS.DeleteStream(dctx, n)
		}
		ingConn.NC.Close()
	}()
	// The server and its data directory live and die with this run: the
	// streams may flush to their files asynchronously, and keep only what
	// is not yet consumed (with a margin).
	if err := ingConn.Setup(ctx, jsbus.StreamConfig{AsyncPersist: true, MaxBytes: embeddedLimit(o.MaxRecord), LeaseTTL: embeddedLeaseTTL,
		Duplicates: embeddedDuplicates}); err != nil {
		out.close()
		return st, err
	}
	flowFiles := o.Trace != nil && o.Trace.Sink != nil
	if flowFiles {
		// The per-flow files are written from FLOWS and FRAMES once the
		// report is done (writeFlowFiles): those two keep the whole
		// capture, in the data directory on disk.
		if err := unboundStreams(ctx, ingConn, bus.StreamFrames, bus.StreamFlows); err != nil {
			out.close()
			return st, err
		}
	}

	capture := NewCaptureID()
	bo := BusOptions(o)
	// Without stateful stages the reporter is DECODED's only consumer:
	// one partition gives the same report with one message per input
	// batch instead of eight (partitions only route flows to the stateful
	// stages), and the reporter reads the frame bytes from FRAMES, so
	// that they are stored and copied once.
	stateless := bo.Reassembly == nil && bo.Trace == nil
	if stateless {
		bo.Partitions = 1
		defer useEmbeddedGC()() // see gcpolicy.go
	}
	cs := &CaptureState{V: bus.Version, Capture: capture, Options: bo}

	sctx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(sctx)
	decConn, err := conn()
	if err != nil {
		out.close()
		return st, err
	}
	defer decConn.NC.Close()
	g.Go(func() error {
		d := NewDecoder(decConn, DecoderConfig{Workers: 2 * runtime.GOMAXPROCS(0), MaxAckPending: 128, NoEvents: true, NoData: stateless}) // no subscriber can reach an in-process server
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
		defer sc.NC.Close()
		s := newStatefulScheduler(sc, stage, embeddedLeaseTTL, capture, 0, "")
		if stage == StageReassembler && bo.Reassembly == nil || stage == StageTracer && bo.Trace == nil {
			continue
		}
		g.Go(func() error { return s.Run(gctx) })
	}
	// Ingest runs at most embeddedAhead batches ahead of the report: what
	// is in flight stays in the server's caches and memory stays flat.
	var rendered, published atomic.Uint64
	var ingested atomic.Bool
	kick := make(chan struct{}, 1) // a batch was rendered
	var readErr error
	g.Go(func() error {
		defer ingested.Store(true)
		is, err := ingestPaced(gctx, ingConn, r, capture, bo, func(ctx context.Context, seq uint64) error {
			published.Store(seq)
			for seq > rendered.Load()+embeddedAhead {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-kick:
				}
			}
			return nil
		})
		readErr = is.ReadErr
		return err
	})
	// The watchdog: while input is waiting for the report (batches
	// published but not rendered, or the capture read to its end), the
	// report must move on at least once per embeddedStall. A live capture
	// that sends nothing for a while is not a stall.
	g.Go(func() error {
		tick := time.NewTicker(min(embeddedStall/4, 5*time.Second))
		defer tick.Stop()
		last, since := rendered.Load(), time.Now()
		for {
			select {
			case <-gctx.Done():
				return nil
			case now := <-tick.C:
				n := rendered.Load()
				waiting := ingested.Load() || published.Load() > n
				if n != last || !waiting {
					last, since = n, now
				} else if now.Sub(since) >= embeddedStall {
					return fmt.Errorf("embedded engine: the report has not moved for %v (stuck after input batch %d); the inline engine (--engine inline) does not have this failure mode", embeddedStall, last)
				}
			}
		}
	})
	var rs *reportStats
	g.Go(func() error {
		defer stop() // the report is the last stage: stop the others
		eo := &sinkOutput{s: out, o: o}
		var verr error
		rs, verr = renderCaptureBatches(gctx, ingConn, cs, eo, eo.frame, func(seq uint64) {
			rendered.Store(seq)
			select {
			case kick <- struct{}{}:
			default:
			}
		}, stateless)
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
	if flowFiles {
		if err := writeFlowFiles(ctx, ingConn, cs, o.Trace.Sink, decoder.New(o.Decode)); err != nil {
			return st, fmt.Errorf("extract: %w", err)
		}
	}
	if readErr != nil {
		return st, readErr
	}
	return st, nil
}

// unboundStreams lifts the size limit of the named streams.
func unboundStreams(ctx context.Context, c *jsbus.Conn, names ...string) error {
	for _, n := range names {
		s, err := c.JS.Stream(ctx, n)
		if err != nil {
			return fmt.Errorf("stream %s: %w", n, err)
		}
		cfg := s.CachedInfo().Config
		cfg.MaxBytes = -1
		if _, err := c.JS.UpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("stream %s: %w", n, err)
		}
	}
	return nil
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
