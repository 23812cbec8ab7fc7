package reassembler

import (
	"encoding/binary"
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

// FuzzStream feeds TCP segment sequences described by the input (5 bytes
// each: direction and flags, sequence offset (2 bytes, ×64, near the
// 2^32 wrap), length) and checks: no panic, memory under the caps, and
// every stream record is consistent (kept bytes never more than Length,
// gaps in order and disjoint, segments inside the delivered range).
func FuzzStream(f *testing.F) {
	f.Add([]byte{0x03, 0, 0, 0, 0x12, 0, 0, 0, 0x11, 0, 1, 20, 0x10, 0, 0, 10})
	f.Add([]byte{0x10, 0, 5, 50, 0x10, 0, 0, 40, 0x03, 0, 0, 0, 0x11, 0, 9, 0})
	f.Add([]byte{0x14, 0, 0, 0, 0x05, 255, 255, 255})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 4*300 {
			in = in[:4*300]
		}
		cfg := Config{Strict: true, Analyse: true, MaxPendingBytes: 4096, MaxStreamBytes: 2048, MaxTotalStreamBytes: 1 << 20}
		r := New(cfg)
		dec := decoder.New(decoder.Options{})
		var p decoder.Packet
		check := func(rec Record) {
			s := rec.Stream
			if s == nil {
				return
			}
			for _, d := range s.Dirs {
				if uint64(len(d.Data)) > d.Length || len(d.Data) > cfg.MaxStreamBytes {
					t.Fatalf("kept %d bytes of %d (cap %d)", len(d.Data), d.Length, cfg.MaxStreamBytes)
				}
				var end uint64
				for _, g := range d.Gaps {
					if g.Offset < end || g.Len == 0 {
						t.Fatalf("gaps out of order or empty: %v", d.Gaps)
					}
					end = g.Offset + g.Len
				}
				for _, sg := range d.Segments {
					if sg.Offset+uint64(sg.Len) > d.Length+end {
						t.Fatalf("segment %v beyond the stream (%d bytes, gaps to %d)", sg, d.Length, end)
					}
				}
			}
		}
		base := uint32(0xffff0000)
		for i := 0; i+4 <= len(in); i += 4 {
			ctl := in[i]
			var flags uint16
			if ctl&1 != 0 {
				flags |= decoder.TCPSyn
			}
			if ctl&2 != 0 {
				flags |= decoder.TCPAck
			}
			if ctl&4 != 0 {
				flags |= decoder.TCPRst
			}
			if ctl&8 != 0 {
				flags |= decoder.TCPFin
			}
			seq := base + uint32(binary.BigEndian.Uint16(in[i+1:]))*64
			pl := make([]byte, in[i+3])
			for j := range pl {
				pl[j] = byte(seq) + byte(j)
			}
			dec.Decode(rawSegment(ctl&0x10 == 0, seq, flags, pl), 101, &p)
			r.Add(reporter.FrameInfo{Index: uint64(i/4 + 1), Sec: int64(i)}, &p, check)
			if _, m := r.Memory(); m > cfg.MaxTotalStreamBytes {
				t.Fatalf("stream memory %d over the cap", m)
			}
		}
		r.Flush(check)
	})
}
