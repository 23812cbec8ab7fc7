package reassembler

import (
	"fmt"
	"strconv"
)

// HPACK (RFC 7541), the header compression of HTTP/2: a header block is a
// sequence of representations, each an index into the static table or
// the direction's dynamic table, or a literal name and value (optionally
// Huffman-coded) that may be added to the dynamic table. Decoding a block
// needs every earlier block of its direction, in order: the dynamic table
// is their history. The analysis decodes a direction's blocks while the
// table is known; after a block it cannot decode (a malformed block, a
// block cut short, a frame missing), the blocks that follow carry an
// error instead of headers.

// hpackStatic is the static table (RFC 7541 Appendix A): indexes 1 to 61.
var hpackStatic = [...]Header{{},
	{":authority", ""}, {":method", "GET"}, {":method", "POST"}, {":path", "/"}, {":path", "/index.html"},
	{":scheme", "http"}, {":scheme", "https"}, {":status", "200"}, {":status", "204"}, {":status", "206"},
	{":status", "304"}, {":status", "400"}, {":status", "404"}, {":status", "500"}, {"accept-charset", ""},
	{"accept-encoding", "gzip, deflate"}, {"accept-language", ""}, {"accept-ranges", ""}, {"accept", ""},
	{"access-control-allow-origin", ""}, {"age", ""}, {"allow", ""}, {"authorization", ""},
	{"cache-control", ""}, {"content-disposition", ""}, {"content-encoding", ""}, {"content-language", ""},
	{"content-length", ""}, {"content-location", ""}, {"content-range", ""}, {"content-type", ""},
	{"cookie", ""}, {"date", ""}, {"etag", ""}, {"expect", ""}, {"expires", ""}, {"from", ""}, {"host", ""},
	{"if-match", ""}, {"if-modified-since", ""}, {"if-none-match", ""}, {"if-range", ""},
	{"if-unmodified-since", ""}, {"last-modified", ""}, {"link", ""}, {"location", ""}, {"max-forwards", ""},
	{"proxy-authenticate", ""}, {"proxy-authorization", ""}, {"range", ""}, {"referer", ""}, {"refresh", ""},
	{"retry-after", ""}, {"server", ""}, {"set-cookie", ""}, {"strict-transport-security", ""},
	{"transfer-encoding", ""}, {"user-agent", ""}, {"vary", ""}, {"via", ""}, {"www-authenticate", ""},
}

// huffLen is the length in bits of the Huffman code of each symbol, the
// byte values and EOS (256), from RFC 7541 Appendix B. The code is
// canonical (codes of one length are consecutive in symbol order, and each
// length's first code follows the previous length's last), so the lengths
// define it (the tests rebuild the table's codes from them).
var huffLen = [257]uint8{
	13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 0-31
	6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, // ' ' to '?'
	13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, // '@' to '_'
	15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, // '`' to 127
	20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 128-159
	22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 160-191
	26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 192-223
	20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 224-255
	30, // EOS
}

const huffEOS = 256

// huff is the canonical decoding table: for each code length, its first
// code, how many codes it has, and where its symbols start in syms (the
// symbols ordered by code length, then value).
var huff = buildHuff()

type huffTable struct {
	first [31]uint32
	count [31]uint32
	index [31]uint32
	syms  [257]uint16
}

func buildHuff() *huffTable {
	t := new(huffTable)
	for _, l := range huffLen {
		t.count[l]++
	}
	code, at := uint32(0), uint32(0)
	for l := 1; l < len(t.first); l++ {
		code = (code + t.count[l-1]) << 1
		t.first[l], t.index[l] = code, at
		at += t.count[l]
	}
	next := t.index
	for s, l := range huffLen {
		t.syms[next[l]] = uint16(s)
		next[l]++
	}
	return t
}

// huffDecode appends the Huffman-decoded bytes of src to dst. The string
// must end with at most 7 bits of padding, the first bits of EOS (all
// ones), and must not hold EOS itself (RFC 7541 section 5.2).
func huffDecode(dst, src []byte) ([]byte, error) {
	var code, n uint32 // the bits of the code being read, and how many
	for _, c := range src {
		for i := 7; i >= 0; i-- {
			code = code<<1 | uint32(c>>uint(i))&1
			n++
			if d := code - huff.first[n]; d < huff.count[n] {
				sym := huff.syms[huff.index[n]+d]
				if sym == huffEOS {
					return dst, fmt.Errorf("huffman string holds EOS")
				}
				dst = append(dst, byte(sym))
				code, n = 0, 0
			} else if n == 30 {
				return dst, fmt.Errorf("huffman code not in the table")
			}
		}
	}
	if n > 7 {
		return dst, fmt.Errorf("huffman padding of %d bits, more than 7", n)
	}
	if code != 1<<n-1 {
		return dst, fmt.Errorf("huffman padding is not the start of EOS")
	}
	return dst, nil
}

// Limits of the HPACK decoder.
const (
	// hpackDefaultTable is SETTINGS_HEADER_TABLE_SIZE's initial value.
	hpackDefaultTable = 4096
	// hpackMaxTable bounds the dynamic table whatever the settings say.
	hpackMaxTable = 1 << 20
	// hpackMaxList bounds the headers of one block (name and value bytes
	// plus 32 per field, as SETTINGS_MAX_HEADER_LIST_SIZE counts them);
	// the rest of the block is decoded, to keep the table, but not kept.
	hpackMaxList = 256 << 10
	// hpackMaxBlock bounds a header block (its HEADERS or PUSH_PROMISE
	// frame and CONTINUATION frames).
	hpackMaxBlock = 1 << 20
)

// hpackDecoder decodes the header blocks of one direction of a
// connection, in order.
type hpackDecoder struct {
	dyn []Header // the dynamic table, oldest first: index 62 is the last
	// size is the table's size (name and value bytes plus 32 per entry),
	// max the size it may have now, limit the most a size update may set.
	size, max, limit int
}

func newHPACKDecoder(limit int) *hpackDecoder {
	return &hpackDecoder{max: min(hpackDefaultTable, limit), limit: limit}
}

func entrySize(h Header) int { return len(h.Name) + len(h.Value) + 32 }

// evictTo drops the oldest entries until the table's size is at most n.
func (d *hpackDecoder) evictTo(n int) {
	k := 0
	for d.size > n && k < len(d.dyn) {
		d.size -= entrySize(d.dyn[k])
		d.dyn[k] = Header{}
		k++
	}
	d.dyn = d.dyn[k:]
}

// add inserts h as the newest entry (RFC 7541 section 4.4): an entry
// larger than the table empties it and is not added.
func (d *hpackDecoder) add(h Header) {
	s := entrySize(h)
	if s > d.max {
		d.evictTo(0)
		return
	}
	d.evictTo(d.max - s)
	d.dyn = append(d.dyn, h)
	d.size += s
}

// field returns the header at index i of the static and dynamic tables.
func (d *hpackDecoder) field(i uint64) (Header, bool) {
	if i == 0 {
		return Header{}, false
	}
	if i < uint64(len(hpackStatic)) {
		return hpackStatic[i], true
	}
	j := i - uint64(len(hpackStatic)) // 0: the newest
	if j >= uint64(len(d.dyn)) {
		return Header{}, false
	}
	return d.dyn[uint64(len(d.dyn))-1-j], true
}

// hpackError is what makes a header block undecodable: where and why.
type hpackError struct {
	off    int
	reason string
}

func (e *hpackError) Error() string {
	return "hpack: offset " + strconv.Itoa(e.off) + ": " + e.reason
}

// decode returns the header list of block. On an error the table no
// longer matches the encoder's: the decoder must not be used again. A
// list over hpackMaxList is cut there (cut reports it).
func (d *hpackDecoder) decode(block []byte) (list []Header, cut bool, err error) {
	listSize := 0
	for pos := 0; pos < len(block); {
		start := pos
		fail := func(format string, a ...any) ([]Header, bool, error) {
			return list, cut, &hpackError{start, fmt.Sprintf(format, a...)}
		}
		c := block[pos]
		var h Header
		switch {
		case c&0x80 != 0: // indexed header field (section 6.1)
			i, n, ok := hpackInt(block[pos:], 7)
			if !ok {
				return fail("index cut short or too large")
			}
			pos += n
			var found bool
			if h, found = d.field(i); !found {
				return fail("index %d not in the table (%d static, %d dynamic entries)", i, len(hpackStatic)-1, len(d.dyn))
			}
		case c&0xe0 == 0x20: // dynamic table size update (section 6.3)
			if len(list) > 0 || cut {
				return fail("table size update after a header field")
			}
			v, n, ok := hpackInt(block[pos:], 5)
			if !ok {
				return fail("table size cut short or too large")
			}
			if v > uint64(d.limit) {
				return fail("table size update to %d, over the %d the peer allows", v, d.limit)
			}
			pos += n
			d.max = int(v)
			d.evictTo(d.max)
			continue
		default: // literal (sections 6.2.1 to 6.2.3)
			prefix, index := uint(4), false
			if c&0xc0 == 0x40 {
				prefix, index = 6, true
			}
			i, n, ok := hpackInt(block[pos:], prefix)
			if !ok {
				return fail("name index cut short or too large")
			}
			pos += n
			if i == 0 {
				name, m, err := hpackString(block[pos:])
				if err != "" {
					return fail("name: %s", err)
				}
				pos += m
				h.Name = name
			} else {
				nh, found := d.field(i)
				if !found {
					return fail("name index %d not in the table (%d static, %d dynamic entries)", i, len(hpackStatic)-1, len(d.dyn))
				}
				h.Name = nh.Name
			}
			value, m, err := hpackString(block[pos:])
			if err != "" {
				return fail("value: %s", err)
			}
			pos += m
			h.Value = value
			if index {
				d.add(h)
			}
		}
		if listSize += entrySize(h); listSize > hpackMaxList {
			cut = true
		}
		if !cut {
			list = append(list, h)
		}
	}
	return list, cut, nil
}

// hpackInt reads an integer with an n-bit prefix (RFC 7541 section 5.1)
// from b: its value and the bytes it took; not ok when b ends first or
// the value passes 2^32.
func hpackInt(b []byte, n uint) (v uint64, used int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	mask := uint64(1)<<n - 1
	v = uint64(b[0]) & mask
	if v < mask {
		return v, 1, true
	}
	for i, shift := 1, uint(0); i < len(b); i, shift = i+1, shift+7 {
		v += uint64(b[i]&0x7f) << shift
		if v > 1<<32 {
			return 0, 0, false
		}
		if b[i]&0x80 == 0 {
			return v, i + 1, true
		}
	}
	return 0, 0, false
}

// hpackString reads a string literal (RFC 7541 section 5.2) from b: the
// string and the bytes it took, or what is wrong with it.
func hpackString(b []byte) (string, int, string) {
	if len(b) == 0 {
		return "", 0, "missing"
	}
	l, n, ok := hpackInt(b, 7)
	if !ok {
		return "", 0, "length cut short or too large"
	}
	if uint64(len(b)-n) < l {
		return "", 0, fmt.Sprintf("%d bytes, %d left in the block", l, len(b)-n)
	}
	raw := b[n : n+int(l)]
	if b[0]&0x80 == 0 {
		return string(raw), n + int(l), ""
	}
	s, err := huffDecode(make([]byte, 0, len(raw)*8/5+1), raw)
	if err != nil {
		return "", 0, err.Error()
	}
	return string(s), n + int(l), ""
}
