package tracer

import (
	"math/bits"
	"math/rand/v2"
)

// flowKey is a flow's canonical 5-tuple in five words: the addresses as
// big-endian words (an IPv4 address fills the top 4 bytes of the first
// word), and the ports, protocol and IP version packed into x. Keys are
// equal when the tuples are, and comparing a and b as words orders the
// addresses as their bytes.
type flowKey struct {
	a0, a1, b0, b1 uint64
	x              uint64
}

func (k *flowKey) eq(o *flowKey) bool {
	return k.a0 == o.a0 && k.a1 == o.a1 && k.b0 == o.b0 && k.b1 == o.b1 && k.x == o.x
}

func packX(sport, dport uint16, proto uint8, v6 bool) uint64 {
	x := uint64(sport) | uint64(dport)<<16 | uint64(proto)<<32
	if v6 {
		x |= 1 << 40
	}
	return x
}

// flowTable maps keys to open flows: open addressing with linear probing
// over a power-of-two array of (hash, flow) slots, at most half full.
// A lookup hashes the five key words (seeded per table, so that a capture
// cannot choose colliding tuples) and compares keys only on a full hash
// match; deletion shifts the following entries back (no tombstones).
type flowTable struct {
	slots []tslot
	mask  uint64
	n     int
	seed  [6]uint64
}

type tslot struct {
	h uint64
	f *flow // nil: empty
}

const minTableSlots = 64

func newFlowTable() flowTable {
	t := flowTable{slots: make([]tslot, minTableSlots), mask: minTableSlots - 1}
	for i := range t.seed {
		t.seed[i] = rand.Uint64() | 1
	}
	return t
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func (t *flowTable) hash(k *flowKey) uint64 {
	s := &t.seed
	h := mix(k.a0^s[0], k.a1^s[1]) ^ mix(k.b0^s[2], k.b1^s[3])
	return mix(h^k.x^s[4], s[5])
}

// get returns the flow of k (hash h), or nil.
func (t *flowTable) get(k *flowKey, h uint64) *flow {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.f == nil {
			return nil
		}
		if s.h == h && s.f.key.eq(k) {
			return s.f
		}
	}
}

// insert adds f (not in the table), whose key hashes to h.
func (t *flowTable) insert(f *flow, h uint64) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	t.place(h, f)
	t.n++
}

func (t *flowTable) place(h uint64, f *flow) {
	i := h & t.mask
	for t.slots[i].f != nil {
		i = (i + 1) & t.mask
	}
	t.slots[i] = tslot{h, f}
}

func (t *flowTable) grow() {
	old := t.slots
	t.slots = make([]tslot, 2*len(old))
	t.mask = uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.f != nil {
			t.place(s.h, s.f)
		}
	}
}

// remove deletes f, which is in the table.
func (t *flowTable) remove(f *flow) {
	i := t.hash(&f.key) & t.mask
	for t.slots[i].f != f {
		i = (i + 1) & t.mask
	}
	// Shift back the entries after the hole that may move into it: those
	// whose home slot is not after the hole (cyclically).
	for j := (i + 1) & t.mask; t.slots[j].f != nil; j = (j + 1) & t.mask {
		home := t.slots[j].h & t.mask
		if (j-home)&t.mask >= (j-i)&t.mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = tslot{}
	t.n--
}

// clear empties the table.
func (t *flowTable) clear() {
	clear(t.slots)
	t.n = 0
}
