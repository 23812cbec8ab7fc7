package craft_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/pcapflow/pcapflow/decoder/craft"
)

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func TestFragmentIPv4(t *testing.T) {
	dg, err := craft.Build(
		&craft.IPv4{ID: 0x4242, TTL: 64, Src: v4A, Dst: v4B, Options: []craft.IPv4Option{
			craft.IPv4RouterAlert(),                // copied into every fragment
			{Type: 7, Data: []byte{4, 0, 0, 0, 0}}, // record route: first fragment only
		}},
		&craft.UDP{SrcPort: 4000, DstPort: 9999},
		craft.Payload(pattern(5000)),
	)
	if err != nil {
		t.Fatal(err)
	}
	frags, err := craft.FragmentIPv4(dg, 1500)
	if err != nil {
		t.Fatal(err)
	}
	if len(frags) != 4 {
		t.Fatalf("%d fragments, want 4", len(frags))
	}
	var data []byte
	for i, fr := range frags {
		if len(fr) > 1500 {
			t.Errorf("fragment %d is %d bytes", i, len(fr))
		}
		hl := int(fr[0]&0x0f) * 4
		if c := refChecksum(fr[:hl]); c != 0 {
			t.Errorf("fragment %d: header checksum residue %#x", i, c)
		}
		wantHL := 20 + 4
		if i == 0 {
			wantHL = 20 + 12
		}
		if hl != wantHL {
			t.Errorf("fragment %d: header length %d, want %d", i, hl, wantHL)
		}
		ff := binary.BigEndian.Uint16(fr[6:])
		if off := int(ff&0x1fff) * 8; off != len(data) {
			t.Errorf("fragment %d: offset %d, want %d", i, off, len(data))
		}
		if mf := ff&0x2000 != 0; mf != (i < len(frags)-1) {
			t.Errorf("fragment %d: MF %v", i, mf)
		}
		if int(binary.BigEndian.Uint16(fr[2:])) != len(fr) || binary.BigEndian.Uint16(fr[4:]) != 0x4242 {
			t.Errorf("fragment %d: total length or id wrong", i)
		}
		data = append(data, fr[hl:]...)

		p, tr := decode(t, fr, 228)
		if !p.Fragment {
			t.Errorf("fragment %d: decoder does not see a fragment", i)
		}
		want := "IPv4"
		if i == 0 {
			want = "IPv4:UDP"
		}
		if got := p.Chain(); got != want {
			t.Errorf("fragment %d: chain %s, want %s", i, got, want)
		}
		checkFields(t, tr, []field{{"ipv4/flags/mf", map[bool]string{true: "true", false: "false"}[i < 3]}})
		gp := gopacketDecode(t, fr, layers.LayerTypeIPv4)
		if ip := gp.Layer(layers.LayerTypeIPv4).(*layers.IPv4); int(ip.FragOffset)*8 != len(data)-len(fr)+hl {
			t.Errorf("gopacket fragment offset %d", ip.FragOffset)
		}
	}
	if !bytes.Equal(data, dg[32:]) {
		t.Error("fragments do not reassemble into the datagram")
	}

	// Split a fragment again: offsets continue, MF of the original stays.
	again, err := craft.FragmentIPv4(frags[1], 600)
	if err != nil {
		t.Fatal(err)
	}
	base := int(binary.BigEndian.Uint16(frags[1][6:])&0x1fff) * 8
	var re []byte
	for i, fr := range again {
		ff := binary.BigEndian.Uint16(fr[6:])
		if int(ff&0x1fff)*8 != base+len(re) || ff&0x2000 == 0 {
			t.Errorf("refragment %d: flags/offset %#x", i, ff)
		}
		re = append(re, fr[24:]...)
	}
	if !bytes.Equal(re, frags[1][24:]) {
		t.Error("refragments do not reassemble")
	}

	// Fits: unchanged. DF, tiny MTU, garbage: errors.
	small, _ := craft.Build(&craft.IPv4{TTL: 1, Src: v4A, Dst: v4B, DF: true}, &craft.UDP{}, craft.Payload("x"))
	if fs, err := craft.FragmentIPv4(small, 1500); err != nil || len(fs) != 1 || !bytes.Equal(fs[0], small) {
		t.Errorf("small datagram: %v %d", err, len(fs))
	}
	big, _ := craft.Build(&craft.IPv4{TTL: 1, Src: v4A, Dst: v4B, DF: true}, &craft.UDP{}, craft.Payload(pattern(3000)))
	for _, tc := range []struct {
		b    []byte
		mtu  int
		want string
	}{{big, 1500, "don't fragment"}, {dg, 36, "no room"}, {[]byte{0x60, 0}, 1500, "not an IPv4"}, {dg[:100], 1500, "inconsistent"}} {
		if _, err := craft.FragmentIPv4(tc.b, tc.mtu); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("FragmentIPv4 error %v, want %q", err, tc.want)
		}
	}
}

func TestFragmentIPv6(t *testing.T) {
	pkt, err := craft.Build(
		&craft.IPv6{HopLimit: 64, Src: v6A, Dst: v6B},
		&craft.IPv6HopByHop{Options: []craft.IPv6Option{craft.IPv6RouterAlert(0)}},
		&craft.IPv6Routing{Type: 0, Addresses: []netip.Addr{v6C}},
		&craft.IPv6Destination{Options: []craft.IPv6Option{{Type: 0x1e, Data: []byte{9}}}},
		&craft.UDP{SrcPort: 5000, DstPort: 6000},
		craft.Payload(pattern(4000)),
	)
	if err != nil {
		t.Fatal(err)
	}
	const unfrag = 40 + 8 + 24
	frags, err := craft.FragmentIPv6(pkt, 1280, 0xcafe)
	if err != nil {
		t.Fatal(err)
	}
	if len(frags) != 4 {
		t.Fatalf("%d fragments, want 4", len(frags))
	}
	var data []byte
	for i, fr := range frags {
		if len(fr) > 1280 {
			t.Errorf("fragment %d is %d bytes", i, len(fr))
		}
		if int(binary.BigEndian.Uint16(fr[4:])) != len(fr)-40 {
			t.Errorf("fragment %d: payload length %d", i, binary.BigEndian.Uint16(fr[4:]))
		}
		if fr[6] != 0 || fr[40] != 43 || fr[48] != 44 {
			t.Errorf("fragment %d: next headers %d %d %d, want 0 43 44", i, fr[6], fr[40], fr[48])
		}
		if !bytes.Equal(fr[:40][8:], pkt[8:40]) || !bytes.Equal(fr[49:unfrag], pkt[49:unfrag]) {
			t.Errorf("fragment %d: unfragmentable part changed", i)
		}
		fh := fr[unfrag:]
		om := binary.BigEndian.Uint16(fh[2:])
		if fh[0] != 60 || binary.BigEndian.Uint32(fh[4:]) != 0xcafe || int(om&^7) != len(data) || (om&1 == 1) != (i < 3) {
			t.Errorf("fragment %d: fragment header %x", i, fh[:8])
		}
		data = append(data, fh[8:]...)
		p, tr := decode(t, fr, 229)
		want := "IPv6:HOPOPT:IPv6_Route:IPv6_Frag"
		if i == 0 {
			want += ":IPv6_Opts:UDP"
		}
		if got := p.Chain(); got != want || !p.Fragment {
			t.Errorf("fragment %d: chain %s (fragment %v), want %s", i, got, p.Fragment, want)
		}
		checkFields(t, tr, []field{{"ipv6/hopopt/ipv6_route/ipv6_frag/id", "51966"}})
		gopacketDecode(t, fr, layers.LayerTypeIPv6)
	}
	if !bytes.Equal(data, pkt[unfrag:]) {
		t.Error("fragments do not reassemble into the packet")
	}
	if fs, err := craft.FragmentIPv6(pkt, 9000, 1); err != nil || len(fs) != 1 || !bytes.Equal(fs[0], pkt) {
		t.Errorf("packet that fits: %v %d", err, len(fs))
	}
	if _, err := craft.FragmentIPv6(pkt, 80, 1); err == nil {
		t.Error("mtu 80 accepted")
	}
	if _, err := craft.FragmentIPv6(pkt[:20], 1280, 1); err == nil {
		t.Error("truncated packet accepted")
	}
}

func TestShuffle(t *testing.T) {
	mk := func() [][]byte {
		var fs [][]byte
		for i := range 20 {
			fs = append(fs, []byte{byte(i)})
		}
		return fs
	}
	a, b, c := mk(), mk(), mk()
	craft.Shuffle(a, 7)
	craft.Shuffle(b, 7)
	craft.Shuffle(c, 8)
	seen := map[byte]bool{}
	same, moved := true, false
	for i := range a {
		seen[a[i][0]] = true
		if a[i][0] != b[i][0] {
			t.Fatal("same seed, different order")
		}
		if a[i][0] != c[i][0] {
			same = false
		}
		if a[i][0] != byte(i) {
			moved = true
		}
	}
	if len(seen) != 20 || same || !moved {
		t.Errorf("shuffle: permutation %v, differs by seed %v, moved %v", len(seen) == 20, !same, moved)
	}
}

// FuzzFragment feeds arbitrary packets to the fragmenters: they must not
// panic, and what they return must fit the MTU and reassemble.
func FuzzFragment(f *testing.F) {
	v4, _ := craft.Build(&craft.IPv4{TTL: 1, Src: v4A, Dst: v4B, Options: []craft.IPv4Option{craft.IPv4RouterAlert()}},
		&craft.UDP{SrcPort: 1, DstPort: 2}, craft.Payload(pattern(600)))
	v6, _ := craft.Build(&craft.IPv6{HopLimit: 1, Src: v6A, Dst: v6B}, &craft.IPv6HopByHop{},
		&craft.IPv6Routing{Addresses: []netip.Addr{v6C}}, &craft.UDP{SrcPort: 1, DstPort: 2}, craft.Payload(pattern(600)))
	f.Add(v4, uint16(300))
	f.Add(v6, uint16(200))
	f.Add(v4[:60], uint16(28))
	f.Add(v6[:90], uint16(100))
	f.Fuzz(func(t *testing.T, b []byte, mtu uint16) {
		if fs, err := craft.FragmentIPv4(b, int(mtu)); err == nil {
			hl := int(b[0]&0x0f) * 4
			tl := int(binary.BigEndian.Uint16(b[2:]))
			var data []byte
			for _, fr := range fs {
				if len(fs) > 1 && len(fr) > int(mtu) {
					t.Fatalf("fragment of %d bytes over mtu %d", len(fr), mtu)
				}
				data = append(data, fr[int(fr[0]&0x0f)*4:]...)
			}
			if !bytes.Equal(data, b[hl:tl]) {
				t.Fatal("ipv4 fragments do not reassemble")
			}
		}
		if fs, err := craft.FragmentIPv6(b, int(mtu), 9); err == nil {
			for _, fr := range fs {
				if len(fs) > 1 && len(fr) > int(mtu) {
					t.Fatalf("fragment of %d bytes over mtu %d", len(fr), mtu)
				}
			}
		}
	})
}
