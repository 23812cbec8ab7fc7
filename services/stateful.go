package services

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/tracer"
)

// statefulStages lists the partitioned stages of this build.
func statefulStages() []string { return []string{StageReassembler, StageTracer} }

// statefulStage returns the runner of a partitioned stage, nil if unknown.
func statefulStage(c *jsbus.Conn, stage string, cfg StageConfig) func(context.Context) error {
	s := newStatefulScheduler(c, stage, cfg.LeaseTTL, "", 0, "")
	if s == nil {
		return nil
	}
	return s.Run
}

// newStatefulScheduler returns the scheduler of the reassembler or tracer
// stage (nil for another stage), for every capture or only one.
func newStatefulScheduler(c *jsbus.Conn, stage string, ttl time.Duration, only string, onlyGen uint32, owner string) *scheduler {
	var wants func(*CaptureState) bool
	switch stage {
	case StageReassembler:
		wants = func(st *CaptureState) bool { return st.Options.Reassembly != nil }
	case StageTracer:
		wants = func(st *CaptureState) bool { return st.Options.Trace != nil }
	default:
		return nil
	}
	log := c.Log.With("stage", stage)
	return newScheduler(c, schedulerConfig{stage: stage, perPartition: true, wants: wants, ttl: ttl, owner: owner,
		only: only, onlyGen: onlyGen,
		run: func(ctx context.Context, st *CaptureState, part int) error {
			return runPartition(ctx, c, log, stage, st, part)
		}})
}

// core is a reassembler or a tracer behind one interface.
type core interface {
	add(fi reporter.FrameInfo, p *decoder.Packet)
	advance(sec int64, nsec uint32, at uint64)
	flush()
	stats() any
}

type raCore struct {
	r    *reassembler.Reassembler
	emit func(reassembler.Record)
}

func (c *raCore) add(fi reporter.FrameInfo, p *decoder.Packet) { c.r.Add(fi, p, c.emit) }
func (c *raCore) advance(sec int64, nsec uint32, at uint64)    { c.r.Advance(sec, nsec, at, c.emit) }
func (c *raCore) flush()                                       { c.r.Flush(c.emit) }
func (c *raCore) stats() any                                   { st := c.r.Stats(); return &st }

type trCore struct {
	t    *tracer.Tracer
	emit func(*tracer.Flow)
}

func (c *trCore) add(fi reporter.FrameInfo, p *decoder.Packet) { c.t.Add(fi, p, c.emit) }
func (c *trCore) advance(sec int64, nsec uint32, at uint64)    { c.t.Advance(sec, nsec, at, c.emit) }
func (c *trCore) flush()                                       { c.t.Flush(c.emit) }
func (c *trCore) stats() any                                   { return nil }

// runPartition runs one partition of a capture through a reassembler or
// tracer, from the start of the capture: it reads the partition's DECODED
// messages in input order and publishes one RecordBatch per input batch.
func runPartition(ctx context.Context, c *jsbus.Conn, log *slog.Logger, stage string, st *CaptureState, part int) error {
	capture := st.Capture
	var (
		recs  []bus.WireRecord
		phase uint8
		cerr  error
	)
	put := func(v any) {
		data, err := msgpack.Marshal(v)
		if err != nil && cerr == nil {
			cerr = err
		}
		recs = append(recs, bus.WireRecord{Phase: phase, Record: data})
	}
	var cr core
	var out string
	switch stage {
	case StageReassembler:
		cr = &raCore{r: reassembler.New(*st.Options.Reassembly), emit: func(r reassembler.Record) { put(&r) }}
		out = bus.Reassembled(capture, part)
	case StageTracer:
		cfg := *st.Options.Trace
		cfg.Sink = nil
		emit := func(f *tracer.Flow) { put(f) }
		if st.Options.FlowFiles {
			// The records carry what per-flow files need beyond their
			// frame lists (see flowfiles.go).
			ff := newFileFrames(&cfg)
			cfg.Sink = ff
			emit = func(f *tracer.Flow) { put(ff.record(f)) }
		}
		cr = &trCore{t: tracer.New(cfg), emit: emit}
		out = bus.Flows(capture, part)
	}
	ro := newReorder[*bus.DecodedBatch]()
	pub := c.NewPublisher()
	var pkt decoder.Packet
	inflight := 0
	return readOrdered(ctx, c, bus.StreamDecoded, []string{bus.Decoded(capture, part)}, decodedMsgs, 8<<20, func(m jetstream.Msg) (bool, error) {
		b := &bus.DecodedBatch{}
		if err := bus.DecodeDecodedBatch(m.Data(), b); err != nil {
			return false, fmt.Errorf("%s %s/%d: bad decoded batch: %w", stage, capture, part, err)
		}
		if err := bus.CheckVersion(b.V); err != nil {
			return false, err
		}
		if b.Gen != st.Gen {
			return false, nil
		}
		ro.put(b.Mark.Seq, b)
		for ro.ready() {
			b := ro.pop()
			recs = recs[:0]
			phase = bus.PhaseAdd
			for i := range b.Frames {
				f := &b.Frames[i]
				if err := f.Packet(&pkt); err != nil {
					return false, err
				}
				cr.add(f.Info(), &pkt)
			}
			rb := bus.RecordBatch{V: bus.Version, Capture: capture, Gen: st.Gen, Stage: stage, Partition: part, Mark: b.Mark}
			if b.End == nil {
				if b.Mark.Advance {
					phase = bus.PhaseAdvance
					cr.advance(b.Mark.Sec, b.Mark.Nsec, b.Mark.Index)
				}
			} else {
				e := b.End
				if e.Frames%bus.AdvanceEvery != 0 {
					phase = bus.PhaseAdvance
					cr.advance(e.Sec, e.Nsec, e.Frames)
				}
				phase = bus.PhaseFlush
				cr.flush()
				rb.End = true
				if s := cr.stats(); s != nil {
					rb.Stats, _ = msgpack.Marshal(s)
				}
			}
			if cerr != nil {
				return false, cerr
			}
			rb.Records = recs
			data, err := msgpack.Marshal(&rb)
			if err != nil {
				return false, err
			}
			_ = pub.Publish(out, bus.MsgID(capture, st.Gen, stage, b.Mark.Seq, strconv.Itoa(part)), data)
			inflight++
			if inflight >= 16 || rb.End {
				inflight = 0
				if err := pub.Wait(ctx); err != nil {
					return false, err
				}
			}
			if rb.End {
				log.Debug("partition done", "capture", capture, "partition", part)
				return true, nil
			}
		}
		return false, nil
	})
}
