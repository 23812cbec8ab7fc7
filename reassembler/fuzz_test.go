package reassembler

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reporter"
)

// rawFragment builds an IPv4 (or IPv6 with a Fragment header) fragment by
// hand: any offset, length and flags, including invalid combinations.
func rawFragment(v6 bool, id uint32, off uint16, mf bool, payload []byte) []byte {
	if v6 {
		b := make([]byte, 48+len(payload))
		b[0] = 0x60
		binary.BigEndian.PutUint16(b[4:], uint16(8+len(payload)))
		b[6], b[7] = 44, 64
		b[23], b[39] = 1, 2
		b[40] = 17
		fo := off &^ 7
		if mf {
			fo |= 1
		}
		binary.BigEndian.PutUint16(b[42:], fo)
		binary.BigEndian.PutUint32(b[44:], id)
		copy(b[48:], payload)
		return b
	}
	b := make([]byte, 20+len(payload))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(b[4:], uint16(id))
	ff := (off / 8) & 0x1fff
	if mf {
		ff |= 0x2000
	}
	binary.BigEndian.PutUint16(b[6:], ff)
	b[8], b[9] = 64, 17
	b[15], b[19] = 1, 2
	copy(b[20:], payload)
	return b
}

// FuzzFragments feeds fragment sequences described by the input (4 bytes
// each: offset/8, length, flags; the payload bytes are derived from the
// fragment's index) and checks: no panic, memory under the caps, and every
// complete datagram holds, at each offset, the byte of the first of its
// fragments that covered it (first wins), with no byte missing and no
// fragment of another datagram among its frames.
func FuzzFragments(f *testing.F) {
	f.Add([]byte{0, 8, 1, 0, 1, 8, 0, 0})
	f.Add([]byte{1, 8, 0, 0, 0, 8, 1, 0, 0, 16, 1, 0})
	f.Add([]byte{0, 16, 3, 0, 1, 16, 2, 0, 0, 255, 3, 0})
	f.Add([]byte{0, 0, 1, 0, 0, 8, 0, 0, 200, 200, 1, 1})
	f.Fuzz(checkFragments)
}

// checkFragments is FuzzFragments' body.
func checkFragments(t *testing.T, in []byte) {
	if len(in) > 4*256 {
		in = in[:4*256]
	}
	cfg := Config{MaxFragBytes: 64 << 10, MaxDatagramBytes: 4000, Strict: true}
	r := New(cfg)
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	type key struct {
		v6 bool
		id uint32
	}
	// fed[frame] is what the fragment of that frame carried. The expected
	// payload of a complete datagram is computed from the frames its record
	// lists, in frame order, first wins: the timeouts, caps and evictions
	// decide which fragments belong to a datagram, the byte placement is
	// checked here.
	type frag struct {
		k       key
		off     int
		payload []byte
	}
	fed := map[uint64]frag{}
	check := func(rec Record) {
		d := rec.Datagram
		if d == nil || !d.Complete {
			return
		}
		if len(d.Payload) != int(d.Length) {
			t.Fatalf("payload length %d differs from Length %d", len(d.Payload), d.Length)
		}
		dk := key{v6: d.Version == 6, id: d.ID}
		want := make([]int, len(d.Payload)) // -1: not covered yet
		for i := range want {
			want[i] = -1
		}
		frames := append([]uint64(nil), d.Frames...)
		slices.Sort(frames)
		for _, fr := range frames {
			fg, ok := fed[fr]
			if !ok || fg.k != dk {
				t.Fatalf("datagram %+v lists frame %d, not one of its fragments", dk, fr)
			}
			for j, b := range fg.payload {
				if o := fg.off + j; o < len(want) && want[o] < 0 {
					want[o] = int(b)
				}
			}
		}
		for o, b := range d.Payload {
			if want[o] != int(b) {
				t.Fatalf("datagram %+v frames %v: byte %d is %d, the first fragment covering it gave %d",
					dk, frames, o, b, want[o])
			}
		}
	}
	idx := uint64(0)
	for i := 0; i+4 <= len(in); i += 4 {
		off := uint16(in[i]) * 8
		n := int(in[i+1])
		fl := in[i+2]
		k := key{v6: fl&2 != 0, id: uint32(in[i+3] & 3)}
		mf := fl&1 != 0
		pl := make([]byte, n)
		for j := range pl {
			pl[j] = byte(i*7 + j)
		}
		idx++
		fed[idx] = frag{k: k, off: int(off), payload: pl}
		pkt := rawFragment(k.v6, k.id, off, mf, pl)
		dec.Decode(pkt, 101, &p)
		r.Add(reporter.FrameInfo{Index: idx, Sec: int64(idx)}, &p, check)
		if fm, _ := r.Memory(); fm > cfg.MaxFragBytes {
			t.Fatalf("fragment memory %d over the cap %d", fm, cfg.MaxFragBytes)
		}
	}
	r.Flush(func(rec Record) {
		if rec.Datagram != nil && rec.Datagram.Complete {
			t.Fatal("Flush emitted a complete datagram")
		}
	})
}

// FuzzHTTP runs the application analysis on arbitrary bytes as either
// direction of a stream and as a payload file: no panic, and every message
// lies inside its direction's bytes.
func FuzzHTTP(f *testing.F) {
	f.Add([]byte(req1+req2+req3), []byte(rsp1+rsp2+rsp3))
	f.Add([]byte("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nx"), []byte("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"))
	f.Add([]byte("USER a\r\n"), []byte("230-x\r\n230 y\r\n"))
	f.Add(h2Client, h2Server)
	f.Add([]byte("GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n"+h2Preface+"\x00\x00\x00\x04\x00\x00\x00\x00\x00"),
		[]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n\x00\x00\x01\x01\x04\x00\x00\x00\x01\x88"))
	ch := clientHello()
	f.Add(cat(tlsRec(22, ch[:40]), tlsRec(22, ch[40:]), tlsRec(20, []byte{1}), tlsRec(22, make([]byte, 40))),
		cat(tlsRec(22, tlsHS(11, tlsVec(3, tlsVec(3, []byte("x"))))), tlsRec(21, []byte{2, 40})))
	f.Fuzz(func(t *testing.T, c, s []byte) {
		for _, port := range []uint16{80, 21} {
			st := &Stream{SrcPort: 40000, DstPort: port, Dirs: []StreamDir{
				{Data: c, Length: uint64(len(c)), Segments: []Segment{{Frame: 1, Len: uint32(len(c))}}},
				{Data: s, Length: uint64(len(s)), Segments: []Segment{{Frame: 2, Len: uint32(len(s))}}},
			}}
			for _, m := range Analyse(st) {
				n := uint64(len(st.Dirs[m.Dir].Data))
				if m.Offset > n || m.Offset+m.Length > n {
					t.Fatalf("message [%d,+%d) outside %d bytes", m.Offset, m.Length, n)
				}
				var tr decoder.Tree
				m.Fields(&tr)
			}
		}
		for _, m := range AnalysePayload(c) {
			if m.Offset+m.Length > uint64(len(c)) {
				t.Fatalf("payload message [%d,+%d) outside %d bytes", m.Offset, m.Length, len(c))
			}
		}
	})
}

// rawSegment builds an IPv4/TCP segment by hand.
func rawSegment(fromA bool, seq uint32, flags uint16, payload []byte) []byte {
	b := make([]byte, 40+len(payload))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(40+len(payload)))
	b[8], b[9] = 64, 6
	src, dst := byte(1), byte(2)
	sp, dp := uint16(40000), uint16(80)
	if !fromA {
		src, dst, sp, dp = dst, src, dp, sp
	}
	b[15], b[19] = src, dst
	binary.BigEndian.PutUint16(b[20:], sp)
	binary.BigEndian.PutUint16(b[22:], dp)
	binary.BigEndian.PutUint32(b[24:], seq)
	binary.BigEndian.PutUint16(b[32:], 5<<12|flags)
	copy(b[40:], payload)
	return b
}

// FuzzStream feeds TCP segment sequences described by the input (4 bytes
// each: control (flags, direction, a 6 min pause before the segment,
// which crosses the 5 min idle timeout, an Advance after it, and in the
// first one StableFrames),
// sequence offset (2 bytes, ×64, near the 2^32 wrap), length; 4 s
// between segments otherwise) and checks: no panic, memory under the
// caps, and every stream record exact against the segments fed (see
// checkStreamRecord).
func FuzzStream(f *testing.F) {
	f.Add([]byte{0x03, 0, 0, 0, 0x12, 0, 0, 0, 0x11, 0, 1, 20, 0x10, 0, 0, 10})
	f.Add([]byte{0x10, 0, 5, 50, 0x10, 0, 0, 40, 0x03, 0, 0, 0, 0x11, 0, 9, 0})
	f.Add([]byte{0x14, 0, 0, 0, 0x05, 255, 255, 255})
	f.Add([]byte{0x83, 0, 0, 0, 0x12, 0, 0, 0, 0x11, 0, 1, 20, 0x10, 0, 0, 10, 0x10, 0, 0, 10, 0x50, 0, 0, 40})
	f.Fuzz(checkStream)
}

// checkStream is FuzzStream's body.
func checkStream(t *testing.T, in []byte) {
	if len(in) > 4*300 {
		in = in[:4*300]
	}
	cfg := Config{Strict: true, Analyse: true, MaxPendingBytes: 4096, MaxStreamBytes: 2048, MaxTotalStreamBytes: 1 << 20}
	// Bit 0x80 of the first control byte: the bytes are referenced in
	// place (every frame fed is a buffer of its own).
	cfg.StableFrames = len(in) > 0 && in[0]&0x80 != 0
	r := New(cfg)
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	fed := map[uint64]sentSegment{}
	check := func(rec Record) {
		if rec.Stream != nil {
			checkStreamRecord(t, rec.Stream, fed, cfg.withDefaults())
		}
	}
	base := uint32(0xffff0000)
	var sec int64
	for i := 0; i+4 <= len(in); i += 4 {
		ctl := in[i]
		flags := ctlFlags(ctl)
		seq := base + uint32(binary.BigEndian.Uint16(in[i+1:]))*64
		fromA := ctl&0x10 == 0
		pl := seqPayload(seq, flags, int(in[i+3]))
		idx := uint64(i/4 + 1)
		fed[idx] = sentSegment{fromA: fromA, seq: dataSeq(seq, flags), n: len(pl)}
		sec += 4
		if ctl&0x20 != 0 {
			sec += 360
		}
		dec.Decode(rawSegment(fromA, seq, flags, pl), 101, &p)
		r.Add(reporter.FrameInfo{Index: idx, Sec: sec}, &p, check)
		if ctl&0x40 != 0 {
			r.Advance(sec, 0, idx, check)
		}
		if _, m := r.Memory(); m > cfg.MaxTotalStreamBytes {
			t.Fatalf("stream memory %d over the cap", m)
		}
	}
	r.Flush(check)
	if st := r.Stats(); st.Overlaps != 0 {
		t.Fatalf("%d overlaps counted, but every byte fed is the low byte of its sequence number", st.Overlaps)
	}
}

// dataSeq is the sequence number of a segment's first payload byte (a SYN
// occupies one).
func dataSeq(seq uint32, flags uint16) uint32 {
	if flags&decoder.TCPSyn != 0 {
		return seq + 1
	}
	return seq
}

// seqPayload returns n payload bytes for a segment: each byte is the low
// byte of its sequence number, so that every segment covering a sequence
// number carries the same byte there, and a stream's bytes are known from
// their offsets alone.
func seqPayload(seq uint32, flags uint16, n int) []byte {
	pl := make([]byte, n)
	s := dataSeq(seq, flags)
	for j := range pl {
		pl[j] = byte(s + uint32(j))
	}
	return pl
}

// sentSegment is what one fed frame carried: its direction (A is port
// 40000, or conn+40000, and B port 80), connection, first payload byte's
// sequence number and payload length.
type sentSegment struct {
	fromA bool
	conn  int
	seq   uint32
	n     int
}

// checkStreamRecord checks a stream record exactly against the segments
// fed (seqPayload bytes), whatever ended it (timeout, caps, eviction,
// reuse): in each direction the segments follow one another and the gaps
// without overlap from offset 0, add up to Length, and each lies inside
// the payload of its frame, a frame of that direction and connection;
// Data is the first MaxStreamBytes bytes, each the low byte of its
// sequence number (ISN+1+offset when the SYN was seen); the SHA-256 of a
// truncated direction covers all of its bytes; Frames are the segments'
// frames; nothing overlaps with different bytes.
func checkStreamRecord(t *testing.T, s *Stream, fed map[uint64]sentSegment, cfg Config) {
	t.Helper()
	aPort := s.SrcPort
	if aPort == 80 {
		aPort = s.DstPort
	}
	conn := int(aPort) - 40000
	for i := range s.Dirs {
		d := &s.Dirs[i]
		d.Bytes() // Data, also when the record holds pieces of frames
		fromA := (i == 0) == (s.SrcPort == aPort)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("stream %s dir %d (len %d, data %d, syn %v isn %d, gaps %v, segments %v, frames %v): %s", s.End, i,
				d.Length, len(d.Data), d.SYN, d.ISN, d.Gaps, d.Segments, d.Frames, fmt.Sprintf(format, args...))
		}
		var gapBytes, end uint64
		for _, g := range d.Gaps {
			if g.Offset < end || g.Len == 0 {
				fail("gaps out of order or empty")
			}
			end = g.Offset + g.Len
			gapBytes += g.Len
		}
		if d.Overlaps != 0 || d.Differs {
			fail("%d overlaps (differs %v) with the same bytes everywhere", d.Overlaps, d.Differs)
		}
		if want := min(d.Length, uint64(cfg.MaxStreamBytes)); uint64(len(d.Data)) != want {
			fail("%d bytes kept, want %d", len(d.Data), want)
		}
		if d.Truncated != (d.Length > uint64(cfg.MaxStreamBytes)) || (d.SHA256 != nil) != d.Truncated {
			fail("truncated %v with sha256 %x", d.Truncated, d.SHA256)
		}
		// The bytes: offset o (gaps included) holds byte(b0 + o); b0 from
		// the ISN when the SYN was seen, else from the first byte kept.
		var b0 byte
		haveB0 := d.SYN
		if d.SYN {
			b0 = byte(d.ISN + 1)
		}
		// Walk the segments and gaps from offset 0.
		capped := len(d.Segments) >= cfg.MaxSegments
		var pos, skipped uint64
		gi := 0
		skipGaps := func() {
			for gi < len(d.Gaps) && d.Gaps[gi].Offset == pos {
				pos += d.Gaps[gi].Len
				skipped += d.Gaps[gi].Len
				gi++
			}
		}
		var frames []uint64
		for _, sg := range d.Segments {
			skipGaps()
			if sg.Offset != pos || sg.Len == 0 {
				fail("segment %v, want one at offset %d", sg, pos)
			}
			fs, ok := fed[sg.Frame]
			if !ok || fs.fromA != fromA || fs.conn != conn {
				fail("segment %v from frame %+v (fed %v), not one of this direction's", sg, fs, ok)
			}
			if n := len(frames); n == 0 || frames[n-1] != sg.Frame {
				frames = append(frames, sg.Frame)
			}
			idx := sg.Offset - skipped // index in Data
			if !haveB0 && idx < uint64(len(d.Data)) {
				b0, haveB0 = d.Data[idx]-byte(sg.Offset), true
			}
			// Where the segment starts in its frame's payload.
			var k uint32
			if d.SYN {
				k = d.ISN + 1 + uint32(sg.Offset) - fs.seq
			} else if haveB0 {
				k = uint32(byte(b0 + byte(sg.Offset) - byte(fs.seq)))
			}
			if (d.SYN || haveB0) && uint64(k)+uint64(sg.Len) > uint64(fs.n) {
				fail("segment %v: its bytes start at %d in frame %d's %d", sg, k, sg.Frame, fs.n)
			}
			for j := uint64(0); j < uint64(sg.Len) && idx+j < uint64(len(d.Data)); j++ {
				if want := b0 + byte(sg.Offset+j); d.Data[idx+j] != want {
					fail("byte at offset %d is %d, want %d", sg.Offset+j, d.Data[idx+j], want)
				}
			}
			pos += uint64(sg.Len)
		}
		if !capped {
			skipGaps()
			if gi != len(d.Gaps) || pos != d.Length+gapBytes {
				fail("segments and gaps end at %d (gap %d of %d), want %d", pos, gi, len(d.Gaps), d.Length+gapBytes)
			}
			if !slices.Equal(frames, d.Frames) && !(len(frames) == 0 && len(d.Frames) == 0) {
				fail("frames %v, the segments' are %v", d.Frames, frames)
			}
		}
		if d.Truncated {
			// Every delivered byte, gaps left out.
			h := sha256.New()
			var buf []byte
			o := uint64(0)
			for _, g := range append(slices.Clone(d.Gaps), Gap{Offset: d.Length + gapBytes}) {
				for ; o < g.Offset; o++ {
					buf = append(buf, b0+byte(o))
				}
				o += g.Len
			}
			h.Write(buf)
			if !bytes.Equal(h.Sum(nil), d.SHA256) {
				fail("sha256 %x is not that of its %d bytes", d.SHA256, len(buf))
			}
		}
	}
}

// ctlFlags maps the low four bits of a fuzz input's control byte to TCP
// flags: SYN, ACK, RST, FIN.
func ctlFlags(ctl byte) uint16 {
	var flags uint16
	for i, f := range []uint16{decoder.TCPSyn, decoder.TCPAck, decoder.TCPRst, decoder.TCPFin} {
		if ctl&(1<<i) != 0 {
			flags |= f
		}
	}
	return flags
}

// FuzzHPACK decodes arbitrary bytes as a direction's header blocks (split
// at the bytes 0xfe 0xfe): no panic; the table stays within its size,
// which stays within what the peer allows; a block's list within
// hpackMaxList; and decoding is deterministic (a second decoder fed the
// same blocks gives the same lists and table).
func FuzzHPACK(f *testing.F) {
	for _, x := range []string{
		"828684410f7777772e6578616d706c652e636f6d" + "fefe" + "828684be58086e6f2d6361636865",
		"3fe101488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3" + "fefe" + "4883640effc1c0bf",
		"821f08067365637265744003782d610162",
		"3fe13f4001610162fefebe",
	} {
		b, _ := hex.DecodeString(x)
		f.Add(b, uint16(4096))
	}
	f.Fuzz(func(t *testing.T, b []byte, limit uint16) {
		blocks := bytes.Split(b, []byte{0xfe, 0xfe})
		var a, z *hpackDecoder = newHPACKDecoder(int(limit)), newHPACKDecoder(int(limit))
		for _, blk := range blocks {
			hs, _, err := a.decode(blk)
			hz, _, errz := z.decode(blk)
			if !slices.Equal(hs, hz) || (err == nil) != (errz == nil) || !slices.Equal(a.dyn, z.dyn) {
				t.Fatalf("two decoders differ: %v, %v / %v, %v", hs, err, hz, errz)
			}
			size := 0
			for _, h := range a.dyn {
				size += entrySize(h)
			}
			if size != a.size || a.size > a.max || a.max > a.limit {
				t.Fatalf("table of %d bytes (counted %d), max %d, limit %d", size, a.size, a.max, a.limit)
			}
			list := 0
			for _, h := range hs {
				list += entrySize(h)
			}
			if list > hpackMaxList {
				t.Fatalf("list of %d bytes kept", list)
			}
			if err != nil {
				return
			}
		}
	})
}
