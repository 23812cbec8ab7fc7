package reassembler

import (
	"encoding/binary"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reporter"
)

// IP fragment reassembly (RFC 791, RFC 8200 section 4.5) with the hole
// descriptor list of RFC 815.
//
// Keys: IPv4 (source, destination, protocol, identification); IPv6
// (source, destination, fragment identification). The flow label plays no
// part.
//
// Overlap policy: first wins. Bytes already received are never replaced; a
// later fragment only fills the holes it covers. Every fragment that
// overlaps received bytes is counted (a fragment entirely inside received
// bytes is a duplicate), and the datagram records whether any overlapping
// bytes differ from those kept. A final fragment (MF clear) that states an
// end different from the one already known, or one below bytes already
// received, is a conflict: its end is not believed (the first stated end
// stands), its bytes still fill holes within the end, and the conflict is
// counted; bytes beyond a known end are not used (tshark keeps the bytes
// too; Linux drops the whole datagram). IPv6 atomic fragments (offset 0, M
// clear) are processed in isolation (RFC 6946): they are whole packets,
// decoded as such, and make no datagram record.
//
// Bounds: a datagram longer than MaxDatagramBytes or with more than
// MaxFragments fragments is dropped (its key is then ignored until the
// fragment timeout, so its remaining fragments do not start a new one);
// when all unfinished datagrams together hold more than MaxFragBytes, or
// there are more than MaxDatagrams, the oldest is dropped. An unfinished
// datagram expires FragTimeout (IPv4) or FragTimeout6 (IPv6) of capture
// time after its first fragment.

// fragKey identifies the datagram a fragment belongs to.
type fragKey struct {
	v6       bool
	proto    uint8 // IPv4 protocol; 0 for IPv6
	id       uint32
	src, dst [16]byte
}

// hole is an RFC 815 hole descriptor: bytes first..last (inclusive) are
// missing. last == holeInf means "up to the end, not yet known".
type hole struct{ first, last uint32 }

const holeInf = ^uint32(0)

type datagram struct {
	key        fragKey
	prev, next *datagram // creation order (oldest first)
	deadline   int64     // capture time in ns
	buf        []byte
	holes      []hole
	total      int64 // payload length when the final fragment was seen, else -1
	frames     []uint64
	proto      uint8 // payload protocol (IPv6: next header of the fragment header)
	sec        int64 // first fragment's timestamp
	nsec       uint32
	digits     uint8
	overlaps   int
	dups       int
	conflicts  int
	differs    bool
	tiny       bool
	dead       string // non-empty: dropped for this reason, fragments ignored
	mem        int
	// Room for the holes and frames of most datagrams: no allocation.
	holeBuf  [2]hole
	frameBuf [4]uint64
}

const datagramOverhead = 192

func (d *datagram) memory() int {
	return datagramOverhead + cap(d.buf) + 8*cap(d.holes) + 8*cap(d.frames)
}

type fragTable struct {
	cfg        *Config
	m          map[fragKey]*datagram
	head, tail *datagram
	mem        int
	stats      *Stats
	// bufs holds the payload buffers of ended datagrams; holes is scratch
	// space for fill.
	bufs  pool[byte]
	holes []hole
}

// Datagram payload buffers come in classes of 2, 8 and 32 KiB, and
// MaxDatagramBytes; at most fragPoolBytes of them are kept for reuse.
var fragClass = []int{2 << 10, 8 << 10, 32 << 10}

const fragPoolBytes = 4 << 20

func (ft *fragTable) link(d *datagram) {
	d.prev = ft.tail
	if ft.tail != nil {
		ft.tail.next = d
	} else {
		ft.head = d
	}
	ft.tail = d
}

func (ft *fragTable) remove(d *datagram) {
	if d.prev != nil {
		d.prev.next = d.next
	} else {
		ft.head = d.next
	}
	if d.next != nil {
		d.next.prev = d.prev
	} else {
		ft.tail = d.prev
	}
	d.prev, d.next = nil, nil
	delete(ft.m, d.key)
	ft.mem -= d.mem
}

// fragment is one fragment extracted from a decoded packet.
type fragment struct {
	key     fragKey
	off     uint32 // byte offset in the datagram payload
	claimed uint32 // payload length the header states
	data    []byte // captured payload bytes (may be shorter than claimed)
	mf      bool
	proto   uint8
}

// findFragment extracts the outermost IP fragment of p, if any.
func findFragment(p *decoder.Packet, v4, v6 bool) (fragment, bool) {
	for i := 0; i < p.N; i++ {
		l := &p.Layers[i]
		switch l.Proto {
		case decoder.ProtoIPv4:
			if l.Hdr < 20 || int(l.End) > len(p.Data) {
				continue
			}
			h := decoder.IPv4(p.Data[l.Off:l.End])
			if !h.IsFragment() {
				continue
			}
			if !v4 {
				return fragment{}, false
			}
			var f fragment
			f.key.proto = h.Protocol()
			f.key.id = uint32(h.ID())
			copy(f.key.src[:], h.Src())
			copy(f.key.dst[:], h.Dst())
			f.off = uint32(h.FragOffset()) * 8
			f.data = p.Data[l.Off+l.Hdr : l.End]
			f.claimed = uint32(len(f.data))
			if tl := int(h.TotalLen()); tl >= h.HeaderLen() {
				f.claimed = uint32(tl - h.HeaderLen())
			}
			f.mf = h.MF()
			f.proto = h.Protocol()
			return f, true
		case decoder.ProtoIPv6Frag:
			if int(l.Off)+8 > int(l.End) || int(l.End) > len(p.Data) {
				continue
			}
			// The IPv6 header this extension header belongs to.
			ip := -1
			for j := i - 1; j >= 0; j-- {
				if p.Layers[j].Proto == decoder.ProtoIPv6 {
					ip = j
					break
				}
				if p.Layers[j].Proto == decoder.ProtoIPv4 {
					break
				}
			}
			if ip < 0 || int(p.Layers[ip].Off)+40 > len(p.Data) {
				continue
			}
			if !v6 {
				return fragment{}, false
			}
			ih := p.Data[p.Layers[ip].Off:]
			fh := p.Data[l.Off : l.Off+8]
			var f fragment
			f.key.v6 = true
			f.key.id = binary.BigEndian.Uint32(fh[4:])
			copy(f.key.src[:], ih[8:24])
			copy(f.key.dst[:], ih[24:40])
			f.off = uint32(binary.BigEndian.Uint16(fh[2:]) &^ 7)
			f.mf = fh[3]&1 != 0
			f.proto = fh[0]
			f.data = p.Data[l.Off+8 : l.End]
			f.claimed = uint32(len(f.data))
			if plen := int(binary.BigEndian.Uint16(ih[4:])); plen > 0 {
				if c := int(p.Layers[ip].Off) + 40 + plen - int(l.Off+8); c >= 0 {
					f.claimed = uint32(c)
				}
			}
			return f, true
		}
	}
	return fragment{}, false
}

// add feeds one fragment. It returns a finished datagram (complete, or
// dropped with a reason) to emit, or nil.
func (ft *fragTable) add(fi *reporter.FrameInfo, f *fragment, now int64, emit func(*datagram, string)) {
	cfg := ft.cfg
	ft.stats.Fragments++
	d := ft.m[f.key]
	if d != nil && d.deadline <= now {
		ft.expire(d, "timeout", emit)
		d = nil
	}
	if d == nil {
		if len(ft.m) >= cfg.MaxDatagrams {
			ft.evictOldest(emit)
		}
		timeout := cfg.FragTimeout
		if f.key.v6 {
			timeout = cfg.FragTimeout6
		}
		d = &datagram{key: f.key, total: -1, deadline: now + int64(timeout),
			sec: fi.Sec, nsec: fi.Nsec, digits: fi.Digits, proto: f.proto}
		d.holes, d.frames = d.holeBuf[:1], d.frameBuf[:0]
		d.holes[0] = hole{0, holeInf}
		ft.m[f.key] = d
		ft.link(d)
		d.mem = d.memory()
		ft.mem += d.mem
	}
	if d.dead != "" {
		ft.stats.DroppedFragments++
		return
	}
	if len(d.frames) >= cfg.MaxFragments {
		ft.kill(d, "too many fragments", emit)
		ft.stats.DroppedFragments++
		return
	}
	d.frames = append(d.frames, fi.Index)
	end := uint64(f.off) + uint64(f.claimed)
	if end > uint64(cfg.MaxDatagramBytes) {
		ft.kill(d, "too large", emit)
		ft.stats.DroppedFragments++
		return
	}
	if f.off == 0 {
		d.proto = f.proto
		if f.mf && f.claimed < 8 {
			d.tiny = true // RFC 1858: too small to hold a transport header
		}
	}
	data := f.data
	if uint32(len(data)) > f.claimed {
		data = data[:f.claimed]
	}
	switch {
	case !f.mf && d.total >= 0 && d.total != int64(end):
		// A second, different end: the first one stands; the bytes this
		// fragment holds within it still fill holes.
		d.conflicts++
	case !f.mf && d.total < 0 && beyondFilled(d.holes, uint32(end)):
		// Bytes already received beyond the end this fragment states: its
		// end is not believed, its bytes still fill holes.
		d.conflicts++
		f.mf = true
	case f.mf && d.total >= 0 && int64(end) > d.total:
		// Beyond the known end: trimmed to it (tshark does the same; Linux
		// drops the whole datagram).
		d.conflicts++
	}
	if d.total >= 0 && int64(f.off)+int64(len(data)) > d.total {
		if int64(f.off) >= d.total {
			data = nil
		} else {
			data = data[:d.total-int64(f.off)]
		}
	}
	// Copy the captured bytes into the holes they cover (first wins).
	if len(data) > 0 {
		first, last := f.off, f.off+uint32(len(data))-1
		if need := int(last) + 1; need > len(d.buf) {
			ft.grow(d, need)
		}
		ov, diff := overlap(d.holes, d.buf, first, data)
		if ov > 0 {
			if ov == len(data) {
				d.dups++
				ft.stats.Duplicates++
			} else {
				d.overlaps++
				ft.stats.Overlaps++
			}
			d.differs = d.differs || diff
		}
		ft.holes = fill(ft.holes[:0], d.holes, d.buf, first, last, data)
		d.holes = append(d.holes[:0], ft.holes...)
	}
	if !f.mf && d.total < 0 {
		d.total = int64(end)
		d.holes = truncateHoles(d.holes, uint32(end))
	}
	ft.account(d)
	if d.total >= 0 && len(d.holes) == 0 {
		ft.remove(d)
		ft.stats.Datagrams++
		emit(d, "")
		ft.bufs.retire(d.buf)
		d.buf = nil
		return
	}
	for ft.mem > cfg.MaxFragBytes && ft.head != nil {
		ft.evictOldest(emit)
	}
}

// grow extends d.buf to need bytes. The bytes added are not cleared: they
// lie in holes, which are never read.
func (ft *fragTable) grow(d *datagram, need int) {
	d.buf = ft.bufs.grow(d.buf, need)[:need]
}

func (ft *fragTable) account(d *datagram) {
	m := d.memory()
	ft.mem += m - d.mem
	d.mem = m
}

// kill drops d's contents for reason; the key stays, ignoring fragments,
// until the timeout.
func (ft *fragTable) kill(d *datagram, reason string, emit func(*datagram, string)) {
	ft.stats.Incomplete++
	if ft.cfg.Strict {
		emit(d, reason)
	}
	d.dead = reason
	ft.bufs.retire(d.buf)
	d.buf, d.holes, d.frames = nil, nil, nil
	ft.account(d)
}

func (ft *fragTable) expire(d *datagram, reason string, emit func(*datagram, string)) {
	ft.remove(d)
	if d.dead != "" {
		return
	}
	ft.stats.Incomplete++
	if ft.cfg.Strict {
		emit(d, reason)
	}
	ft.bufs.retire(d.buf)
	d.buf = nil
}

func (ft *fragTable) evictOldest(emit func(*datagram, string)) {
	d := ft.head
	if d == nil {
		return
	}
	if d.dead == "" {
		ft.stats.Evicted++
	}
	ft.expire(d, "evicted", emit)
}

// advance expires datagrams whose deadline has passed.
func (ft *fragTable) advance(now int64, emit func(*datagram, string)) {
	for d := ft.head; d != nil; {
		next := d.next
		if d.deadline <= now {
			ft.expire(d, "timeout", emit)
		}
		d = next
	}
}

// overlap returns how many bytes of data (at offset first) fall on bytes
// already received, and whether any of them differ.
func overlap(holes []hole, buf []byte, first uint32, data []byte) (n int, differs bool) {
	last := first + uint32(len(data)) - 1
	pos := first // next byte of the fragment not yet classified
	for _, h := range holes {
		if h.last < pos {
			continue
		}
		if h.first > last {
			break
		}
		if h.first > pos {
			n += int(h.first - pos)
			if !differs && string(buf[pos:h.first]) != string(data[pos-first:h.first-first]) {
				differs = true
			}
		}
		if h.last >= last {
			return n, differs
		}
		pos = h.last + 1
	}
	if pos <= last {
		n += int(last - pos + 1)
		if !differs && string(buf[pos:last+1]) != string(data[pos-first:]) {
			differs = true
		}
	}
	return n, differs
}

// fill copies the parts of data (bytes first..last) that fall in holes
// into buf and returns the updated hole list (RFC 815, steps 1-8).
// The new list is appended to out, which must not share holes' memory.
func fill(out, holes []hole, buf []byte, first, last uint32, data []byte) []hole {
	changed := false
	for _, h := range holes {
		if first > h.last || last < h.first {
			out = append(out, h)
			continue
		}
		changed = true
		lo, hi := max(first, h.first), min(last, h.last)
		copy(buf[lo:hi+1], data[lo-first:hi-first+1])
		if first > h.first {
			out = append(out, hole{h.first, first - 1})
		}
		if last < h.last {
			out = append(out, hole{last + 1, h.last})
		}
	}
	if !changed {
		return append(out[:0], holes...)
	}
	return out
}

// truncateHoles drops the parts of holes at or beyond end.
func truncateHoles(holes []hole, end uint32) []hole {
	out := holes[:0]
	for _, h := range holes {
		if h.first >= end {
			continue
		}
		if h.last >= end {
			h.last = end - 1
		}
		out = append(out, h)
	}
	return out
}

// beyondFilled reports whether any byte at or after end was received.
func beyondFilled(holes []hole, end uint32) bool {
	if len(holes) == 0 {
		return true
	}
	// Holes are sorted; the last one ends at holeInf while the total is
	// unknown. Bytes at or beyond end are received if a gap between holes,
	// or before the last hole, lies there.
	last := holes[len(holes)-1]
	if last.last != holeInf {
		return true
	}
	return last.first > end
}

// Datagram is a reassembled (or, with Strict, unfinished) IP datagram.
type Datagram struct {
	Version uint8  `msgpack:"version"` // 4 or 6
	Src     []byte `msgpack:"src"`
	Dst     []byte `msgpack:"dst"`
	// Protocol is the IPv4 protocol or the IPv6 fragment header's next
	// header: the protocol of Payload.
	Protocol uint8  `msgpack:"protocol"`
	ID       uint32 `msgpack:"id"`
	// Frames are the frame numbers of the fragments, in arrival order.
	Frames   []uint64 `msgpack:"frames"`
	Sec      int64    `msgpack:"sec"` // timestamp of the first fragment
	Nsec     uint32   `msgpack:"nsec"`
	Digits   uint8    `msgpack:"digits"`
	Complete bool     `msgpack:"complete"`
	// Reason says why an incomplete datagram was given up: "timeout",
	// "evicted", "end of capture", "too large", "too many fragments".
	Reason string `msgpack:"reason,omitempty"`
	// Length is the payload length: the total when the final fragment was
	// seen, otherwise the highest byte received.
	Length    uint32 `msgpack:"length"`
	LengthSet bool   `msgpack:"length_known"`
	// Holes are the missing byte ranges [Start, End) of an incomplete
	// datagram; End 0 means "to the unknown end".
	Holes      []Hole `msgpack:"holes,omitempty"`
	Overlaps   int    `msgpack:"overlaps"`
	Duplicates int    `msgpack:"duplicates"`
	Differs    bool   `msgpack:"overlap_differs"`
	Conflicts  int    `msgpack:"conflicts"`
	Tiny       bool   `msgpack:"tiny"`
	// Payload is the reassembled payload of a complete datagram. An
	// incomplete one has Chunks instead: the received runs of bytes.
	Payload []byte  `msgpack:"payload,omitempty"`
	Chunks  []Chunk `msgpack:"chunks,omitempty"`
}

// Hole is a missing byte range [Start, End); End 0 means open-ended.
type Hole struct {
	Start uint32 `msgpack:"start"`
	End   uint32 `msgpack:"end"`
}

// Chunk is a run of received bytes at Offset.
type Chunk struct {
	Offset uint32 `msgpack:"offset"`
	Data   []byte `msgpack:"data"`
}

// datagramBlock holds a Datagram record with its addresses: one
// allocation instead of three.
type datagramBlock struct {
	d    Datagram
	addr [2][16]byte
}

func (d *datagram) record(reason string) *Datagram {
	blk := &datagramBlock{d: Datagram{Version: 4, Protocol: d.proto, ID: d.key.id, Frames: d.frames,
		Sec: d.sec, Nsec: d.nsec, Digits: d.digits, Complete: reason == "", Reason: reason,
		Overlaps: d.overlaps, Duplicates: d.dups, Differs: d.differs, Conflicts: d.conflicts, Tiny: d.tiny},
		addr: [2][16]byte{d.key.src, d.key.dst}}
	r := &blk.d
	n := 4
	if d.key.v6 {
		r.Version, n = 6, 16
	}
	r.Src, r.Dst = blk.addr[0][:n:n], blk.addr[1][:n:n]
	if d.total >= 0 {
		r.Length, r.LengthSet = uint32(d.total), true
	} else {
		r.Length = uint32(len(d.buf))
	}
	if r.Complete {
		r.Payload = d.buf[:d.total]
		return r
	}
	pos := uint32(0)
	for _, h := range d.holes {
		e := h.last + 1
		if h.last == holeInf {
			e = 0
		}
		r.Holes = append(r.Holes, Hole{h.first, e})
		if h.first > pos && int(h.first) <= len(d.buf) {
			r.Chunks = append(r.Chunks, Chunk{pos, d.buf[pos:h.first]})
		}
		pos = h.last + 1
		if h.last == holeInf {
			pos = uint32(len(d.buf))
		}
	}
	if int(pos) < len(d.buf) && (len(d.holes) == 0 || d.holes[len(d.holes)-1].last != holeInf) {
		r.Chunks = append(r.Chunks, Chunk{pos, d.buf[pos:]})
	}
	return r
}

// Fields writes the datagram report block. The payload of a complete
// datagram is decoded again from its transport header.
func (d *Datagram) Fields(t *decoder.Tree) {
	t.Uint("version", uint64(d.Version))
	addrField(t, "src", d.Src)
	addrField(t, "dst", d.Dst)
	t.Uint("protocol", uint64(d.Protocol))
	t.Uint("id", uint64(d.ID))
	framesField(t, "frames", d.Frames)
	t.Time("time", d.Sec, d.Nsec, d.Digits)
	t.Bool("complete", d.Complete)
	if d.Reason != "" {
		t.String("reason", d.Reason)
	}
	t.Uint("length", uint64(d.Length))
	if !d.Complete {
		t.Bool("length_known", d.LengthSet)
		t.Array("holes")
		for _, h := range d.Holes {
			t.Object("")
			t.Uint("start", uint64(h.Start))
			if h.End == 0 {
				t.Null("end")
			} else {
				t.Uint("end", uint64(h.End))
			}
			t.Close()
		}
		t.Close()
	}
	t.Uint("overlaps", uint64(d.Overlaps))
	t.Uint("duplicates", uint64(d.Duplicates))
	t.Bool("overlap_differs", d.Differs)
	if d.Conflicts > 0 {
		t.Uint("conflicts", uint64(d.Conflicts))
	}
	if d.Tiny {
		t.Bool("tiny", true)
	}
	if d.Complete {
		var p decoder.Packet
		fieldsDecoder.DecodeFrom(d.Payload, ipProto(d.Protocol), &p)
		t.Object("packet")
		p.Fields(t)
		t.Close()
		return
	}
	t.Array("chunks")
	for _, c := range d.Chunks {
		t.Object("")
		t.Uint("offset", uint64(c.Offset))
		t.Bytes("data", c.Data)
		t.Close()
	}
	t.Close()
}

// IsFragment reports whether p carries an IP fragment that Add would hold
// for reassembly (an IPv6 atomic fragment does not count). The decoder sets
// p.Fragment for every IPv4 or IPv6 fragment, so a packet without it is
// none.
func IsFragment(p *decoder.Packet) bool {
	return p.Fragment && heldFragment(p) // inlined: most frames stop at the flag
}

// heldFragment is IsFragment past the flag, kept out of line so that
// IsFragment inlines.
//
//go:noinline
func heldFragment(p *decoder.Packet) bool {
	f, ok := findFragment(p, true, true)
	return ok && (f.mf || f.off != 0)
}
