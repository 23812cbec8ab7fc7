package reassembler

import (
	"container/heap"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"slices"
	"sort"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/decoder"
)

// TCP stream reassembly, per direction.
//
// Sequence numbers are unwrapped against the next expected byte (32-bit
// serial arithmetic, RFC 1982), so streams crossing 2^32 continue. Offset 0
// of a direction is the byte after its SYN (ISN+1), or, for a connection
// seen from its middle, the first byte seen.
//
// Segments arrive in any order: bytes at the next expected offset are
// delivered, later ones wait in a bounded out-of-order buffer, earlier ones
// are retransmissions. Overlap policy: first wins, as for fragments; a
// retransmission or overlap whose bytes differ from those delivered (or
// buffered) is counted in Overlaps and sets Differs. When the out-of-order
// buffer exceeds MaxPendingBytes, or the connection ends with bytes still
// missing, the direction skips ahead and records a Gap: missing bytes are
// never zero-filled, so a stream with a huge gap costs only the gap's
// bounds.
//
// A direction keeps its first MaxStreamBytes bytes for the record; its
// length and SHA-256 always cover every byte delivered.
//
// A connection ends with FIN in both directions (once every byte up to
// each FIN arrived), with RST, after TCPIdle of capture time without
// segments, when evicted by the memory caps, or at end of capture. Only
// SYN or payload creates a connection, so the ACKs and FINs that follow its
// end do not start another one; a SYN with another ISN on the 5-tuple of a
// live connection (port reuse) ends the old one.

// ipAddr is an IPv4 or IPv6 address as its 16 bytes (an IPv4 address in
// the first 4, the rest zero) read as two big-endian words: words compare
// as the bytes do, and keys compare and hash a word at a time.
type ipAddr struct{ hi, lo uint64 }

func addrOf(b []byte) ipAddr {
	if len(b) == 4 {
		return ipAddr{hi: uint64(binary.BigEndian.Uint32(b)) << 32}
	}
	return ipAddr{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:16])}
}

func (a ipAddr) less(b ipAddr) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

// less16 reports whether the 16 bytes a sort before b: as their ipAddr
// words do.
func less16(a, b [16]byte) bool { return addrOf(a[:]).less(addrOf(b[:])) }

// connKey is a connection's 5-tuple in canonical order (a, pa before b,
// pb).
type connKey struct {
	a, b  ipAddr
	ports uint32 // pa<<16 | pb
	v6    uint32 // 1 for IPv6
}

// segment is one TCP segment extracted from a packet or datagram.
type segment struct {
	v6       bool
	src, dst ipAddr
	sport    uint16
	dport    uint16
	seq      uint32
	flags    uint16
	data     []byte
	claimed  uint32 // payload length the headers state
	frame    uint64
	// stable: data lies in a frame the caller keeps (Config.StableFrames),
	// not in a reassembled datagram's reused buffer.
	stable bool
}

func (s *segment) key() (connKey, int) {
	var v6 uint32
	if s.v6 {
		v6 = 1
	}
	if s.dst.less(s.src) || (s.dst == s.src && s.dport < s.sport) {
		return connKey{a: s.dst, b: s.src, ports: uint32(s.dport)<<16 | uint32(s.sport), v6: v6}, 1
	}
	return connKey{a: s.src, b: s.dst, ports: uint32(s.sport)<<16 | uint32(s.dport), v6: v6}, 0
}

type pend struct {
	off   uint64
	data  []byte
	frame uint64
}

// half is one direction of a connection. The fields the in-order fast
// path reads and writes come first, so that it touches few cache lines.
type half struct {
	started bool
	prov    bool // seen from the middle, start not settled yet
	fin     bool
	opened  bool // sent a SYN without ACK: the client
	syn     bool
	finDone bool
	rst     bool
	trunc   bool
	base    uint32 // sequence number of offset 0
	isn     uint32
	next    uint64 // next expected offset
	length  uint64
	data    store
	segs    []Segment
	frames  []uint64
	// lastFrame is the last entry of frames (read here, not from the
	// list's memory).
	lastFrame uint64
	pending   []pend
	hash      hash.Hash
	finOff    uint64
	gaps      []Gap
	gapBytes  uint64
	pendSize  int
	retrans   int
	ooo       int
	overlaps  int
	differs   bool
}

// conn is a connection. What a segment of an established connection
// reads besides its direction (key, last) shares the first cache line;
// the directions are indexed by canonical direction, so that the address
// of a segment's direction does not wait for that line.
type conn struct {
	key connKey
	// side maps the canonical direction (0: a->b, the index in h) to the
	// record side (0: the client).
	side     [2]uint8
	last     int64
	hash     uint64 // of key, in the table
	hidx     int    // index in the deadline heap
	h        [2]half
	deadline int64 // idle deadline the heap orders by (may lag last)
	first    uint64
	addr     [2]ipAddr
	port     [2]uint16
	mem      int
}

const connOverhead = 512

func (tt *tcpTable) memory(c *conn) int {
	m := connOverhead
	for i := range c.h {
		h := &c.h[i]
		m += h.data.held(tt) + h.pendSize + 24*cap(h.segs) + 8*cap(h.frames) + 16*cap(h.gaps)
	}
	return m
}

type tcpTable struct {
	cfg   *Config
	m     connTable
	heap  []*conn
	mem   int
	stats *Stats
	// bufs holds the direction buffers of ended streams (classes of
	// bufClass, and MaxStreamBytes).
	bufs pool[byte]
	// segs and frames hold the segment and frame lists of ended streams
	// (classes of listClass entries, and MaxSegments).
	segs   pool[Segment]
	frames pool[uint64]
	// pieces holds the piece lists of ended streams (StableFrames).
	pieces pool[piece]
	// free holds ended connections for reuse (at most freeConns).
	free []*conn
}

const freeConns = 1024

var listClass = []int{16, 64, 256, 1 << 10, 4 << 10, 16 << 10}

// listPoolLen bounds the entries kept in each list pool.
const listPoolLen = 256 << 10

// A direction's bytes are kept contiguous, so that its record can lend
// them without a copy. The buffer grows by a factor of 4 (2 KiB, 8 KiB,
// ..., 2 MiB, or MaxStreamBytes when that is smaller); the growths copy
// between 1/3 and 4/3 of the stream's bytes (the sum of the smaller
// classes). Buffers of ended streams are reused, so that a warm table
// neither allocates nor clears memory.
var bufClass = []int{2 << 10, 8 << 10, 32 << 10, 128 << 10, 512 << 10, 2 << 20}

// poolBytes bounds the capacity kept in the stream buffer pool.
const poolBytes = 32 << 20

// store holds the kept bytes of a direction: copied into one buffer, or,
// with StableFrames, as the list of pieces of frames they lie in (no copy).
// A direction whose piece list reaches MaxSegments entries (tiny segments)
// joins its pieces into a buffer and copies from then on, so that the list
// stays bounded.
type store struct {
	b      []byte  // copied bytes (nil while pieces are kept)
	pieces []piece // the bytes in place, in order
	n      int     // bytes kept
}

// piece is a run of kept bytes that lie in a frame: at is the index in
// the kept bytes of b[0].
type piece struct {
	b  []byte
	at int
}

// appendStore keeps b, which lies in a stable frame when stable.
func (tt *tcpTable) appendStore(s *store, b []byte, stable bool) {
	if tt.cfg.StableFrames && s.b == nil {
		if k := len(s.pieces); k < tt.cfg.MaxSegments {
			if !stable {
				b = append([]byte(nil), b...) // a datagram's buffer is reused
			}
			s.pieces = append(tt.pieces.grow(s.pieces, k+1), piece{b: b[:len(b):len(b)], at: s.n})
			s.n += len(b)
			return
		}
		s.b = s.join(tt.bufs.get(s.n + len(b)))
		tt.pieces.put(s.pieces)
		s.pieces = nil
	}
	s.b = append(tt.bufs.grow(s.b, len(s.b)+len(b)), b...)
	s.n = len(s.b)
}

// join appends the kept bytes to dst.
func (s *store) join(dst []byte) []byte {
	if s.b != nil {
		return append(dst, s.b...)
	}
	return appendPieces(dst, s.pieces)
}

// appendPieces appends the bytes of ps to dst.
func appendPieces(dst []byte, ps []piece) []byte {
	for _, p := range ps {
		dst = append(dst, p.b...)
	}
	return dst
}

// piecesLen returns the number of bytes of ps.
func piecesLen(ps []piece) int {
	n := 0
	for _, p := range ps {
		n += len(p.b)
	}
	return n
}

// held is the memory the kept bytes count for against the caps: the
// buffer a copying direction would have (pieces count as if copied, so
// that the caps end the same streams either way).
func (s *store) held(tt *tcpTable) int {
	if s.b != nil || s.n == 0 {
		return cap(s.b)
	}
	return tt.bufs.sizeFor(s.n)
}

// equal reports whether the kept bytes at index i equal b (false when
// they are not all kept).
func (s *store) equal(i int, b []byte) bool {
	if i+len(b) > s.n {
		return false
	}
	if s.b != nil {
		return string(s.b[i:i+len(b)]) == string(b)
	}
	// The last piece that starts at or before i, then onwards.
	k := sort.Search(len(s.pieces), func(k int) bool { return s.pieces[k].at > i }) - 1
	for ; len(b) > 0; k++ {
		p := s.pieces[k]
		from := i - p.at
		m := min(len(p.b)-from, len(b))
		if string(p.b[from:from+m]) != string(b[:m]) {
			return false
		}
		b, i = b[m:], i+m
	}
	return true
}

// retire hands a direction's buffers to the pools once the records being
// emitted, which may lend it, are out (see Reassembler.flushOut).
func (tt *tcpTable) retire(h *half) {
	tt.bufs.retire(h.data.b)
	tt.pieces.retire(h.data.pieces)
	tt.segs.retire(h.segs)
	tt.frames.retire(h.frames)
	h.data, h.segs, h.frames = store{}, nil, nil
}

// The idle deadlines of open connections sit in a min-heap ordered by
// deadline: a segment only updates its connection's last time (no list to
// relink, which would touch two other connections' memory per frame);
// Advance pops the due entries and either ends the connection or pushes it
// back at its new deadline. The set ended at a given capture time is
// exactly the set idle for TCPIdle, whatever else shares the table.

func (tt *tcpTable) Len() int { return len(tt.heap) }
func (tt *tcpTable) Less(i, j int) bool {
	a, b := tt.heap[i], tt.heap[j]
	if a.deadline != b.deadline {
		return a.deadline < b.deadline
	}
	return a.first < b.first
}
func (tt *tcpTable) Swap(i, j int) {
	tt.heap[i], tt.heap[j] = tt.heap[j], tt.heap[i]
	tt.heap[i].hidx, tt.heap[j].hidx = i, j
}
func (tt *tcpTable) Push(x any) {
	c := x.(*conn)
	c.hidx = len(tt.heap)
	tt.heap = append(tt.heap, c)
}
func (tt *tcpTable) Pop() any {
	n := len(tt.heap) - 1
	c := tt.heap[n]
	tt.heap[n] = nil
	tt.heap = tt.heap[:n]
	c.hidx = -1
	return c
}

// scanLayers returns, in one pass over the layers of p, the index of its
// innermost TCP layer (-1 if none) and of the nearest IPv4 or IPv6 layer
// before it (-1 if none).
func scanLayers(p *decoder.Packet) (ti, ip int) {
	ti, ip = -1, -1
	last := -1
	layers := p.Layers[:max(0, min(p.N, len(p.Layers)))]
	for i := range layers {
		switch layers[i].Proto {
		case decoder.ProtoIPv4, decoder.ProtoIPv6:
			last = i
		case decoder.ProtoTCP:
			ti, ip = i, last
		}
	}
	return ti, ip
}

// segmentAt reads the TCP segment of layer ti of p, carried by the IP
// layer ip (see scanLayers) into s, which is zero.
func segmentAt(p *decoder.Packet, ti, ip int, s *segment) bool {
	if ti <= 0 || ip < 0 {
		return false
	}
	tl, il := p.Layers[ti], p.Layers[ip]
	if tl.Hdr < 20 || tl.Off+tl.Hdr > tl.End || int(tl.End) > len(p.Data) || int(il.Off) > len(p.Data) {
		return false
	}
	ipb := p.Data[il.Off:]
	if il.Proto == decoder.ProtoIPv4 {
		if len(ipb) < 20 {
			return false
		}
		h := decoder.IPv4(ipb)
		if h.IsFragment() {
			return false // reassembled first
		}
		s.src, s.dst = addrOf(ipb[12:16]), addrOf(ipb[16:20])
	} else {
		if len(ipb) < 40 {
			return false
		}
		s.v6 = true
		s.src, s.dst = addrOf(ipb[8:24]), addrOf(ipb[24:40])
	}
	th := p.Data[tl.Off:tl.End]
	s.sport, s.dport = binary.BigEndian.Uint16(th), binary.BigEndian.Uint16(th[2:])
	s.seq = binary.BigEndian.Uint32(th[4:])
	s.flags = decoder.TCP(th).Flags()
	s.data = th[tl.Hdr:]
	s.claimed = uint32(len(s.data))
	if il.Proto == decoder.ProtoIPv4 {
		// A capture cut short holds less than the headers state: the rest
		// is missing, not absent.
		if tot := int(decoder.IPv4(ipb).TotalLen()); tot > 0 {
			if c := tot - int(tl.Off-il.Off) - int(tl.Hdr); c > len(s.data) {
				s.claimed = uint32(c)
			}
		}
	}
	return true
}

// segmentOf reads a TCP segment from a reassembled datagram payload.
func segmentOf(d *datagram, frame uint64) (segment, bool) {
	var s segment
	b := d.buf[:d.total]
	if len(b) < 20 {
		return s, false
	}
	th := decoder.TCP(b)
	off := th.DataOffset()
	if off < 20 || off > len(b) {
		return s, false
	}
	s.v6, s.src, s.dst = d.key.v6, addrOf(d.key.src[:]), addrOf(d.key.dst[:])
	s.sport, s.dport, s.seq, s.flags = th.SrcPort(), th.DstPort(), th.Seq(), th.Flags()
	s.data = b[off:]
	s.claimed = uint32(len(s.data))
	s.frame = frame
	return s, true
}

// add feeds one segment; emit receives ended connections.
func (tt *tcpTable) add(s *segment, now int64, emit func(*conn, string)) {
	tt.stats.Segments++
	k, dir := s.key()
	hk := tt.m.hash(&k)
	c := tt.m.get(hk, &k)
	if fastPath && c != nil && s.flags&(decoder.TCPSyn|decoder.TCPFin|decoder.TCPRst) == 0 &&
		c.last+int64(tt.cfg.TCPIdle) > now && tt.inOrder(&c.h[dir], s) {
		c.last = now
		return
	}
	syn := s.flags&decoder.TCPSyn != 0
	if c != nil {
		if c.last+int64(tt.cfg.TCPIdle) <= now {
			tt.end(c, "timeout", emit)
			c = nil
		} else if h := &c.h[dir]; syn && h.syn && s.seq != h.isn {
			tt.end(c, "reused", emit)
			c = nil
		}
	}
	if c == nil {
		if !syn && s.claimed == 0 {
			return
		}
		if tt.m.n >= tt.cfg.MaxStreams && len(tt.heap) > 0 {
			tt.refresh()
			tt.end(tt.heap[0], "evicted", emit)
		}
		if n := len(tt.free); n > 0 {
			c = tt.free[n-1]
			tt.free[n-1] = nil
			tt.free = tt.free[:n-1]
		} else {
			c = new(conn)
		}
		c.key, c.hash, c.first, c.last = k, hk, s.frame, now
		// Record side 0 is the client: the SYN sender, else the sender of
		// the first segment (the receiver of a first SYN+ACK).
		client := dir
		if syn && s.flags&decoder.TCPAck != 0 {
			client = 1 - dir
		}
		c.side[client], c.side[1-client] = 0, 1
		if dir == client {
			c.addr[0], c.port[0], c.addr[1], c.port[1] = s.src, s.sport, s.dst, s.dport
		} else {
			c.addr[0], c.port[0], c.addr[1], c.port[1] = s.dst, s.dport, s.src, s.sport
		}
		tt.m.put(c)
		c.deadline = now + int64(tt.cfg.TCPIdle)
		heap.Push(tt, c)
		tt.stats.Streams++
	}
	c.last = now
	if ack := s.flags&decoder.TCPAck != 0; syn && !c.h[0].opened && !c.h[1].opened &&
		(!ack && c.side[dir] != 0 || ack && c.side[dir] == 0) {
		// The sides were guessed from a first segment that was not the
		// SYN: a SYN from side 1, or a SYN+ACK from side 0, says which
		// side is the client.
		c.side[0], c.side[1] = c.side[1], c.side[0]
		c.addr[0], c.addr[1] = c.addr[1], c.addr[0]
		c.port[0], c.port[1] = c.port[1], c.port[0]
	}
	h := &c.h[dir]
	if syn && s.flags&decoder.TCPAck == 0 {
		h.opened = true
	}
	tt.segment(h, s)
	if s.flags&decoder.TCPRst != 0 {
		h.rst = true
		tt.end(c, "rst", emit)
		return
	}
	if c.h[0].finDone && c.h[1].finDone {
		tt.end(c, "fin", emit)
		return
	}
	m := tt.memory(c)
	tt.mem += m - c.mem
	c.mem = m
	for tt.mem > tt.cfg.MaxTotalStreamBytes && len(tt.heap) > 0 {
		// The entry with the earliest deadline may be stale: refresh it
		// first, so that the least recently active connection goes.
		tt.refresh()
		tt.end(tt.heap[0], "evicted", emit)
	}
}

// fastPath enables inOrder (tests compare the records made with and
// without it).
var fastPath = true

// inOrder takes, on an established direction, a segment without SYN,
// FIN or RST that brings no bytes or exactly the next expected ones, when
// they fit in the buffers and lists as they are: the common case, which
// changes no memory held and ends nothing. It reports false, having
// changed nothing, for everything else (segment then takes it).
func (tt *tcpTable) inOrder(h *half, s *segment) bool {
	if !h.started || h.prov || h.fin || len(h.pending) != 0 || h.hash != nil {
		return false
	}
	data := s.data
	if uint32(len(data)) > s.claimed {
		data = data[:s.claimed]
	}
	if len(data) == 0 {
		return true
	}
	n, ns, nf := h.data.n, len(h.segs), len(h.frames)
	if s.seq != h.base+uint32(h.next) || n+len(data) > tt.cfg.MaxStreamBytes ||
		ns >= cap(h.segs) || ns >= tt.cfg.MaxSegments {
		return false
	}
	// Within the memory held (the buffer's room; for pieces, the room of
	// the buffer a copying direction would have: the memory figure stays
	// as it is), in place (a stable frame and a piece list with room) or
	// copied.
	if n+len(data) > h.data.held(tt) {
		return false
	}
	inPlace := h.data.b == nil && tt.cfg.StableFrames
	if k := len(h.data.pieces); inPlace && (!s.stable || k >= cap(h.data.pieces) || k >= tt.cfg.MaxSegments) {
		return false
	}
	newFrame := nf == 0 || h.lastFrame != s.frame
	if newFrame && (nf >= cap(h.frames) || nf >= tt.cfg.MaxSegments) {
		return false
	}
	if inPlace {
		h.data.pieces = append(h.data.pieces, piece{b: data[:len(data):len(data)], at: n})
		h.data.n = n + len(data)
	} else {
		h.data.b = append(h.data.b, data...)
		h.data.n = len(h.data.b)
	}
	h.segs = append(h.segs, Segment{Frame: s.frame, Offset: h.next, Len: uint32(len(data))})
	if newFrame {
		h.frames = append(h.frames, s.frame)
		h.lastFrame = s.frame
	}
	h.length += uint64(len(data))
	h.next += uint64(len(data))
	return true
}

func (tt *tcpTable) segment(h *half, s *segment) {
	syn := s.flags&decoder.TCPSyn != 0
	seq := s.seq
	if syn {
		switch {
		case !h.started:
			h.started, h.syn, h.isn, h.base = true, true, s.seq, s.seq+1
		case !h.syn && h.prov:
			// Bytes came before the SYN: they are rebased on ISN+1.
			h.syn, h.isn = true, s.seq
			tt.rebase(h, s.seq+1)
		case !h.syn && h.length == 0 && h.pendSize == 0:
			h.syn, h.isn, h.base = true, s.seq, s.seq+1
		}
		seq++ // the SYN occupies one sequence number
	}
	if !h.started {
		// Seen from the middle: the first bytes are held until the start
		// is known — a SYN, or else the lowest sequence number held once
		// the buffer fills or the connection ends — so that reordering at
		// the start loses nothing.
		h.started, h.prov, h.base = true, true, seq-provisional
	}
	// Unwrap against the next expected sequence number.
	exp := h.base + uint32(h.next)
	rel := int64(h.next) + int64(int32(seq-exp))
	data := s.data
	if uint32(len(data)) > s.claimed {
		data = data[:s.claimed]
	}
	fin := s.flags&decoder.TCPFin != 0
	if fin && !h.fin {
		if e := rel + int64(s.claimed); e >= 0 {
			h.fin, h.finOff = true, uint64(e)
		}
	}
	if len(data) > 0 {
		if rel < 0 {
			// Bytes before the start of the stream (seen mid-connection).
			if -rel >= int64(len(data)) {
				data = nil
			} else {
				data = data[-rel:]
				rel = 0
			}
		}
		if len(data) > 0 {
			tt.data(h, uint64(rel), data, s.frame, s.stable)
		}
	}
	if fin && h.prov {
		// The direction ends: what it holds is all it will have.
		tt.settle(h)
	}
	if h.fin && h.next >= h.finOff && h.pendSize == 0 {
		h.finDone = true
	}
}

// data places bytes at stream offset off.
func (tt *tcpTable) data(h *half, off uint64, data []byte, frame uint64, stable bool) {
	end := off + uint64(len(data))
	if off < h.next {
		h.retrans++
		tt.stats.Retransmissions++
		old := data
		if end > h.next {
			old = data[:h.next-off]
		}
		tt.compare(h, off, old)
		if end <= h.next {
			return
		}
		data = data[h.next-off:]
		off = h.next
	}
	if off == h.next {
		tt.deliver(h, data, frame, stable)
		tt.drain(h)
		return
	}
	if !h.prov {
		h.ooo++
		tt.stats.OutOfOrder++
	}
	tt.buffer(h, off, data, frame, stable)
	if h.prov && h.pendSize > tt.cfg.MaxPendingBytes {
		tt.settle(h)
	}
	for h.pendSize > tt.cfg.MaxPendingBytes && len(h.pending) > 0 {
		tt.skip(h)
	}
}

// provisional is how far below the first sequence number seen the
// provisional start of a direction seen from the middle is put.
const provisional = 1 << 30

// settle ends the provisional start of a direction without SYN: the
// stream starts at the lowest sequence number held.
func (tt *tcpTable) settle(h *half) {
	if !h.prov {
		return
	}
	switch {
	case len(h.pending) > 0:
		tt.rebase(h, h.base+uint32(h.pending[0].off))
	case h.fin:
		tt.rebase(h, h.base+uint32(h.finOff))
	default:
		h.prov = false
	}
}

// rebase moves offset 0 of a provisional direction to sequence number
// base: held bytes before it are dropped, the rest delivered in order.
func (tt *tcpTable) rebase(h *half, base uint32) {
	d := uint64(base - h.base) // the new origin in provisional offsets
	h.base, h.next, h.prov = base, 0, false
	kept := h.pending[:0]
	for _, p := range h.pending {
		e := p.off + uint64(len(p.data))
		if e <= d {
			h.pendSize -= len(p.data)
			continue
		}
		if p.off < d {
			h.pendSize -= int(d - p.off)
			p.data = p.data[d-p.off:]
			p.off = d
		}
		p.off -= d
		kept = append(kept, p)
	}
	h.pending = kept
	if h.fin {
		if h.finOff >= d {
			h.finOff -= d
		} else {
			h.fin = false
		}
	}
	tt.drain(h)
}

// compare checks retransmitted bytes at off against the delivered ones
// still held (only after the last gap: offsets before it do not map to
// Data one to one).
func (tt *tcpTable) compare(h *half, off uint64, b []byte) {
	if len(b) == 0 {
		return
	}
	var lastGapEnd uint64
	if n := len(h.gaps); n > 0 {
		lastGapEnd = h.gaps[n-1].Offset + h.gaps[n-1].Len
	}
	if off < lastGapEnd {
		return
	}
	i := off - h.gapBytes
	if i+uint64(len(b)) > uint64(h.data.n) {
		return
	}
	if !h.data.equal(int(i), b) {
		h.overlaps++
		h.differs = true
		tt.stats.Overlaps++
	}
}

func (tt *tcpTable) deliver(h *half, b []byte, frame uint64, stable bool) {
	// While the whole stream is kept, its bytes are its identity: the
	// SHA-256 is computed from them at the end. Once it outgrows
	// MaxStreamBytes, the hash runs over what was kept, then over every
	// further byte.
	if h.hash != nil {
		h.hash.Write(b)
	} else if h.data.n+len(b) > tt.cfg.MaxStreamBytes {
		h.hash = sha256.New()
		if h.data.b != nil {
			h.hash.Write(h.data.b)
		}
		for _, p := range h.data.pieces {
			h.hash.Write(p.b)
		}
		h.hash.Write(b)
	}
	if room := tt.cfg.MaxStreamBytes - h.data.n; room > 0 {
		n := min(room, len(b))
		tt.appendStore(&h.data, b[:n], stable)
		if n < len(b) {
			h.trunc = true
		}
	} else {
		h.trunc = true
	}
	if n := len(h.segs); n < tt.cfg.MaxSegments {
		h.segs = append(tt.segs.grow(h.segs, n+1), Segment{Frame: frame, Offset: h.next, Len: uint32(len(b))})
	}
	if n := len(h.frames); (n == 0 || h.lastFrame != frame) && n < tt.cfg.MaxSegments {
		h.frames = append(tt.frames.grow(h.frames, n+1), frame)
		h.lastFrame = frame
	}
	h.length += uint64(len(b))
	h.next += uint64(len(b))
}

// buffer stores out-of-order bytes, first wins against buffered ones:
// copies, or the bytes in place when they lie in a stable frame.
func (tt *tcpTable) buffer(h *half, off uint64, data []byte, frame uint64, stable bool) {
	keep := func(b []byte) []byte {
		if stable {
			return b[:len(b):len(b)]
		}
		return append([]byte(nil), b...)
	}
	end := off + uint64(len(data))
	pos := off
	var add []pend
	for _, p := range h.pending {
		pe := p.off + uint64(len(p.data))
		if pe <= pos || p.off >= end {
			continue
		}
		if p.off > pos {
			add = append(add, pend{pos, keep(data[pos-off : p.off-off]), frame})
		}
		lo, hi := max(pos, p.off), min(end, pe)
		if string(p.data[lo-p.off:hi-p.off]) != string(data[lo-off:hi-off]) {
			h.overlaps++
			h.differs = true
			tt.stats.Overlaps++
		}
		pos = hi
	}
	if pos < end {
		add = append(add, pend{pos, keep(data[pos-off:]), frame})
	}
	for _, p := range add {
		i := sort.Search(len(h.pending), func(i int) bool { return h.pending[i].off > p.off })
		h.pending = slices.Insert(h.pending, i, p)
		h.pendSize += len(p.data)
	}
}

// drain delivers buffered bytes that became in order.
func (tt *tcpTable) drain(h *half) {
	for len(h.pending) > 0 && h.pending[0].off <= h.next {
		p := h.pending[0]
		h.pending = h.pending[1:]
		h.pendSize -= len(p.data)
		if e := p.off + uint64(len(p.data)); e > h.next {
			// Buffered bytes are copies of their own or lie in a stable
			// frame: stable either way.
			tt.deliver(h, p.data[h.next-p.off:], p.frame, true)
		}
	}
	if len(h.pending) == 0 {
		h.pending = nil
	}
}

// skip gives up on the bytes missing before the first buffered segment.
func (tt *tcpTable) skip(h *half) {
	if len(h.pending) == 0 {
		return
	}
	to := h.pending[0].off
	if to > h.next {
		h.gaps = append(h.gaps, Gap{Offset: h.next, Len: to - h.next})
		h.gapBytes += to - h.next
		tt.stats.Gaps++
		h.next = to
	}
	tt.drain(h)
}

// end closes c: remaining buffered bytes are delivered after gaps.
func (tt *tcpTable) end(c *conn, reason string, emit func(*conn, string)) {
	for i := range c.h {
		h := &c.h[i]
		tt.settle(h)
		for len(h.pending) > 0 {
			tt.skip(h)
		}
		if h.fin && h.next >= h.finOff {
			h.finDone = true
		}
	}
	if c.hidx >= 0 {
		heap.Remove(tt, c.hidx)
	}
	tt.m.remove(c)
	tt.mem -= c.mem
	emit(c, reason)
	for i := range c.h {
		tt.retire(&c.h[i])
	}
	// Nothing refers to c any more (records copy or lend its parts).
	if len(tt.free) < freeConns {
		*c = conn{}
		tt.free = append(tt.free, c)
	}
}

func (tt *tcpTable) advance(now int64, emit func(*conn, string)) {
	for len(tt.heap) > 0 && tt.heap[0].deadline <= now {
		c := tt.heap[0]
		if d := c.last + int64(tt.cfg.TCPIdle); d > now {
			c.deadline = d
			heap.Fix(tt, 0)
			continue
		}
		tt.end(c, "timeout", emit)
	}
}

// refresh moves stale entries at the top of the heap to their real
// deadlines, until the top one is current.
func (tt *tcpTable) refresh() {
	for len(tt.heap) > 0 {
		c := tt.heap[0]
		d := c.last + int64(tt.cfg.TCPIdle)
		if d == c.deadline {
			return
		}
		c.deadline = d
		heap.Fix(tt, 0)
	}
}

// conns returns the open connections in order of first frame.
func (tt *tcpTable) conns() []*conn {
	out := make([]*conn, 0, tt.m.n)
	tt.m.each(func(c *conn) { out = append(out, c) })
	sort.Slice(out, func(i, j int) bool { return out[i].first < out[j].first })
	return out
}

// Gap is a run of Len missing bytes at stream offset Offset.
type Gap struct {
	Offset uint64 `msgpack:"offset"`
	Len    uint64 `msgpack:"len"`
}

// Segment attributes Len delivered bytes at stream offset Offset to a frame.
type Segment struct {
	Frame  uint64 `msgpack:"frame"`
	Offset uint64 `msgpack:"offset"`
	Len    uint32 `msgpack:"len"`
}

// Stream is a reassembled TCP connection. Dirs[0] is the byte stream from
// Src (the client: the SYN sender when the handshake was seen) to Dst,
// Dirs[1] the reverse.
type Stream struct {
	Version  uint8  `msgpack:"version"`
	Src      []byte `msgpack:"src"`
	Dst      []byte `msgpack:"dst"`
	SrcPort  uint16 `msgpack:"srcport"`
	DstPort  uint16 `msgpack:"dstport"`
	Complete bool   `msgpack:"complete"`
	// End says how the connection ended: "fin", "rst", "timeout",
	// "evicted", "reused" (a new SYN on the same 5-tuple) or "end of capture".
	End  string      `msgpack:"end"`
	Dirs []StreamDir `msgpack:"dirs"`
}

// StreamDir is one direction's byte stream.
type StreamDir struct {
	SYN bool   `msgpack:"syn"`
	ISN uint32 `msgpack:"isn"`
	FIN bool   `msgpack:"fin"`
	RST bool   `msgpack:"rst"`
	// Length counts every byte delivered (gaps excluded). Data holds the
	// first MaxStreamBytes of them; when that is not all (Truncated),
	// SHA256 hashes them all. (For a stream held whole, the report computes
	// the SHA-256 of Data: the record does not carry it, to keep hashing
	// off the reassembly path.)
	Length    uint64 `msgpack:"length"`
	SHA256    []byte `msgpack:"sha256"`
	Data      []byte `msgpack:"data"`
	Truncated bool   `msgpack:"truncated"`
	Gaps      []Gap  `msgpack:"gaps,omitempty"`
	// Frames lists the frames that delivered bytes; Segments says which
	// bytes each delivered.
	Frames          []uint64  `msgpack:"frames"`
	Segments        []Segment `msgpack:"segments"`
	Retransmissions int       `msgpack:"retransmissions"`
	OutOfOrder      int       `msgpack:"out_of_order"`
	Overlaps        int       `msgpack:"overlaps"`
	Differs         bool      `msgpack:"overlap_differs"`

	// pieces holds Data, when it is nil, as the pieces of the frames it
	// lies in (Config.StableFrames): see Bytes.
	pieces []piece
}

// Bytes returns the direction's kept bytes (Data), contiguous. With
// Config.StableFrames a record holds them as pieces of the frames they lie
// in, and Data is nil until Bytes joins them into a buffer of their own
// (once: Data then holds them). Read the bytes through Bytes.
func (d *StreamDir) Bytes() []byte {
	if d.pieces != nil {
		d.Data = appendPieces(make([]byte, 0, piecesLen(d.pieces)), d.pieces)
		d.pieces = nil
	}
	return d.Data
}

// JoinData gives every direction of s that holds its bytes as pieces of
// frames (Config.StableFrames) its bytes in Data, joined into buf, which
// it grows as needed and returns for reuse: a consumer that renders one
// record at a time joins them into the same buffer every time instead of
// allocating one per stream (Bytes). Data then aliases buf until buf is
// used again.
func (s *Stream) JoinData(buf []byte) []byte {
	n := 0
	for i := range s.Dirs {
		n += piecesLen(s.Dirs[i].pieces)
	}
	if n == 0 {
		return buf
	}
	if cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	buf = buf[:0]
	for i := range s.Dirs {
		d := &s.Dirs[i]
		if d.pieces == nil {
			continue
		}
		start := len(buf)
		buf = appendPieces(buf, d.pieces)
		d.Data, d.pieces = buf[start:len(buf):len(buf)], nil
	}
	return buf
}

// EncodeMsgpack encodes the direction with its bytes joined (Bytes): the
// wire form does not depend on how the record held them.
func (d StreamDir) EncodeMsgpack(enc *msgpack.Encoder) error {
	d.Bytes()
	type plain StreamDir // the same fields, without this method
	return enc.Encode((*plain)(&d))
}

// streamBlock holds a Stream record with its directions and addresses:
// one allocation instead of four.
type streamBlock struct {
	st   Stream
	dirs [2]StreamDir
	addr [2][16]byte
}

func (c *conn) record(reason string) *Stream {
	blk := &streamBlock{st: Stream{Version: 4, SrcPort: c.port[0], DstPort: c.port[1], End: reason}}
	st := &blk.st
	n := 4
	if c.key.v6 != 0 {
		st.Version, n = 6, 16
	}
	for i, a := range c.addr {
		binary.BigEndian.PutUint64(blk.addr[i][:8], a.hi)
		binary.BigEndian.PutUint64(blk.addr[i][8:], a.lo)
	}
	st.Src, st.Dst = blk.addr[0][:n:n], blk.addr[1][:n:n]
	st.Complete = reason == "fin" || reason == "rst"
	st.Dirs = blk.dirs[:]
	for i := range st.Dirs {
		h := &c.h[c.side[i]] // side is its own inverse
		d := &st.Dirs[i]
		d.SYN, d.ISN, d.FIN, d.RST = h.syn, h.isn, h.fin, h.rst
		// The record lends the working buffer, which goes back to the
		// pool once the record is out (see Reassembler.flushOut).
		d.Length, d.Data, d.Truncated = h.length, h.data.b, h.trunc
		if h.data.b == nil && h.data.n > 0 {
			d.Data, d.pieces = nil, h.data.pieces
		} else if len(d.Data) == 0 {
			d.Data = nil
			if h.length > 0 {
				d.Data = []byte{}
			}
		}
		if h.hash != nil {
			d.SHA256 = h.hash.Sum(nil)
		}
		d.Gaps, d.Frames, d.Segments = h.gaps, h.frames, h.segs
		d.Retransmissions, d.OutOfOrder, d.Overlaps, d.Differs = h.retrans, h.ooo, h.overlaps, h.differs
		if len(h.gaps) > 0 || (h.length > 0 && !h.syn) || (!h.finDone && reason != "rst") {
			st.Complete = false
		}
	}
	return st
}

// hasData reports whether any byte (or gap) was seen.
func (c *conn) hasData() bool {
	return c.h[0].length+c.h[1].length+c.h[0].gapBytes+c.h[1].gapBytes > 0
}

// Fields writes the stream report block.
func (s *Stream) Fields(t *decoder.Tree) {
	addrField(t, "src", s.Src)
	t.Uint("srcport", uint64(s.SrcPort))
	addrField(t, "dst", s.Dst)
	t.Uint("dstport", uint64(s.DstPort))
	t.Bool("complete", s.Complete)
	t.String("end", s.End)
	names := [2]string{"client_to_server", "server_to_client"}
	for i := range s.Dirs {
		d := &s.Dirs[i]
		t.Object(names[i])
		t.Bool("syn", d.SYN)
		if d.SYN {
			t.Uint("isn", uint64(d.ISN))
		}
		t.Bool("fin", d.FIN)
		t.Bool("rst", d.RST)
		t.Uint("length", uint64(d.Length))
		data := d.Bytes()
		sum := d.SHA256
		if sum == nil {
			e := sha256.Sum256(data)
			sum = e[:]
		}
		t.Bytes("sha256", sum)
		t.Array("gaps")
		for _, g := range d.Gaps {
			t.Object("")
			t.Uint("offset", g.Offset)
			t.Uint("len", g.Len)
			t.Close()
		}
		t.Close()
		framesField(t, "frames", d.Frames)
		t.Uint("retransmissions", uint64(d.Retransmissions))
		t.Uint("out_of_order", uint64(d.OutOfOrder))
		t.Uint("overlaps", uint64(d.Overlaps))
		t.Bool("overlap_differs", d.Differs)
		t.Bool("truncated", d.Truncated)
		t.Bytes("data", data)
		t.Close()
	}
}
