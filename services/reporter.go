package services

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/vmihailenco/msgpack/v5"
	"golang.org/x/sync/errgroup"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/tracer"
)

// reportOutput receives the blocks of one capture's report.
type reportOutput interface {
	header(t *decoder.Tree) error
	block(name string, t *decoder.Tree) error
	// finish ends the report: with a nil error it completes and publishes
	// it, otherwise it discards what was written.
	finish(rs *reportStats, err error) error
}

// reportStats are what the reporter counted.
type reportStats struct {
	Frames       uint64
	Bytes        uint64
	DecodeErrors uint64
	// ReadErr is the reading error that ended the capture early (from the
	// end marker), "" for a clean end.
	ReadErr string
}

// renderCapture renders the report of one capture from FRAMES (its
// metadata) and DECODED (its frames, all partitions), in frame order. It
// returns once the end marker of every partition has been merged. The
// frame blocks are built from the frames and their layer spans
// (reporter.Builder), as the inline engine builds them.
func renderCapture(ctx context.Context, c *jsbus.Conn, st *CaptureState, out reportOutput,
	onFrame func(f *bus.DecodedFrame)) (*reportStats, error) {
	return renderCaptureBatches(ctx, c, st, out, onFrame, nil, false)
}

// renderCaptureBatches is renderCapture with onBatch, when not nil, called
// with the sequence of every batch rendered. With joinFrames the frame
// bytes come from the capture's FrameBatches on FRAMES, joined by batch
// sequence and frame index, instead of from DECODED (whose decoders ran
// with DecoderConfig.NoData).
func renderCaptureBatches(ctx context.Context, c *jsbus.Conn, st *CaptureState, out reportOutput,
	onFrame func(f *bus.DecodedFrame), onBatch func(uint64), joinFrames bool) (*reportStats, error) {
	capture := st.Capture
	// The registry entry precedes the metadata: wait for it.
	var meta bus.CaptureMeta
	err := readOrdered(ctx, c, bus.StreamFrames, []string{bus.FramesMeta(capture)}, 8, 1<<20, func(m jetstream.Msg) (bool, error) {
		if err := bus.Unmarshal(m.Data(), &meta); err != nil {
			return false, fmt.Errorf("report %s: bad metadata: %w", capture, err)
		}
		return true, bus.CheckVersion(meta.V)
	})
	if err != nil {
		return nil, err
	}
	var tree decoder.Tree
	reporter.BuildHeader(&tree, meta.Meta.IngestMeta())
	if err := out.header(&tree); err != nil {
		return nil, err
	}

	parts := st.Options.NumPartitions()
	m := newMerger(capture, parts, st)
	m.onBatch = onBatch
	if joinFrames {
		m.fb = newReorder[*bus.FrameBatch]()
	}
	items := make(chan mergeItem, 64)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(rctx)
	g.Go(func() error {
		return readOrdered(gctx, c, bus.StreamDecoded, []string{bus.DecodedAll(capture)}, decodedMsgs, 8<<20, func(msg jetstream.Msg) (bool, error) {
			b := m.freeDec.get()
			if err := bus.DecodeDecodedBatch(msg.Data(), b); err != nil {
				return false, fmt.Errorf("report %s: bad decoded batch on %s: %w", capture, msg.Subject(), err)
			}
			return sendItem(gctx, items, mergeItem{dec: b})
		})
	})
	if joinFrames {
		g.Go(func() error {
			return readOrdered(gctx, c, bus.StreamFrames, []string{bus.FramesBatch(capture)}, frameMsgs, 8<<20, func(msg jetstream.Msg) (bool, error) {
				b := m.freeFB.get()
				if err := bus.DecodeFrameBatch(msg.Data(), b); err != nil {
					return false, fmt.Errorf("report %s: bad frame batch: %w", capture, err)
				}
				return sendItem(gctx, items, mergeItem{frames: b})
			})
		})
	}
	for i, sr := range m.recordStreams() {
		g.Go(func() error {
			return readOrdered(gctx, c, sr.stream, []string{sr.filter}, recordMsgs, 8<<20, func(msg jetstream.Msg) (bool, error) {
				b := &bus.RecordBatch{}
				if err := bus.Unmarshal(msg.Data(), b); err != nil {
					return false, fmt.Errorf("report %s: bad record batch on %s: %w", capture, msg.Subject(), err)
				}
				return sendItem(gctx, items, mergeItem{rec: b, stage: i})
			})
		})
	}
	var rs *reportStats
	g.Go(func() error {
		defer cancel() // stop the readers once the report is complete
		for {
			select {
			case <-gctx.Done():
				return gctx.Err()
			case it := <-items:
				done, err := m.add(it, out, onFrame)
				if err != nil {
					return err
				}
				if done {
					rs = m.rs
					return nil
				}
			}
		}
	})
	err = g.Wait()
	if rs != nil {
		return rs, nil
	}
	if err == nil || errors.Is(err, context.Canceled) && ctx.Err() == nil {
		err = fmt.Errorf("report %s: stream ended early", capture)
	}
	return nil, err
}

func sendItem(ctx context.Context, ch chan<- mergeItem, it mergeItem) (bool, error) {
	select {
	case ch <- it:
		return false, nil
	case <-ctx.Done():
		return true, ctx.Err()
	}
}

// mergeItem is one message read by the reporter.
type mergeItem struct {
	dec    *bus.DecodedBatch
	rec    *bus.RecordBatch
	frames *bus.FrameBatch // joined frame bytes (renderCaptureBatches)
	stage  int             // index into merger.stages for rec
}

type recordStream struct {
	name, stream, filter string
}

// merger restores the order of one capture's report from the partitions
// of DECODED, REASSEMBLED and FLOWS: batch by batch (input sequence), and
// inside a batch frame by frame, each frame followed by the records
// emitted at it, ordered as the inline engine emits them.
type merger struct {
	capture string
	parts   int
	st      *CaptureState
	dec     []*reorder[*bus.DecodedBatch]
	fb      *reorder[*bus.FrameBatch]      // the frame bytes, when joined from FRAMES
	recs    [][]*reorder[*bus.RecordBatch] // [stage][partition]
	stages  []recordStream
	rs      *reportStats
	stats   reassembler.Stats
	tree    decoder.Tree
	name    []byte
	frames  []*bus.DecodedFrame
	popped  []*bus.DecodedBatch // the batches of frames
	pending []outRecord
	builder reporter.Builder
	ftree   decoder.Tree
	pkt     decoder.Packet
	onBatch func(uint64)
	// Rendered batches, for the readers to decode into.
	freeDec recycler[bus.DecodedBatch]
	freeFB  recycler[bus.FrameBatch]
}

// recycler keeps up to its capacity of the batches the merger has
// rendered: the readers decode the next messages into them, reusing their
// frame slices.
type recycler[T any] chan *T

// get returns a recycled batch, or a new one.
func (r recycler[T]) get() *T {
	select {
	case b := <-r:
		return b
	default:
		return new(T)
	}
}

// put gives back a rendered batch (nil is ignored). Its frames still point
// into the message it was read from until it is reused.
func (r recycler[T]) put(b *T) {
	if b == nil {
		return
	}
	select {
	case r <- b:
	default:
	}
}

type outRecord struct {
	at    uint64
	phase uint8
	stage int
	ra    *reassembler.Record
	fl    *tracer.Flow
}

func newMerger(capture string, parts int, st *CaptureState) *merger {
	m := &merger{capture: capture, parts: parts, st: st, rs: &reportStats{},
		freeDec: make(recycler[bus.DecodedBatch], 16), freeFB: make(recycler[bus.FrameBatch], 16)}
	m.dec = make([]*reorder[*bus.DecodedBatch], parts)
	for i := range m.dec {
		m.dec[i] = newReorder[*bus.DecodedBatch]()
	}
	if st.Options.Reassembly != nil {
		m.stages = append(m.stages, recordStream{StageReassembler, bus.StreamReassembled, bus.ReassembledRoot + "." + capture + ".*"})
	}
	if st.Options.Trace != nil {
		m.stages = append(m.stages, recordStream{StageTracer, bus.StreamFlows, bus.FlowsRoot + "." + capture + ".*"})
	}
	m.recs = make([][]*reorder[*bus.RecordBatch], len(m.stages))
	for i := range m.recs {
		m.recs[i] = make([]*reorder[*bus.RecordBatch], parts)
		for p := range m.recs[i] {
			m.recs[i][p] = newReorder[*bus.RecordBatch]()
		}
	}
	return m
}

func (m *merger) recordStreams() []recordStream { return m.stages }

// add stores one message and renders every batch that is complete; done
// reports the end of the capture.
func (m *merger) add(it mergeItem, out reportOutput, onFrame func(*bus.DecodedFrame)) (bool, error) {
	switch {
	case it.dec != nil:
		b := it.dec
		if err := bus.CheckVersion(b.V); err != nil {
			return false, err
		}
		if b.Gen != m.st.Gen {
			return false, nil // an older generation, before a replay
		}
		if b.Partition < 0 || b.Partition >= m.parts || b.Partitions != m.parts {
			return false, fmt.Errorf("report %s: partition %d/%d does not match the capture's %d", m.capture, b.Partition, b.Partitions, m.parts)
		}
		m.dec[b.Partition].put(b.Mark.Seq, b)
	case it.rec != nil:
		b := it.rec
		if err := bus.CheckVersion(b.V); err != nil {
			return false, err
		}
		if b.Gen != m.st.Gen {
			return false, nil
		}
		if b.Partition < 0 || b.Partition >= m.parts {
			return false, fmt.Errorf("report %s: record partition %d out of range", m.capture, b.Partition)
		}
		m.recs[it.stage][b.Partition].put(b.Mark.Seq, b)
	case it.frames != nil:
		b := it.frames
		if err := bus.CheckVersion(b.V); err != nil {
			return false, err
		}
		if m.fb != nil {
			m.fb.put(b.Seq, b)
		}
	}
	for m.ready() {
		done, err := m.render(out, onFrame)
		if err != nil || done {
			return done, err
		}
	}
	return false, nil
}

func (m *merger) ready() bool {
	for _, r := range m.dec {
		if !r.ready() {
			return false
		}
	}
	for _, s := range m.recs {
		for _, r := range s {
			if !r.ready() {
				return false
			}
		}
	}
	if m.fb != nil && m.dec[0].pending[m.dec[0].next].End == nil && !m.fb.ready() {
		return false // the end marker has no frame batch
	}
	return true
}

// render writes the next batch.
func (m *merger) render(out reportOutput, onFrame func(*bus.DecodedFrame)) (bool, error) {
	m.frames = m.frames[:0]
	var end *bus.CaptureEnd
	if m.onBatch != nil {
		m.onBatch(m.dec[0].next)
	}
	m.popped = m.popped[:0]
	for _, r := range m.dec {
		pb := r.pop()
		m.popped = append(m.popped, pb)
		if pb.End != nil {
			end = pb.End
		}
		for i := range pb.Frames {
			m.frames = append(m.frames, &pb.Frames[i])
		}
	}
	var fb *bus.FrameBatch
	defer func() {
		// What the frames point to is rendered: the batches can take
		// the next messages (an end marker's batch is kept: end points
		// into it).
		for _, pb := range m.popped {
			if pb.End == nil {
				m.freeDec.put(pb)
			}
		}
		m.freeFB.put(fb)
	}()
	slices.SortFunc(m.frames, func(a, b *bus.DecodedFrame) int { return cmp.Compare(a.Index, b.Index) })
	if m.fb != nil && end == nil {
		fb = m.fb.pop()
		if err := joinData(m.frames, fb); err != nil {
			return false, fmt.Errorf("report %s: %w", m.capture, err)
		}
	}
	m.pending = m.pending[:0]
	for si, s := range m.recs {
		for _, r := range s {
			rb := r.pop()
			for _, wr := range rb.Records {
				o := outRecord{phase: wr.Phase, stage: si}
				var err error
				if m.stages[si].name == StageReassembler {
					o.ra = &reassembler.Record{}
					err = bus.Unmarshal(wr.Record, o.ra)
					o.at = o.ra.At
				} else {
					o.fl = &tracer.Flow{}
					err = bus.Unmarshal(wr.Record, o.fl)
					o.at = o.fl.At
				}
				if err != nil {
					return false, fmt.Errorf("report %s: bad %s record: %w", m.capture, m.stages[si].name, err)
				}
				m.pending = append(m.pending, o)
			}
			if rb.End && len(rb.Stats) > 0 {
				var st reassembler.Stats
				if err := bus.Unmarshal(rb.Stats, &st); err != nil {
					return false, fmt.Errorf("report %s: bad statistics: %w", m.capture, err)
				}
				m.stats.Add(st)
			}
		}
	}
	slices.SortStableFunc(m.pending, func(a, b outRecord) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		if c := cmp.Compare(a.phase, b.phase); c != 0 {
			return c
		}
		if c := cmp.Compare(a.stage, b.stage); c != 0 {
			return c
		}
		switch {
		case a.ra != nil && reassembler.Less(a.ra, b.ra):
			return -1
		case a.ra != nil && reassembler.Less(b.ra, a.ra):
			return 1
		case a.fl != nil && tracer.Less(a.fl, b.fl):
			return -1
		case a.fl != nil && tracer.Less(b.fl, a.fl):
			return 1
		}
		return 0
	})
	ri := 0
	writeRecords := func(upTo uint64) error {
		for ; ri < len(m.pending) && m.pending[ri].at <= upTo; ri++ {
			o := &m.pending[ri]
			m.tree.Reset()
			var name string
			if o.ra != nil {
				o.ra.Fields(&m.tree)
				name = o.ra.Name()
			} else {
				o.fl.Fields(&m.tree)
				name = o.fl.Name()
			}
			if err := out.block(name, &m.tree); err != nil {
				return err
			}
		}
		return nil
	}
	rs := m.rs
	for _, f := range m.frames {
		if f.Index != rs.Frames+1 {
			return false, fmt.Errorf("report %s: frame %d follows frame %d", m.capture, f.Index, rs.Frames)
		}
		if err := writeRecords(f.Index - 1); err != nil {
			return false, err
		}
		m.name = reporter.FrameName(m.name[:0], f.Index)
		if err := f.Packet(&m.pkt); err != nil {
			return false, fmt.Errorf("report %s: %w", m.capture, err)
		}
		m.builder.Frame(&m.ftree, f.Info(), &m.pkt)
		if err := out.block(string(m.name), &m.ftree); err != nil {
			return false, err
		}
		rs.Frames++
		rs.Bytes += uint64(f.CapLen)
		if f.Error != nil {
			rs.DecodeErrors++
		}
		if onFrame != nil {
			onFrame(f)
		}
	}
	if err := writeRecords(^uint64(0)); err != nil {
		return false, err
	}
	if end == nil {
		return false, nil
	}
	if end.Frames != rs.Frames {
		return false, fmt.Errorf("report %s: the capture has %d frames, the report %d", m.capture, end.Frames, rs.Frames)
	}
	if m.st.Options.Reassembly != nil {
		m.tree.Reset()
		m.stats.Fields(&m.tree)
		if err := out.block("Reassembly Statistics", &m.tree); err != nil {
			return false, err
		}
	}
	rs.ReadErr = end.Err
	return true, nil
}

// joinData gives the decoded frames of one input batch, in frame order,
// the bytes of the same frames in fb.
func joinData(frames []*bus.DecodedFrame, fb *bus.FrameBatch) error {
	if len(frames) != len(fb.Frames) {
		return fmt.Errorf("batch %d: %d decoded frames, %d captured", fb.Seq, len(frames), len(fb.Frames))
	}
	for i, f := range frames {
		src := &fb.Frames[i]
		if src.Index != f.Index || uint32(len(src.Data)) != f.CapLen {
			return fmt.Errorf("batch %d: decoded frame %d does not match captured frame %d", fb.Seq, f.Index, src.Index)
		}
		f.Data = src.Data
	}
	return nil
}

// ReporterConfig configures the reporter service.
type ReporterConfig struct {
	// OutDir, when set, receives every report as OutDir/<capture>/report.<ext>.
	OutDir string
	// NoStore keeps reports out of the object store (bus.ReportBucket).
	NoStore bool
	// Owner names this instance in leases (random by default).
	Owner    string
	LeaseTTL time.Duration
}

// Reporter is the reporting stage: one unit per capture.
type Reporter struct {
	c   *jsbus.Conn
	cfg ReporterConfig
	log *slog.Logger
	s   *scheduler
}

// NewReporter returns a reporter service on c.
func NewReporter(c *jsbus.Conn, cfg ReporterConfig) *Reporter {
	r := &Reporter{c: c, cfg: cfg, log: c.Log.With("stage", "reporter")}
	r.s = newScheduler(c, schedulerConfig{stage: "reporter", run: r.unit, owner: cfg.Owner, ttl: cfg.LeaseTTL})
	return r
}

// Run serves until ctx ends.
func (r *Reporter) Run(ctx context.Context) error { return r.s.Run(ctx) }

func (r *Reporter) unit(ctx context.Context, st *CaptureState, _ int) error {
	out, err := newStoreOutput(ctx, r.c, st, r.cfg)
	if err != nil {
		return err
	}
	rs, err := renderCapture(ctx, r.c, st, out, nil)
	return out.finish(rs, err)
}

// storeOutput renders a report in every format the capture asks for, into
// temporary files, then publishes them: renamed into OutDir and/or
// uploaded to the object store, and announced on bus.ReportDoneSubject.
type storeOutput struct {
	c       *jsbus.Conn
	st      *CaptureState
	cfg     ReporterConfig
	dir     string
	tmpDir  bool
	formats []reporter.Format
	files   []*os.File
	ws      []reporter.Writer
}

// Formats returns the report formats of a capture (JSON by default).
func Formats(o *bus.Options) ([]reporter.Format, error) {
	if len(o.Formats) == 0 {
		return []reporter.Format{reporter.JSON}, nil
	}
	var fs []reporter.Format
	for _, s := range o.Formats {
		f, err := reporter.ParseFormat(s)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, nil
}

func newStoreOutput(ctx context.Context, c *jsbus.Conn, st *CaptureState, cfg ReporterConfig) (*storeOutput, error) {
	fs, err := Formats(&st.Options)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", st.Capture, err)
	}
	o := &storeOutput{c: c, st: st, cfg: cfg, formats: fs}
	if cfg.OutDir != "" {
		o.dir = filepath.Join(cfg.OutDir, st.Capture)
		if err := os.MkdirAll(o.dir, 0o755); err != nil {
			return nil, fmt.Errorf("report %s: %w", st.Capture, err)
		}
	} else {
		if o.dir, err = os.MkdirTemp("", "pcapflow-report-"); err != nil {
			return nil, err
		}
		o.tmpDir = true
	}
	for _, f := range fs {
		fh, err := os.CreateTemp(o.dir, ".report-*.tmp")
		if err != nil {
			o.discard()
			return nil, fmt.Errorf("report %s: %w", st.Capture, err)
		}
		o.files = append(o.files, fh)
		o.ws = append(o.ws, reporter.NewWriter(fh, f))
	}
	return o, nil
}

func (o *storeOutput) header(t *decoder.Tree) error { return o.block(reporter.HeaderName, t) }

func (o *storeOutput) block(name string, t *decoder.Tree) error {
	for _, w := range o.ws {
		if err := w.Block(name, t); err != nil {
			return err
		}
	}
	return nil
}

func (o *storeOutput) discard() {
	for _, f := range o.files {
		f.Close()
		os.Remove(f.Name())
	}
	if o.tmpDir {
		os.RemoveAll(o.dir)
	}
}

func (o *storeOutput) finish(rs *reportStats, err error) error {
	if err != nil {
		o.discard()
		return err
	}
	defer func() {
		if o.tmpDir {
			os.RemoveAll(o.dir)
		}
	}()
	done := bus.ReportDone{V: bus.Version, Capture: o.st.Capture, Gen: o.st.Gen, Frames: rs.Frames, DecodeErrors: rs.DecodeErrors, Err: rs.ReadErr}
	ctx := context.Background()
	var store jetstream.ObjectStore
	if !o.cfg.NoStore {
		var cleanup func()
		if store, cleanup, err = o.c.ReportStore(ctx); err != nil {
			o.discard()
			return err
		}
		defer cleanup()
	}
	for i, w := range o.ws {
		if err := w.Close(); err != nil {
			o.discard()
			return err
		}
		f := o.files[i]
		// Only a report kept in OutDir must reach the disk before the
		// notice; a spool file is read back from the page cache into the
		// object store and removed (syncing it cost about a second per
		// 270 MB report for nothing).
		if !o.tmpDir {
			if err := f.Sync(); err != nil {
				o.discard()
				return err
			}
		}
		size, _ := f.Seek(0, io.SeekEnd)
		format := o.formats[i].String()
		obj := bus.ReportObject(o.st.Capture, o.formats[i].Ext())
		if store != nil {
			if err := putFile(ctx, store, obj, f, o.c.Log); err != nil {
				o.discard()
				return fmt.Errorf("report %s: store %s: %w", o.st.Capture, obj, err)
			}
		}
		f.Close()
		if o.tmpDir {
			os.Remove(f.Name())
		} else if err := os.Rename(f.Name(), filepath.Join(o.dir, path.Base(obj))); err != nil {
			return err
		}
		done.Files = append(done.Files, bus.ReportFile{Format: format, Object: obj, Size: size})
	}
	data, _ := msgpack.Marshal(&done)
	pub := o.c.NewPublisher()
	_ = pub.Publish(bus.ReportDoneSubject(o.st.Capture), bus.MsgID(o.st.Capture, o.st.Gen, "report", 0, ""), data)
	wctx, cancel := context.WithTimeout(ctx, 4*o.c.Timeout())
	defer cancel()
	return pub.Wait(wctx)
}

// putAttempts is how many times a report is put before the unit fails
// (and renders it again); putRetryWait the first pause between attempts,
// doubled after each. Variables for tests.
var (
	putAttempts  = 6
	putRetryWait = time.Second
)

// putFile puts the rendered report f under name, again from the start of
// the file when the server refused or stalled a put (a busy server under
// a large report): rendering it again would cost far more.
func putFile(ctx context.Context, store jetstream.ObjectStore, name string, f *os.File, log *slog.Logger) error {
	wait := putRetryWait
	for attempt := 1; ; attempt++ {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		_, err := store.Put(ctx, jetstream.ObjectMeta{Name: name}, f)
		if err == nil {
			return nil
		}
		if attempt == putAttempts {
			return fmt.Errorf("%d attempts, the last: %w", attempt, err)
		}
		log.Warn("report put failed, will retry", "object", name, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 15*time.Second)
	}
}

// WaitReport waits for the report of capture (generation gen) and returns
// its notice. It polls the last notice of the capture, which survives
// reconnections and server restarts without any consumer state.
func WaitReport(ctx context.Context, c *jsbus.Conn, capture string, gen uint32) (*bus.ReportDone, error) {
	wait := 20 * time.Millisecond
	for {
		data, err := c.LastMsg(ctx, bus.StreamReports, bus.ReportDoneSubject(capture))
		if err == nil && data != nil {
			var d bus.ReportDone
			if err := bus.Unmarshal(data, &d); err != nil {
				return nil, fmt.Errorf("report notice of %s: %w", capture, err)
			}
			if d.Gen == gen {
				return &d, nil
			}
			if d.Gen > gen {
				return nil, fmt.Errorf("capture %s was replayed (generation %d)", capture, d.Gen)
			}
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return nil, fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
			}
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// fetchStall is how long a report download may receive nothing before it
// fails (a variable for tests).
var fetchStall = 2 * time.Minute

// FetchReport copies the report object of one format to w and checks its
// size and SHA-256 digest.
//
// It reads the object's chunks itself, with an ordered consumer on the
// bucket's stream: nats.go's ObjectStore.Get bounds the whole download by
// the client's default API timeout (10 s here) unless the context carries
// a deadline, and a 2.7 GB report takes longer than that. Here only a
// stall fails a download: no chunk for fetchStall (time spent writing to w
// does not count).
func FetchReport(ctx context.Context, c *jsbus.Conn, done *bus.ReportDone, format string, w io.Writer) error {
	store, err := c.JS.ObjectStore(ctx, bus.ReportBucket)
	if err != nil {
		return fmt.Errorf("open object store %s: %w", bus.ReportBucket, err)
	}
	for _, f := range done.Files {
		if f.Format != format {
			continue
		}
		if err := fetchObject(ctx, c, store, f.Object, f.Size, w); err != nil {
			return fmt.Errorf("fetch %s: %w", f.Object, err)
		}
		return nil
	}
	return errors.New("report of capture " + done.Capture + " has no " + format + " file (formats: " + strconv.Itoa(len(done.Files)) + ")")
}

func fetchObject(ctx context.Context, c *jsbus.Conn, store jetstream.ObjectStore, name string, size int64, w io.Writer) error {
	info, err := store.GetInfo(ctx, name)
	if err != nil {
		return err
	}
	if info.Size != uint64(size) {
		return fmt.Errorf("object holds %d bytes, the notice says %d", info.Size, size)
	}
	want, err := jetstream.DecodeObjectDigest(info.Digest)
	if err != nil {
		return err
	}
	sum := sha256.New()
	var n uint64
	var chunks uint32
	if info.Chunks > 0 {
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var stalled atomic.Bool
		watchdog := time.AfterFunc(fetchStall, func() { stalled.Store(true); cancel() })
		defer watchdog.Stop()
		err = readOrdered(rctx, c, jsbus.ObjectStream(info.Bucket), []string{jsbus.ObjectChunks(info.Bucket, info.NUID)}, frameMsgs, 8<<20,
			func(m jetstream.Msg) (bool, error) {
				watchdog.Stop()
				chunks++
				n += uint64(len(m.Data()))
				if n > info.Size {
					return true, fmt.Errorf("object has more than its %d bytes", info.Size)
				}
				sum.Write(m.Data())
				if _, err := w.Write(m.Data()); err != nil {
					return true, err
				}
				watchdog.Reset(fetchStall)
				return chunks == info.Chunks, nil
			})
		if stalled.Load() && ctx.Err() == nil {
			return fmt.Errorf("no data for %v after %d of %d bytes", fetchStall, n, info.Size)
		}
		if err != nil {
			return err
		}
	}
	if n != info.Size {
		return fmt.Errorf("%d bytes, want %d", n, info.Size)
	}
	if !bytes.Equal(sum.Sum(nil), want) {
		return errors.New("SHA-256 digest differs from the object's")
	}
	return nil
}
