package bus

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/pcapflow/pcapflow/decoder"
)

// ExtTime is the msgpack extension type of a report timestamp: 13 bytes,
// big-endian int64 Unix seconds, big-endian uint32 nanoseconds, one byte of
// fraction digits (the precision the capture stored).
const ExtTime int8 = 1

const extTimeLen = 13

// maxTreeNodes bounds the nodes decoded from one tree, so that a hostile
// message cannot make a consumer allocate without limit.
const maxTreeNodes = 1 << 20

// EncodeTree writes t as a msgpack map of its root-level nodes, keeping
// their order: objects become maps, arrays arrays, and the leaves
//
//	Null → nil, Bool → bool, Int → int64, Uint → uint, String → str,
//	Bytes → bin, IPv4/IPv6/MAC/Enum → str (rendered as the reports render
//	them), Time → ext 1 (see ExtTime).
//
// The renderers print IPv4, IPv6, MAC and Enum values as strings, so a tree
// decoded by DecodeTree renders byte for byte as the original.
// maxTreeDepth bounds the nesting of a decoded Tree: one object per layer
// (at most decoder.MaxLayers) plus the frame block and the structure inside
// a layer's fields (options, records, ...).
const maxTreeDepth = decoder.MaxLayers + 32

func EncodeTree(e *msgpack.Encoder, t *decoder.Tree) error {
	return encodeChildren(e, t.Nodes, 0, len(t.Nodes), true)
}

// encodeChildren writes the nodes in [lo, hi), which are the children of one
// container, as a map (keyed) or an array.
func encodeChildren(e *msgpack.Encoder, nodes []decoder.Node, lo, hi int, keyed bool) error {
	n := 0
	for i := lo; i < hi; i = nextSibling(nodes, i) {
		n++
	}
	var err error
	if keyed {
		err = e.EncodeMapLen(n)
	} else {
		err = e.EncodeArrayLen(n)
	}
	if err != nil {
		return err
	}
	for i := lo; i < hi; i = nextSibling(nodes, i) {
		nd := &nodes[i]
		if keyed {
			if err := e.EncodeString(nd.Key()); err != nil {
				return err
			}
		}
		if err := encodeNode(e, nodes, i); err != nil {
			return err
		}
	}
	return nil
}

// nextSibling returns the index after node i and its descendants.
func nextSibling(nodes []decoder.Node, i int) int {
	end := int(nodes[i].End)
	if end <= i || end > len(nodes) {
		return i + 1 // a leaf, or a container that was never closed
	}
	return end
}

func encodeNode(e *msgpack.Encoder, nodes []decoder.Node, i int) error {
	nd := &nodes[i]
	switch nd.Kind {
	case decoder.KindObject, decoder.KindArray:
		return encodeChildren(e, nodes, i+1, nextSibling(nodes, i), nd.Kind == decoder.KindObject)
	case decoder.KindNull:
		return e.EncodeNil()
	case decoder.KindBool:
		return e.EncodeBool(nd.Num != 0)
	case decoder.KindInt:
		return e.EncodeInt64(int64(nd.Num))
	case decoder.KindUint:
		return e.EncodeUint(nd.Num)
	case decoder.KindString:
		return e.EncodeString(nd.Str())
	case decoder.KindBytes:
		if err := e.EncodeBytesLen(len(nd.Bin())); err != nil {
			return err
		}
		return encWrite(e, nd.Bin())
	case decoder.KindIPv4, decoder.KindIPv6, decoder.KindMAC, decoder.KindEnum:
		var buf [64]byte
		return e.EncodeString(string(AppendRendered(buf[:0], nd)))
	case decoder.KindTime:
		var b [extTimeLen]byte
		binary.BigEndian.PutUint64(b[0:8], nd.Num)
		binary.BigEndian.PutUint32(b[8:12], nd.Nsec())
		b[12] = nd.Digits
		if err := e.EncodeExtHeader(ExtTime, extTimeLen); err != nil {
			return err
		}
		return encWrite(e, b[:])
	}
	return fmt.Errorf("encode tree: node %q has unknown kind %d", nd.Key(), nd.Kind)
}

func encWrite(e *msgpack.Encoder, b []byte) error {
	_, err := e.Writer().Write(b)
	return err
}

// AppendRendered appends the string form of an IPv4, IPv6, MAC or Enum
// node, as the reports print it: dotted quad, RFC 5952, aa:bb:cc, and
// "Name [value]" ("Unknown [value]" without a name).
func AppendRendered(b []byte, nd *decoder.Node) []byte {
	switch nd.Kind {
	case decoder.KindIPv4, decoder.KindIPv6:
		if a, ok := netip.AddrFromSlice(nd.Bin()); ok {
			return a.AppendTo(b)
		}
		return appendHex(b, nd.Bin(), 0)
	case decoder.KindMAC:
		return appendHex(b, nd.Bin(), ':')
	case decoder.KindEnum:
		if nd.Str() == "" {
			b = append(b, "Unknown"...)
		} else {
			b = append(b, nd.Str()...)
		}
		b = append(b, " ["...)
		b = strconv.AppendUint(b, nd.Num, 10)
		return append(b, ']')
	}
	return b
}

func appendHex(b, v []byte, sep byte) []byte {
	const hexd = "0123456789abcdef"
	for i, c := range v {
		if i > 0 && sep != 0 {
			b = append(b, sep)
		}
		b = append(b, hexd[c>>4], hexd[c&15])
	}
	return b
}

// DecodeTree reads a tree written by EncodeTree into t (which is reset
// first), preserving the order of every map and array.
func DecodeTree(d *msgpack.Decoder, t *decoder.Tree) error {
	t.Reset()
	c, err := d.PeekCode()
	if err != nil {
		return err
	}
	if c == msgpcode.Nil {
		return d.DecodeNil()
	}
	budget := maxTreeNodes
	return decodeMapInto(d, t, &budget)
}

func decodeMapInto(d *msgpack.Decoder, t *decoder.Tree, budget *int) error {
	n, err := d.DecodeMapLen()
	if err != nil {
		return fmt.Errorf("decode tree: %w", err)
	}
	for i := 0; i < n; i++ {
		k, err := d.DecodeString()
		if err != nil {
			return fmt.Errorf("decode tree key: %w", err)
		}
		if err := decodeValue(d, t, k, budget); err != nil {
			return err
		}
	}
	return nil
}

func decodeValue(d *msgpack.Decoder, t *decoder.Tree, key string, budget *int) error {
	*budget--
	if *budget < 0 {
		return fmt.Errorf("decode tree: more than %d nodes", maxTreeNodes)
	}
	if t.Depth() > maxTreeDepth {
		return fmt.Errorf("decode tree: nested deeper than %d", maxTreeDepth)
	}
	c, err := d.PeekCode()
	if err != nil {
		return err
	}
	switch {
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		t.Object(key)
		if err := decodeMapInto(d, t, budget); err != nil {
			return err
		}
		t.Close()
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := d.DecodeArrayLen()
		if err != nil {
			return err
		}
		t.Array(key)
		for i := 0; i < n; i++ {
			if err := decodeValue(d, t, "", budget); err != nil {
				return err
			}
		}
		t.Close()
	case c == msgpcode.Nil:
		if err := d.DecodeNil(); err != nil {
			return err
		}
		t.Null(key)
	case c == msgpcode.False || c == msgpcode.True:
		v, err := d.DecodeBool()
		if err != nil {
			return err
		}
		t.Bool(key, v)
	case c <= msgpcode.PosFixedNumHigh || (c >= msgpcode.Uint8 && c <= msgpcode.Uint64):
		v, err := d.DecodeUint64()
		if err != nil {
			return err
		}
		t.Uint(key, v)
	case c >= msgpcode.NegFixedNumLow || (c >= msgpcode.Int8 && c <= msgpcode.Int64):
		v, err := d.DecodeInt64()
		if err != nil {
			return err
		}
		t.Int(key, v)
	case msgpcode.IsString(c):
		v, err := d.DecodeString()
		if err != nil {
			return err
		}
		t.String(key, v)
	case msgpcode.IsBin(c):
		v, err := readBin(d)
		if err != nil {
			return err
		}
		t.Bytes(key, v)
	case msgpcode.IsExt(c):
		id, n, err := d.DecodeExtHeader()
		if err != nil {
			return err
		}
		if id != ExtTime || n != extTimeLen {
			return fmt.Errorf("decode tree: unknown extension %d (%d bytes) at %q", id, n, key)
		}
		var b [extTimeLen]byte
		if err := d.ReadFull(b[:]); err != nil {
			return err
		}
		t.Time(key, int64(binary.BigEndian.Uint64(b[0:8])), binary.BigEndian.Uint32(b[8:12]), b[12])
	default:
		return fmt.Errorf("decode tree: unsupported msgpack code 0x%02x at %q", c, key)
	}
	return nil
}

// blobChunk is the most readBin allocates before the bytes it read justify
// more.
const blobChunk = 64 << 10

// readBin reads a bin value. The library's DecodeBytes allocates the
// length a bin header states before reading a byte (its DecodeString
// grows as it reads): a message of a few bytes claiming 4 GiB costs a
// 4 GiB allocation, zeroed again each time the runtime reuses it (tens of
// seconds per message once the heap has grown). Here the buffer grows only
// as bytes arrive, so a message cut short costs at most about twice its
// own size.
func readBin(d *msgpack.Decoder) ([]byte, error) {
	n, err := d.DecodeBytesLen()
	if err != nil || n < 0 {
		return nil, err
	}
	b := make([]byte, 0, min(n, blobChunk))
	for len(b) < n {
		k := min(n-len(b), max(len(b), blobChunk))
		b = slices.Grow(b, k)
		if err := d.ReadFull(b[len(b) : len(b)+k]); err != nil {
			return nil, err
		}
		b = b[:len(b)+k]
	}
	return b, nil
}

// EncodeSubtree writes node i of nodes (an object) as a map of its
// children, as EncodeTree writes a whole tree; a leaf is written as its
// value.
func EncodeSubtree(e *msgpack.Encoder, nodes []decoder.Node, i int) error {
	return encodeNode(e, nodes, i)
}

// EncodeLayerFields writes the own fields of layer n of p as a map: the
// children of the layer's object in t (a tree holding p.Fields, alone or
// inside a frame block), in order, without the object of layer n+1 that
// nests inside it (its last child). The innermost layer's object also holds what p.Fields
// puts after the layers (the frame's "error" and "raw" remaining payload).
// A layer without an object in t is written as nil.
func EncodeLayerFields(e *msgpack.Encoder, t *decoder.Tree, p *decoder.Packet, n int) error {
	at := layerNodeFrom(t, p, n, 0, len(t.Nodes), 0)
	if at < 0 {
		return e.EncodeNil()
	}
	nodes := t.Nodes
	lo, hi := at+1, nextSibling(nodes, at)
	// p.Fields writes the next layer's object last among the children.
	cnt, last := 0, -1
	for i := lo; i < hi; i = nextSibling(nodes, i) {
		cnt++
		last = i
	}
	skip := -1
	if n+1 < p.N && last >= 0 && nodes[last].Kind == decoder.KindObject && nodes[last].Key() == p.Layers[n+1].Proto.Key() {
		skip = last
		cnt--
	}
	if err := e.EncodeMapLen(cnt); err != nil {
		return err
	}
	for i := lo; i < hi; i = nextSibling(nodes, i) {
		if i == skip {
			continue
		}
		if err := e.EncodeString(nodes[i].Key()); err != nil {
			return err
		}
		if err := encodeNode(e, nodes, i); err != nil {
			return err
		}
	}
	return nil
}

// LayerNode returns the index in t of the report object of layer n of a
// frame tree built by reporter.BuildFrame (the objects nest in layer
// order), or -1.
func LayerNode(t *decoder.Tree, p *decoder.Packet, n int) int {
	return layerNodeFrom(t, p, n, 0, len(t.Nodes), 0)
}

// layerNodeFrom is LayerNode searching [lo, hi), the children of the
// object of layer from-1 (the root when from is 0).
func layerNodeFrom(t *decoder.Tree, p *decoder.Packet, n, lo, hi, from int) int {
	if n < 0 || n >= p.N {
		return -1
	}
	at := -1
	for l := from; l <= n; l++ {
		key := p.Layers[l].Proto.Key()
		at = -1
		for i := lo; i < hi; i = nextSibling(t.Nodes, i) {
			nd := &t.Nodes[i]
			if nd.Kind == decoder.KindObject && nd.Key() == key {
				at = i
				break
			}
		}
		if at < 0 {
			return -1
		}
		lo, hi = at+1, nextSibling(t.Nodes, at)
	}
	return at
}
