package reassembler

import (
	"math/rand/v2"
	"testing"
)

// TestConnTable checks the open-addressing table against a map under
// random insertions and removals, with hashes drawn from a small range
// (long probe runs, runs wrapping around the end of the slots, removals
// that shift entries back) and from the table's own hash.
func TestConnTable(t *testing.T) {
	for _, spread := range []uint64{5, 64, 1 << 40} {
		rng := rand.New(rand.NewPCG(1, spread))
		tab := newConnTable()
		ref := map[connKey]*conn{}
		var live []*conn
		for i := range 20000 {
			if len(live) > 0 && (rng.IntN(3) == 0 || len(live) > 300) {
				j := rng.IntN(len(live))
				c := live[j]
				tab.remove(c)
				delete(ref, c.key)
				live[j] = live[len(live)-1]
				live = live[:len(live)-1]
			} else {
				k := connKey{a: ipAddr{lo: uint64(i)}, b: ipAddr{lo: uint64(rng.IntN(4))}, ports: rng.Uint32(), v6: uint32(i & 1)}
				h := rng.Uint64() % spread
				if spread == 1<<40 {
					h = tab.hash(&k)
				}
				c := &conn{key: k, hash: h}
				if tab.get(h, &k) != nil {
					t.Fatalf("key %v found before insertion", k)
				}
				tab.put(c)
				ref[k] = c
				live = append(live, c)
			}
			if tab.n != len(ref) {
				t.Fatalf("table holds %d, want %d", tab.n, len(ref))
			}
			if i%97 == 0 {
				for k, c := range ref {
					if got := tab.get(c.hash, &k); got != c {
						t.Fatalf("spread %d, step %d: key %v gives %p, want %p", spread, i, k, got, c)
					}
				}
				seen := 0
				tab.each(func(c *conn) {
					if ref[c.key] != c {
						t.Fatalf("each gives %v, not in the table", c.key)
					}
					seen++
				})
				if seen != len(ref) {
					t.Fatalf("each gives %d, want %d", seen, len(ref))
				}
			}
		}
		// A removed key is not found, and others still are.
		for _, c := range live {
			tab.remove(c)
			if tab.get(c.hash, &c.key) != nil {
				t.Fatalf("key %v found after removal", c.key)
			}
		}
		if tab.n != 0 {
			t.Fatalf("%d left", tab.n)
		}
	}
}

// TestConnKeySides: both directions of a connection give one key and
// opposite sides, for IPv4 and IPv6 and equal addresses.
func TestConnKeySides(t *testing.T) {
	a4, b4 := addrOf([]byte{10, 0, 0, 1}), addrOf([]byte{10, 0, 0, 2})
	a6 := addrOf([]byte{0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	for _, s := range []segment{
		{src: a4, dst: b4, sport: 1000, dport: 80},
		{src: b4, dst: a4, sport: 80, dport: 1000},
		{v6: true, src: a6, dst: a6, sport: 5, dport: 4},
		{src: a4, dst: a4, sport: 7, dport: 7},
	} {
		r := segment{v6: s.v6, src: s.dst, dst: s.src, sport: s.dport, dport: s.sport}
		k1, d1 := s.key()
		k2, d2 := r.key()
		if !k1.eq(&k2) || (d1 == d2) != (s.src == s.dst && s.sport == s.dport) {
			t.Errorf("%+v: keys %+v/%d and %+v/%d", s, k1, d1, k2, d2)
		}
	}
	for _, c := range []struct {
		a    ipAddr
		v6   uint32
		want string
	}{{a4, 0, "\x0a\x00\x00\x01"}, {a6, 1, "\x20\x01\x0d\xb8" + string(make([]byte, 11)) + "\x01"}} {
		cn := &conn{key: connKey{v6: c.v6}, addr: [2]ipAddr{c.a, b4}}
		if st := cn.record("fin"); string(st.Src) != c.want || cap(st.Src) != len(c.want) {
			t.Errorf("record source %x, want %x", st.Src, c.want)
		}
	}
}
