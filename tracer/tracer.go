package tracer

import (
	"cmp"
	"encoding/binary"
	"slices"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
)

// Sink receives the packets of traced flows (per-flow output files).
// Packet is called for every packet of a flow, in frame order, with the
// flow as it stands (First, Src, Dst, ports and FirstSec are final); End
// once the flow's record is complete. p and its bytes, and f.Frames given
// to Packet, are valid only during the call.
type Sink interface {
	Packet(f *Flow, fi reporter.FrameInfo, p *decoder.Packet) error
	End(f *Flow) error
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

// How a TCP flow closed.
const (
	closeNone uint8 = iota
	closeFin
	closeRst
)

var closeNames = [...]string{closeFin: "fin", closeRst: "rst"}

// flow is the state of an open flow. What a packet reads and writes sits
// in its first three cache lines (the size is a multiple of 64 bytes, so
// that the allocator aligns it); the record's counters and last time live
// there until the record is synced (sync), its frames until it ends.
// Ended flows are reused (Tracer.freeFlows): only their records escape.
type flow struct {
	// Line 0: the lookup and the deadline checks.
	key      flowKey
	last     int64
	closedAt int64
	hdl      int64 // deadline of its current heap entry
	// Line 1: per-direction counters (orig, resp) and the last time.
	pkts, bytes, payload [2]uint64
	lastSec              int64
	lastNsec             uint32
	isn                  uint32 // originator's SYN sequence number
	// Line 2: TCP state and the frame list.
	letters   [2]uint32
	maxEnd    [2]uint32
	gen       uint64 // of its current heap entry; bumped when it ends
	cls       class
	closing   uint8 // closeFin or closeRst once closed
	origA     bool  // the originator is key.a0, a1
	hasISN    bool
	truncated bool     // frames over MaxFrames
	seen      [2]uint8 // orig, resp
	haveSeq   [2]bool
	frames    []uint64 // see addFrame
	// Inline storage for the first frame numbers and history letters.
	frames0 [8]uint64
	history []byte
	hist0   [12]byte
	r       *record
	svc     [4]decoder.Proto // application protocols seen, in order (see addService)
	_       [8]byte
}

// record is a flow's record with inline storage for its addresses and
// first frame numbers: a short flow's record is one allocation.
type record struct {
	Flow
	addrs   [32]byte
	frames0 [8]uint64
}

// maxFreeFlows bounds the ended flows kept for reuse.
const maxFreeFlows = 4096

// sync writes the counters, last time and (with a Sink) frames into the
// record.
func (f *flow) sync() {
	r := &f.r.Flow
	r.LastSec, r.LastNsec = f.lastSec, f.lastNsec
	r.OrigPkts, r.OrigBytes, r.OrigPayload = f.pkts[0], f.bytes[0], f.payload[0]
	r.RespPkts, r.RespBytes, r.RespPayload = f.pkts[1], f.bytes[1], f.payload[1]
	r.Frames, r.FramesTruncated = f.frames, f.truncated // without a Sink: see finish
}

// due returns the flow's current deadline.
func (t *Tracer) due(f *flow) int64 {
	d := f.last + t.idle(f.cls)
	if f.closing != closeNone {
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
	m    flowTable
	heap flowHeap
	out  []*Flow
	at   uint64
	adv  bool
	err  error
	pkt  pktInfo
	hist map[string]string           // see historyString
	svcs map[[4]decoder.Proto]string // see serviceString
	// Free frame buffers (see addFrame).
	freeFrames [frameClasses]freeList
	freeBytes  int
	freeFlows  []*flow // ended flows to reuse
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
	t := &Tracer{cfg: cfg.withDefaults(), m: newFlowTable()}
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
func (t *Tracer) Open() int { return t.m.n }

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
	s0, s1, d0, d1 uint64 // addresses as big-endian words, as in flowKey
	sport          uint16
	dport          uint16
	proto          uint8
	v6             bool
	flags          uint16
	window         uint16
	seq            uint32
	payload        int
	// app is the application protocol decoded after the transport header
	// (ProtoNone if none).
	app decoder.Proto
}

// addrWords reads an address of up to 16 bytes as flowKey words.
func addrWords(b []byte) (uint64, uint64) {
	switch len(b) {
	case 4:
		return uint64(binary.BigEndian.Uint32(b)) << 32, 0
	case 16:
		return binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
	}
	var a [16]byte
	copy(a[:], b)
	return binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:])
}

// parse finds the flow-bearing layer of p: the innermost TCP or UDP, or an
// ICMP/ICMPv6 echo; a transport header quoted inside an ICMP error does
// not count. Addresses come from the nearest IP header before it (for a
// source-routed IPv4 packet, the final destination of the route, as tshark
// shows it).
func (t *Tracer) parse(p *decoder.Packet, pi *pktInfo) bool {
	ti, ip := scan(p)
	return t.parseAt(p, ti, ip, pi)
}

// scan returns, in one pass over the layers of p, the index of its
// transport layer (as transportLayer) and of the nearest IP layer before
// it (-1 if none).
func scan(p *decoder.Packet) (ti, ip int) {
	ti, ip = -1, -1
	last := -1
	layers := p.Layers[:max(0, min(p.N, len(p.Layers)))]
	for i := range layers {
		switch layerKind[layers[i].Proto] {
		case kindNone:
		case kindIP:
			last = i
		case kindTransport:
			ti, ip = i, last
		case kindICMP:
			// What follows is a quoted packet.
			return i, last
		}
	}
	return ti, ip
}

// The layers scan looks for.
const (
	kindNone = iota
	kindIP
	kindTransport
	kindICMP
)

// appLayer marks the application protocols (a flow's service).
var appLayer = func() (m [256]bool) {
	for _, pr := range decoder.Protos() {
		m[pr] = pr.Level() == decoder.LevelApplication
	}
	return m
}()

var layerKind = [256]uint8{
	decoder.ProtoIPv4:   kindIP,
	decoder.ProtoIPv6:   kindIP,
	decoder.ProtoTCP:    kindTransport,
	decoder.ProtoUDP:    kindTransport,
	decoder.ProtoICMP:   kindICMP,
	decoder.ProtoICMPv6: kindICMP,
}

// parseAt reads pi from transport layer ti and IP layer ip of p (see scan).
func (t *Tracer) parseAt(p *decoder.Packet, ti, ip int, pi *pktInfo) bool {
	if ti < 0 || ip < 0 {
		return false
	}
	il := &p.Layers[ip]
	ib := p.Data[il.Off:il.End]
	if il.Proto == decoder.ProtoIPv4 {
		if len(ib) < 20 || il.Hdr < 20 {
			return false
		}
		pi.s0, pi.s1 = uint64(binary.BigEndian.Uint32(ib[12:16]))<<32, 0
		if ib[0]&0x0f > 5 { // options: maybe a source route
			pi.d0, pi.d1 = addrWords(finalDst(decoder.IPv4(ib)))
		} else {
			pi.d0, pi.d1 = uint64(binary.BigEndian.Uint32(ib[16:20]))<<32, 0
		}
		pi.v6 = false
	} else {
		if len(ib) < 40 {
			return false
		}
		pi.s0, pi.s1 = binary.BigEndian.Uint64(ib[8:]), binary.BigEndian.Uint64(ib[16:])
		pi.d0, pi.d1 = binary.BigEndian.Uint64(ib[24:]), binary.BigEndian.Uint64(ib[32:])
		pi.v6 = true
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
	pi.flags, pi.seq, pi.window, pi.app = 0, 0, 0, decoder.ProtoNone
	if a := ti + 1; pi.payload > 0 && a < p.N && appLayer[p.Layers[a].Proto] && !(a == p.N-1 && p.Failed()) {
		pi.app = p.Layers[a].Proto
	}
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
	pi.s0, pi.s1 = addrWords(d.Src)
	pi.d0, pi.d1 = addrWords(d.Dst)
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
	var k flowKey
	fromA := t.cfg.Unidirectional || !(pi.d0 < pi.s0 || pi.d0 == pi.s0 && (pi.d1 < pi.s1 || pi.d1 == pi.s1 && pi.dport < pi.sport))
	if fromA {
		k.a0, k.a1, k.b0, k.b1 = pi.s0, pi.s1, pi.d0, pi.d1
		k.x = packX(pi.sport, pi.dport, pi.proto, pi.v6)
	} else {
		k.a0, k.a1, k.b0, k.b1 = pi.d0, pi.d1, pi.s0, pi.s1
		k.x = packX(pi.dport, pi.sport, pi.proto, pi.v6)
	}
	syn := pi.proto == 6 && pi.flags&decoder.TCPSyn != 0 && pi.flags&decoder.TCPAck == 0
	h := t.m.hash(&k)
	f := t.m.get(&k, h)
	if f != nil {
		switch {
		case f.closing != closeNone && f.closedAt+int64(t.cfg.CloseDelay) <= now:
			t.end(f, closeNames[f.closing])
			f = nil
		case f.last+t.idle(f.cls) <= now:
			t.end(f, "timeout")
			f = nil
		case syn && f.closing != closeNone:
			t.end(f, closeNames[f.closing])
			f = nil
		case syn && f.hasISN && fromA == f.origA && pi.seq != f.isn:
			t.end(f, "reused")
			f = nil
		}
	}
	if f == nil {
		if t.m.n >= t.cfg.MaxFlows {
			t.evict()
		}
		f = t.newFlow(&k, h, pi, fromA, &fi)
	}
	d := 1
	if fromA == f.origA {
		d = 0
	}
	t.update(f, d, pi, &fi, now)
	if t.cfg.Sink != nil {
		f.sync()
		if t.fframes != nil {
			t.release(&f.r.Flow, fi.Index)
		}
		if err := t.cfg.Sink.Packet(&f.r.Flow, fi, p); err != nil && t.err == nil {
			t.err = err
		}
	}
	if t.adv || saved > t.at {
		t.at = saved
	}
	if len(t.out) > 0 {
		t.flushOut(emit)
	}
}

func (t *Tracer) newFlow(k *flowKey, h uint64, pi *pktInfo, fromA bool, fi *reporter.FrameInfo) *flow {
	var f *flow
	if n := len(t.freeFlows); n > 0 {
		f = t.freeFlows[n-1]
		t.freeFlows[n-1] = nil
		t.freeFlows = t.freeFlows[:n-1]
		*f = flow{gen: f.gen}
	} else {
		f = new(flow)
	}
	f.key = *k
	r := new(record)
	f.r = r
	f.history = f.hist0[:0:len(f.hist0)]
	f.frames = f.frames0[:0:len(f.frames0)]
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
	src, dst, sp, dp := [2]uint64{pi.s0, pi.s1}, [2]uint64{pi.d0, pi.d1}, pi.sport, pi.dport
	if !t.cfg.Unidirectional && pi.proto == 6 && pi.flags&(decoder.TCPSyn|decoder.TCPAck) == decoder.TCPSyn|decoder.TCPAck {
		f.origA = !fromA
		src, dst, sp, dp = dst, src, dp, sp
		f.history = append(f.history, '^')
	}
	n := 4
	r.Version = 4
	if pi.v6 {
		n, r.Version = 16, 6
	}
	r.Proto = pi.proto
	binary.BigEndian.PutUint64(r.addrs[0:], src[0])
	binary.BigEndian.PutUint64(r.addrs[8:], src[1])
	binary.BigEndian.PutUint64(r.addrs[16:], dst[0])
	binary.BigEndian.PutUint64(r.addrs[24:], dst[1])
	r.Src, r.Dst = r.addrs[:n:n], r.addrs[16:16+n:16+n]
	r.SrcPort, r.DstPort = sp, dp
	r.First = fi.Index
	r.FirstSec, r.FirstNsec, r.Digits = fi.Sec, fi.Nsec, fi.Digits
	t.m.insert(f, h)
	f.last = nanos(fi.Sec, fi.Nsec)
	t.heap.push(f, t.due(f))
	return f
}

// addService notes an application protocol of the flow (the first four,
// in the order seen).
func (f *flow) addService(a decoder.Proto) {
	for i, s := range f.svc {
		if s == a {
			return
		}
		if s == decoder.ProtoNone {
			f.svc[i] = a
			return
		}
	}
}

// serviceString returns the flow's application protocols as their keys
// joined by commas ("dns", "http,tls"), as Zeek's conn.log service field
// lists them; the few distinct lists of a capture are allocated once.
func (t *Tracer) serviceString(svc [4]decoder.Proto) string {
	if svc[0] == decoder.ProtoNone {
		return ""
	}
	if s, ok := t.svcs[svc]; ok {
		return s
	}
	var b []byte
	for _, a := range svc {
		if a == decoder.ProtoNone {
			break
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, a.Key()...)
	}
	s := string(b)
	if t.svcs == nil {
		t.svcs = make(map[[4]decoder.Proto]string)
	}
	if len(t.svcs) < maxHistories {
		t.svcs[svc] = s
	}
	return s
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
	f.last = now
	f.lastSec, f.lastNsec = fi.Sec, fi.Nsec
	f.pkts[d]++
	f.bytes[d] += uint64(fi.OrigLen)
	f.payload[d] += uint64(pi.payload)
	if n := len(f.frames); n < cap(f.frames) && n < t.cfg.MaxFrames {
		f.frames = f.frames[:n+1]
		f.frames[n] = fi.Index
	} else {
		t.addFrame(f, fi.Index)
	}
	f.seen[d] |= sawAny
	if pi.payload > 0 {
		f.seen[d] |= sawData
	}
	if pi.app != decoder.ProtoNone && f.svc[0] != pi.app {
		f.addService(pi.app)
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
	if f.closing == closeNone {
		if rst {
			f.closing = closeRst
		} else if f.seen[0]&sawFin != 0 && f.seen[1]&sawFin != 0 {
			f.closing = closeFin
		}
		if f.closing != closeNone {
			f.closedAt = now
			// An earlier deadline than the heap holds: move it now.
			if d := t.due(f); d < f.hdl {
				t.heap.push(f, d)
				t.heap.invalidate()
			}
		}
	}
}

// state computes Zeek's conn_state.
func (f *flow) state() string {
	switch f.r.Proto {
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

// end ends f outside Advance: its heap entry stays, no longer current.
func (t *Tracer) end(f *flow, reason string) {
	t.removed(f, reason)
	t.heap.invalidate()
}

// removed ends f, whose heap entry is gone or stays as non-current.
func (t *Tracer) removed(f *flow, reason string) {
	t.m.remove(f)
	t.finish(f, reason)
}

// finish completes the record of f, out of the table.
func (t *Tracer) finish(f *flow, reason string) {
	f.gen++ // no heap entry of f is current
	f.sync()
	rec := &f.r.Flow
	rec.Frames = t.frameList(f)
	rec.End = reason
	rec.State = f.state()
	rec.History = t.historyString(f.history)
	rec.Service = t.serviceString(f.svc)
	rec.At = t.at
	t.out = append(t.out, rec)
	if t.cfg.Sink != nil {
		if err := t.cfg.Sink.End(rec); err != nil && t.err == nil {
			t.err = err
		}
	}
	f.r, f.frames, f.history = nil, nil, nil
	if len(t.freeFlows) < maxFreeFlows {
		t.freeFlows = append(t.freeFlows, f)
	}
}

// historyString returns the history letters as a string; the few
// distinct histories of a capture are allocated once.
func (t *Tracer) historyString(b []byte) string {
	if s, ok := t.hist[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(t.hist) < maxHistories {
		if t.hist == nil {
			t.hist = make(map[string]string)
		}
		t.hist[s] = s
	}
	return s
}

// maxHistories bounds the histories kept by historyString.
const maxHistories = 4096

func (t *Tracer) evict() {
	t.refresh()
	if e := t.heap.top(); e != nil {
		f := e.f
		t.heap.pop()
		t.removed(f, "evicted")
	}
}

// refresh moves stale entries at the top of the heap to their real
// deadlines, until the top one is current.
func (t *Tracer) refresh() {
	for e := t.heap.top(); e != nil; e = t.heap.top() {
		d := t.due(e.f)
		if d == e.deadline {
			return
		}
		t.heap.retime(d)
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
	for e := t.heap.top(); e != nil && e.deadline <= now; e = t.heap.top() {
		f := e.f
		if d := t.due(f); d > now {
			t.heap.retime(d)
			continue
		}
		t.heap.pop()
		reason := "timeout"
		if f.closing != closeNone && f.closedAt+int64(t.cfg.CloseDelay) <= now {
			reason = closeNames[f.closing]
		}
		t.removed(f, reason)
	}
	t.flushOut(emit)
}

// Flush ends every open flow ("end of capture"; a flow already closed by
// FIN or RST keeps that reason). The flows carry At = the last Advance
// index, or the highest frame index seen without Advance.
func (t *Tracer) Flush(emit func(*Flow)) {
	// The open flows by first frame (unique), the keys held beside them.
	fs := make([]firstFlow, 0, t.m.n)
	for _, s := range t.m.slots {
		if s.f != nil {
			fs = append(fs, firstFlow{s.f.r.First, s.f})
		}
	}
	fs = sortFirst(fs, make([]firstFlow, len(fs)))
	// Every flow ends: empty the table and the heap at once.
	t.m.clear()
	t.heap.reset()
	for _, ff := range fs {
		f := ff.f
		reason := "end of capture"
		if f.closing != closeNone {
			reason = closeNames[f.closing]
		}
		t.finish(f, reason)
	}
	t.flushOut(emit)
}

type firstFlow struct {
	first uint64
	f     *flow
}

// sortFirst sorts fs by first (a radix sort, a byte at a time, skipping
// the bytes all keys share) using tmp, as long as fs, and returns the
// sorted slice (fs or tmp).
func sortFirst(fs, tmp []firstFlow) []firstFlow {
	var or, and uint64 = 0, ^uint64(0)
	for _, x := range fs {
		or |= x.first
		and &= x.first
	}
	for shift := 0; shift < 64; shift += 8 {
		if (or^and)>>shift&0xff == 0 {
			continue // the same byte in every key
		}
		var count [256]int
		for _, x := range fs {
			count[x.first>>shift&0xff]++
		}
		pos := 0
		for i, c := range count {
			count[i] = pos
			pos += c
		}
		for _, x := range fs {
			b := x.first >> shift & 0xff
			tmp[count[b]] = x
			count[b]++
		}
		fs, tmp = tmp, fs
	}
	return fs
}

// compareFlows orders flows as Less.
func compareFlows(a, b *Flow) int {
	if c := cmp.Compare(a.At, b.At); c != 0 {
		return c
	}
	return cmp.Compare(a.First, b.First)
}

func (t *Tracer) flushOut(emit func(*Flow)) {
	if len(t.out) == 0 {
		return
	}
	if len(t.out) > 1 && !slices.IsSortedFunc(t.out, compareFlows) {
		slices.SortStableFunc(t.out, compareFlows)
	}
	for i, f := range t.out {
		emit(f)
		t.out[i] = nil
	}
	t.out = t.out[:0]
}
