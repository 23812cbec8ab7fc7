package reporter

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"

	"github.com/pcapflow/pcapflow/decoder"
)

const plistHeader = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
`

// plistEncoder renders a report as an XML property list 1.0 whose root
// dictionary maps block names to block dictionaries.
type plistEncoder struct{}

func (plistEncoder) begin(b []byte) []byte { return append(b, plistHeader...) }

func (e plistEncoder) block(o *out, b []byte, name string, nodes []decoder.Node, _ int) []byte {
	b = append(b, "\t<key>"...)
	b = appendXMLChars(b, name)
	b = append(b, "</key>\n\t"...)
	b = e.members(o, b, nodes, 0, len(nodes), true, 1)
	return append(b, '\n')
}

func (plistEncoder) end(b []byte, _ int) []byte { return append(b, "</dict>\n</plist>\n"...) }

// members appends a <dict> (named) or <array> holding nodes[lo:hi]; the
// caller has written the indentation of the opening tag.
func (e plistEncoder) members(o *out, b []byte, nodes []decoder.Node, lo, hi int, named bool, depth int) []byte {
	tag := "dict"
	if !named {
		tag = "array"
	}
	if lo >= hi {
		b = append(b, '<')
		b = append(b, tag...)
		return append(b, "/>"...)
	}
	b = append(b, '<')
	b = append(b, tag...)
	b = append(b, ">\n"...)
	for i := lo; i < hi; {
		n := &nodes[i]
		j := next(nodes, i, hi)
		if n.Kind == decoder.KindNull && named {
			// Plist has no null: a null member is left out of its dict.
			i = j
			continue
		}
		if named {
			b = appendIndent(b, depth+1)
			b = append(b, "<key>"...)
			b = appendXMLChars(b, n.Key())
			b = append(b, "</key>\n"...)
		}
		b = appendIndent(b, depth+1)
		if isContainer(n.Kind) {
			b = e.members(o, b, nodes, i+1, j, n.Kind == decoder.KindObject, depth+1)
		} else {
			b = appendPlistValue(b, n)
		}
		b = append(b, '\n')
		b = o.maybeFlush(b)
		i = j
	}
	b = appendIndent(b, depth)
	b = append(b, "</"...)
	b = append(b, tag...)
	return append(b, '>')
}

// The range of a plist <date>: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
const (
	minDateSec = -62135596800
	maxDateSec = 253402300799
)

// appendPlistValue appends a scalar node as a plist element.
func appendPlistValue(b []byte, n *decoder.Node) []byte {
	switch n.Kind {
	case decoder.KindNull:
		// Only reached inside arrays, where leaving it out would shift the
		// indexes of the following items.
		return append(b, "<string></string>"...)
	case decoder.KindBool:
		if n.Num != 0 {
			return append(b, "<true/>"...)
		}
		return append(b, "<false/>"...)
	case decoder.KindInt:
		b = append(b, "<integer>"...)
		b = strconv.AppendInt(b, int64(n.Num), 10)
		return append(b, "</integer>"...)
	case decoder.KindUint:
		b = append(b, "<integer>"...)
		b = strconv.AppendUint(b, n.Num, 10)
		return append(b, "</integer>"...)
	case decoder.KindBytes:
		b = append(b, "<data>"...)
		b = base64.StdEncoding.AppendEncode(b, n.Bin())
		return append(b, "</data>"...)
	case decoder.KindTime:
		if sec := int64(n.Num); sec < minDateSec || sec > maxDateSec {
			// <date> holds years 1 to 9999 only.
			b = append(b, "<string>"...)
			b = appendTime(b, sec, n.Nsec(), clampDigits(n.Digits))
			return append(b, "</string>"...)
		}
		// Second precision: plistlib and CoreFoundation reject fractions.
		b = append(b, "<date>"...)
		b = appendTime(b, int64(n.Num), 0, 0)
		return append(b, "</date>"...)
	}
	b = append(b, "<string>"...)
	switch n.Kind {
	case decoder.KindString:
		b = appendXMLChars(b, n.Str())
	case decoder.KindEnum:
		if n.Str() == "" {
			b = append(b, "Unknown"...)
		} else {
			b = appendXMLChars(b, n.Str())
		}
		b = append(b, " ["...)
		b = strconv.AppendUint(b, n.Num, 10)
		b = append(b, ']')
	case decoder.KindIPv4, decoder.KindIPv6:
		b = appendIP(b, n.Bin())
	case decoder.KindMAC:
		b = appendMAC(b, n.Bin())
	}
	return append(b, "</string>"...)
}

// appendXMLChars appends s as XML character data: &, < and > are escaped,
// a carriage return is written as &#13; (XML parsers would turn a raw one
// into a line feed), invalid UTF-8 becomes U+FFFD, and the characters XML
// 1.0 forbids (controls other than tab, line feed and carriage return, and
// U+FFFE, U+FFFF) are left out.
func appendXMLChars(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '&' && c != '<' && c != '>' || c == '\t' || c == '\n' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '&':
				b = append(b, "&amp;"...)
			case '<':
				b = append(b, "&lt;"...)
			case '>':
				b = append(b, "&gt;"...)
			case '\r':
				b = append(b, "&#13;"...)
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			start = i + 1
		case r == 0xFFFE || r == 0xFFFF:
			b = append(b, s[start:i]...)
			start = i + n
		}
		i += n
	}
	return append(b, s[start:]...)
}
