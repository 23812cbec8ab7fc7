package reporter

import (
	"unicode/utf8"
	"unsafe"

	"github.com/pcapflow/pcapflow/decoder"
)

// jsonEncoder renders a report as one JSON object whose members are the
// blocks, indented with tabs as PyPCAPKit does.
//
// This is the hot path of `extract -f json`: every member costs a handful
// of appends of precomputed pieces (newline and indentation in one slice,
// the quoted key, the value written straight into the buffer), strings
// that need no escaping are copied whole, and numbers and hex are
// formatted without going through strconv's or encoding/hex's general
// code (see format.go).
type jsonEncoder struct {
	keys keyCache
	// The date and time of day of the last timestamp rendered: frames
	// come many to a second.
	lastSec  int64
	lastDate []byte
}

func (*jsonEncoder) begin(b []byte) []byte { return append(b, '{') }

func (e *jsonEncoder) block(o *out, b []byte, name string, nodes []decoder.Node, index int) []byte {
	if index > 0 {
		b = append(b, ',')
	}
	b = append(b, "\n\t"...)
	b = appendJSONString(b, name)
	b = append(b, ": "...)
	return e.members(o, b, nodes, 0, len(nodes), true, 1)
}

func (*jsonEncoder) end(b []byte, n int) []byte {
	if n > 0 {
		b = append(b, '\n')
	}
	return append(b, "}\n"...)
}

// members appends the container holding nodes[lo:hi] (an object when
// named, else an array) at indentation depth.
func (e *jsonEncoder) members(o *out, b []byte, nodes []decoder.Node, lo, hi int, named bool, depth int) []byte {
	open, close := byte('{'), byte('}')
	if !named {
		open, close = '[', ']'
	}
	if lo >= hi {
		return append(b, open, close)
	}
	b = append(b, open)
	for i := lo; i < hi; {
		n := &nodes[i]
		j := next(nodes, i, hi)
		if named {
			b = e.keys.appendKey(b, n.Key(), depth+1)
		} else {
			b = appendNewline(b, depth+1)
		}
		switch n.Kind {
		case decoder.KindObject:
			b = e.members(o, b, nodes, i+1, j, true, depth+1)
		case decoder.KindArray:
			b = e.members(o, b, nodes, i+1, j, false, depth+1)
		case decoder.KindUint:
			b = appendUint(b, n.Num)
		case decoder.KindString:
			b = appendJSONString(b, n.Str())
		case decoder.KindBytes:
			b = append(b, '"')
			b = o.appendHex(b, n.Bin())
			b = append(b, '"')
		case decoder.KindTime:
			if sec := int64(n.Num); sec != e.lastSec || len(e.lastDate) == 0 {
				e.lastSec, e.lastDate = sec, appendDateTime(e.lastDate[:0], sec)
			}
			b = append(b, '"')
			b = append(b, e.lastDate...)
			b = appendFrac(b, n.Nsec(), clampDigits(n.Digits))
			b = append(b, "Z\""...)
		default:
			b = appendJSONValue(b, n)
		}
		if j < hi {
			b = append(b, ',')
		}
		b = o.maybeFlush(b)
		i = j
	}
	b = appendNewline(b, depth)
	return append(b, close)
}

// keyCache holds the rendered start of object members, "\n\t\t\"key\": ",
// by key and depth, so that the usual member costs one lookup and one
// append instead of indenting, scanning and quoting its key. Reports use a
// few hundred keys, nearly all string constants of the decoder; the cache
// is direct-mapped on the key's address (stable for constants) and checks
// the key's text, so keys from packet data are always right, only slower.
type keyCache struct {
	slots [keySlots]keySlot
	arena []byte // the fragments and copies of their keys; append-only until reset
}

type keySlot struct {
	key   string // a copy in arena ("" with frag empty: unused)
	depth int
	frag  []byte // in arena
}

const (
	keyBits     = 11
	keySlots    = 1 << keyBits
	keyArenaMax = 64 << 10 // reset (forgetting every slot) past this size
	keyMax      = 256      // longer keys are not cached
)

// appendKey appends a newline, depth tabs, key quoted and ": ".
func (c *keyCache) appendKey(b []byte, key string, depth int) []byte {
	x := uint64(uintptr(unsafe.Pointer(unsafe.StringData(key)))) ^ uint64(len(key))<<48 ^ uint64(depth)<<56
	s := &c.slots[(x*0x9e3779b97f4a7c15)>>(64-keyBits)]
	if s.depth != depth || s.key != key || len(s.frag) == 0 {
		return c.miss(b, s, key, depth)
	}
	return append(b, s.frag...)
}

// miss renders the fragment of key at depth into slot s and appends it.
//
//go:noinline
func (c *keyCache) miss(b []byte, s *keySlot, key string, depth int) []byte {
	if len(key) > keyMax || depth > keyMax {
		b = appendNewline(b, depth)
		b = appendJSONString(b, key)
		return append(b, ": "...)
	}
	if len(c.arena)+9*keyMax > keyArenaMax {
		c.reset()
	}
	if c.arena == nil {
		c.arena = make([]byte, 0, keyArenaMax)
	}
	// Both go at the end of arena, which has room (no reallocation: the
	// earlier slots keep pointing into it).
	start := len(c.arena)
	c.arena = append(c.arena, key...)
	s.key = unsafe.String(unsafe.SliceData(c.arena[start:]), len(key))
	start = len(c.arena)
	c.arena = appendNewline(c.arena, depth)
	c.arena = appendJSONString(c.arena, key)
	c.arena = append(c.arena, ": "...)
	s.frag = c.arena[start:len(c.arena):len(c.arena)]
	s.depth = depth
	return append(b, s.frag...)
}

// reset forgets every slot and reuses the arena.
func (c *keyCache) reset() {
	c.slots = [keySlots]keySlot{}
	c.arena = c.arena[:0]
}

// newlineTabs is a newline followed by enough tabs for every depth a
// report reaches in practice; appendNewline slices it.
const newlineTabs = "\n\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t" +
	"\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"

// appendNewline appends a newline and depth tabs.
func appendNewline(b []byte, depth int) []byte {
	if depth < len(newlineTabs) {
		return append(b, newlineTabs[:1+depth]...)
	}
	b = append(b, newlineTabs...)
	return appendIndent(b, depth-(len(newlineTabs)-1))
}

var tabs = newlineTabs[1:]

func appendIndent(b []byte, depth int) []byte {
	for depth > len(tabs) {
		b = append(b, tabs...)
		depth -= len(tabs)
	}
	return append(b, tabs[:depth]...)
}

// appendJSONValue appends a scalar node as a JSON value.
func appendJSONValue(b []byte, n *decoder.Node) []byte {
	switch n.Kind {
	case decoder.KindNull:
		return append(b, "null"...)
	case decoder.KindBool:
		if n.Num != 0 {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case decoder.KindInt:
		return appendInt(b, int64(n.Num))
	case decoder.KindUint:
		return appendUint(b, n.Num)
	case decoder.KindString:
		return appendJSONString(b, n.Str())
	case decoder.KindEnum:
		// The name may come from packet data: escape it.
		b = append(b, '"')
		if n.Str() == "" {
			b = append(b, "Unknown"...)
		} else {
			b = appendJSONChars(b, n.Str())
		}
		b = append(b, " ["...)
		b = appendUint(b, n.Num)
		return append(b, "]\""...)
	}
	// The remaining kinds render as strings of safe ASCII characters.
	b = append(b, '"')
	switch n.Kind {
	case decoder.KindBytes:
		b = appendHex(b, n.Bin())
	case decoder.KindIPv4, decoder.KindIPv6:
		b = appendIP(b, n.Bin())
	case decoder.KindMAC:
		b = appendMAC(b, n.Bin())
	case decoder.KindTime:
		b = appendTime(b, int64(n.Num), n.Nsec(), clampDigits(n.Digits))
	}
	return append(b, '"')
}

// appendJSONString appends s as a quoted JSON string. Strings that need no
// escaping (keys, and almost every value) are copied in one piece.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	if i := jsonSafePrefix(s); i == len(s) {
		b = append(b, s...)
	} else {
		b = append(b, s[:i]...)
		b = appendJSONChars(b, s[i:])
	}
	return append(b, '"')
}

// jsonSafe marks the bytes a JSON string holds as they are: printable
// ASCII but quote and backslash. (Bytes from 0x80 on are valid only as
// part of UTF-8 sequences, which appendJSONChars checks.)
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// SWAR constants: one in every byte, and every byte's top bit.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// jsonUnsafeWord is non-zero when one of the 8 bytes of x is not
// jsonSafe: a control character (< 0x20), a quote, a backslash or a byte
// from 0x80 on. The (x - k*ones) &^ x & highs tests are exact for "some
// byte is below k" when k <= 0x80 (a borrow can only flag bytes above one
// that truly matched).
func jsonUnsafeWord(x uint64) uint64 {
	ctl := (x - 0x20*ones) &^ x
	q := x ^ ('"' * ones)
	q = (q - ones) &^ q
	bs := x ^ ('\\' * ones)
	bs = (bs - ones) &^ bs
	return (ctl | q | bs | x) & highs
}

// jsonSafePrefix returns the length of the longest prefix of s made of
// jsonSafe bytes, looking at 8 bytes at a time.
func jsonSafePrefix(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if jsonUnsafeWord(x) != 0 {
			break
		}
	}
	for ; i < len(s) && jsonSafe[s[i]]; i++ {
	}
	return i
}

// appendJSONChars appends the escaped characters of s: quote, backslash and
// control characters are escaped, and every byte that is not part of valid
// UTF-8 becomes U+FFFD (so the output is always valid UTF-8 JSON).
func appendJSONChars(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += n
	}
	return append(b, s[start:]...)
}
