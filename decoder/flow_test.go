package decoder

import (
	"net/netip"
	"testing"
)

func flowOf(t *testing.T, frame []byte) (Flow, bool) {
	t.Helper()
	var p Packet
	New(Options{}).Decode(frame, 1, &p)
	return p.Flow()
}

func TestFlow(t *testing.T) {
	v4a, v4b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("192.168.7.9")
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")

	later := tbIPv4(6, tbTCP(1, 2, 3, 4, TCPAck, nil, nil))
	later[6], later[7] = 0x00, 0x10 // fragment offset 128 bytes: payload only

	hopByHop := append([]byte{17, 0, 1, 4, 0, 0, 0, 0}, tbUDP(5000, 53, dnsQueryA)...)
	tunnel := tbIPv4(4, tbIPv4(17, tbUDP(7, 8, []byte("x"))))
	tunnel[12] = 172 // outer source differs from the inner one

	cases := []struct {
		name  string
		frame []byte
		ok    bool
		want  Flow
	}{
		{"ipv4 tcp", tbEth(0x0800, tbIPv4(6, tbTCP(40000, 443, 1, 2, TCPSyn, nil, nil))), true,
			Flow{4, v4a, v4b, 6, 40000, 443}},
		{"ipv4 udp", tbEth(0x0800, tbIPv4(17, tbUDP(5353, 53, dnsQueryA))), true,
			Flow{4, v4a, v4b, 17, 5353, 53}},
		{"ipv4 icmp echo", tbEth(0x0800, tbIPv4(1, []byte{8, 0, 0, 0, 0x12, 0x34, 0, 1})), true,
			Flow{4, v4a, v4b, 1, 0x1234, 0x1234}},
		{"ipv4 icmp unreachable", tbEth(0x0800, tbIPv4(1, []byte{3, 3, 0, 0, 0, 0, 0, 0})), true,
			Flow{4, v4a, v4b, 1, 0, 0}},
		{"ipv4 later fragment", tbEth(0x0800, later), true, Flow{4, v4a, v4b, 6, 0, 0}},
		{"ipv4 in ipv4", tbEth(0x0800, tunnel), true, Flow{4, v4a, v4b, 17, 7, 8}},
		{"ipv6 tcp", tbEth(0x86dd, tbIPv6(6, tbTCP(1234, 80, 1, 2, TCPSyn, nil, nil))), true,
			Flow{6, v6a, v6b, 6, 1234, 80}},
		{"ipv6 hop-by-hop udp", tbEth(0x86dd, tbIPv6(0, hopByHop)), true, Flow{6, v6a, v6b, 17, 5000, 53}},
		{"ipv6 icmpv6 echo", tbEth(0x86dd, tbIPv6(58, []byte{128, 0, 0, 0, 0, 42, 0, 1})), true,
			Flow{6, v6a, v6b, 58, 42, 42}},
		{"ipv6 no next header", tbEth(0x86dd, tbIPv6(59, nil)), true, Flow{6, v6a, v6b, 59, 0, 0}},
		{"arp", tbEth(0x0806, make([]byte, 28)), false, Flow{}},
		{"ipv4 truncated", tbEth(0x0800, tbIPv4(6, nil)[:12]), false, Flow{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, ok := flowOf(t, c.frame)
			if ok != c.ok || f != c.want {
				t.Errorf("Flow() = %+v, %v; want %+v, %v", f, ok, c.want, c.ok)
			}
		})
	}
}

func TestFlowSymmetric(t *testing.T) {
	fwd := tbEth(0x0800, tbIPv4(6, tbTCP(40000, 443, 1, 2, TCPAck, nil, nil)))
	rev := tbEth(0x0800, tbIPv4(6, tbTCP(443, 40000, 2, 1, TCPAck, nil, nil)))
	copy(rev[14+12:], tbDst4) // swap the addresses
	copy(rev[14+16:], tbSrc4)
	f1, _ := flowOf(t, fwd)
	f2, _ := flowOf(t, rev)
	if f1.Src != f2.Dst || f1.SrcPort != f2.DstPort {
		t.Fatalf("test frames are not reverse: %+v %+v", f1, f2)
	}
	c1, s1 := f1.Canonical()
	c2, s2 := f2.Canonical()
	if c1 != c2 || s1 == s2 {
		t.Errorf("canonical %+v (%v) vs %+v (%v)", c1, s1, c2, s2)
	}
	if c1.Src.Compare(c1.Dst) > 0 {
		t.Errorf("canonical not ordered: %+v", c1)
	}
	if f1.AddrHash() != f2.AddrHash() || f1.Hash() != f2.Hash() {
		t.Errorf("hashes differ by direction: %x %x, %x %x", f1.AddrHash(), f2.AddrHash(), f1.Hash(), f2.Hash())
	}

	// Same addresses, ports ordering the endpoints.
	a := Flow{4, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.1"), 17, 9, 5}
	if c, swapped := a.Canonical(); !swapped || c.SrcPort != 5 {
		t.Errorf("equal addresses: %+v %v", c, swapped)
	}

	// Every fragment of a datagram shares AddrHash with the first one.
	first := tbIPv4(17, tbUDP(5000, 6000, make([]byte, 32)))
	first[6] = 0x20 // MF
	later := tbIPv4(17, make([]byte, 16))
	later[7] = 5 // offset 40
	ff, _ := flowOf(t, tbEth(0x0800, first))
	fl, _ := flowOf(t, tbEth(0x0800, later))
	if ff.SrcPort == 0 || fl.SrcPort != 0 || ff.AddrHash() != fl.AddrHash() {
		t.Errorf("fragments: %+v %+v, hashes %x %x", ff, fl, ff.AddrHash(), fl.AddrHash())
	}

	// Hashes tell different flows apart (these particular ones).
	other := f1
	other.SrcPort++
	if other.Hash() == f1.Hash() {
		t.Error("Hash ignores the ports")
	}
	other = f1
	other.Dst = netip.MustParseAddr("192.168.7.10")
	if other.AddrHash() == f1.AddrHash() || other.Hash() == f1.Hash() {
		t.Error("hashes ignore the address")
	}

	// Spread: AddrHash of many host pairs over 16 partitions.
	var buckets [16]int
	for i := 0; i < 4096; i++ {
		f := Flow{Src: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), Dst: netip.AddrFrom4([4]byte{10, 1, 0, 1})}
		buckets[f.AddrHash()%16]++
	}
	for i, n := range buckets {
		if n < 256/2 || n > 256*2 {
			t.Errorf("partition %d has %d of 4096 flows", i, n)
		}
	}

	if n := testing.AllocsPerRun(100, func() { _ = f1.AddrHash(); _ = f1.Hash(); _, _ = f1.Canonical() }); n != 0 {
		t.Errorf("hashing allocates %v times", n)
	}
}

func BenchmarkFlowAddrHash(b *testing.B) {
	frame := tbEth(0x0800, tbIPv4(6, tbTCP(40000, 443, 1, 2, TCPAck, nil, []byte("payload"))))
	var p Packet
	New(Options{}).Decode(frame, 1, &p)
	b.ReportAllocs()
	var sum uint32
	for i := 0; i < b.N; i++ {
		f, _ := p.Flow()
		sum += f.AddrHash()
	}
	if sum == 1 {
		b.Log(sum)
	}
}
