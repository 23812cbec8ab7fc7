package reporter

import (
	"strconv"
	"unicode/utf8"

	"github.com/pcapflow/pcapflow/decoder"
)

// jsonEncoder renders a report as one JSON object whose members are the
// blocks, indented with tabs as PyPCAPKit does.
type jsonEncoder struct{}

func (jsonEncoder) begin(b []byte) []byte { return append(b, '{') }

func (e jsonEncoder) block(o *out, b []byte, name string, nodes []decoder.Node, index int) []byte {
	if index > 0 {
		b = append(b, ',')
	}
	b = append(b, "\n\t"...)
	b = appendJSONString(b, name)
	b = append(b, ": "...)
	return e.members(o, b, nodes, 0, len(nodes), true, 1)
}

func (jsonEncoder) end(b []byte, n int) []byte {
	if n > 0 {
		b = append(b, '\n')
	}
	return append(b, "}\n"...)
}

// members appends the container holding nodes[lo:hi] (an object when
// named, else an array) at indentation depth.
func (e jsonEncoder) members(o *out, b []byte, nodes []decoder.Node, lo, hi int, named bool, depth int) []byte {
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
		b = append(b, '\n')
		b = appendIndent(b, depth+1)
		if named {
			b = appendJSONString(b, n.Key)
			b = append(b, ": "...)
		}
		if isContainer(n.Kind) {
			b = e.members(o, b, nodes, i+1, j, n.Kind == decoder.KindObject, depth+1)
		} else {
			b = appendJSONValue(b, n)
		}
		if j < hi {
			b = append(b, ',')
		}
		b = o.maybeFlush(b)
		i = j
	}
	b = append(b, '\n')
	b = appendIndent(b, depth)
	return append(b, close)
}

const tabs = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"

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
		return strconv.AppendInt(b, int64(n.Num), 10)
	case decoder.KindUint:
		return strconv.AppendUint(b, n.Num, 10)
	case decoder.KindString:
		return appendJSONString(b, n.Str)
	case decoder.KindEnum:
		// The name may come from packet data: escape it.
		b = append(b, '"')
		b = appendJSONChars(b, n.Str)
		if n.Str == "" {
			b = append(b, "Unknown"...)
		}
		b = append(b, " ["...)
		b = strconv.AppendUint(b, n.Num, 10)
		return append(b, "]\""...)
	}
	// The remaining kinds render as strings of safe ASCII characters.
	b = append(b, '"')
	switch n.Kind {
	case decoder.KindBytes:
		b = appendHex(b, n.Bin)
	case decoder.KindIPv4, decoder.KindIPv6:
		b = appendIP(b, n.Bin)
	case decoder.KindMAC:
		b = appendMAC(b, n.Bin)
	case decoder.KindTime:
		b = appendTime(b, int64(n.Num), n.Aux, clampDigits(n.Digits))
	}
	return append(b, '"')
}

// appendJSONString appends s as a quoted JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendJSONChars(b, s)
	return append(b, '"')
}

// jsonSafe marks the ASCII bytes a JSON string holds as they are.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

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
