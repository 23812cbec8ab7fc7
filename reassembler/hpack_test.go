package reassembler

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestHuffmanCode: the code rebuilt from huffLen is the table of RFC 7541
// Appendix B (lines copied from it) and a complete prefix code.
func TestHuffmanCode(t *testing.T) {
	codes := huffCodes()
	for _, c := range []struct {
		sym  int
		code uint32
		len  uint8
	}{
		{0, 0x1ff8, 13}, {1, 0x7fffd8, 23}, {9, 0xffffea, 24}, {10, 0x3ffffffc, 30}, {' ', 0x14, 6},
		{'0', 0x0, 5}, {'a', 0x3, 5}, {'z', 0x7b, 7}, {'~', 0x1ffd, 13}, {128, 0xfffe6, 20},
		{255, 0x3ffffee, 26}, {huffEOS, 0x3fffffff, 30},
	} {
		if codes[c.sym] != c.code || huffLen[c.sym] != c.len {
			t.Errorf("symbol %d: code %#x/%d, want %#x/%d", c.sym, codes[c.sym], huffLen[c.sym], c.code, c.len)
		}
	}
	// Kraft: the code lengths fill the code space exactly.
	var sum uint64
	for _, l := range huffLen {
		sum += 1 << (30 - l)
	}
	if sum != 1<<30 {
		t.Errorf("Kraft sum %d/2^30, want 1", sum)
	}
	// Every byte string comes back.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		s := make([]byte, rng.IntN(40))
		for i := range s {
			s[i] = byte(rng.IntN(256))
		}
		got, err := huffDecode(nil, huffEncode(nil, s))
		if err != nil || string(got) != string(s) {
			t.Fatalf("%x: decoded %x, %v", s, got, err)
		}
	}
}

// huffCodes returns each symbol's code (the table of RFC 7541 Appendix B).
func huffCodes() [257]uint32 {
	var codes [257]uint32
	for l := 1; l < len(huff.first); l++ {
		for i := uint32(0); i < huff.count[l]; i++ {
			codes[huff.syms[huff.index[l]+i]] = huff.first[l] + i
		}
	}
	return codes
}

// huffEncode appends the Huffman code of s to dst, padded with EOS bits.
func huffEncode(dst, s []byte) []byte {
	codes := huffCodes()
	var acc uint64
	var n uint
	for _, c := range s {
		acc, n = acc<<huffLen[c]|uint64(codes[c]), n+uint(huffLen[c])
		for n >= 8 {
			dst = append(dst, byte(acc>>(n-8)))
			n -= 8
		}
	}
	if n > 0 {
		dst = append(dst, byte(acc<<(8-n))|byte(0xff>>n))
	}
	return dst
}

func hdrs(kv ...string) []Header {
	var hs []Header
	for i := 0; i+1 < len(kv); i += 2 {
		hs = append(hs, Header{kv[i], kv[i+1]})
	}
	return hs
}

// TestHPACKExamples: RFC 7541 Appendix C. The requests (C.3 without
// Huffman, C.4 with) are the RFC's bytes; the responses (C.5, C.6: a
// 256-byte table, so that entries are evicted) were encoded by Python's
// hpack 4.0 (Debian's python3-hpack), which also decodes every block here
// to the lists given. The table size after each block is the RFC's.
func TestHPACKExamples(t *testing.T) {
	req := [][]Header{
		hdrs(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com"),
		hdrs(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com", "cache-control", "no-cache"),
		hdrs(":method", "GET", ":scheme", "https", ":path", "/index.html", ":authority", "www.example.com", "custom-key", "custom-value"),
	}
	rsp := [][]Header{
		hdrs(":status", "302", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:21 GMT", "location", "https://www.example.com"),
		hdrs(":status", "307", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:21 GMT", "location", "https://www.example.com"),
		hdrs(":status", "200", "cache-control", "private", "date", "Mon, 21 Oct 2013 20:13:22 GMT", "location", "https://www.example.com",
			"content-encoding", "gzip", "set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
	}
	for _, c := range []struct {
		name   string
		blocks []string
		want   [][]Header
		sizes  []int
	}{
		{"C.3", []string{
			"828684410f7777772e6578616d706c652e636f6d",
			"828684be58086e6f2d6361636865",
			"828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
		}, req, []int{57, 110, 164}},
		{"C.4", []string{
			"828684418cf1e3c2e5f23a6ba0ab90f4ff",
			"828684be5886a8eb10649cbf",
			"828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
		}, req, []int{57, 110, 164}},
		{"C.5", []string{
			"3fe1014803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
			"4803333037c1c0bf",
			"88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31",
		}, rsp, []int{222, 222, 215}},
		{"C.6", []string{
			"3fe101488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
			"4883640effc1c0bf",
			"88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
		}, rsp, []int{222, 222, 215}},
	} {
		d := newHPACKDecoder(hpackDefaultTable)
		for i, x := range c.blocks {
			b, _ := hex.DecodeString(x)
			got, cut, err := d.decode(b)
			if err != nil || cut || !slices.Equal(got, c.want[i]) {
				t.Errorf("%s.%d: %v (cut %v, %v), want %v", c.name, i+1, got, cut, err, c.want[i])
			}
			if d.size != c.sizes[i] {
				t.Errorf("%s.%d: table size %d, want %d", c.name, i+1, d.size, c.sizes[i])
			}
		}
	}
	// Never indexed (section 6.2.3), as Python's hpack encodes it.
	b, _ := hex.DecodeString("821f08067365637265744003782d610162")
	got, _, err := newHPACKDecoder(hpackDefaultTable).decode(b)
	if want := hdrs(":method", "GET", "authorization", "secret", "x-a", "b"); err != nil || !slices.Equal(got, want) {
		t.Errorf("never indexed: %v, %v; want %v", got, err, want)
	}
}

// TestHPACKErrors: every malformed block is refused with where and why.
func TestHPACKErrors(t *testing.T) {
	huff := func(s string) string {
		b := huffEncode(nil, []byte(s))
		return string(append([]byte{0x80 | byte(len(b))}, b...))
	}
	for _, c := range []struct{ block, want string }{
		{"\x80", "offset 0: index 0 not in the table (61 static, 0 dynamic entries)"},
		{"\x82\xbe", "offset 1: index 62 not in the table (61 static, 0 dynamic entries)"},
		{"\xff", "offset 0: index cut short or too large"},
		{"\xff\xff\xff\xff\xff\xff\x01", "offset 0: index cut short or too large"},
		{"\x82\x20", "offset 1: table size update after a header field"},
		{"\x3f\xe2\x1f", "offset 0: table size update to 4097, over the 4096 the peer allows"},
		{"\x40\x03ab", "offset 0: name: 3 bytes, 2 left in the block"},
		{"\x40\x01a", "offset 0: value: missing"},
		{"\x7f\x0e\x01x", "offset 0: name index 77 not in the table (61 static, 0 dynamic entries)"},
		{"\x04" + "\x84\xff\xff\xff\xff", "offset 0: value: huffman string holds EOS"},
		{"\x04" + "\x82\x1f\xff", "offset 0: value: huffman padding of 11 bits, more than 7"},
		{"\x04" + "\x81\x00", "offset 0: value: huffman padding is not the start of EOS"},
		{"\x04" + huff("ok") + "\x04\x81\x1e", "offset 4: value: huffman padding is not the start of EOS"},
	} {
		_, _, err := newHPACKDecoder(hpackDefaultTable).decode([]byte(c.block))
		if err == nil || err.Error() != "hpack: "+c.want {
			t.Errorf("%x: %v, want hpack: %s", c.block, err, c.want)
		}
	}
	// A size update within what the peer allows is taken; a header larger
	// than the table empties it.
	d := newHPACKDecoder(8192)
	if _, _, err := d.decode([]byte("\x3f\xe1\x3f\x40\x01a\x01b")); err != nil || d.max != 8192 || d.size != 34 {
		t.Errorf("size update to 8192: %v, max %d, size %d", err, d.max, d.size)
	}
	big := string(appendHPACKInt([]byte("\x40\x01c"), 7, 0, 8200)) + strings.Repeat("v", 8200)
	if hs, _, err := d.decode([]byte(big)); err != nil || len(hs) != 1 || len(d.dyn) != 0 || d.size != 0 {
		t.Errorf("entry larger than the table: %d headers, %v, %d entries of %d bytes left", len(hs), err, len(d.dyn), d.size)
	}
	// A list over hpackMaxList is cut, and the table still follows.
	long := strings.Repeat("\x00\x01k\x7f\x81\x7f"+strings.Repeat("v", 16384), 17) + "\x40\x01z\x01y\xbe"
	d = newHPACKDecoder(hpackDefaultTable)
	hs, cut, err := d.decode([]byte(long))
	if err != nil || !cut || len(hs) != 15 || !slices.Equal(d.dyn, hdrs("z", "y")) {
		t.Errorf("long list: %d headers, cut %v, %v, table %v; want 15, cut, table [{z y}]", len(hs), cut, err, d.dyn)
	}
}

// testEncoder is an HPACK encoder written for the tests: it picks every
// representation and string coding at random.
type testEncoder struct {
	dyn       []Header // newest first
	size, max int
}

func (e *testEncoder) add(h Header) {
	s := entrySize(h)
	for e.size+s > e.max && len(e.dyn) > 0 {
		e.size -= entrySize(e.dyn[len(e.dyn)-1])
		e.dyn = e.dyn[:len(e.dyn)-1]
	}
	if s <= e.max {
		e.dyn = append([]Header{h}, e.dyn...)
		e.size += s
	}
}

func appendHPACKInt(b []byte, prefix uint, first byte, v uint64) []byte {
	mask := uint64(1)<<prefix - 1
	if v < mask {
		return append(b, first|byte(v))
	}
	b = append(b, first|byte(mask))
	for v -= mask; v >= 0x80; v >>= 7 {
		b = append(b, byte(v)|0x80)
	}
	return append(b, byte(v))
}

func (e *testEncoder) str(rng *rand.Rand, b []byte, s string) []byte {
	if rng.IntN(2) == 0 {
		return append(appendHPACKInt(b, 7, 0, uint64(len(s))), s...)
	}
	h := huffEncode(nil, []byte(s))
	return append(appendHPACKInt(b, 7, 0x80, uint64(len(h))), h...)
}

func (e *testEncoder) encode(rng *rand.Rand, hs []Header, newMax int) []byte {
	var b []byte
	if newMax >= 0 {
		e.max = newMax
		for e.size > e.max {
			e.size -= entrySize(e.dyn[len(e.dyn)-1])
			e.dyn = e.dyn[:len(e.dyn)-1]
		}
		b = appendHPACKInt(b, 5, 0x20, uint64(newMax))
	}
	for _, h := range hs {
		idx, nameIdx := 0, 0
		for i, s := range hpackStatic[1:] {
			if s == h {
				idx = i + 1
			}
			if s.Name == h.Name && nameIdx == 0 {
				nameIdx = i + 1
			}
		}
		for i, s := range e.dyn {
			if s == h && idx == 0 {
				idx = len(hpackStatic) + i
			}
			if s.Name == h.Name && nameIdx == 0 {
				nameIdx = len(hpackStatic) + i
			}
		}
		if idx > 0 && rng.IntN(4) > 0 {
			b = appendHPACKInt(b, 7, 0x80, uint64(idx))
			continue
		}
		if rng.IntN(3) == 0 {
			nameIdx = 0
		}
		prefix, first, index := uint(4), byte(0), false
		switch rng.IntN(3) {
		case 0:
			prefix, first, index = 6, 0x40, true
		case 1:
			first = 0x10
		}
		b = appendHPACKInt(b, prefix, first, uint64(nameIdx))
		if nameIdx == 0 {
			b = e.str(rng, b, h.Name)
		}
		b = e.str(rng, b, h.Value)
		if index {
			e.add(h)
		}
	}
	return b
}

// TestHPACKRandom: random header lists, encoded with random
// representations, table size updates and evictions, decode to
// themselves, and the decoder's table follows the encoder's.
func TestHPACKRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	names := []string{":method", ":path", "cookie", "x-a", "x-b", "user-agent", "date", "accept"}
	for conn := range 300 {
		e := &testEncoder{max: hpackDefaultTable}
		d := newHPACKDecoder(8192)
		for blk := range 20 {
			var hs []Header
			for range rng.IntN(12) {
				v := make([]byte, rng.IntN(3)*rng.IntN(300))
				for i := range v {
					v[i] = byte(rng.IntN(256))
				}
				if rng.IntN(2) == 0 {
					v = v[:min(len(v), 2)]
				}
				hs = append(hs, Header{names[rng.IntN(len(names))], string(v)})
			}
			newMax := -1
			if rng.IntN(6) == 0 {
				newMax = rng.IntN(8193)
			}
			got, _, err := d.decode(e.encode(rng, hs, newMax))
			if err != nil || !slices.Equal(got, hs) && len(hs)+len(got) > 0 {
				t.Fatalf("connection %d block %d: %v, %v; want %v", conn, blk, got, err, hs)
			}
			if d.size != e.size || len(d.dyn) != len(e.dyn) {
				t.Fatalf("connection %d block %d: table %d bytes, %d entries; encoder's %d, %d", conn, blk, d.size, len(d.dyn), e.size, len(e.dyn))
			}
		}
	}
}

// TestHTTP2HeaderBlocks: blocks are decoded across CONTINUATION frames, in
// each direction's order; a block that breaks the rules is not decoded,
// nor are the direction's blocks after it; the peer's
// SETTINGS_HEADER_TABLE_SIZE lets the encoder's table grow.
func TestHTTP2HeaderBlocks(t *testing.T) {
	get := "\x82\x86\x84\x41\x0fwww.example.com" // C.3.1: adds :authority
	c := cat([]byte(h2Preface),
		h2frame(4, 0, 0, setting(1, 8192)), // the server's encoder may use 8192 bytes
		h2frame(1, 0, 1, []byte(get[:5])),
		h2frame(9, 0, 1, []byte(get[5:9])),
		h2frame(9, h2EndHeaders|h2EndStream, 1, []byte(get[9:])),
		h2frame(1, h2EndHeaders, 3, []byte("\x82\x86\x84\xbe")), // :authority from the table
		h2frame(1, 0, 5, []byte("\x82")),
		h2frame(0, 0, 5, []byte("x")), // interrupts the block
		h2frame(1, h2EndHeaders, 7, []byte("\x82")),
		h2frame(9, h2EndHeaders, 9, []byte("\x82")))
	s := cat(
		h2frame(4, 0, 0, setting(3, 100)),
		h2frame(1, h2EndHeaders, 1, []byte("\x3f\xe1\x3f\x88")), // a 8192-byte table: the client allows it
		h2frame(5, h2EndHeaders, 1, cat(u32(2), []byte("\x40\x01a\x01b\xbe"))),
		h2frame(1, h2EndHeaders, 2, []byte("\xbf")),
		h2frame(1, h2EndHeaders, 4, []byte("\x89")))
	var got []string
	for _, m := range Analyse(h2Stream(c, s)) {
		if m.H2 == nil || m.H2.Type == 4 || m.H2.Type == 0 {
			continue
		}
		g := fmt.Sprintf("%d %s sid=%d %v", m.Dir, m.Kind, m.H2.StreamID, m.Headers)
		if m.Error != "" {
			g += " error: " + m.Error
		}
		got = append(got, g)
	}
	want := []string{
		"0 HEADERS sid=1 [{:method GET} {:scheme http} {:path /} {:authority www.example.com}]",
		"0 CONTINUATION sid=1 []",
		"0 CONTINUATION sid=1 []",
		"0 HEADERS sid=3 [{:method GET} {:scheme http} {:path /} {:authority www.example.com}]",
		"0 HEADERS sid=5 [] error: header block not decoded: a DATA frame came before its END_HEADERS",
		"0 HEADERS sid=7 [] error: header block not decoded: the block of stream 5 at offset 99 was not decoded",
		"0 CONTINUATION sid=9 [] error: CONTINUATION without a header block of its stream before it",
		"1 HEADERS sid=1 [{:status 200}]",
		"1 PUSH_PROMISE sid=1 [{a b} {a b}]",
		"1 HEADERS sid=2 [] error: hpack: offset 0: index 63 not in the table (61 static, 1 dynamic entries)",
		"1 HEADERS sid=4 [] error: header block not decoded: the block of stream 2 at offset 47 failed",
	}
	if !slices.Equal(got, want) {
		t.Errorf("blocks:\n got %q\nwant %q", got, want)
	}
}
