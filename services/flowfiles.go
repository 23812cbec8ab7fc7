package services

// Per-flow files (--trace-fout) of the bus engines. The tracer stage
// publishes each flow's record on FLOWS; once the report is done, the
// extraction reads the records back, then makes one pass over the
// capture's FRAMES and hands every frame of a flow, and each flow's end, to
// the extraction's Sink (tracer.FileSink) in the order the inline engine's
// Tracer does, so that the files are the same bytes.
//
// A record lists the flow's frames (Frames), but a per-flow file may hold
// others: every fragment of a datagram the flow's packet completed (the
// Tracer hands them to its Sink at the completing frame, before it), and
// the frames after the first MaxFrames of a long flow. So the tracer stage
// runs its Tracer with a Sink of its own (fileFrames) that writes nothing
// but notes, for the flows whose file differs from their frame list, the
// frames the file gets, in order; the record carries them as file_frames.

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/tracer"
)

// wireFlow is a flow record as the tracer stage publishes it: the record's
// own keys, then file_frames, the frames of its per-flow file in the order
// they go in, when they are not Frames, or file_frames_truncated when
// there were more than MaxFrames of them.
type wireFlow struct {
	*tracer.Flow
	FileFrames          []uint64 `msgpack:"file_frames,omitempty"`
	FileFramesTruncated bool     `msgpack:"file_frames_truncated,omitempty"`
}

// fileFrames is the tracer stage's Sink: it notes what a per-flow file
// would receive, for the flows where that is not the record's frame list.
// Packet is called with the record as it stands, Frames already holding
// the current frame (unless the list is full), so a flow stays in step as
// long as each Packet is for the last frame of its list.
type fileFrames struct {
	max  int                 // MaxFrames: longer lists are not kept
	seqs map[uint64]*fileSeq // by flow (first frame), flows out of step only
}

type fileSeq struct {
	frames    []uint64
	truncated bool
}

func newFileFrames(cfg *tracer.Config) *fileFrames {
	m := cfg.MaxFrames
	if m <= 0 {
		m = tracer.DefaultMaxFrames
	}
	return &fileFrames{max: m}
}

// Packet implements tracer.Sink.
func (r *fileFrames) Packet(f *tracer.Flow, fi reporter.FrameInfo, _ *decoder.Packet) error {
	var s *fileSeq
	if len(r.seqs) > 0 {
		s = r.seqs[f.First]
	}
	if s == nil {
		n := len(f.Frames)
		if n > 0 && f.Frames[n-1] == fi.Index {
			return nil // in step
		}
		// Out of step from here: the file so far holds the frames listed
		// before, which are all of Frames but the current frame when a
		// held fragment comes first (the current frame, last, is higher),
		// or all of them when the list is full.
		prev := f.Frames
		if n > 0 && f.Frames[n-1] > fi.Index {
			prev = f.Frames[:n-1]
		}
		s = &fileSeq{frames: append(make([]uint64, 0, len(prev)+8), prev...)}
		if r.seqs == nil {
			r.seqs = make(map[uint64]*fileSeq)
		}
		r.seqs[f.First] = s
	}
	switch {
	case s.truncated:
	case len(s.frames) >= r.max:
		s.truncated, s.frames = true, nil
	default:
		s.frames = append(s.frames, fi.Index)
	}
	return nil
}

// End implements tracer.Sink; the record is completed by record.
func (r *fileFrames) End(*tracer.Flow) error { return nil }

// record returns the wire form of an ended flow.
func (r *fileFrames) record(f *tracer.Flow) *wireFlow {
	w := &wireFlow{Flow: f}
	if s := r.seqs[f.First]; s != nil {
		delete(r.seqs, f.First)
		w.FileFrames, w.FileFramesTruncated = s.frames, s.truncated
	}
	return w
}

// planFlow is one flow of writeFlowFiles: its record, the frames of its
// file in order, and how far they are written.
type planFlow struct {
	fl     *tracer.Flow
	phase  uint8    // bus.PhaseAdd, PhaseAdvance or PhaseFlush: when it ended
	frames []uint64 // of its file, in order
	next   int      // frames[:next] are written
	high   uint64   // the highest of frames[:next]
	due    uint64   // the frame at which frames[next] is written
}

// The Tracer hands a frame to its Sink when it reads it, except held
// fragments, which go in when a later frame completes their datagram: a
// file's frame is written at the highest frame of the file up to it.
func (p *planFlow) setDue() {
	if p.next < len(p.frames) {
		p.due = max(p.high, p.frames[p.next])
	}
}

// dueHeap orders the flows with frames left by due frame, then first frame.
type dueHeap []*planFlow

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if h[i].due != h[j].due {
		return h[i].due < h[j].due
	}
	return h[i].fl.First < h[j].fl.First
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(*planFlow)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// readFlows reads the flow records of a capture's generation from FLOWS,
// every partition to its end marker.
func readFlows(ctx context.Context, c *jsbus.Conn, cs *CaptureState) ([]*planFlow, error) {
	capture := cs.Capture
	parts := cs.Options.NumPartitions()
	ros := make([]*reorder[*bus.RecordBatch], parts)
	for i := range ros {
		ros[i] = newReorder[*bus.RecordBatch]()
	}
	var flows []*planFlow
	ended := 0
	err := readOrdered(ctx, c, bus.StreamFlows, []string{bus.FlowsRoot + "." + capture + ".*"}, recordMsgs, 8<<20, func(m jetstream.Msg) (bool, error) {
		b := &bus.RecordBatch{}
		if err := bus.Unmarshal(m.Data(), b); err != nil {
			return false, fmt.Errorf("bad record batch on %s: %w", m.Subject(), err)
		}
		if err := bus.CheckVersion(b.V); err != nil {
			return false, err
		}
		if b.Gen != cs.Gen {
			return false, nil
		}
		if b.Partition < 0 || b.Partition >= parts {
			return false, fmt.Errorf("flow partition %d out of range", b.Partition)
		}
		ro := ros[b.Partition]
		ro.put(b.Mark.Seq, b)
		for ro.ready() {
			b := ro.pop()
			for _, wr := range b.Records {
				w := wireFlow{Flow: &tracer.Flow{}}
				if err := bus.Unmarshal(wr.Record, &w); err != nil {
					return false, fmt.Errorf("bad flow record: %w", err)
				}
				fl := w.Flow
				if w.FileFramesTruncated || fl.FramesTruncated && w.FileFrames == nil {
					return false, fmt.Errorf("flow %s (%s) has more than %d frames: its per-flow file can only be written by the inline engine (--engine inline)",
						fl.Name(), fl.FileName(), len(fl.Frames))
				}
				p := &planFlow{fl: fl, phase: wr.Phase, frames: fl.Frames}
				if w.FileFrames != nil {
					p.frames = w.FileFrames
				}
				flows = append(flows, p)
			}
			if b.End {
				ended++
				if ended == parts {
					return true, nil
				}
			}
		}
		return false, nil
	})
	return flows, err
}

// writeFlowFiles writes the per-flow files of a capture the bus engines
// traced into sink, from its flow records on FLOWS and its frames on
// FRAMES, once the report is done. The Sink's calls come in the inline
// engine's order: at each frame, the flows ended by that frame, then the
// frame (and the fragments its datagram completed), then the flows ended
// by a clock advance at that frame; the flows open at the end of the
// capture last, by first frame. Packet gets the flow's final record and,
// for a *tracer.FileSink (which reads no more), the frame's bytes and link
// type undecoded; another Sink gets the frame decoded with dec.
//
// Memory: the flow records (as the report's flow blocks hold them: their
// frame numbers), and the bytes of held fragments between their frame and
// the one that completed their datagram; the frames themselves stream.
func writeFlowFiles(ctx context.Context, c *jsbus.Conn, cs *CaptureState, sink tracer.Sink, dec *decoder.Decoder) error {
	flows, err := readFlows(ctx, c, cs)
	if err != nil {
		return fmt.Errorf("per-flow files of capture %s: read flows: %w", cs.Capture, err)
	}
	// The ends, in the order they are due.
	ends := slices.Clone(flows)
	flush := func(p *planFlow) int {
		if p.phase == bus.PhaseFlush {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(ends, func(a, b *planFlow) int {
		if c := cmp.Compare(flush(a), flush(b)); c != 0 {
			return c
		}
		if flush(a) == 0 {
			if c := cmp.Compare(a.fl.At, b.fl.At); c != 0 {
				return c
			}
			if c := cmp.Compare(a.phase, b.phase); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.fl.First, b.fl.First)
	})
	// The flows by due frame, and the frames written after a later frame
	// (held fragments), whose bytes are kept from their frame until then.
	var due dueHeap
	held := map[uint64][]byte{}
	for _, p := range flows {
		var high uint64
		for _, f := range p.frames {
			if f < high {
				held[f] = nil
			}
			high = max(high, f)
		}
		if len(p.frames) > 0 {
			p.setDue()
			due = append(due, p)
		}
	}
	heap.Init(&due)
	_, isFileSink := sink.(*tracer.FileSink)
	var pkt decoder.Packet
	ei := 0
	end := func(p *planFlow) error {
		if p.next < len(p.frames) {
			return fmt.Errorf("flow %s ends before its frame %d", p.fl.Name(), p.frames[p.next])
		}
		return sink.End(p.fl)
	}
	// endUpTo ends the flows due before frame index (phase 0 at index
	// itself), or all but those ended at the end of the capture.
	endUpTo := func(index uint64, phase uint8) error {
		for ; ei < len(ends); ei++ {
			p := ends[ei]
			if p.phase == bus.PhaseFlush || p.fl.At > index || p.fl.At == index && p.phase > phase {
				return nil
			}
			if err := end(p); err != nil {
				return err
			}
		}
		return nil
	}
	write := func(p *planFlow, f *bus.Frame, data []byte) error {
		pkt.Data, pkt.LinkType, pkt.N = data, f.LinkType, 0
		if !isFileSink && dec != nil {
			dec.Decode(data, f.LinkType, &pkt)
		}
		return sink.Packet(p.fl, f.Info(), &pkt)
	}
	// Info of held frames (their bytes are in held).
	heldInfo := map[uint64]bus.Frame{}
	frame := func(f *bus.Frame) error {
		i := f.Index
		if err := endUpTo(i, bus.PhaseAdd); err != nil {
			return err
		}
		if _, ok := held[i]; ok {
			held[i] = append([]byte(nil), f.Data...)
			hf := *f
			hf.Data = nil
			heldInfo[i] = hf
		}
		for len(due) > 0 && due[0].due <= i {
			p := due[0]
			if p.due < i {
				return fmt.Errorf("flow %s has frame %d, which the capture does not have", p.fl.Name(), p.due)
			}
			for p.next < len(p.frames) && max(p.high, p.frames[p.next]) == i {
				n := p.frames[p.next]
				var err error
				if n == i {
					err = write(p, f, f.Data)
				} else if data, ok := held[n]; ok && data != nil {
					hf := heldInfo[n]
					err = write(p, &hf, data)
					delete(held, n)
					delete(heldInfo, n)
				} else {
					err = fmt.Errorf("flow %s: frame %d is not in the capture", p.fl.Name(), n)
				}
				if err != nil {
					return err
				}
				p.high = max(p.high, n)
				p.next++
			}
			if p.next < len(p.frames) {
				p.setDue()
				heap.Fix(&due, 0)
			} else {
				heap.Pop(&due)
			}
		}
		return endUpTo(i, bus.PhaseAdvance)
	}

	var last uint64
	if len(due) > 0 {
		ro := newReorder[*bus.FrameBatch]()
		err = readOrdered(ctx, c, bus.StreamFrames, []string{bus.FramesBatch(cs.Capture), bus.FramesEnd(cs.Capture)}, frameMsgs, 8<<20, func(m jetstream.Msg) (bool, error) {
			if m.Subject() == bus.FramesEnd(cs.Capture) {
				var e bus.CaptureEnd
				if err := bus.Unmarshal(m.Data(), &e); err != nil {
					return false, fmt.Errorf("bad end marker: %w", err)
				}
				if e.Seq != ro.next {
					return false, fmt.Errorf("the capture ends at batch %d, frames read up to batch %d", e.Seq, ro.next)
				}
				return true, nil
			}
			b := &bus.FrameBatch{}
			if err := bus.DecodeFrameBatch(m.Data(), b); err != nil {
				return false, fmt.Errorf("bad frame batch: %w", err)
			}
			if err := bus.CheckVersion(b.V); err != nil {
				return false, err
			}
			ro.put(b.Seq, b)
			for ro.ready() {
				b := ro.pop()
				for k := range b.Frames {
					f := &b.Frames[k]
					if f.Index != last+1 {
						return false, fmt.Errorf("frame %d follows frame %d", f.Index, last)
					}
					last = f.Index
					if err := frame(f); err != nil {
						return false, err
					}
				}
				if len(due) == 0 {
					return true, nil // every frame is written: only ends are left
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("per-flow files of capture %s: %w", cs.Capture, err)
		}
	}
	if len(due) > 0 {
		p := due[0]
		return fmt.Errorf("per-flow files of capture %s: flow %s has frame %d, after the capture's last frame %d",
			cs.Capture, p.fl.Name(), p.frames[p.next], last)
	}
	// The flows ended by advances after the frames read, then at the end.
	for ; ei < len(ends); ei++ {
		if err := end(ends[ei]); err != nil {
			return fmt.Errorf("per-flow files of capture %s: %w", cs.Capture, err)
		}
	}
	return nil
}
