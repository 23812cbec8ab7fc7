package reassembler

import (
	"sort"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reporter"
)

// Stats counts what a Reassembler did and dropped. Counters of several
// Reassemblers (partitions) add up.
type Stats struct {
	Fragments        uint64 `msgpack:"fragments"`
	Datagrams        uint64 `msgpack:"datagrams"`         // completed
	Incomplete       uint64 `msgpack:"incomplete"`        // given up (timeout, caps, end of capture)
	Evicted          uint64 `msgpack:"evicted"`           // datagrams dropped by the total caps
	DroppedFragments uint64 `msgpack:"dropped_fragments"` // fragments of dropped datagrams, conflicts
	Duplicates       uint64 `msgpack:"duplicates"`
	Overlaps         uint64 `msgpack:"overlaps"`
	Segments         uint64 `msgpack:"segments"`
	Streams          uint64 `msgpack:"streams"`
	Retransmissions  uint64 `msgpack:"retransmissions"`
	OutOfOrder       uint64 `msgpack:"out_of_order"`
	Gaps             uint64 `msgpack:"gaps"`
	StreamsEvicted   uint64 `msgpack:"streams_evicted"`
	StreamsDropped   uint64 `msgpack:"streams_dropped"` // incomplete streams not emitted (not Strict)
}

// Add adds the counters of o to s.
func (s *Stats) Add(o Stats) {
	s.Fragments += o.Fragments
	s.Datagrams += o.Datagrams
	s.Incomplete += o.Incomplete
	s.Evicted += o.Evicted
	s.DroppedFragments += o.DroppedFragments
	s.Duplicates += o.Duplicates
	s.Overlaps += o.Overlaps
	s.Segments += o.Segments
	s.Streams += o.Streams
	s.Retransmissions += o.Retransmissions
	s.OutOfOrder += o.OutOfOrder
	s.Gaps += o.Gaps
	s.StreamsEvicted += o.StreamsEvicted
	s.StreamsDropped += o.StreamsDropped
}

// Fields writes the counters as a report block.
func (s *Stats) Fields(t *decoder.Tree) {
	t.Uint("fragments", s.Fragments)
	t.Uint("datagrams", s.Datagrams)
	t.Uint("incomplete", s.Incomplete)
	t.Uint("evicted", s.Evicted)
	t.Uint("dropped_fragments", s.DroppedFragments)
	t.Uint("duplicates", s.Duplicates)
	t.Uint("overlaps", s.Overlaps)
	t.Uint("segments", s.Segments)
	t.Uint("streams", s.Streams)
	t.Uint("retransmissions", s.Retransmissions)
	t.Uint("out_of_order", s.OutOfOrder)
	t.Uint("gaps", s.Gaps)
	t.Uint("streams_evicted", s.StreamsEvicted)
	t.Uint("streams_dropped", s.StreamsDropped)
}

// Reassembler reassembles IP datagrams and TCP streams. It is not safe for
// concurrent use: the bus gives each partition its own. Every fragment of a
// datagram and both directions of a connection must reach the same
// Reassembler, in frame order.
type Reassembler struct {
	cfg   Config
	frag  fragTable
	tcp   tcpTable
	stats Stats
	out   []Record
	// at is the At of records being produced: the frame index inside Add,
	// the last Advance index (or highest frame index) otherwise.
	at       uint64
	advanced bool
	now      int64
	// lent is set when the pools hold retired buffers that records being
	// emitted may lend (see release).
	lent bool
	// Bound once so that passing them does not allocate per frame.
	fragEmit func(*datagram, string)
	tcpEmit  func(*conn, string)
}

// New returns a Reassembler. Invalid limits (see Config.Validate) are
// replaced by their defaults.
func New(cfg Config) *Reassembler {
	c := cfg.withDefaults()
	r := &Reassembler{cfg: c}
	r.frag = fragTable{cfg: &r.cfg, m: make(map[fragKey]*datagram), stats: &r.stats,
		bufs: newPool[byte](fragClass, r.cfg.MaxDatagramBytes, fragPoolBytes, &r.lent)}
	r.tcp = tcpTable{cfg: &r.cfg, m: newConnTable(), stats: &r.stats,
		bufs:   newPool[byte](bufClass, r.cfg.MaxStreamBytes, poolBytes, &r.lent),
		segs:   newPool[Segment](listClass, r.cfg.MaxSegments, listPoolLen, &r.lent),
		frames: newPool[uint64](listClass, r.cfg.MaxSegments, listPoolLen, &r.lent),
		pieces: newPool[piece](listClass, r.cfg.MaxSegments, listPoolLen, &r.lent)}
	r.fragEmit = r.datagramDone
	r.tcpEmit = r.streamDone
	return r
}

// Stats returns the counters so far.
func (r *Reassembler) Stats() Stats { return r.stats }

// Memory returns the bytes currently held by unfinished datagrams and by
// open streams (the quantities the caps bound).
func (r *Reassembler) Memory() (frag, tcp int) { return r.frag.mem, r.tcp.mem }

func nanos(sec int64, nsec uint32) int64 { return sec*1e9 + int64(nsec) }

// Add feeds one decoded frame. Records completed by it are passed to emit,
// with At = fi.Index, before Add returns. p and its bytes are not kept,
// unless Config.StableFrames says they may be.
func (r *Reassembler) Add(fi reporter.FrameInfo, p *decoder.Packet, emit func(Record)) {
	r.now = nanos(fi.Sec, fi.Nsec)
	saved := r.at
	r.at = fi.Index
	// p.Fragment first, as IsFragment: a frame without it is no fragment.
	if !(p.Fragment && r.addFragment(&fi, p)) && r.cfg.TCP {
		ti, ip := scanLayers(p)
		// The segment lives on the stack: filling it writes no pointer
		// into the heap (no write barrier).
		var seg segment
		if ti > 0 && segmentAt(p, ti, ip, &seg) {
			seg.frame, seg.stable = fi.Index, r.cfg.StableFrames
			r.tcp.add(&seg, r.now, r.tcpEmit)
		}
	}
	if r.advanced || saved > r.at {
		r.at = saved
	}
	if len(r.out) > 0 || r.lent {
		r.flushOut(emit)
	}
}

// addFragment takes p if it is an IP fragment (the caller has seen that
// p.Fragment is set: see IsFragment).
func (r *Reassembler) addFragment(fi *reporter.FrameInfo, p *decoder.Packet) bool {
	f, ok := findFragment(p, r.cfg.IPv4, r.cfg.IPv6)
	if !ok || !f.mf && f.off == 0 {
		return false
	}
	r.frag.add(fi, &f, r.now, r.fragEmit)
	return true
}

// Advance expires state older than the capture time (sec, nsec): called at
// every ingest batch boundary with the batch's last timestamp and frame
// index, which becomes the At of the records emitted.
func (r *Reassembler) Advance(sec int64, nsec uint32, atIndex uint64, emit func(Record)) {
	now := nanos(sec, nsec)
	r.at = atIndex
	r.advanced = true
	r.now = now
	r.frag.advance(now, r.fragEmit)
	r.tcp.advance(now, r.tcpEmit)
	r.flushOut(emit)
}

// Flush ends everything still open (end of capture). The records it emits
// carry At = the atIndex of the last Advance call (engines call Advance for
// the capture's last batch before Flush, so that is the last frame index on
// every partition), or, without any Advance, the highest index seen.
func (r *Reassembler) Flush(emit func(Record)) {
	for d := r.frag.head; d != nil; {
		next := d.next
		r.frag.expire(d, "end of capture", r.fragEmit)
		d = next
	}
	for _, c := range r.tcp.conns() {
		r.tcp.end(c, "end of capture", r.tcpEmit)
	}
	r.flushOut(emit)
}

func (r *Reassembler) datagramDone(d *datagram, reason string) {
	first := uint64(0)
	if len(d.frames) > 0 {
		first = d.frames[0]
	}
	rec := d.record(reason)
	r.out = append(r.out, Record{Kind: KindDatagram, At: r.at, First: first, Datagram: rec})
	// A complete datagram carrying TCP continues into stream reassembly.
	if reason == "" && r.cfg.TCP && d.proto == 6 {
		if s, ok := segmentOf(d, r.at); ok {
			r.tcp.add(&s, r.now, r.tcpEmit)
		}
	}
}

func (r *Reassembler) streamDone(c *conn, reason string) {
	if reason == "evicted" {
		r.stats.StreamsEvicted++
	}
	if !c.hasData() {
		return
	}
	st := c.record(reason)
	if !st.Complete && !r.cfg.Strict {
		r.stats.StreamsDropped++
		return
	}
	r.out = append(r.out, Record{Kind: KindStream, At: r.at, First: c.first, Stream: st})
	if r.cfg.Analyse {
		for i, m := range Analyse(st) {
			r.out = append(r.out, Record{Kind: KindMessage, At: r.at, First: c.first, Seq: uint32(i + 1), Message: m})
		}
	}
}

// release returns the buffers that the records just emitted lent.
func (r *Reassembler) release() {
	r.lent = false
	r.tcp.bufs.release()
	r.tcp.segs.release()
	r.tcp.frames.release()
	r.tcp.pieces.release()
	r.frag.bufs.release()
}

func (r *Reassembler) flushOut(emit func(Record)) {
	if len(r.out) == 0 {
		r.release()
		return
	}
	if len(r.out) > 1 {
		sort.SliceStable(r.out, func(i, j int) bool { return Less(&r.out[i], &r.out[j]) })
	}
	for i := range r.out {
		emit(r.out[i])
		r.out[i] = Record{}
	}
	r.out = r.out[:0]
	// The records lent the buffers of their streams until now.
	r.release()
}
