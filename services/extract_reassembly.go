package services

// Reassembly and flow tracing inside "extract" (PyPCAPKit's --ipv4 --ipv6
// --tcp --strict --trace flags): the stateful cores run after the decoder,
// and their records go into the same report, each right after the frame at
// which it was emitted (its At), so the report stays in frame order and
// streams in constant memory.

import (
	"errors"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/tracer"
)

// reassemblyOn reports whether the options ask for reassembly.
func (o *ExtractOptions) reassemblyOn() bool {
	r := &o.Reassembly
	return r.IPv4 || r.IPv6 || r.TCP
}

// stateful drives the reassembler and tracer of one extraction.
type stateful struct {
	w    reporter.Writer
	ra   *reassembler.Reassembler
	tr   *tracer.Tracer
	tree decoder.Tree
	err  error
	last reporter.FrameInfo
	n    uint64

	emitR func(reassembler.Record)
	emitF func(*tracer.Flow)
}

// newStateful returns nil when neither reassembly nor tracing is asked.
func newStateful(o *ExtractOptions, w reporter.Writer) *stateful {
	if !o.reassemblyOn() && o.Trace == nil {
		return nil
	}
	s := &stateful{w: w}
	if o.reassemblyOn() {
		s.ra = reassembler.New(o.Reassembly)
	}
	if o.Trace != nil {
		s.tr = tracer.New(*o.Trace)
	}
	s.emitR = func(r reassembler.Record) {
		if s.err == nil {
			s.tree.Reset()
			r.Fields(&s.tree)
			s.err = s.w.Block(r.Name(), &s.tree)
		}
	}
	s.emitF = func(f *tracer.Flow) {
		if s.err == nil {
			s.tree.Reset()
			f.Fields(&s.tree)
			s.err = s.w.Block(f.Name(), &s.tree)
		}
	}
	return s
}

// add feeds one decoded frame, after its block was written.
func (s *stateful) add(fi reporter.FrameInfo, p *decoder.Packet) error {
	if s.ra != nil {
		s.ra.Add(fi, p, s.emitR)
	}
	if s.tr != nil {
		s.tr.Add(fi, p, s.emitF)
	}
	s.last = fi
	s.n++
	if s.n%bus.AdvanceEvery == 0 {
		s.advance()
	}
	return s.err
}

func (s *stateful) advance() {
	if s.ra != nil {
		s.ra.Advance(s.last.Sec, s.last.Nsec, s.last.Index, s.emitR)
	}
	if s.tr != nil {
		s.tr.Advance(s.last.Sec, s.last.Nsec, s.last.Index, s.emitF)
	}
}

// flush ends the capture: what is still open is emitted, then the
// reassembly statistics.
func (s *stateful) flush() error {
	if s.n%bus.AdvanceEvery != 0 {
		s.advance()
	}
	if s.ra != nil {
		s.ra.Flush(s.emitR)
	}
	if s.tr != nil {
		s.tr.Flush(s.emitF)
	}
	if s.ra != nil && s.err == nil {
		st := s.ra.Stats()
		s.tree.Reset()
		st.Fields(&s.tree)
		s.err = s.w.Block("Reassembly Statistics", &s.tree)
	}
	if s.tr != nil {
		s.err = errors.Join(s.err, s.tr.Err())
	}
	return s.err
}
