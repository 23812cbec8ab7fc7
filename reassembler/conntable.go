package reassembler

import (
	"math/bits"
	"math/rand/v2"
)

// connTable maps connection keys to open connections: open addressing
// with linear probing over slots that hold each connection's hash next to
// it, so that a lookup compares full keys only on a 64-bit hash match
// (the 38-byte key hashed and compared by a Go map cost about a sixth of
// the per-segment time). The hash is seeded per table, so that a capture
// cannot be crafted to make every key collide. Deletion shifts the
// following entries back (no tombstones); the load stays at most 1/2.
type connTable struct {
	slots []connSlot // a power of two in length, or nil
	n     int
	seed  [3]uint64
}

type connSlot struct {
	h uint64
	c *conn // nil: empty
}

func newConnTable() connTable {
	return connTable{seed: [3]uint64{rand.Uint64(), rand.Uint64(), rand.Uint64()}}
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hash returns the seeded hash of k.
func (t *connTable) hash(k *connKey) uint64 {
	h := mix(k.a.hi^t.seed[0], k.a.lo^0x9e3779b97f4a7c15)
	h = mix(h^k.b.hi, k.b.lo^t.seed[1])
	return mix(h^(uint64(k.v6)<<32|uint64(k.ports)), t.seed[2]^0xbf58476d1ce4e5b9)
}

// eq reports whether k and o are the same key (a word at a time: the
// struct comparison calls memequal).
func (k *connKey) eq(o *connKey) bool {
	return k.a == o.a && k.b == o.b && k.ports == o.ports && k.v6 == o.v6
}

// get returns the connection of key k with hash h, or nil.
func (t *connTable) get(h uint64, k *connKey) *conn {
	if t.n == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.c == nil {
			return nil
		}
		if s.h == h && s.c.key.eq(k) {
			return s.c
		}
	}
}

// put adds c (not in the table) under its hash c.hash.
func (t *connTable) put(c *conn) {
	if 2*(t.n+1) > len(t.slots) {
		t.resize(max(64, 2*len(t.slots)))
	}
	t.insert(c.hash, c)
	t.n++
}

func (t *connTable) insert(h uint64, c *conn) {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].c != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = connSlot{h, c}
}

func (t *connTable) resize(n int) {
	old := t.slots
	t.slots = make([]connSlot, n)
	for _, s := range old {
		if s.c != nil {
			t.insert(s.h, s.c)
		}
	}
}

// remove deletes c, which is in the table.
func (t *connTable) remove(c *conn) {
	mask := uint64(len(t.slots) - 1)
	i := c.hash & mask
	for t.slots[i].c != c {
		i = (i + 1) & mask
	}
	// Shift back the entries of the run after i that may sit at i: those
	// whose home slot is not in (i, j].
	for j := (i + 1) & mask; t.slots[j].c != nil; j = (j + 1) & mask {
		home := t.slots[j].h & mask
		if (j-home)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = connSlot{}
	t.n--
}

// each calls f for every connection, in no particular order.
func (t *connTable) each(f func(*conn)) {
	for _, s := range t.slots {
		if s.c != nil {
			f(s.c)
		}
	}
}
