package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"testing/iotest"
)

// truncNsec is what a timestamp becomes after a round trip through an
// interface of resolution resol (truncated at each step), computed with
// big integers, independently of the reader's arithmetic.
func truncNsec(sec int64, nsec uint32, resol uint8) (int64, uint32) {
	units := new(big.Int)
	if resol&0x80 != 0 {
		units.Lsh(big.NewInt(1), uint(resol&0x7f))
	} else {
		units.Exp(big.NewInt(10), big.NewInt(int64(resol)), nil)
	}
	bn := big.NewInt(1e9)
	ticks := new(big.Int).Mul(big.NewInt(int64(nsec)), units)
	ticks.Quo(ticks, bn) // fraction in units, truncated
	back := new(big.Int).Mul(ticks, bn)
	back.Quo(back, units)
	return sec, uint32(back.Int64())
}

func TestPcapRoundTrip(t *testing.T) {
	for _, nano := range []bool{false, true} {
		for _, be := range []bool{false, true} {
			t.Run(fmt.Sprintf("nano=%v/be=%v", nano, be), func(t *testing.T) {
				ps := genPackets(1, 200, 0, 1600, 0)
				o := PcapWriterOptions{LinkType: LinkSLL2, SnapLen: 2000, Nanosecond: nano, BigEndian: be}
				frames, meta, err := readAll(t, pcapBytes(t, o, ps), ReaderOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(frames) != len(ps) {
					t.Fatalf("%d frames, want %d", len(frames), len(ps))
				}
				digits := uint8(6)
				if nano {
					digits = 9
				}
				for i, f := range frames {
					p := ps[i]
					nsec := p.nsec
					if !nano {
						nsec -= nsec % 1000
					}
					want := Frame{Index: uint64(i + 1), Sec: p.sec, Nsec: nsec, Digits: digits,
						CapLen: uint32(len(p.data)), OrigLen: p.origLen, LinkType: LinkSLL2, Data: p.data}
					if d := diffFrame(&f, &want); d != "" {
						t.Fatalf("frame %d: %s", i+1, d)
					}
				}
				wantMeta := Meta{Format: FormatPcap, Name: "test", BigEndian: be, VersionMajor: 2, VersionMinor: 4,
					Nanosecond: nano, SnapLen: 2000, LinkType: LinkSLL2, LinkTypeRaw: LinkSLL2}
				copy(wantMeta.Magic[:], pcapBytes(t, o, nil)[:4])
				if fmt.Sprint(*meta) != fmt.Sprint(wantMeta) {
					t.Errorf("meta\n got %+v\nwant %+v", *meta, wantMeta)
				}
			})
		}
	}
}

func diffFrame(got, want *Frame) string {
	type head struct {
		Index           uint64
		Sec             int64
		Nsec            uint32
		Digits          uint8
		CapLen, OrigLen uint32
		LinkType, Iface uint32
	}
	g := head{got.Index, got.Sec, got.Nsec, got.Digits, got.CapLen, got.OrigLen, got.LinkType, got.Interface}
	w := head{want.Index, want.Sec, want.Nsec, want.Digits, want.CapLen, want.OrigLen, want.LinkType, want.Interface}
	if g != w {
		return fmt.Sprintf("got %+v, want %+v", g, w)
	}
	if !bytes.Equal(got.Data, want.Data) {
		return "data differs"
	}
	return ""
}

// TestPcapNGRoundTrip writes three sections (alternating byte order), each
// with two interfaces of different link types and resolutions, and reads
// them back.
func TestPcapNGRoundTrip(t *testing.T) {
	type ifc struct {
		link  uint32
		snap  uint32
		resol uint8
	}
	sections := [][]ifc{
		{{LinkEthernet, 0, 6}, {LinkRaw, 65535, 9}},
		{{LinkSLL, 1500, 0x80 | 20}, {LinkNull, 0, 3}},
		{{LinkIPv6, 0, 0x80 | 8}, {LinkEthernet, 262144, 10}},
	}
	for _, be := range []bool{false, true} {
		t.Run(fmt.Sprintf("be=%v", be), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewPcapNGWriter(&buf, PcapNGWriterOptions{BigEndian: be, Application: "pcapflow test"})
			if err != nil {
				t.Fatal(err)
			}
			var want []Frame
			for s, ifcs := range sections {
				sbe := be != (s%2 == 1)
				if s > 0 {
					if err := w.NewSection(sbe); err != nil {
						t.Fatal(err)
					}
				}
				for i, c := range ifcs {
					id, err := w.AddInterface(c.link, c.snap, c.resol)
					if err != nil || id != uint32(i) {
						t.Fatalf("AddInterface: %d, %v", id, err)
					}
				}
				for _, p := range genPackets(uint64(s+10), 40, 0, 1500, uint32(len(ifcs))) {
					c := ifcs[p.iface]
					if err := w.WritePacket(p.iface, p.sec, p.nsec, p.origLen, p.data); err != nil {
						t.Fatal(err)
					}
					sec, nsec := truncNsec(p.sec, p.nsec, c.resol)
					digits := map[uint8]uint8{6: 6, 9: 9, 0x80 | 20: 7, 3: 3, 0x80 | 8: 3, 10: 10}[c.resol]
					want = append(want, Frame{Index: uint64(len(want) + 1), Sec: sec, Nsec: nsec, Digits: digits,
						CapLen: uint32(len(p.data)), OrigLen: p.origLen, LinkType: c.link, Interface: p.iface, Data: p.data})
				}
			}
			frames, meta, err := readAll(t, buf.Bytes(), ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(frames) != len(want) {
				t.Fatalf("%d frames, want %d", len(frames), len(want))
			}
			for i := range frames {
				if d := diffFrame(&frames[i], &want[i]); d != "" {
					t.Fatalf("frame %d: %s", i+1, d)
				}
			}
			if meta.Format != FormatPcapNG || meta.BigEndian != be || meta.VersionMajor != 1 || len(meta.Sections) != 3 || len(meta.Interfaces) != 6 {
				t.Fatalf("meta %+v", meta)
			}
			for s, sec := range meta.Sections {
				if sec.BigEndian != (be != (s%2 == 1)) || sec.Length != -1 || len(sec.Options) != 1 ||
					sec.Options[0].Code != 4 || string(sec.Options[0].Value) != "pcapflow test" {
					t.Errorf("section %d: %+v", s, sec)
				}
			}
			for i, m := range meta.Interfaces {
				c := sections[i/2][i%2]
				if m.Section != i/2 || m.ID != uint32(i%2) || m.LinkType != c.link || m.SnapLen != c.snap || m.TSResol != c.resol {
					t.Errorf("interface %d: %+v", i, m)
				}
			}
		})
	}
}

// TestPcapNGBlocks covers the blocks the writer does not make: obsolete
// and simple packet blocks, skipped blocks, interface options.
func TestPcapNGBlocks(t *testing.T) {
	for _, be := range []bool{false, true} {
		t.Run(fmt.Sprintf("be=%v", be), func(t *testing.T) {
			b := newNG(be)
			pkt := bytes.Repeat([]byte{0xab}, 100)
			tsoff := make([]byte, 8)
			b.shb(be, 1, 0, b.opt(3, []byte("os")))
			b.order.PutUint64(tsoff, uint64(1_000_000)) // if_tsoffset: +1e6 s
			b.block(blockNRB, []byte{1, 0, 4, 0, 10, 0, 0, 1})
			b.idb(uint16(LinkEthernet), 64, b.opt(optIfName, []byte("eth0")), b.opt(optIfTsResol, []byte{9}), b.opt(optIfTsOffset, tsoff))
			b.idb(uint16(LinkNull), 0)
			b.epb(0, 5_123_456_789, 100, pkt[:60])
			b.block(blockCB, []byte("PEN!custom data"))
			b.block(blockCBNoCopy, []byte("PEN!"))
			b.pb(1, 7_000_001, 200, pkt[:33])
			b.spb(100, pkt)      // cut to the snap length 64
			b.spb(30, pkt[:30])  // whole
			b.spb(500, pkt[:40]) // cut to the block's room (40)
			b.block(blockISB, make([]byte, 12))
			b.block(blockDSB, []byte("TLSK\x00\x00\x00\x00"))
			b.block(0x12345678, []byte("unknown"))
			b.shb(!be, 1, 2)
			b.idb(uint16(LinkIPv4), 0, b.opt(optIfTsResol, []byte{0x80 | 10}))
			b.epb(0, 3<<10|512, 20, pkt[:20])
			frames, meta, err := readAll(t, b.bytes(), ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := []Frame{
				{Sec: 1_000_005, Nsec: 123_456_789, Digits: 9, CapLen: 60, OrigLen: 100, LinkType: LinkEthernet},
				{Sec: 7, Nsec: 1000, Digits: 6, CapLen: 33, OrigLen: 200, LinkType: LinkNull, Interface: 1},
				{Digits: 9, CapLen: 64, OrigLen: 100, LinkType: LinkEthernet},
				{Digits: 9, CapLen: 30, OrigLen: 30, LinkType: LinkEthernet},
				{Digits: 9, CapLen: 40, OrigLen: 500, LinkType: LinkEthernet},
				{Sec: 3, Nsec: 500_000_000, Digits: 4, CapLen: 20, OrigLen: 20, LinkType: LinkIPv4},
			}
			if len(frames) != len(want) {
				t.Fatalf("%d frames, want %d", len(frames), len(want))
			}
			for i := range want {
				want[i].Index = uint64(i + 1)
				want[i].Data = pkt[:want[i].CapLen]
				if d := diffFrame(&frames[i], &want[i]); d != "" {
					t.Errorf("frame %d: %s", i+1, d)
				}
			}
			if len(meta.Interfaces) != 3 || meta.Interfaces[0].Name != "eth0" || meta.Interfaces[0].TSOffset != 1_000_000 ||
				len(meta.Interfaces[0].Options) != 3 || meta.Interfaces[2].Section != 1 || meta.Interfaces[2].ID != 0 ||
				meta.Interfaces[2].TSResol != 0x8a || meta.Interfaces[1].TSResol != 6 {
				t.Errorf("interfaces %+v", meta.Interfaces)
			}
			if len(meta.Sections) != 2 || meta.Sections[1].VersionMinor != 2 || meta.Sections[1].BigEndian == be ||
				string(meta.Sections[0].Options[0].Value) != "os" {
				t.Errorf("sections %+v", meta.Sections)
			}
		})
	}
}

// TestMetaBeforeFirstFrame: NewReader has read the first section's
// interfaces before frame 1 is asked for.
func TestMetaBeforeFirstFrame(t *testing.T) {
	b := newNG(false).shb(false, 1, 0).idb(1, 0).idb(101, 0)
	b.epb(1, 1, 4, []byte{1, 2, 3, 4}).idb(228, 0)
	r, err := NewReader(bytes.NewReader(b.bytes()), "x", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Meta().Interfaces); n != 2 {
		t.Fatalf("%d interfaces known before frame 1, want 2", n)
	}
	var f Frame
	if err := r.Next(&f); err != nil || f.LinkType != 101 || !bytes.Equal(f.Data, []byte{1, 2, 3, 4}) {
		t.Fatalf("frame 1: %+v, %v", f, err)
	}
	if err := r.Next(&f); err != io.EOF {
		t.Fatalf("Next: %v, want io.EOF", err)
	}
	if n := len(r.Meta().Interfaces); n != 3 {
		t.Fatalf("%d interfaces at the end, want 3", n)
	}
	if r.Offset() != int64(len(b.bytes())) {
		t.Errorf("Offset %d, want %d", r.Offset(), len(b.bytes()))
	}
}

// TestSplitTimestamp checks the timestamp conversion against big-integer
// arithmetic for extreme values and every resolution.
func TestSplitTimestamp(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	values := []uint64{0, 1, 999_999, 1e9 - 1, 1e9, 1<<32 - 1, 1 << 32, 1<<63 - 1, 1 << 63, 1<<64 - 1}
	for range 50 {
		values = append(values, rng.Uint64(), rng.Uint64()>>rng.IntN(64))
	}
	for resol := 0; resol < 256; resol++ {
		var c iface
		c.setResol(uint8(resol))
		units := new(big.Int)
		if resol&0x80 != 0 {
			units.Lsh(big.NewInt(1), uint(resol&0x7f))
		} else {
			units.Exp(big.NewInt(10), big.NewInt(int64(resol)), nil)
		}
		for _, ts := range values {
			bt := new(big.Int).SetUint64(ts)
			wsec, rem := new(big.Int).QuoRem(bt, units, new(big.Int))
			wns := rem.Mul(rem, big.NewInt(1e9))
			wns.Quo(wns, units)
			sec, ns := c.split(ts)
			if sec != wsec.Uint64() || uint64(ns) != wns.Uint64() {
				t.Fatalf("resol 0x%02x ts %d: %d.%09d, want %s.%09d", resol, ts, sec, ns, wsec, wns.Uint64())
			}
		}
	}
	// Digits: n for 10^-n, ceil(n*log10(2)) for 2^-n.
	for resol, want := range map[uint8]uint8{6: 6, 9: 9, 0: 0, 0x80: 0, 0x80 | 1: 1, 0x80 | 10: 4, 0x80 | 20: 7, 0x80 | 30: 10, 0x80 | 64: 20} {
		var c iface
		c.setResol(resol)
		if c.digits != want {
			t.Errorf("resol 0x%02x: digits %d, want %d", resol, c.digits, want)
		}
	}
}

// TestTruncatedEverywhere cuts small captures at every byte offset: the
// reader must return exactly the whole frames before the cut, then
// ErrTruncated (or io.EOF when the cut falls between records/blocks).
func TestTruncatedEverywhere(t *testing.T) {
	ps := genPackets(7, 6, 0, 90, 2)
	type capture struct {
		name string
		data []byte
		ends []int  // byte offset where each record/block ends
		pkts []bool // whether that record/block is a packet
	}
	var caps []capture
	{ // pcap
		var buf bytes.Buffer
		w, _ := NewPcapWriter(&buf, PcapWriterOptions{LinkType: 1, Nanosecond: true})
		c := capture{name: "pcap", ends: []int{24}, pkts: []bool{false}}
		for _, p := range ps {
			w.WritePacket(p.sec, p.nsec, p.origLen, p.data)
			c.ends = append(c.ends, buf.Len())
			c.pkts = append(c.pkts, true)
		}
		c.data = buf.Bytes()
		caps = append(caps, c)
	}
	{ // pcapng, with a second section and a skipped block
		b := newNG(true)
		c := capture{name: "pcapng"}
		mark := func(pkt bool) {
			c.ends = append(c.ends, b.buf.Len())
			c.pkts = append(c.pkts, pkt)
		}
		b.shb(true, 1, 0)
		mark(false)
		b.idb(1, 0)
		mark(false)
		b.idb(0, 0)
		mark(false)
		for i, p := range ps {
			if i == 3 {
				b.block(blockNRB, []byte{0, 0, 0, 0})
				mark(false)
				b.shb(false, 1, 0)
				mark(false)
				b.idb(1, 0)
				mark(false)
				b.idb(0, 0)
				mark(false)
			}
			if i == 4 {
				b.spb(p.origLen, p.data)
			} else {
				b.epb(p.iface, uint64(p.sec)*1e6, p.origLen, p.data)
			}
			mark(true)
		}
		c.data = b.bytes()
		caps = append(caps, c)
	}
	for _, c := range caps {
		t.Run(c.name, func(t *testing.T) {
			all, _, err := readAll(t, c.data, ReaderOptions{})
			if err != nil || len(all) != len(ps) {
				t.Fatalf("whole file: %d frames, %v", len(all), err)
			}
			for cut := 0; cut < len(c.data); cut++ {
				frames, _, err := readAll(t, c.data[:cut], ReaderOptions{})
				whole, boundary := 0, false
				for i, end := range c.ends {
					if end <= cut && c.pkts[i] {
						whole++
					}
					boundary = boundary || end == cut
				}
				if len(frames) != whole {
					t.Fatalf("cut at %d: %d frames, want %d", cut, len(frames), whole)
				}
				for i := range frames {
					if d := diffFrame(&frames[i], &all[i]); d != "" {
						t.Fatalf("cut at %d: frame %d: %s", cut, i+1, d)
					}
				}
				headerLen := c.ends[0]
				switch {
				case cut < 4:
					wantErr(t, err, ErrNotCapture)
				case boundary && cut >= headerLen:
					if err != nil {
						t.Fatalf("cut at %d (between blocks): %v, want clean end", cut, err)
					}
				default:
					e := wantErr(t, err, ErrTruncated)
					if e.Offset > int64(cut) || (cut >= headerLen && e.Frame != uint64(whole+1)) {
						t.Fatalf("cut at %d: error at frame %d offset %d: %v", cut, e.Frame, e.Offset, err)
					}
				}
			}
		})
	}
}

// allocBytes reports the bytes allocated while running f.
func allocBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestRecordTooLarge: a record claiming 2 GiB is reported, not allocated.
func TestRecordTooLarge(t *testing.T) {
	pcap := pcapBytes(t, PcapWriterOptions{LinkType: 1}, genPackets(1, 2, 60, 60, 0))
	pcap[24+16+60+8] = 0 // caplen of record 2: 0x80000000
	pcap[24+16+60+9] = 0
	pcap[24+16+60+10] = 0
	pcap[24+16+60+11] = 0x80
	b := newNG(false).shb(false, 1, 0).idb(1, 0).epb(0, 0, 60, make([]byte, 60))
	epb := newNG(false)
	epb.u32(blockEPB)
	epb.u32(0x80000000 + 32)
	epb.buf.Write(make([]byte, 12))
	epb.u32(0x80000000) // caplen
	epb.u32(0x80000000) // origlen
	ng := append(b.bytes(), epb.bytes()...)
	ng = append(ng, make([]byte, 1000)...)
	idb := append(newNG(false).shb(false, 1, 0).bytes(), 1, 0, 0, 0, 0, 0, 0, 0x80, 1, 0, 0, 0, 0, 0, 0, 0)

	for _, tc := range []struct {
		name     string
		data     []byte
		sentinel error
		msg      string
	}{
		{"pcap", pcap, ErrRecordTooLarge, "read capture test: frame 2 at offset 100: record too large: captured length 2147483648 exceeds the limit of 262144 bytes"},
		{"pcapng-epb", ng, ErrRecordTooLarge, "read capture test: frame 2 at offset 160: record too large: captured length 2147483648 exceeds the limit of 262144 bytes"},
		{"pcapng-idb", idb, ErrBadBlock, "read capture test: frame 1 at offset 28: interface description block of 2147483648 bytes exceeds the 262144-byte limit for header blocks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var frames []Frame
			var err error
			n := allocBytes(func() { frames, _, err = readAll(t, tc.data, ReaderOptions{}) })
			wantErr(t, err, tc.sentinel)
			if err.Error() != tc.msg {
				t.Errorf("error\n got %q\nwant %q", err, tc.msg)
			}
			if n > 1<<20 {
				t.Errorf("allocated %d bytes", n)
			}
			if len(frames) != 1 && tc.name != "pcapng-idb" {
				t.Errorf("%d frames before the error, want 1", len(frames))
			}
		})
	}
	t.Run("MaxRecord", func(t *testing.T) {
		data := pcapBytes(t, PcapWriterOptions{LinkType: 1}, genPackets(1, 3, 100, 100, 0))
		frames, _, err := readAll(t, data, ReaderOptions{MaxRecord: 99})
		wantErr(t, err, ErrRecordTooLarge)
		if len(frames) != 0 {
			t.Errorf("%d frames", len(frames))
		}
		if frames, _, err := readAll(t, data, ReaderOptions{MaxRecord: 100}); err != nil || len(frames) != 3 {
			t.Errorf("MaxRecord 100: %d frames, %v", len(frames), err)
		}
	})
}

// TestSnapLen: by default a record longer than the snap length is read
// whole (as tshark does); StrictSnapLen rejects it.
func TestSnapLen(t *testing.T) {
	ps := genPackets(2, 3, 80, 80, 0)
	pcap := pcapBytes(t, PcapWriterOptions{LinkType: 1, SnapLen: 64}, ps)
	b := newNG(false).shb(false, 1, 0).idb(1, 64)
	for _, p := range ps {
		b.epb(0, 0, p.origLen, p.data)
	}
	for name, data := range map[string][]byte{"pcap": pcap, "pcapng": b.bytes()} {
		frames, _, err := readAll(t, data, ReaderOptions{})
		if err != nil || len(frames) != 3 || frames[0].CapLen != 80 {
			t.Errorf("%s: %d frames, %v", name, len(frames), err)
		}
		frames, _, err = readAll(t, data, ReaderOptions{StrictSnapLen: true})
		wantErr(t, err, ErrRecordTooLarge)
		if len(frames) != 0 {
			t.Errorf("%s strict: %d frames", name, len(frames))
		}
	}
}

func TestNotCapture(t *testing.T) {
	for _, tc := range []struct {
		in, msg string
	}{
		{"HTTP/1.1 200 OK\r\n", "read capture foo.txt: not a pcap or pcapng file (starts with 48 54 54 50)"},
		{"", "read capture foo.txt: not a pcap or pcapng file (empty input)"},
		{"\x1f\x8b\x08\x00abc", "read capture foo.txt: not a pcap or pcapng file (starts with 1f 8b 08 00; gzip-compressed? decompress it first)"},
		{"ab", "read capture foo.txt: not a pcap or pcapng file (starts with 61 62)"},
		{"\n\r\r\nhello world!", "read capture foo.txt: not a pcap or pcapng file (starts with 0a 0d 0d 0a 68 65 6c 6c 6f 20 77 6f)"},
	} {
		r, err := NewReader(bytes.NewReader([]byte(tc.in)), "foo.txt", ReaderOptions{})
		if r != nil {
			t.Errorf("%q: got a reader", tc.in)
		}
		wantErr(t, err, ErrNotCapture)
		if err.Error() != tc.msg {
			t.Errorf("%q:\n got %q\nwant %q", tc.in, err, tc.msg)
		}
	}
}

func TestBadHeaders(t *testing.T) {
	good := pcapBytes(t, PcapWriterOptions{LinkType: 1}, genPackets(1, 1, 60, 60, 0))
	mod := func(b []byte, off int, v ...byte) []byte {
		b = bytes.Clone(b)
		copy(b[off:], v)
		return b
	}
	ngb := func(f func(b *ng)) []byte { b := newNG(false); f(b); return b.bytes() }
	hdr := newNG(false).shb(false, 1, 0).idb(1, 0).bytes()
	raw := func(words ...uint32) []byte {
		b := newNG(false)
		b.buf.Write(hdr)
		for _, w := range words {
			b.u32(w)
		}
		return b.bytes()
	}
	for _, tc := range []struct {
		name     string
		data     []byte
		sentinel error
		msg      string
	}{
		{"pcap version 1", mod(good, 4, 1), ErrBadVersion, "read capture test: unsupported pcap version 1.4 (want 2.x)"},
		{"pcap short header", good[:20], ErrTruncated, "read capture test: truncated pcap file header: need 24 bytes, have 20"},
		{"pcap reserved link bits", mod(good, 22, 1), ErrBadHeader, ""},
		{"pcapng version 2", ngb(func(b *ng) { b.shb(false, 2, 0) }), ErrBadVersion, "read capture test: unsupported pcapng version 2.0 (want 1.0)"},
		{"pcapng version 1.1", ngb(func(b *ng) { b.shb(false, 1, 1) }), ErrBadVersion, ""},
		{"second section version", ngb(func(b *ng) { b.shb(false, 1, 0).shb(true, 3, 0) }), ErrBadVersion, "read capture test: frame 1 at offset 28: unsupported pcapng version 3.0 (want 1.0)"},
		{"block length not multiple of 4", raw(blockNRB, 13, 0, 13), ErrBadBlock, "read capture test: frame 1 at offset 48: bad block length 13 for name resolution block: must be a multiple of 4 and at least 12"},
		{"block length < 12", raw(0x99, 8), ErrBadBlock, ""},
		{"epb length < 32", raw(blockEPB, 16, 0, 16), ErrBadBlock, ""},
		{"trailer mismatch", raw(blockISB, 16, 0, 20), ErrBadBlock, "read capture test: frame 1 at offset 48: bad interface statistics block: trailing length 20 does not match leading length 16"},
		{"option too long", ngb(func(b *ng) { b.shb(false, 1, 0).idb(1, 0, []byte{2, 0, 9, 0, 'a', 'b', 'c', 'd'}) }), ErrBadBlock,
			"read capture test: frame 1 at offset 28: bad interface description block: option 2 is 9 bytes long, only 4 bytes left in the block"},
		{"shb option too long", ngb(func(b *ng) { b.shb(false, 1, 0, []byte{1, 0, 200, 0}) }), ErrBadBlock, ""},
		{"bad tsresol", ngb(func(b *ng) { b.shb(false, 1, 0).idb(1, 0, b.opt(optIfTsResol, []byte{6, 6})) }), ErrBadBlock, ""},
		{"unknown interface", ngb(func(b *ng) { b.shb(false, 1, 0).idb(1, 0).epb(1, 0, 1, []byte{1}) }), ErrBadBlock,
			"read capture test: frame 1 at offset 48: bad enhanced packet block: interface 1, but the section has 1 interface description blocks"},
		{"interfaces are per section", ngb(func(b *ng) { b.shb(false, 1, 0).idb(1, 0).shb(false, 1, 0).epb(0, 0, 1, []byte{1}) }), ErrBadBlock, ""},
		{"spb without idb", ngb(func(b *ng) { b.shb(false, 1, 0).spb(1, []byte{1}) }), ErrBadBlock, ""},
		{"caplen beyond block", raw(blockEPB, 32, 0, 0, 0, 4, 4, 32), ErrBadBlock, ""},
		{"bad byte-order magic later", append(bytes.Clone(hdr), 0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4), ErrBadBlock, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames, _, err := readAll(t, tc.data, ReaderOptions{})
			wantErr(t, err, tc.sentinel)
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("error\n got %q\nwant %q", err, tc.msg)
			}
			if len(frames) != 0 {
				t.Errorf("%d frames", len(frames))
			}
		})
	}
}

func TestLinkTypeFCSBits(t *testing.T) {
	data := pcapBytes(t, PcapWriterOptions{LinkType: 0x300000e5}, genPackets(1, 1, 40, 40, 0))
	frames, meta, err := readAll(t, data, ReaderOptions{})
	if err != nil || len(frames) != 1 || frames[0].LinkType != LinkIPv6 || meta.LinkType != LinkIPv6 || meta.LinkTypeRaw != 0x300000e5 {
		t.Fatalf("frames %+v meta %+v err %v", frames, meta, err)
	}
}

func TestTruncatedMessage(t *testing.T) {
	data := pcapBytes(t, PcapWriterOptions{LinkType: 1}, genPackets(1, 2, 60, 60, 0))
	_, _, err := readAll(t, data[:len(data)-40], ReaderOptions{})
	wantErr(t, err, ErrTruncated)
	if want := "read capture test: frame 2 at offset 100: truncated record: need 60 bytes, have 20"; err.Error() != want {
		t.Errorf("got %q\nwant %q", err, want)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.pcap")
	data := pcapBytes(t, PcapWriterOptions{LinkType: 1}, genPackets(1, 3, 60, 100, 0))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, c, err := Open(path, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for f := (Frame{}); r.Next(&f) == nil; n++ {
	}
	if err := c.Close(); err != nil || n != 3 || r.Meta().Name != path {
		t.Errorf("read %d frames, close %v, name %q", n, err, r.Meta().Name)
	}
	if _, _, err := Open(filepath.Join(dir, "missing.pcap"), ReaderOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}

	// "-" reads standard input.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	r, c, err = Open("-", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for f := (Frame{}); r.Next(&f) == nil; n++ {
	}
	if c.Close() != nil || n != 3 || r.Meta().Name != "-" {
		t.Errorf("stdin: %d frames, name %q", n, r.Meta().Name)
	}
}

// TestLargeRecords covers records and blocks larger than the bufio buffer
// (read through the record buffer instead of in place), whole and cut.
func TestLargeRecords(t *testing.T) {
	ps := genPackets(9, 6, 60_000, 200_000, 1)
	ps[2].data = ps[2].data[:100] // a small packet between large ones
	ps[2].origLen = 100
	pcap := pcapBytes(t, PcapWriterOptions{LinkType: 1}, ps)
	b := newNG(true).shb(true, 1, 0).idb(1, 0)
	bigStart := 0
	for i, p := range ps {
		if i == 3 {
			bigStart = b.buf.Len()
			// Small packet data in a block made large by an option.
			body := make([]byte, 20)
			b.order.PutUint32(body[12:], 5)
			b.order.PutUint32(body[16:], 5)
			body = pad4(append(body, 1, 2, 3, 4, 5))
			body = append(body, b.opt(1, make([]byte, 65000))...)
			body = append(body, b.opt(1, make([]byte, 65000))...)
			b.block(blockEPB, body)
		}
		b.epb(0, uint64(p.sec)*1e6+uint64(p.nsec/1000), p.origLen, p.data)
	}
	ng := b.bytes()
	for name, tc := range map[string]struct {
		data []byte
		n    int
	}{"pcap": {pcap, 6}, "pcapng": {ng, 7}} {
		frames, _, err := readAll(t, tc.data, ReaderOptions{})
		if err != nil || len(frames) != tc.n {
			t.Fatalf("%s: %d frames, %v", name, len(frames), err)
		}
		j := 0
		for i, f := range frames {
			if name == "pcapng" && i == 3 {
				if !bytes.Equal(f.Data, []byte{1, 2, 3, 4, 5}) {
					t.Errorf("pcapng frame 4: %v", f.Data)
				}
				continue
			}
			if !bytes.Equal(f.Data, ps[j].data) || f.OrigLen != ps[j].origLen {
				t.Errorf("%s frame %d differs", name, i+1)
			}
			j++
		}
		// Cut in the middle of the last (large) record.
		cut := tc.data[:len(tc.data)-50_000]
		frames, _, err = readAll(t, cut, ReaderOptions{})
		wantErr(t, err, ErrTruncated)
		if len(frames) != tc.n-1 {
			t.Errorf("%s cut: %d frames, want %d", name, len(frames), tc.n-1)
		}
	}
	// Cut inside the options of the large block of frame 4.
	frames, _, err := readAll(t, ng[:bigStart+100_000], ReaderOptions{})
	if !errors.Is(err, ErrTruncated) || len(frames) != 3 {
		t.Errorf("cut in large options: %d frames, %v", len(frames), err)
	}
}

func TestWriterErrors(t *testing.T) {
	w, err := NewPcapNGWriter(io.Discard, PcapNGWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddInterface(70000, 0, 6); err == nil {
		t.Error("link type 70000 accepted")
	}
	if _, err := w.AddInterface(1, 0, 20); err == nil {
		t.Error("if_tsresol 10^-20 accepted")
	}
	id, _ := w.AddInterface(1, 0, 12)
	if err := w.WritePacket(id, 1_600_000_000, 0, 1, []byte{1}); err == nil {
		t.Error("timestamp overflowing 64-bit picoseconds accepted")
	}
	if err := w.WritePacket(id, 1_000_000, 5, 1, []byte{1}); err != nil {
		t.Errorf("small picosecond timestamp: %v", err)
	}
	if err := w.WritePacket(id+1, 0, 0, 1, []byte{1}); err == nil {
		t.Error("unknown interface accepted")
	}
	if err := w.WritePacket(id, -1, 0, 1, []byte{1}); err == nil {
		t.Error("negative time accepted")
	}
}

// TestSlowReader reads through readers that return a few bytes at a time
// (as pipes do), and one that fails with an I/O error.
func TestSlowReader(t *testing.T) {
	ps := genPackets(11, 50, 0, 3000, 2)
	pcap := pcapBytes(t, PcapWriterOptions{LinkType: 1}, ps)
	var buf bytes.Buffer
	w, _ := NewPcapNGWriter(&buf, PcapNGWriterOptions{BigEndian: true})
	w.AddInterface(1, 0, 6)
	w.AddInterface(101, 0, 9)
	for _, p := range ps {
		w.WritePacket(p.iface, p.sec, p.nsec, p.origLen, p.data)
	}
	for name, data := range map[string][]byte{"pcap": pcap, "pcapng": buf.Bytes()} {
		want, _, err := readAll(t, data, ReaderOptions{})
		if err != nil || len(want) != len(ps) {
			t.Fatalf("%s: %d frames, %v", name, len(want), err)
		}
		for _, slow := range []func(io.Reader) io.Reader{iotest.OneByteReader, iotest.HalfReader, iotest.DataErrReader} {
			r, err := NewReader(slow(bytes.NewReader(data)), name, ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var f Frame
			for i := range want {
				if err := r.Next(&f); err != nil {
					t.Fatalf("%s frame %d: %v", name, i+1, err)
				}
				if d := diffFrame(&f, &want[i]); d != "" {
					t.Fatalf("%s frame %d: %s", name, i+1, d)
				}
			}
			if err := r.Next(&f); err != io.EOF {
				t.Fatalf("%s: %v at end, want io.EOF", name, err)
			}
		}
		// An I/O error in the middle is reported as such, not as a
		// truncation.
		boom := errors.New("boom")
		r, err := NewReader(io.MultiReader(bytes.NewReader(data[:len(data)/2]), iotest.ErrReader(boom)), name, ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var f Frame
		for err == nil {
			err = r.Next(&f)
		}
		if !errors.Is(err, boom) || errors.Is(err, ErrTruncated) {
			t.Errorf("%s: %v, want the I/O error", name, err)
		}
	}
}

// chunkReader hands out one chunk per Read (a chunk no larger than the
// Read's buffer), as a pipe does with what each write put in it.
type chunkReader struct {
	chunks [][]byte
	given  int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.given == len(c.chunks) {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[c.given])
	c.chunks[c.given] = c.chunks[c.given][n:]
	if len(c.chunks[c.given]) == 0 {
		c.given++
	}
	return n, nil
}

// TestBeforeRead: the hook runs before each read of the input, and Next
// reads only when the next record is not yet all in: whenever the hook
// runs, every record the input has delivered has been returned.
func TestBeforeRead(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewPcapWriter(&buf, PcapWriterOptions{LinkType: LinkEthernet})
	if err != nil {
		t.Fatal(err)
	}
	chunks := [][]byte{bytes.Clone(buf.Bytes())}
	for i := range 5 {
		buf.Reset()
		if err := w.WritePacket(int64(i), 0, uint32(60+i), make([]byte, 60+i)); err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, bytes.Clone(buf.Bytes()))
	}
	whole := bytes.Join(chunks, nil)
	cr := &chunkReader{chunks: chunks}
	r, err := NewReader(cr, "live", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	returned, calls := 0, 0
	r.BeforeRead(func() {
		calls++
		if delivered := cr.given - 1; returned != delivered {
			t.Errorf("read %d: %d records delivered, %d returned", calls, delivered, returned)
		}
	})
	var f Frame
	for r.Next(&f) == nil {
		returned++
	}
	if returned != 5 || calls < 5 {
		t.Errorf("%d frames, %d reads hooked", returned, calls)
	}
	// A Reader over memory never reads: the hook is ignored.
	m, err := NewReaderBytes(whole, "mem", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m.BeforeRead(func() { t.Error("hook ran on a Reader over memory") })
	for m.Next(&f) == nil {
	}
}
