package reassembler

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
)

// udpDatagram builds an IPv4 or IPv6 UDP datagram with n payload bytes and
// returns it with its transport bytes (what reassembly must give back).
func udpDatagram(t testing.TB, v6 bool, n int, seed uint64) (pkt, transport []byte) {
	pl := craft.Payload(pattern(n, seed))
	if v6 {
		pkt = build(t, &craft.IPv6{HopLimit: 64, Src: a6, Dst: b6}, &craft.UDP{SrcPort: 5353, DstPort: 53}, pl)
		return pkt, pkt[40:]
	}
	pkt = build(t, &craft.IPv4{TTL: 64, ID: 0x1234, Src: a4, Dst: b4}, &craft.UDP{SrcPort: 5353, DstPort: 53}, pl)
	return pkt, pkt[20:]
}

func fragments(t testing.TB, v6 bool, pkt []byte, mtu int) [][]byte {
	var fr [][]byte
	var err error
	if v6 {
		fr, err = craft.FragmentIPv6(pkt, mtu, 0xabcdef)
	} else {
		fr, err = craft.FragmentIPv4(pkt, mtu)
	}
	if err != nil {
		t.Fatal(err)
	}
	return fr
}

func TestFragmentsInOrder(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v6=%v", v6), func(t *testing.T) {
			pkt, want := udpDatagram(t, v6, 3000, 1)
			fr := fragments(t, v6, pkt, 576)
			if len(fr) < 5 {
				t.Fatalf("only %d fragments", len(fr))
			}
			f := newFeeder(t, Config{})
			for _, b := range fr {
				f.feed(b)
			}
			ds := datagrams(f.flush())
			if len(ds) != 1 {
				t.Fatalf("got %d datagrams, want 1", len(ds))
			}
			d := ds[0]
			if !d.Complete || d.Length != uint32(len(want)) || len(d.Frames) != len(fr) {
				t.Errorf("complete=%v length=%d frames=%v, want complete, %d, %d frames", d.Complete, d.Length, d.Frames, len(want), len(fr))
			}
			sameBytes(t, "payload", d.Payload, want)
			// The payload decodes again as UDP.
			var tr decoder.Tree
			d.Fields(&tr)
			if n := tr.Lookup("packet", "udp"); n == nil {
				t.Errorf("reassembled payload not decoded as UDP")
			}
		})
	}
}

// TestFragmentsAnyOrder: permutations, duplicates and overlapping
// re-fragmentations give the same datagram as the in-order feed.
func TestFragmentsAnyOrder(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		pkt, want := udpDatagram(t, v6, 4000, 2)
		base := fragments(t, v6, pkt, 600)
		var small [][]byte // the same datagram cut differently: overlaps
		if !v6 {
			small = fragments(t, v6, pkt, 200)
		} else {
			small = fragments(t, v6, pkt, 300)
		}
		for seed := uint64(0); seed < 200; seed++ {
			r := rand.New(rand.NewPCG(seed, 7))
			seq := slices.Clone(base)
			// duplicates
			for range r.IntN(4) {
				seq = append(seq, base[r.IntN(len(base))])
			}
			// overlapping fragments with identical bytes
			for range r.IntN(4) {
				seq = append(seq, small[r.IntN(len(small))])
			}
			r.Shuffle(len(seq), func(i, j int) { seq[i], seq[j] = seq[j], seq[i] })
			f := newFeeder(t, Config{})
			for _, b := range seq {
				f.feed(b)
			}
			recs := f.flush()
			ds := datagrams(recs)
			if len(ds) != 1 || !ds[0].Complete {
				// The datagram may complete before the extra copies arrive:
				// those then start a new, never-completed datagram that is
				// not emitted (not Strict). Only one complete one may exist.
				t.Fatalf("v6=%v seed %d: %d datagrams, want 1 complete", v6, seed, len(ds))
			}
			sameBytes(t, fmt.Sprintf("v6=%v seed %d payload", v6, seed), ds[0].Payload, want)
			if ds[0].Differs {
				t.Errorf("seed %d: identical overlaps reported as differing", seed)
			}
		}
	}
}

func TestFragmentOverlapDiffers(t *testing.T) {
	// Two fragments cover bytes 0..15 and 8..23; the second's bytes 8..15
	// differ. First wins: bytes 8..15 come from the first fragment.
	p1 := pattern(16, 1)
	p2 := pattern(16, 2)
	f := newFeeder(t, Config{})
	f.feed(build(t, &craft.IPv4{ID: 7, MF: true, Protocol: 17, Src: a4, Dst: b4}, craft.Payload(p1)))
	f.feed(build(t, &craft.IPv4{ID: 7, FragOffset: 8, Protocol: 17, Src: a4, Dst: b4}, craft.Payload(p2)))
	ds := datagrams(f.flush())
	if len(ds) != 1 || !ds[0].Complete {
		t.Fatalf("got %d datagrams", len(ds))
	}
	d := ds[0]
	want := append(slices.Clone(p1), p2[8:]...)
	sameBytes(t, "payload", d.Payload, want)
	if d.Overlaps != 1 || !d.Differs {
		t.Errorf("overlaps=%d differs=%v, want 1 true", d.Overlaps, d.Differs)
	}
}

func TestFragmentKeyIgnoresFlowLabel(t *testing.T) {
	pkt, want := udpDatagram(t, true, 2000, 3)
	fr := fragments(t, true, pkt, 600)
	f := newFeeder(t, Config{})
	for i, b := range fr {
		b = slices.Clone(b)
		b[1] |= byte(i) & 0x0f // different flow label per fragment
		b[3] = byte(i * 17)
		f.feed(b)
	}
	ds := datagrams(f.flush())
	if len(ds) != 1 || !ds[0].Complete {
		t.Fatalf("flow label split the datagram: %d datagrams", len(ds))
	}
	sameBytes(t, "payload", ds[0].Payload, want)
}

func TestFragmentTimeoutAndStrict(t *testing.T) {
	pkt, _ := udpDatagram(t, false, 1500, 4)
	fr := fragments(t, false, pkt, 576)
	for _, strict := range []bool{false, true} {
		f := newFeeder(t, Config{Strict: strict})
		f.feed(fr[0])
		f.feed(fr[2])
		// 29 s later: still waiting.
		f.r.Advance(f.sec+29, 0, 100, f.emit)
		if len(f.out) != 0 {
			t.Fatalf("expired before the timeout")
		}
		f.r.Advance(f.sec+31, 0, 200, f.emit)
		ds := datagrams(f.out)
		if st := f.r.Stats(); st.Incomplete != 1 {
			t.Errorf("strict=%v: Incomplete = %d, want 1", strict, st.Incomplete)
		}
		if !strict {
			if len(ds) != 0 {
				t.Errorf("non-strict emitted an incomplete datagram")
			}
			continue
		}
		if len(ds) != 1 {
			t.Fatalf("strict: %d datagrams, want 1", len(ds))
		}
		d := ds[0]
		if d.Complete || d.Reason != "timeout" || f.out[0].At != 200 || len(d.Holes) != 1 || d.Payload != nil {
			t.Errorf("got complete=%v reason=%q at=%d holes=%v payload=%d bytes", d.Complete, d.Reason, f.out[0].At, d.Holes, len(d.Payload))
		}
		if len(d.Chunks) != 2 || d.Chunks[0].Offset != 0 || d.Chunks[1].Offset != 2*552 {
			t.Errorf("chunks = %+v", d.Chunks)
		}
		if frag, _ := f.r.Memory(); frag != 0 {
			t.Errorf("memory after expiry = %d", frag)
		}
	}
}

func TestAtomicAndTinyFragments(t *testing.T) {
	// IPv6 atomic fragment: offset 0, M clear (RFC 6946).
	pl := pattern(40, 5)
	f := newFeeder(t, Config{})
	f.feed(build(t, &craft.IPv6{Src: a6, Dst: b6}, &craft.IPv6Fragment{ID: 9}, &craft.UDP{SrcPort: 1, DstPort: 2}, craft.Payload(pl)))
	// IPv4 tiny first fragment (RFC 1858): 8 bytes, then the rest.
	f.feed(build(t, &craft.IPv4{ID: 3, MF: true, Protocol: 6, Src: a4, Dst: b4}, craft.Payload(pl[:8])))
	f.feed(build(t, &craft.IPv4{ID: 3, FragOffset: 8, Protocol: 6, Src: a4, Dst: b4}, craft.Payload(pl[8:])))
	ds := datagrams(f.flush())
	// The atomic fragment is a whole packet (RFC 6946): no datagram.
	if len(ds) != 1 || !ds[0].Complete || ds[0].Version != 4 || ds[0].Length != 40 {
		t.Fatalf("got %d datagrams: %+v", len(ds), ds)
	}
	if st := f.r.Stats(); st.Fragments != 2 {
		t.Errorf("Fragments = %d, want 2 (atomic fragment not counted)", st.Fragments)
	}
	if ds[0].Tiny {
		t.Errorf("8-byte first fragment flagged tiny")
	}
	f = newFeeder(t, Config{})
	f.feed(build(t, &craft.IPv4{ID: 3, MF: true, Protocol: 6, Src: a4, Dst: b4}, craft.Payload(pl[:0])))
	f.feed(build(t, &craft.IPv4{ID: 3, MF: true, Protocol: 6, Src: a4, Dst: b4}, craft.Payload(pl[:8])))
	f.feed(build(t, &craft.IPv4{ID: 3, FragOffset: 8, Protocol: 6, Src: a4, Dst: b4}, craft.Payload(pl[8:])))
	if ds := datagrams(f.flush()); len(ds) != 1 || !ds[0].Tiny {
		t.Errorf("empty first fragment not flagged tiny: %d datagrams", len(ds))
	}
}

func TestFragmentLimits(t *testing.T) {
	// Offset beyond the per-datagram cap: dropped, reported in Strict.
	f := newFeeder(t, Config{Strict: true, MaxDatagramBytes: 1000})
	f.feed(build(t, &craft.IPv4{ID: 1, MF: true, FragOffset: 2000, Protocol: 17, Src: a4, Dst: b4}, craft.Payload(pattern(8, 1))))
	f.feed(build(t, &craft.IPv4{ID: 1, FragOffset: 0, MF: true, Protocol: 17, Src: a4, Dst: b4}, craft.Payload(pattern(8, 1))))
	recs := f.flush()
	ds := datagrams(recs)
	if len(ds) != 1 || ds[0].Reason != "too large" {
		t.Fatalf("got %+v", ds)
	}
	if st := f.r.Stats(); st.DroppedFragments != 2 {
		t.Errorf("DroppedFragments = %d, want 2", st.DroppedFragments)
	}
}

// TestFragmentFlood: 1,000,000 fragments that never complete stay under
// the configured caps, counted as evicted.
func TestFragmentFlood(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	const capBytes = 1 << 20
	f := newFeeder(t, Config{MaxFragBytes: capBytes, FragTimeout: time.Hour})
	var b craft.Builder
	pl := craft.Payload(pattern(64, 1))
	ip := &craft.IPv4{MF: true, Protocol: 17, Src: a4, Dst: b4}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	peak := 0
	for i := 0; i < n; i++ {
		ip.ID = uint16(i)
		ip.Dst = b4
		if i>>16 > 0 {
			ip.Dst = netip.AddrFrom4([4]byte{10, 0, byte(i >> 24), byte(i >> 16)})
		}
		pkt, err := b.Build(ip, pl)
		if err != nil {
			t.Fatal(err)
		}
		f.feed(pkt)
		if m, _ := f.r.Memory(); m > peak {
			peak = m
		}
	}
	if peak > capBytes {
		t.Errorf("fragment memory peaked at %d, cap %d", peak, capBytes)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if grow := int64(ms.HeapAlloc) - int64(before); grow > 8*capBytes {
		t.Errorf("heap grew by %d bytes for a %d-byte cap", grow, capBytes)
	}
	st := f.r.Stats()
	if st.Fragments != uint64(n) || st.Evicted == 0 || st.Evicted+uint64(len(f.r.frag.m)) != uint64(n) {
		t.Errorf("stats %+v, %d live", st, len(f.r.frag.m))
	}
	if len(datagrams(f.out)) != 0 {
		t.Errorf("non-strict emitted incomplete datagrams")
	}
	t.Logf("peak %d bytes, %d evicted, %d live", peak, st.Evicted, len(f.r.frag.m))
}
