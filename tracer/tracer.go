package tracer

import (
	"container/heap"
	"encoding/binary"
	"slices"
	"sort"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
)

// Sink receives the packets of traced flows (per-flow output files).
// Packet is called for every packet of a flow, in frame order, with the
// flow as it stands (First, Src, Dst, ports and FirstSec are final); End
// once the flow's record is complete. p and its bytes are valid only
// during the call.
type Sink interface {
	Packet(f *Flow, fi reporter.FrameInfo, p *decoder.Packet) error
	End(f *Flow) error
}

type flowKey struct {
	v6     bool
	proto  uint8
	a, b   [16]byte
	pa, pb uint16
}

// Bits of what each direction has sent.
const (
	sawSyn = 1 << iota
	sawSynAck
	sawFin
	sawRst
	sawData
	sawAny
)

type class uint8

const (
	classTCP class = iota
	classUDP
	classICMP
)

type flow struct {
	key      flowKey
	cls      class
	hidx     int   // index in the deadline heap
	deadline int64 // the heap's key (may lag the flow's real deadline)
	rec      Flow
	origA    bool // the originator is key.a
	last     int64
	closing  string // "fin" or "rst" once closed
	closedAt int64
	seen     [2]uint8 // orig, resp
	letters  [2]uint32
	maxEnd   [2]uint32
	haveSeq  [2]bool
	orig     [16]byte
	origPort uint16
	history  []byte
	flipped  bool
	isn      uint32 // originator's SYN sequence number
	hasISN   bool
	// Inline storage for the record's addresses, its first frame numbers
	// and history letters: a short flow costs one allocation, not five.
	addrs   [32]byte
	frames0 [8]uint64
	hist0   [12]byte
}

// Flow deadlines (idle timeout, or CloseDelay after FIN/RST) sit in a
// min-heap: a packet only updates its flow's times, and Advance pops the
// due entries, ending the flow or pushing it back at its new deadline.
type flowHeap []*flow

func (h flowHeap) Len() int { return len(h) }
func (h flowHeap) Less(i, j int) bool {
	if h[i].deadline != h[j].deadline {
		return h[i].deadline < h[j].deadline
	}
	return h[i].rec.First < h[j].rec.First
}
func (h flowHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx, h[j].hidx = i, j
}
func (h *flowHeap) Push(x any) {
	f := x.(*flow)
	f.hidx = len(*h)
	*h = append(*h, f)
}
func (h *flowHeap) Pop() any {
	old := *h
	n := len(old) - 1
	f := old[n]
	old[n] = nil
	*h = old[:n]
	f.hidx = -1
	return f
}

// due returns the flow's current deadline.
func (t *Tracer) due(f *flow) int64 {
	d := f.last + t.idle(f.cls)
	if f.closing != "" {
		if c := f.closedAt + int64(t.cfg.CloseDelay); c < d {
			d = c
		}
	}
	return d
}

// Tracer traces flows. Like the Reassembler it is fed every packet of a
// flow, both directions, in frame order; it is not safe for concurrent use.
type Tracer struct {
	cfg  Config
	m    map[flowKey]*flow
	heap flowHeap
	out  []*Flow
	at   uint64
	adv  bool
	err  error
	pkt  pktInfo
	// IP reassembly of fragmented flows (created on the first fragment).
	frag     *reassembler.Reassembler
	fdec     *decoder.Decoder
	fpkt     decoder.Packet
	fwant    bool // inside fragment: the first datagram completed is read
	fdone    bool // a datagram completed
	fok      bool // and its flow was read into pkt
	fragEmit func(reassembler.Record)
	// With a Sink, fragments are held (copied, at most maxHeld bytes,
	// oldest dropped first) until their datagram completes, so that a
	// flow's file gets every fragment, not only the completing frame.
	held      map[uint64]heldFrame
	heldOrder []uint64
	heldBytes int
	fframes   []uint64 // frames of the datagram completed by this frame
}

type heldFrame struct {
	fi       reporter.FrameInfo
	linkType uint32
	data     []byte
}

// maxHeld bounds the bytes of fragment frames held for per-flow files.
const maxHeld = 8 << 20

func (t *Tracer) hold(fi *reporter.FrameInfo, p *decoder.Packet) {
	if t.cfg.Sink == nil {
		return
	}
	if t.held == nil {
		t.held = make(map[uint64]heldFrame)
	}
	t.held[fi.Index] = heldFrame{*fi, p.LinkType, append([]byte(nil), p.Data...)}
	t.heldOrder = append(t.heldOrder, fi.Index)
	t.heldBytes += len(p.Data)
	t.trimHeld(0)
}

// trimHeld drops held frames, oldest first, while they are over the byte
// cap or older than before (capture time in ns; 0: no age limit), and
// forgets released ones at the front of the queue.
func (t *Tracer) trimHeld(before int64) {
	for len(t.heldOrder) > 0 {
		idx := t.heldOrder[0]
		h, ok := t.held[idx]
		if ok && t.heldBytes <= maxHeld && (before == 0 || nanos(h.fi.Sec, h.fi.Nsec) >= before) {
			break
		}
		t.dropHeld(idx)
		t.heldOrder = t.heldOrder[1:]
	}
	if len(t.heldOrder) == 0 {
		t.heldOrder = t.heldOrder[:0:0]
	}
}

func (t *Tracer) dropHeld(idx uint64) {
	if h, ok := t.held[idx]; ok {
		t.heldBytes -= len(h.data)
		delete(t.held, idx)
	}
}

// release writes the held fragments of the datagram just completed (all
// its frames but the current one) to the flow's sink, in frame order.
func (t *Tracer) release(f *Flow, current uint64) {
	frames := t.fframes // a copy made in fragEmit
	t.fframes = nil
	slices.Sort(frames)
	var p decoder.Packet
	for _, idx := range frames {
		h, ok := t.held[idx]
		if idx == current || !ok {
			continue
		}
		t.dropHeld(idx)
		p.Data, p.LinkType, p.N = h.data, h.linkType, 0
		if err := t.cfg.Sink.Packet(f, h.fi, &p); err != nil && t.err == nil {
			t.err = err
		}
	}
}

// New returns a Tracer; invalid limits take their defaults.
func New(cfg Config) *Tracer {
	t := &Tracer{cfg: cfg.withDefaults(), m: make(map[flowKey]*flow)}
	// A datagram record lends its bytes only during the emit call: the
	// flow it belongs to is read there.
	t.fragEmit = func(r reassembler.Record) {
		if d := r.Datagram; d != nil && d.Complete && t.fwant {
			t.fwant, t.fdone = false, true
			t.fok = t.datagramInfo(d)
			if t.cfg.Sink != nil {
				t.fframes = slices.Clone(d.Frames)
			}
		}
	}
	return t
}

// Err returns the first error returned by the Sink.
func (t *Tracer) Err() error { return t.err }

// Open returns the number of flows being traced.
func (t *Tracer) Open() int { return len(t.m) }

func (t *Tracer) idle(c class) int64 {
	switch c {
	case classTCP:
		return int64(t.cfg.TCPIdle)
	case classUDP:
		return int64(t.cfg.UDPIdle)
	}
	return int64(t.cfg.ICMPIdle)
}

// pktInfo is what the tracer reads from a packet.
type pktInfo struct {
	v6       bool
	proto    uint8
	src, dst [16]byte
	sport    uint16
	dport    uint16
	flags    uint16
	seq      uint32
	window   uint16
	payload  int
}

// parse finds the flow-bearing layer of p: the innermost TCP or UDP, or an
// ICMP/ICMPv6 echo; a transport header quoted inside an ICMP error does
// not count. Addresses come from the nearest IP header before it (for a
// source-routed IPv4 packet, the final destination of the route, as tshark
// shows it).
func (t *Tracer) parse(p *decoder.Packet, pi *pktInfo) bool {
	ti := transportLayer(p)
	if ti < 0 {
		return false
	}
	ip := -1
	for j := ti - 1; j >= 0; j-- {
		if pr := p.Layers[j].Proto; pr == decoder.ProtoIPv4 || pr == decoder.ProtoIPv6 {
			ip = j
			break
		}
	}
	if ip < 0 {
		return false
	}
	*pi = pktInfo{}
	il := &p.Layers[ip]
	ib := p.Data[il.Off:il.End]
	if il.Proto == decoder.ProtoIPv4 {
		if len(ib) < 20 || il.Hdr < 20 {
			return false
		}
		h := decoder.IPv4(ib)
		copy(pi.src[:], h.Src())
		copy(pi.dst[:], finalDst(h))
	} else {
		if len(ib) < 40 {
			return false
		}
		pi.v6 = true
		copy(pi.src[:], ib[8:24])
		copy(pi.dst[:], ib[24:40])
	}
	return t.transport(p, ti, pi)
}

// transportLayer returns the index of the innermost TCP/UDP layer, or of
// the first ICMP layer (what follows it is a quoted packet), or -1.
func transportLayer(p *decoder.Packet) int {
	ti := -1
	for i := 0; i < p.N; i++ {
		pr := p.Layers[i].Proto
		if pr == decoder.ProtoTCP || pr == decoder.ProtoUDP {
			ti = i
		}
		if pr == decoder.ProtoICMP || pr == decoder.ProtoICMPv6 {
			return i
		}
	}
	return ti
}

// finalDst returns the destination of an IPv4 header, or the last address
// of its loose or strict source route option.
func finalDst(h decoder.IPv4) []byte {
	opts := h.Options()
	for i := 0; i < len(opts); {
		typ := opts[i]
		if typ == 0 {
			break
		}
		if typ == 1 {
			i++
			continue
		}
		if i+1 >= len(opts) {
			break
		}
		n := int(opts[i+1])
		if n < 2 || i+n > len(opts) {
			break
		}
		if (typ == 131 || typ == 137) && n >= 7 {
			route := opts[i+3 : i+n]
			k := len(route) / 4 * 4
			return route[k-4 : k]
		}
		i += n
	}
	return h.Dst()
}

// transport fills the transport part of pi from layer ti of p.
func (t *Tracer) transport(p *decoder.Packet, ti int, pi *pktInfo) bool {
	l := &p.Layers[ti]
	if l.Hdr == 0 || int(l.End) > len(p.Data) {
		return false
	}
	b := p.Data[l.Off:l.End]
	pi.payload = int(l.End - l.Off - l.Hdr)
	switch l.Proto {
	case decoder.ProtoTCP:
		if !t.cfg.TCP || len(b) < 20 {
			return false
		}
		h := decoder.TCP(b)
		pi.proto, pi.sport, pi.dport = 6, h.SrcPort(), h.DstPort()
		pi.flags, pi.seq, pi.window = h.Flags(), h.Seq(), h.Window()
	case decoder.ProtoUDP:
		if !t.cfg.UDP || len(b) < 8 {
			return false
		}
		pi.proto = 17
		pi.sport, pi.dport = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
	default:
		if !t.cfg.ICMP || len(b) < 8 {
			return false
		}
		typ := b[0]
		if l.Proto == decoder.ProtoICMP {
			if typ != 8 && typ != 0 {
				return false
			}
			pi.proto = 1
		} else {
			if typ != 128 && typ != 129 {
				return false
			}
			pi.proto = 58
		}
		id := binary.BigEndian.Uint16(b[4:])
		pi.sport, pi.dport = id, id
	}
	return true
}

// fragment handles a frame that holds an IP fragment: the fragments go to
// an IP reassembler, and the frame that completes a datagram counts as
// the datagram's packet (as tshark counts it: at the reassembling frame,
// with that frame's length). The other fragments belong to no flow.
func (t *Tracer) fragment(fi *reporter.FrameInfo, p *decoder.Packet) (*pktInfo, bool) {
	if t.frag == nil {
		t.frag = reassembler.New(reassembler.Config{IPv4: true, IPv6: true})
		t.fdec = decoder.New(decoder.Options{})
	}
	t.fwant, t.fdone, t.fok = true, false, false
	t.frag.Add(*fi, p, t.fragEmit)
	t.fwant = false
	if !t.fdone {
		t.hold(fi, p)
		return nil, false
	}
	if !t.fok {
		for _, idx := range t.fframes {
			t.dropHeld(idx)
		}
		t.fframes = nil
		return nil, false
	}
	return &t.pkt, true
}

// datagramInfo reads the flow of a reassembled datagram into t.pkt.
func (t *Tracer) datagramInfo(d *reassembler.Datagram) bool {
	var first decoder.Proto
	switch d.Protocol {
	case 6:
		first = decoder.ProtoTCP
	case 17:
		first = decoder.ProtoUDP
	case 1:
		first = decoder.ProtoICMP
	case 58:
		first = decoder.ProtoICMPv6
	default:
		return false
	}
	t.fdec.DecodeFrom(d.Payload, first, &t.fpkt)
	pi := &t.pkt
	// A tunnel inside the datagram (UDP/GTP/IP/TCP) has its own addresses.
	if t.parse(&t.fpkt, pi) {
		return true
	}
	*pi = pktInfo{v6: d.Version == 6}
	copy(pi.src[:], d.Src)
	copy(pi.dst[:], d.Dst)
	ti := transportLayer(&t.fpkt)
	if ti != 0 || !t.transport(&t.fpkt, ti, pi) {
		return false
	}
	return true
}

func nanos(sec int64, nsec uint32) int64 { return sec*1e9 + int64(nsec) }

// Add feeds one decoded frame; flows it ends are passed to emit with
// At = fi.Index.
func (t *Tracer) Add(fi reporter.FrameInfo, p *decoder.Packet, emit func(*Flow)) {
	pi := &t.pkt
	if reassembler.IsFragment(p) {
		var ok bool
		if pi, ok = t.fragment(&fi, p); !ok {
			return
		}
	} else if !t.parse(p, pi) {
		return
	}
	saved := t.at
	t.at = fi.Index
	now := nanos(fi.Sec, fi.Nsec)
	k := flowKey{v6: pi.v6, proto: pi.proto, a: pi.src, b: pi.dst, pa: pi.sport, pb: pi.dport}
	fromA := true
	if !t.cfg.Unidirectional && (less16(pi.dst, pi.src) || (pi.dst == pi.src && pi.dport < pi.sport)) {
		k.a, k.b, k.pa, k.pb = pi.dst, pi.src, pi.dport, pi.sport
		fromA = false
	}
	syn := pi.proto == 6 && pi.flags&decoder.TCPSyn != 0 && pi.flags&decoder.TCPAck == 0
	f := t.m[k]
	if f != nil {
		switch {
		case f.closing != "" && f.closedAt+int64(t.cfg.CloseDelay) <= now:
			t.end(f, f.closing)
			f = nil
		case f.last+t.idle(f.cls) <= now:
			t.end(f, "timeout")
			f = nil
		case syn && f.closing != "":
			t.end(f, f.closing)
			f = nil
		case syn && f.hasISN && fromA == f.origA && pi.seq != f.isn:
			t.end(f, "reused")
			f = nil
		}
	}
	if f == nil {
		if len(t.m) >= t.cfg.MaxFlows {
			t.evict()
		}
		f = t.newFlow(k, pi, fromA, &fi)
	}
	d := 1
	if fromA == f.origA {
		d = 0
	}
	t.update(f, d, pi, &fi, now)
	if t.cfg.Sink != nil {
		if t.fframes != nil {
			t.release(&f.rec, fi.Index)
		}
		if err := t.cfg.Sink.Packet(&f.rec, fi, p); err != nil && t.err == nil {
			t.err = err
		}
	}
	if t.adv || saved > t.at {
		t.at = saved
	}
	t.flushOut(emit)
}

func (t *Tracer) newFlow(k flowKey, pi *pktInfo, fromA bool, fi *reporter.FrameInfo) *flow {
	f := &flow{key: k}
	f.rec.Frames, f.history = f.frames0[:0:len(f.frames0)], f.hist0[:0:len(f.hist0)]
	switch pi.proto {
	case 6:
		f.cls = classTCP
	case 17:
		f.cls = classUDP
	default:
		f.cls = classICMP
	}
	// The originator is the sender, unless the first packet answers a
	// SYN (SYN+ACK): then the receiver, and the history starts with '^'
	// (not for one-direction flows, whose originator is their sender).
	f.origA = fromA
	src, dst, sp, dp := pi.src, pi.dst, pi.sport, pi.dport
	if !t.cfg.Unidirectional && pi.proto == 6 && pi.flags&(decoder.TCPSyn|decoder.TCPAck) == decoder.TCPSyn|decoder.TCPAck {
		f.origA = !fromA
		src, dst, sp, dp = dst, src, dp, sp
		f.flipped = true
		f.history = append(f.history, '^')
	}
	n := 4
	f.rec.Version = 4
	if k.v6 {
		n, f.rec.Version = 16, 6
	}
	f.rec.Proto = pi.proto
	copy(f.addrs[:16], src[:])
	copy(f.addrs[16:], dst[:])
	f.rec.Src, f.rec.Dst = f.addrs[:n:n], f.addrs[16:16+n:16+n]
	f.rec.SrcPort, f.rec.DstPort = sp, dp
	f.rec.First = fi.Index
	f.rec.FirstSec, f.rec.FirstNsec, f.rec.Digits = fi.Sec, fi.Nsec, fi.Digits
	t.m[k] = f
	f.last = nanos(fi.Sec, fi.Nsec)
	f.deadline = t.due(f)
	heap.Push(&t.heap, f)
	return f
}

func (f *flow) letter(d int, c byte) {
	bit := uint32(1) << (c - 'A')
	if f.letters[d]&bit != 0 {
		return
	}
	f.letters[d] |= bit
	if d == 1 {
		c += 'a' - 'A'
	}
	f.history = append(f.history, c)
}

func (t *Tracer) update(f *flow, d int, pi *pktInfo, fi *reporter.FrameInfo, now int64) {
	r := &f.rec
	f.last = now
	r.LastSec, r.LastNsec = fi.Sec, fi.Nsec
	if d == 0 {
		r.OrigPkts++
		r.OrigBytes += uint64(fi.OrigLen)
		r.OrigPayload += uint64(pi.payload)
	} else {
		r.RespPkts++
		r.RespBytes += uint64(fi.OrigLen)
		r.RespPayload += uint64(pi.payload)
	}
	if len(r.Frames) < t.cfg.MaxFrames {
		r.Frames = append(r.Frames, fi.Index)
	} else {
		r.FramesTruncated = true
	}
	f.seen[d] |= sawAny
	if pi.payload > 0 {
		f.seen[d] |= sawData
	}
	if pi.proto != 6 {
		if pi.payload > 0 || pi.proto != 17 {
			f.letter(d, 'D')
		}
		return
	}
	fl := pi.flags
	syn, ack, fin, rst := fl&decoder.TCPSyn != 0, fl&decoder.TCPAck != 0, fl&decoder.TCPFin != 0, fl&decoder.TCPRst != 0
	if syn && (fin || rst) {
		f.letter(d, 'Q')
	}
	switch {
	case syn && !ack:
		f.seen[d] |= sawSyn
		if d == 0 && !f.hasISN {
			f.isn, f.hasISN = pi.seq, true
		}
		f.letter(d, 'S')
	case syn && ack:
		f.seen[d] |= sawSynAck
		f.letter(d, 'H')
	}
	// Retransmission: payload that ends at or before the highest sequence
	// number already seen in this direction.
	end := pi.seq + uint32(pi.payload)
	if syn {
		end++
	}
	if fin {
		end++
	}
	if pi.payload > 0 {
		f.letter(d, 'D')
		if f.haveSeq[d] && int32(end-f.maxEnd[d]) <= 0 {
			f.letter(d, 'T')
		}
	} else if ack && !syn && !fin && !rst {
		f.letter(d, 'A')
	}
	if !f.haveSeq[d] || int32(end-f.maxEnd[d]) > 0 {
		f.maxEnd[d], f.haveSeq[d] = end, true
	}
	if pi.window == 0 && !syn && !fin && !rst {
		f.letter(d, 'W')
	}
	if fin {
		f.seen[d] |= sawFin
		f.letter(d, 'F')
	}
	if rst {
		f.seen[d] |= sawRst
		f.letter(d, 'R')
	}
	if f.closing == "" {
		if rst {
			f.closing = "rst"
		} else if f.seen[0]&sawFin != 0 && f.seen[1]&sawFin != 0 {
			f.closing = "fin"
		}
		if f.closing != "" {
			f.closedAt = now
			// An earlier deadline than the heap holds: move it now.
			if d := t.due(f); d < f.deadline && f.hidx >= 0 {
				f.deadline = d
				heap.Fix(&t.heap, f.hidx)
			}
		}
	}
}

// state computes Zeek's conn_state.
func (f *flow) state() string {
	switch f.rec.Proto {
	case 17:
		if f.seen[1] == 0 {
			return "S0"
		}
		return "SF"
	case 1, 58:
		return "OTH"
	}
	o, r := f.seen[0], f.seen[1]
	origSyn := o&sawSyn != 0
	respAck := r&sawSynAck != 0
	switch {
	case origSyn && respAck:
		switch {
		case o&sawRst != 0:
			return "RSTO"
		case r&sawRst != 0:
			return "RSTR"
		case o&sawFin != 0 && r&sawFin != 0:
			return "SF"
		case o&sawFin != 0:
			return "S2"
		case r&sawFin != 0:
			return "S3"
		}
		return "S1"
	case origSyn:
		switch {
		case o&sawRst != 0:
			return "RSTOS0"
		case r&sawRst != 0:
			return "REJ"
		case o&sawFin != 0:
			return "SH"
		}
		if r == 0 {
			return "S0"
		}
		return "OTH"
	case respAck:
		switch {
		case r&sawRst != 0:
			return "RSTRH"
		case r&sawFin != 0:
			return "SHR"
		}
	}
	return "OTH"
}

func (t *Tracer) end(f *flow, reason string) {
	if f.hidx >= 0 {
		heap.Remove(&t.heap, f.hidx)
	}
	delete(t.m, f.key)
	f.rec.End = reason
	f.rec.State = f.state()
	f.rec.History = string(f.history)
	f.rec.At = t.at
	rec := &f.rec
	t.out = append(t.out, rec)
	if t.cfg.Sink != nil {
		if err := t.cfg.Sink.End(rec); err != nil && t.err == nil {
			t.err = err
		}
	}
}

func (t *Tracer) evict() {
	t.refresh()
	if len(t.heap) > 0 {
		t.end(t.heap[0], "evicted")
	}
}

// refresh moves stale entries at the top of the heap to their real
// deadlines, until the top one is current.
func (t *Tracer) refresh() {
	for len(t.heap) > 0 {
		f := t.heap[0]
		d := t.due(f)
		if d == f.deadline {
			return
		}
		f.deadline = d
		heap.Fix(&t.heap, 0)
	}
}

// Advance ends flows idle or closed for longer than their timeouts at the
// capture time (sec, nsec); called at each ingest batch boundary with the
// batch's last timestamp and frame index (the At of the flows it ends).
func (t *Tracer) Advance(sec int64, nsec uint32, atIndex uint64, emit func(*Flow)) {
	now := nanos(sec, nsec)
	t.at, t.adv = atIndex, true
	if t.frag != nil {
		t.frag.Advance(sec, nsec, atIndex, t.fragEmit)
		// Fragments of datagrams that can no longer complete.
		t.trimHeld(now - int64(reassembler.DefaultFragTimeout6))
	}
	for len(t.heap) > 0 && t.heap[0].deadline <= now {
		f := t.heap[0]
		if d := t.due(f); d > now {
			f.deadline = d
			heap.Fix(&t.heap, 0)
			continue
		}
		reason := "timeout"
		if f.closing != "" && f.closedAt+int64(t.cfg.CloseDelay) <= now {
			reason = f.closing
		}
		t.end(f, reason)
	}
	t.flushOut(emit)
}

// Flush ends every open flow ("end of capture"; a flow already closed by
// FIN or RST keeps that reason). The flows carry At = the last Advance
// index, or the highest frame index seen without Advance.
func (t *Tracer) Flush(emit func(*Flow)) {
	fs := make([]*flow, 0, len(t.m))
	for _, f := range t.m {
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].rec.First < fs[j].rec.First })
	for _, f := range fs {
		reason := "end of capture"
		if f.closing != "" {
			reason = f.closing
		}
		t.end(f, reason)
	}
	t.flushOut(emit)
}

func (t *Tracer) flushOut(emit func(*Flow)) {
	if len(t.out) == 0 {
		return
	}
	if len(t.out) > 1 {
		sort.SliceStable(t.out, func(i, j int) bool { return Less(t.out[i], t.out[j]) })
	}
	for i, f := range t.out {
		emit(f)
		t.out[i] = nil
	}
	t.out = t.out[:0]
}

func less16(a, b [16]byte) bool {
	// Two big-endian words compare as the 16 bytes do.
	if x, y := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8]); x != y {
		return x < y
	}
	return binary.BigEndian.Uint64(a[8:]) < binary.BigEndian.Uint64(b[8:])
}
