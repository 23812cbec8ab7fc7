package decoder

// Tree is pcapflow's report model: an ordered tree of named values, stored
// flat in pre-order so that building one per frame reuses the same slice and
// does not allocate. Every renderer (JSON, plist, tree text) and the bus
// encoding read the same Tree, so they always carry the same facts.
//
// Byte values (Bytes, IPv4, IPv6, MAC) alias the slice passed in: a Tree
// built from a frame is valid only as long as the frame's bytes are.
type Tree struct {
	Nodes []Node
	open  []int32 // indexes of the containers still open
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
	KindTime   // Num: Unix seconds (int64), Aux: nanoseconds, Digits: precision
)

// Node is one value of a Tree.
type Node struct {
	Key  string
	Kind Kind
	// Digits is the fraction precision of a KindTime value.
	Digits uint8
	// Aux holds the nanoseconds of a KindTime value.
	Aux uint32
	// End is, for a container, the index one past its last descendant.
	End int32
	Num uint64
	Str string
	Bin []byte
}

// Int returns the node's value as a signed integer (KindInt, KindTime).
func (n *Node) Int() int64 { return int64(n.Num) }

// Reset empties the tree, keeping its storage.
func (t *Tree) Reset() {
	t.Nodes = t.Nodes[:0]
	t.open = t.open[:0]
}

func (t *Tree) add(n Node) {
	n.End = int32(len(t.Nodes) + 1)
	t.Nodes = append(t.Nodes, n)
}

// Object opens a nested object under key (key "" inside arrays).
func (t *Tree) Object(key string) {
	t.open = append(t.open, int32(len(t.Nodes)))
	t.Nodes = append(t.Nodes, Node{Key: key, Kind: KindObject})
}

// Array opens a nested array under key.
func (t *Tree) Array(key string) {
	t.open = append(t.open, int32(len(t.Nodes)))
	t.Nodes = append(t.Nodes, Node{Key: key, Kind: KindArray})
}

// Close closes the innermost open object or array.
func (t *Tree) Close() {
	i := t.open[len(t.open)-1]
	t.open = t.open[:len(t.open)-1]
	t.Nodes[i].End = int32(len(t.Nodes))
}

// Depth returns the number of open containers.
func (t *Tree) Depth() int { return len(t.open) }

func (t *Tree) Null(key string)             { t.add(Node{Key: key, Kind: KindNull}) }
func (t *Tree) Uint(key string, v uint64)   { t.add(Node{Key: key, Kind: KindUint, Num: v}) }
func (t *Tree) Int(key string, v int64)     { t.add(Node{Key: key, Kind: KindInt, Num: uint64(v)}) }
func (t *Tree) String(key string, v string) { t.add(Node{Key: key, Kind: KindString, Str: v}) }
func (t *Tree) Bytes(key string, v []byte)  { t.add(Node{Key: key, Kind: KindBytes, Bin: v}) }
func (t *Tree) IPv4(key string, v []byte)   { t.add(Node{Key: key, Kind: KindIPv4, Bin: v}) }
func (t *Tree) IPv6(key string, v []byte)   { t.add(Node{Key: key, Kind: KindIPv6, Bin: v}) }
func (t *Tree) MAC(key string, v []byte)    { t.add(Node{Key: key, Kind: KindMAC, Bin: v}) }

func (t *Tree) Bool(key string, v bool) {
	var n uint64
	if v {
		n = 1
	}
	t.add(Node{Key: key, Kind: KindBool, Num: n})
}

// Enum adds a numeric code with its symbolic name ("IPv6 [34525]"); an
// empty name renders as "Unknown [value]".
func (t *Tree) Enum(key string, v uint64, name string) {
	t.add(Node{Key: key, Kind: KindEnum, Num: v, Str: name})
}

// Time adds a timestamp with the given fraction precision in digits.
func (t *Tree) Time(key string, sec int64, nsec uint32, digits uint8) {
	t.add(Node{Key: key, Kind: KindTime, Num: uint64(sec), Aux: nsec, Digits: digits})
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
			if n.Key == k {
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
