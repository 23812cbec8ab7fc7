package reporter

import (
	"strconv"
	"unicode/utf8"

	"github.com/pcapflow/pcapflow/decoder"
)

// Tree text layout (PyPCAPKit's "tree" format, DictDumper's Tree):
//
//	Frame 1
//	  |-- frame_info
//	  |     |-- ts_sec -> 1511106545
//	  |     |-- orig_len -> 86
//	  |-- ethernet
//	  |     |-- type -> IPv6 [34525]
//	  |     |-- payload
//	  |           |--> 60 00 00 00 00 20 3a ff fe 80 00 00 00 00 00 00
//	  |                00 a6 87 f9 27 93 16 ee
//	  |-- protocols -> Ethernet:IPv6:ICMPv6
//
// Every member line is the indentation context, then "  |-- key". A
// scalar follows on the same line after " -> ". A container's members
// follow on the next lines, with the context extended by "  |   " when the
// container has a next sibling (so the bar continues down to it) or by six
// spaces when it is the last. Array items are "  |--> value" (a container
// item is "  |--> --" followed by its members). Strings longer than
// textWidth characters and byte strings longer than hexPerLine bytes start
// on their own "  |--> " line and continue on lines indented to the same
// column. Blocks are separated by one blank line.
const (
	textWidth  = 40 // characters per line of a wrapped string (DictDumper's width)
	hexPerLine = 16 // bytes per line of a wrapped byte string

	ctxBranch = "  |   "
	ctxSpaces = "      "
)

// textEncoder renders a report as PyPCAPKit's tree text. It keeps the
// indentation context and a scratch buffer between calls (reused storage,
// no allocation in steady state).
type textEncoder struct {
	ctx     []byte
	scratch []byte
}

func (*textEncoder) begin(b []byte) []byte { return b }

func (e *textEncoder) block(o *out, b []byte, name string, nodes []decoder.Node, index int) []byte {
	if index > 0 {
		b = append(b, '\n')
	}
	e.scratch, _ = appendClean(e.scratch[:0], name)
	b = append(b, e.scratch...)
	e.ctx = e.ctx[:0]
	if len(nodes) == 0 {
		b = append(b, " -> {}"...)
	} else {
		b = e.members(o, b, nodes, 0, len(nodes), true)
	}
	return append(b, '\n')
}

func (*textEncoder) end(b []byte, _ int) []byte { return b }

// members appends the lines of the members nodes[lo:hi] of an object
// (named) or array.
func (e *textEncoder) members(o *out, b []byte, nodes []decoder.Node, lo, hi int, named bool) []byte {
	for i := lo; i < hi; {
		n := &nodes[i]
		j := next(nodes, i, hi)
		last := j >= hi
		b = append(b, '\n')
		b = append(b, e.ctx...)
		if named {
			b = append(b, "  |-- "...)
			e.scratch, _ = appendClean(e.scratch[:0], n.Key())
			b = append(b, e.scratch...)
		} else {
			b = append(b, "  |-"...)
		}
		mark := len(e.ctx)
		if last {
			e.ctx = append(e.ctx, ctxSpaces...)
		} else {
			e.ctx = append(e.ctx, ctxBranch...)
		}
		switch {
		case isContainer(n.Kind) && j > i+1:
			if !named {
				b = append(b, "-> --"...)
			}
			b = e.members(o, b, nodes, i+1, j, n.Kind == decoder.KindObject)
		default:
			b = e.value(b, n, named)
		}
		e.ctx = e.ctx[:mark]
		b = o.maybeFlush(b)
		i = j
	}
	return b
}

// value appends a scalar (or empty container) after its key or item
// marker. The context already holds the member's own indentation.
func (e *textEncoder) value(b []byte, n *decoder.Node, named bool) []byte {
	arrow := " -> "
	if !named {
		arrow = "-> "
	}
	switch n.Kind {
	case decoder.KindObject:
		return append(append(b, arrow...), "{}"...)
	case decoder.KindArray:
		return append(append(b, arrow...), "[]"...)
	case decoder.KindBytes:
		if len(n.Bin()) == 0 {
			return append(append(b, arrow...), `""`...)
		}
		if len(n.Bin()) <= hexPerLine {
			return appendHexGroups(append(b, arrow...), n.Bin())
		}
		return e.wrapHex(b, n.Bin(), named)
	case decoder.KindString, decoder.KindEnum:
		s := e.scratch[:0]
		var runes int
		if n.Kind == decoder.KindString {
			s, runes = appendClean(s, n.Str())
		} else {
			name := n.Str()
			if name == "" {
				name = "Unknown"
			}
			s, runes = appendClean(s, name)
			l := len(s)
			s = append(s, " ["...)
			s = strconv.AppendUint(s, n.Num, 10)
			s = append(s, ']')
			runes += len(s) - l
		}
		e.scratch = s
		if runes == 0 {
			return append(append(b, arrow...), `""`...)
		}
		if runes <= textWidth {
			return append(append(b, arrow...), s...)
		}
		return e.wrapText(b, s, named)
	}
	b = append(b, arrow...)
	switch n.Kind {
	case decoder.KindNull:
		return append(b, "NIL"...)
	case decoder.KindBool:
		if n.Num != 0 {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case decoder.KindInt:
		return strconv.AppendInt(b, int64(n.Num), 10)
	case decoder.KindUint:
		return strconv.AppendUint(b, n.Num, 10)
	case decoder.KindIPv4, decoder.KindIPv6, decoder.KindMAC:
		if len(n.Bin()) == 0 {
			return append(b, `""`...)
		}
		if n.Kind == decoder.KindMAC {
			return appendMAC(b, n.Bin())
		}
		return appendIP(b, n.Bin())
	case decoder.KindTime:
		return appendTime(b, int64(n.Num), n.Nsec(), clampDigits(n.Digits))
	}
	return b
}

// wrapStart begins a wrapped value: for a member, a new line with the
// "  |--> " marker; for an array item (whose marker "  |-" is already
// written), just the "-> " that completes it.
func (e *textEncoder) wrapStart(b []byte, named bool) []byte {
	if named {
		b = append(b, '\n')
		b = append(b, e.ctx...)
		return append(b, "  |--> "...)
	}
	return append(b, "-> "...)
}

// wrapLine begins a continuation line aligned with the first.
func (e *textEncoder) wrapLine(b []byte, named bool) []byte {
	b = append(b, '\n')
	if named {
		b = append(b, e.ctx...)
	} else {
		// An array item's lines align under its own marker, whose context
		// is the one before this item's extension; the bar continues down
		// to the next item, if any.
		outer := len(e.ctx) - len(ctxBranch)
		b = append(b, e.ctx[:outer]...)
		if string(e.ctx[outer:]) == ctxBranch {
			return append(b, "  |    "...)
		}
	}
	return append(b, "       "...)
}

// wrapHex appends v as lines of hexPerLine space-separated bytes.
func (e *textEncoder) wrapHex(b []byte, v []byte, named bool) []byte {
	b = e.wrapStart(b, named)
	for i := 0; i < len(v); i += hexPerLine {
		if i > 0 {
			b = e.wrapLine(b, named)
		}
		b = appendHexGroups(b, v[i:min(i+hexPerLine, len(v))])
	}
	return b
}

// wrapText appends the cleaned string s in lines of at most textWidth
// characters, breaking at spaces where it can (as Python's textwrap does)
// and inside a word longer than a line.
func (e *textEncoder) wrapText(b []byte, s []byte, named bool) []byte {
	b = e.wrapStart(b, named)
	first := true
	for pos := 0; pos < len(s); {
		for pos < len(s) && s[pos] == ' ' {
			pos++
		}
		if pos >= len(s) {
			break
		}
		// Scan up to textWidth runes; remember the last word end.
		i, count, wordEnd := pos, 0, -1
		for i < len(s) && count < textWidth {
			_, sz := utf8.DecodeRune(s[i:])
			i += sz
			count++
			if i == len(s) || s[i] == ' ' {
				wordEnd = i
			}
		}
		end := i
		if i < len(s) && s[i] != ' ' && wordEnd > pos {
			end = wordEnd
		}
		line := s[pos:end]
		for len(line) > 0 && line[len(line)-1] == ' ' {
			line = line[:len(line)-1]
		}
		if !first {
			b = e.wrapLine(b, named)
		}
		first = false
		b = append(b, line...)
		pos = end
	}
	return b
}
