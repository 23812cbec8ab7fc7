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
		items := r.header()
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
