package decoder

import (
	"fmt"
	"math"
	"unsafe"
)

// Tree is pcapflow's report model: an ordered tree of named values, stored
// flat in pre-order so that building one per frame reuses the same slice and
// does not allocate. Every renderer (JSON, plist, tree text) and the bus
// encoding read the same Tree, so they always carry the same facts.
//
// Byte values (Bytes, IPv4, IPv6, MAC) and StringBytes values alias the
// slice passed in: a Tree built from a frame is valid only as long as the
// frame's bytes are.
type Tree struct {
	Nodes []Node
	open  []int32 // indexes of the containers still open
	// text holds values the decoder composes while filling the tree (DNS
	// names), which StringBytes nodes point into; reused after Reset.
	text []byte
}

// Kind is the type of a Node.
type Kind uint8

const (
	KindObject Kind = iota + 1 // children are named
	KindArray                  // children have empty keys
	KindNull
	KindBool   // Num is 0 or 1
	KindInt    // Num holds an int64
	KindUint   // Num
	KindString // Str
	KindBytes  // Bin: rendered as hex (JSON, tree) or <data> (plist)
	KindIPv4   // Bin: 4 bytes, rendered as dotted quad
	KindIPv6   // Bin: 16 bytes, rendered in RFC 5952 form
	KindMAC    // Bin: 6 bytes (or other lengths), rendered aa:bb:cc
	KindEnum   // Num is the value, Str its name: rendered "Name [Num]"
	KindTime   // Num: Unix seconds (int64), Nsec: nanoseconds, Digits: precision
)

// Node is one value of a Tree. A node is 40 bytes: a frame's report is
// tens of nodes, written by the decoding goroutine and read by the
// rendering one, so their size is memory traffic on the main job's hot
// path (half of the 80 bytes a node took with a string key, a string and
// a byte slice as fields). Its key and its string or byte value are
// therefore kept as a pointer and a length each; Key, Str, Bin, Nsec and
// Value read them.
type Node struct {
	key *byte // Key
	val *byte // Str (KindString, KindEnum) or Bin (KindBytes, KindIPv4, KindIPv6, KindMAC)
	// Num is the value of KindBool, KindInt, KindUint and KindEnum nodes,
	// and the Unix seconds of a KindTime one.
	Num  uint64
	klen uint32
	vlen uint32 // length of the value; the nanoseconds of a KindTime node
	// End is, for a container, the index one past its last descendant.
	End  int32
	Kind Kind
	// Digits is the fraction precision of a KindTime value.
	Digits uint8
}

// maxValueLen bounds a key or value (their lengths are 32-bit).
const maxValueLen = math.MaxUint32

// Key returns the node's key ("" for an element of an array).
func (n *Node) Key() string { return unsafe.String(n.key, n.klen) }

// Str returns the value of a KindString node, or the name of a KindEnum
// one; "" for other kinds.
func (n *Node) Str() string {
	if n.Kind != KindString && n.Kind != KindEnum {
		return ""
	}
	return unsafe.String(n.val, n.vlen)
}

// Bin returns the bytes of a KindBytes, KindIPv4, KindIPv6 or KindMAC
// node (aliasing what was passed in, with no room to append), or nil.
func (n *Node) Bin() []byte {
	switch n.Kind {
	case KindBytes, KindIPv4, KindIPv6, KindMAC:
		return unsafe.Slice(n.val, n.vlen)
	}
	return nil
}

// Nsec returns the nanoseconds of a KindTime node, or 0.
func (n *Node) Nsec() uint32 {
	if n.Kind != KindTime {
		return 0
	}
	return n.vlen
}

// hasValue reports whether nodes of kind k hold a string or bytes value.
func hasValue(k Kind) bool {
	switch k {
	case KindString, KindEnum, KindBytes, KindIPv4, KindIPv6, KindMAC:
		return true
	}
	return false
}

// Value returns the bytes of a node's string or byte value (KindString,
// KindEnum, KindBytes, KindIPv4, KindIPv6, KindMAC) where they lie, not
// to be modified; nil for other kinds. With SetValue it lets a holder of
// the tree copy the values that alias a buffer about to be reused.
func (n *Node) Value() []byte {
	if !hasValue(n.Kind) {
		return nil
	}
	return unsafe.Slice(n.val, n.vlen)
}

// SetValue replaces the string or byte value of a node (see Value), for
// example with a copy that outlives the buffer the tree was built from.
// It does nothing to a node of another kind.
func (n *Node) SetValue(b []byte) {
	if hasValue(n.Kind) {
		n.val, n.vlen = unsafe.SliceData(b), valueLen(len(b))
	}
}

// valueLen returns n as a key or value length. A value of 4 GiB or more
// cannot come from a capture (frames, datagrams and the reassembler's
// stream caps are far smaller, and the bus's msgpack lengths are 32-bit):
// it is a programming error.
func valueLen(n int) uint32 {
	if uint64(n) > maxValueLen {
		panic("decoder: a Tree key or value of 4 GiB or more")
	}
	return uint32(n)
}

// String formats the node for tests and debugging.
func (n Node) String() string {
	return fmt.Sprintf("{Key:%q Kind:%d Num:%d Str:%q Bin:%x Nsec:%d Digits:%d End:%d}",
		n.Key(), n.Kind, n.Num, n.Str(), n.Bin(), n.Nsec(), n.Digits, n.End)
}

// Int returns the node's value as a signed integer (KindInt, KindTime).
func (n *Node) Int() int64 { return int64(n.Num) }

// Reset empties the tree, keeping its storage.
func (t *Tree) Reset() {
	t.Nodes = t.Nodes[:0]
	t.open = t.open[:0]
	t.text = t.text[:0]
}

// slot appends a node and returns it for the caller to fill. Filling the
// slice element field by field, rather than appending a Node value, avoids
// building a temporary and copying it (which also defeats store-to-load
// forwarding): this is the report builder's hot path.
// The node keeps whatever a previous frame left there: put overwrites
// every field.
func (t *Tree) slot() *Node {
	i := len(t.Nodes)
	if i == cap(t.Nodes) {
		t.grow()
	}
	t.Nodes = t.Nodes[:i+1]
	return &t.Nodes[i]
}

// grow makes room for at least one more node.
func (t *Tree) grow() {
	t.Nodes = append(t.Nodes, Node{})[:len(t.Nodes)]
}

// put appends a scalar node (End one past itself) with its value in num
// or in val (a string's or byte slice's data) and vlen.
func (t *Tree) put(key string, k Kind, num uint64, val *byte, vlen int) {
	n := t.slot()
	n.key = unsafe.StringData(key)
	n.val = val
	n.Num = num
	n.klen = valueLen(len(key))
	n.vlen = valueLen(vlen)
	n.End = int32(len(t.Nodes))
	n.Kind = k
	n.Digits = 0
}

// open appends a container node and marks it open.
func (t *Tree) openNode(key string, k Kind) {
	t.open = append(t.open, int32(len(t.Nodes)))
	t.put(key, k, 0, nil, 0)
}

// Object opens a nested object under key (key "" inside arrays).
func (t *Tree) Object(key string) { t.openNode(key, KindObject) }

// Array opens a nested array under key.
func (t *Tree) Array(key string) { t.openNode(key, KindArray) }

// Close closes the innermost open object or array.
func (t *Tree) Close() {
	i := t.open[len(t.open)-1]
	t.open = t.open[:len(t.open)-1]
	t.Nodes[i].End = int32(len(t.Nodes))
}

// Depth returns the number of open containers.
func (t *Tree) Depth() int { return len(t.open) }

func (t *Tree) Null(key string)           { t.put(key, KindNull, 0, nil, 0) }
func (t *Tree) Uint(key string, v uint64) { t.put(key, KindUint, v, nil, 0) }
func (t *Tree) Int(key string, v int64)   { t.put(key, KindInt, uint64(v), nil, 0) }
func (t *Tree) String(key string, v string) {
	t.put(key, KindString, 0, unsafe.StringData(v), len(v))
}

// StringBytes adds a string value held in v, without copying it: like a
// byte value it aliases v, so the tree is valid only while v's bytes are
// unchanged, and the Str of the node must not be kept past that.
func (t *Tree) StringBytes(key string, v []byte) {
	t.put(key, KindString, 0, unsafe.SliceData(v), len(v))
}
func (t *Tree) Bytes(key string, v []byte) { t.put(key, KindBytes, 0, unsafe.SliceData(v), len(v)) }
func (t *Tree) IPv4(key string, v []byte)  { t.put(key, KindIPv4, 0, unsafe.SliceData(v), len(v)) }
func (t *Tree) IPv6(key string, v []byte)  { t.put(key, KindIPv6, 0, unsafe.SliceData(v), len(v)) }
func (t *Tree) MAC(key string, v []byte)   { t.put(key, KindMAC, 0, unsafe.SliceData(v), len(v)) }

func (t *Tree) Bool(key string, v bool) {
	var n uint64
	if v {
		n = 1
	}
	t.put(key, KindBool, n, nil, 0)
}

// Enum adds a numeric code with its symbolic name ("IPv6 [34525]"); an
// empty name renders as "Unknown [value]".
func (t *Tree) Enum(key string, v uint64, name string) {
	t.put(key, KindEnum, v, unsafe.StringData(name), len(name))
}

// Time adds a timestamp with the given fraction precision in digits.
func (t *Tree) Time(key string, sec int64, nsec uint32, digits uint8) {
	t.put(key, KindTime, uint64(sec), nil, int(nsec))
	t.Nodes[len(t.Nodes)-1].Digits = digits
}

// Lookup returns the first node reached by the path of keys from the root
// level (e.g. "ethernet", "ipv4", "src"), or nil. It is meant for tests and
// tools, not hot paths.
func (t *Tree) Lookup(path ...string) *Node {
	lo, hi := 0, len(t.Nodes)
	var found *Node
	for _, k := range path {
		found = nil
		for i := lo; i < hi; {
			n := &t.Nodes[i]
			if n.Key() == k {
				found = n
				lo, hi = i+1, int(n.End)
				break
			}
			i = int(n.End)
		}
		if found == nil {
			return nil
		}
	}
	return found
}

// A Node stays 40 bytes (32 where pointers are 4 bytes; see Node).
var _ = [1]int{}[unsafe.Sizeof(Node{})-(24+2*unsafe.Sizeof(uintptr(0)))]
