package services

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reporter"
)

// DecoderConfig configures a decoder service. The zero value is usable.
type DecoderConfig struct {
	// Workers is the number of batches decoded at once by this instance
	// (default 2). Any number of instances may share the work.
	Workers int
	// Durable is the shared durable consumer (default bus.DecoderDurable);
	// Filter its subject filter (default every capture's FRAMES).
	Durable string
	Filter  string
	// Gen is the generation stamped on the outputs (replay sets it).
	Gen uint32
	// AckWait is how long an unacknowledged batch waits before it is
	// redelivered to another decoder (default 30s); MaxAckPending bounds
	// the batches in flight over all instances (default 64), which also
	// bounds the reorder buffers downstream.
	AckWait       time.Duration
	MaxAckPending int
	// PullMaxBytes bounds the bytes buffered per worker (default 4 MiB).
	PullMaxBytes int
	// Depth is the number of batches one worker keeps in flight (default
	// 8): it decodes and publishes the next batch while the outputs of the
	// previous ones are being stored; each input is acknowledged once
	// its own outputs are stored.
	Depth int
	// NoEvents turns the per-protocol event subjects off.
	NoEvents bool
	// NoData leaves the frame bytes out of DECODED (each frame's data is
	// nil): for a deployment whose every DECODED consumer reads them from
	// FRAMES instead (the embedded engine's reporter, when no stateful
	// stage runs), so that they are stored once.
	NoData bool
	// StopAfterEnd makes Run return once the end marker of a capture is
	// processed and nothing is pending (used by replay).
	StopAfterEnd bool
}

func (c *DecoderConfig) defaults() {
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.Durable == "" {
		c.Durable = bus.DecoderDurable
	}
	if c.Filter == "" {
		c.Filter = bus.FramesRoot + ".>"
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxAckPending <= 0 {
		c.MaxAckPending = 64
	}
	if c.PullMaxBytes <= 0 {
		c.PullMaxBytes = 4 << 20
	}
	if c.Depth <= 0 {
		c.Depth = 8
	}
}

// ConsumerConfig returns the durable consumer the decoders share.
func (c DecoderConfig) ConsumerConfig() jetstream.ConsumerConfig {
	c.defaults()
	return jetstream.ConsumerConfig{
		Durable:       c.Durable,
		FilterSubject: c.Filter,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.AckWait,
		MaxAckPending: c.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxDeliver:    -1,
	}
}

// Decoder is the stateless decoding stage: FRAMES → DECODED.
type Decoder struct {
	c   *jsbus.Conn
	cfg DecoderConfig
	log *slog.Logger

	mu    sync.Mutex
	metas map[string]*captureCfg
	ended chan string
}

type captureCfg struct {
	dec   *decoder.Decoder
	parts int
}

// NewDecoder returns a decoder service on c.
func NewDecoder(c *jsbus.Conn, cfg DecoderConfig) *Decoder {
	cfg.defaults()
	return &Decoder{c: c, cfg: cfg, log: c.Log.With("stage", "decoder"), metas: map[string]*captureCfg{}, ended: make(chan string, 16)}
}

// Run consumes until ctx ends, then drains: the batches being decoded are
// finished and acknowledged before it returns.
func (d *Decoder) Run(ctx context.Context) error {
	cons, err := d.c.JS.CreateOrUpdateConsumer(ctx, bus.StreamFrames, d.cfg.ConsumerConfig())
	if err != nil {
		return fmt.Errorf("decoder: create consumer: %w", err)
	}
	errs := make(chan error, d.cfg.Workers)
	var ccs []jetstream.ConsumeContext
	// The acknowledgements outlive ctx: on cancellation the batches in
	// flight are still stored and acknowledged (bounded by the drain
	// deadline below).
	actx, acancel := context.WithCancel(context.WithoutCancel(ctx))
	defer acancel()
	var ackers sync.WaitGroup
	var workers []*decodeWorker
	defer func() {
		for _, w := range workers {
			close(w.inflight)
		}
		done := make(chan struct{})
		go func() { ackers.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * d.c.Timeout()):
			acancel()
			<-done
		}
	}()
	for i := 0; i < d.cfg.Workers; i++ {
		w := &decodeWorker{d: d, w: newMsgWriter(), inflight: make(chan inflightBatch, d.cfg.Depth)}
		workers = append(workers, w)
		ackers.Add(1)
		go func() { defer ackers.Done(); w.acker(actx) }()
		cc, err := cons.Consume(func(m jetstream.Msg) { w.handle(ctx, m) },
			jetstream.PullMaxBytes(d.cfg.PullMaxBytes),
			jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
				if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
					select {
					case errs <- fmt.Errorf("decoder: consumer %s is gone: %w", d.cfg.Durable, err):
					default:
					}
					return
				}
				d.log.Warn("consume", "err", err)
			}))
		if err != nil {
			for _, cc := range ccs {
				cc.Drain()
			}
			for _, cc := range ccs {
				<-cc.Closed()
			}
			return fmt.Errorf("decoder: consume: %w", err)
		}
		ccs = append(ccs, cc)
	}
	d.log.Info("decoder running", "durable", d.cfg.Durable, "workers", d.cfg.Workers)
	var runErr error
	if d.cfg.StopAfterEnd {
		runErr = d.waitIdle(ctx, cons)
	} else {
		select {
		case <-ctx.Done():
		case runErr = <-errs:
		}
	}
	for _, cc := range ccs {
		cc.Drain()
	}
	for _, cc := range ccs {
		<-cc.Closed()
	}
	return runErr
}

// waitIdle returns once an end marker was processed and the consumer has
// nothing pending.
func (d *Decoder) waitIdle(ctx context.Context, cons jetstream.Consumer) error {
	seenEnd := false
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.ended:
			seenEnd = true
		case <-time.After(100 * time.Millisecond):
		}
		if !seenEnd {
			continue
		}
		info, err := cons.Info(ctx)
		if err != nil {
			continue
		}
		if info.NumPending == 0 && info.NumAckPending == 0 {
			return nil
		}
	}
}

// captureConfig returns the decoding configuration of a capture, from its
// metadata message on FRAMES.
func (d *Decoder) captureConfig(ctx context.Context, capture string) (*captureCfg, error) {
	d.mu.Lock()
	cc := d.metas[capture]
	d.mu.Unlock()
	if cc != nil {
		return cc, nil
	}
	data, err := d.c.LastMsg(ctx, bus.StreamFrames, bus.FramesMeta(capture))
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, fmt.Errorf("capture %s has no metadata on %s", capture, bus.FramesMeta(capture))
	}
	var m bus.CaptureMeta
	if err := bus.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("capture %s: bad metadata: %w", capture, err)
	}
	if err := bus.CheckVersion(m.V); err != nil {
		return nil, err
	}
	opts, err := m.Options.DecoderOptions()
	if err != nil {
		return nil, fmt.Errorf("capture %s: %w", capture, err)
	}
	cc = &captureCfg{dec: decoder.New(opts), parts: m.Options.NumPartitions()}
	d.mu.Lock()
	if len(d.metas) > 1024 {
		clear(d.metas)
	}
	d.metas[capture] = cc
	d.mu.Unlock()
	return cc, nil
}

// decodeWorker decodes one batch at a time with reused storage, and
// hands each batch's publications to its acker, which acknowledges the
// input once they are stored: up to DecoderConfig.Depth batches are in
// flight per worker.
type decodeWorker struct {
	d        *Decoder
	pub      *jsbus.Publisher
	w        *msgWriter
	inflight chan inflightBatch

	batch   bus.FrameBatch
	pkts    []decoder.Packet
	parts   []int
	counts  []int
	outs    []*msgWriter
	used    []*msgWriter // the writers of the current input's outputs
	evCount [256]int
	evOut   [256]*msgWriter
	tree    decoder.Tree
	chain   []byte
}

// inflightBatch is an input whose outputs are being stored.
type inflightBatch struct {
	m   jetstream.Msg
	pub *jsbus.Publisher
	ws  []*msgWriter // the buffers of the outputs
	end string       // the capture, for an end marker
}

func (w *decodeWorker) handle(ctx context.Context, m jetstream.Msg) {
	d := w.d
	subj := m.Subject()
	capture := bus.CaptureOf(subj)
	w.pub = d.c.NewPublisher()
	w.used = nil
	var err error
	end := ""
	switch {
	case len(subj) > len(bus.KindBatch) && subj[len(subj)-len(bus.KindBatch):] == bus.KindBatch:
		err = w.batchMsg(ctx, capture, m.Data())
	case len(subj) > len(bus.KindEnd) && subj[len(subj)-len(bus.KindEnd):] == bus.KindEnd:
		err = w.endMsg(ctx, capture, m.Data())
		end = capture
	}
	if err != nil {
		w.fail(m, err)
		return
	}
	w.inflight <- inflightBatch{m: m, pub: w.pub, ws: w.used, end: end}
}

// fail gives an input back: redelivered later, or terminated when no
// decoder will ever read it.
func (w *decodeWorker) fail(m jetstream.Msg, err error) {
	d := w.d
	var perm permanentError
	if errors.As(err, &perm) {
		// A message no decoder will ever read: say so loudly and move
		// on rather than block the stream.
		d.log.Error("dropping undecodable message", "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	}
	d.log.Warn("batch failed, will be redelivered", "subject", m.Subject(), "err", err)
	_ = m.NakWithDelay(time.Second)
}

// acker acknowledges the worker's inputs, in order, each once all of its
// outputs are stored; it returns when the worker's channel is closed.
func (w *decodeWorker) acker(ctx context.Context) {
	d := w.d
	for b := range w.inflight {
		if err := b.pub.Wait(ctx); err != nil {
			w.fail(b.m, err) // its writers are left to the collector
			continue
		}
		for _, mw := range b.ws {
			writerPool.Put(mw)
		}
		if err := b.m.DoubleAck(ctx); err != nil {
			d.log.Warn("ack", "subject", b.m.Subject(), "err", err)
			continue
		}
		if b.end != "" {
			select {
			case d.ended <- b.end:
			default:
			}
		}
	}
}

type permanentError struct{ error }

// writerPool holds the writers whose messages are stored: a message is
// published from its writer's buffer, which stays untouched until the
// input is acknowledged.
var writerPool = sync.Pool{New: func() any { return newMsgWriter() }}

func (w *decodeWorker) writer() *msgWriter {
	mw := writerPool.Get().(*msgWriter)
	w.used = append(w.used, mw)
	return mw
}

func (w *decodeWorker) writers(n int) {
	w.outs = w.outs[:0]
	for len(w.outs) < n {
		w.outs = append(w.outs, w.writer())
	}
}

func (w *decodeWorker) batchMsg(ctx context.Context, capture string, data []byte) error {
	d := w.d
	if err := bus.DecodeFrameBatch(data, &w.batch); err != nil {
		return permanentError{fmt.Errorf("bad frame batch: %w", err)}
	}
	if err := bus.CheckVersion(w.batch.V); err != nil {
		return permanentError{err}
	}
	cc, err := d.captureConfig(ctx, capture)
	if err != nil {
		return err
	}
	frames := w.batch.Frames
	n := len(frames)
	if cap(w.pkts) < n {
		w.pkts = make([]decoder.Packet, n)
		w.parts = make([]int, n)
	}
	w.pkts, w.parts = w.pkts[:n], w.parts[:n]
	w.counts = append(w.counts[:0], make([]int, cc.parts)...)
	clear(w.evCount[:])
	events := !d.cfg.NoEvents
	for i := range frames {
		f := &frames[i]
		p := &w.pkts[i]
		cc.dec.Decode(f.Data, f.LinkType, p)
		part := 0
		if cc.parts > 1 {
			if h, ok := bus.AddrHash(p); ok {
				part = bus.PartitionOf(h, cc.parts)
			}
		}
		w.parts[i] = part
		w.counts[part]++
		if events {
			for l := 0; l < p.N; l++ {
				w.evCount[p.Layers[l].Proto]++
			}
		}
	}
	last := frames[n-1]
	mark := bus.Mark{Seq: w.batch.Seq, Index: last.Index, Sec: last.Sec, Nsec: last.Nsec, Advance: last.Index%bus.AdvanceEvery == 0}
	w.writers(cc.parts)
	for p := 0; p < cc.parts; p++ {
		if err := w.outs[p].beginDecoded(capture, d.cfg.Gen, p, cc.parts, mark, nil, w.counts[p]); err != nil {
			return err
		}
	}
	for pr, c := range w.evCount {
		if c > 0 {
			w.evOut[pr] = w.writer()
			w.evOut[pr].beginEvents(capture, d.cfg.Gen, w.batch.Seq, decoder.Proto(pr), c)
		}
	}
	for i := range frames {
		f := &frames[i]
		p := &w.pkts[i]
		w.chain = reporter.AppendChain(w.chain[:0], p)
		if err := w.outs[w.parts[i]].frame(f, p, w.chain, d.cfg.NoData); err != nil {
			return err
		}
		if events && p.N > 0 {
			// One tree of the layers per frame; each event carries its
			// layer's own fields from it.
			w.tree.Reset()
			p.Fields(&w.tree)
			for l := 0; l < p.N; l++ {
				if err := w.evOut[p.Layers[l].Proto].event(f, w.chain, p, l, &w.tree); err != nil {
					return err
				}
			}
		}
	}
	seq := w.batch.Seq
	for p := 0; p < cc.parts; p++ {
		_ = w.pub.Publish(bus.Decoded(capture, p), bus.MsgID(capture, d.cfg.Gen, "decoded", seq, strconv.Itoa(p)), w.outs[p].buf)
	}
	for pr, c := range w.evCount {
		if c > 0 {
			proto := decoder.Proto(pr)
			_ = w.pub.Publish(bus.Event(capture, proto), bus.MsgID(capture, d.cfg.Gen, "event", seq, proto.Key()), w.evOut[pr].buf)
			w.evOut[pr] = nil
		}
	}
	return nil
}

func (w *decodeWorker) endMsg(ctx context.Context, capture string, data []byte) error {
	d := w.d
	var end bus.CaptureEnd
	if err := bus.Unmarshal(data, &end); err != nil {
		return permanentError{fmt.Errorf("bad end marker: %w", err)}
	}
	if err := bus.CheckVersion(end.V); err != nil {
		return permanentError{err}
	}
	cc, err := d.captureConfig(ctx, capture)
	if err != nil {
		return err
	}
	mark := bus.Mark{Seq: end.Seq, Index: end.Frames, Sec: end.Sec, Nsec: end.Nsec}
	w.writers(cc.parts)
	for p := 0; p < cc.parts; p++ {
		if err := w.outs[p].beginDecoded(capture, d.cfg.Gen, p, cc.parts, mark, &end, 0); err != nil {
			return err
		}
		_ = w.pub.Publish(bus.Decoded(capture, p), bus.MsgID(capture, d.cfg.Gen, "decoded", end.Seq, strconv.Itoa(p)), w.outs[p].buf)
	}
	return nil
}
