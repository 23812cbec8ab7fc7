package bus

import (
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// MaxDepth bounds how deeply the values of a bus message nest (the
// messages of this schema nest a few levels; a report tree goes through
// DecodeTree, not Unmarshal).
const MaxDepth = 100

// Unmarshal decodes the msgpack message data into v as msgpack.Unmarshal
// does, once CheckMessage has accepted it. Every bus message that the
// services read with the msgpack library goes through it: msgpack v5.4.1
// allocates the length a str or bin header claims, and an array's
// elements, before it reads them (a 4 GiB bin for a 6-byte message), and
// skips a nested value (a RawMessage) by recursion, one call per level.
// A panic of the library's reflection is an error too: it panics when a
// message puts a value in an interface field (tracer.Config's Sink, in
// the options every capture carries).
func Unmarshal(data []byte, v any) (err error) {
	if err := CheckMessage(data); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("bad message: %v", p)
		}
	}()
	return msgpack.Unmarshal(data, v)
}

// CheckMessage checks that data starts with one whole msgpack value whose
// str, bin and ext lengths fit in the bytes that follow their headers,
// whose arrays and maps claim no more items than bytes remain (each item
// takes one at least), and which nests at most MaxDepth levels. Bytes
// after the value are not looked at, as msgpack.Unmarshal ignores them.
// It allocates nothing.
func CheckMessage(data []byte) error {
	r := &rd{b: data}
	var stack [MaxDepth]int // items left in each open array or map
	depth := 0
	pending := 1 // items not read yet, nested ones included
	for {
		c := r.byte1()
		items := 0
		switch {
		case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		case c >= 0x80 && c <= 0x8f:
			items = 2 * int(c&0x0f)
		case c >= 0x90 && c <= 0x9f:
			items = int(c & 0x0f)
		case c >= 0xa0 && c <= 0xbf:
			r.advance(int(c & 0x1f))
		case c == 0xc4 || c == 0xd9:
			r.advance(int(r.be(1)))
		case c == 0xc5 || c == 0xda:
			r.advance(int(r.be(2)))
		case c == 0xc6 || c == 0xdb:
			r.advance(int(r.be(4)))
		case c == 0xc7:
			r.advance(1 + int(r.be(1)))
		case c == 0xc8:
			r.advance(1 + int(r.be(2)))
		case c == 0xc9:
			r.advance(1 + int(r.be(4)))
		case c == 0xca:
			r.advance(4)
		case c == 0xcb:
			r.advance(8)
		case c >= 0xcc && c <= 0xcf:
			r.advance(1 << (c - 0xcc))
		case c >= 0xd0 && c <= 0xd3:
			r.advance(1 << (c - 0xd0))
		case c >= 0xd4 && c <= 0xd8:
			r.advance(1 + 1<<(c-0xd4))
		case c == 0xdc:
			items = int(r.be(2))
		case c == 0xdd:
			items = int(r.be(4))
		case c == 0xde:
			items = 2 * int(r.be(2))
		case c == 0xdf:
			items = 2 * int(r.be(4))
		default:
			r.fail(fmt.Errorf("msgpack: bad code 0x%02x", c))
		}
		if r.err != nil {
			return fmt.Errorf("bad message: %w", r.err)
		}
		pending += items - 1
		if pending > len(data)-r.i {
			return fmt.Errorf("bad message: %w (%d items claimed, %d bytes left)", errShort, pending, len(data)-r.i)
		}
		if items > 0 {
			if depth == MaxDepth {
				return fmt.Errorf("bad message: values nested more than %d deep", MaxDepth)
			}
			stack[depth] = items
			depth++
			continue
		}
		// A value is whole: so is every container it completes.
		for {
			if depth == 0 {
				return nil
			}
			stack[depth-1]--
			if stack[depth-1] > 0 {
				break
			}
			depth--
		}
	}
}
