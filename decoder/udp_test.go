package decoder

import (
	"encoding/binary"
	"errors"
	"testing"
)

var udpPath = []string{"ethernet", "ipv4", "udp"}

func udpAt(keys ...string) []string { return append(append([]string(nil), udpPath...), keys...) }

func TestUDPHeader(t *testing.T) {
	frame := tbEth(0x0800, tbIPv4(17, tbUDP(33333, 9999, []byte("hello"))))
	p, tr := tbDecode(t, frame)
	if p.Failed() || p.Chain() != "Ethernet:IPv4:UDP" {
		t.Fatalf("chain %q err %v", p.Chain(), &p.Err)
	}
	h := UDP(p.Bytes(2))
	if h.SrcPort() != 33333 || h.DstPort() != 9999 || h.Length() != 13 || h.Checksum() != 0xabcd {
		t.Errorf("view %d %d %d %#x", h.SrcPort(), h.DstPort(), h.Length(), h.Checksum())
	}
	if string(p.Payload()) != "hello" {
		t.Errorf("payload %q", p.Payload())
	}
	tbUint(t, tr, 33333, udpAt("srcport")...)
	tbUint(t, tr, 9999, udpAt("dstport")...)
	tbUint(t, tr, 13, udpAt("len")...)
	tbUint(t, tr, 0xabcd, udpAt("checksum")...)
	if tr.Lookup(udpAt("error")...) != nil {
		t.Error("unexpected error entry")
	}
}

func TestUDPLength(t *testing.T) {
	// UDP length shorter than the IP payload: the layer ends there.
	u := tbUDP(1000, 2000, []byte("abcdefgh"))
	binary.BigEndian.PutUint16(u[4:], 10)
	p, _ := tbDecode(t, tbEth(0x0800, tbIPv4(17, u)))
	if p.Failed() || string(p.Payload()) != "ab" || p.Layers[2].End != 14+20+10 {
		t.Errorf("short length: err %v payload %q end %d", &p.Err, p.Payload(), p.Layers[2].End)
	}

	// Length below 8: malformed.
	for _, n := range []uint16{0, 1, 7} {
		binary.BigEndian.PutUint16(u[4:], n)
		p, _ = tbDecode(t, tbEth(0x0800, tbIPv4(17, u)))
		if !errors.Is(p.Err.Err, ErrMalformed) || p.Err.Proto != ProtoUDP || p.Err.Offset != 34 {
			t.Errorf("length %d: err %v", n, &p.Err)
		}
	}

	// Length beyond the bytes in a first fragment: decoded, no error.
	binary.BigEndian.PutUint16(u[4:], 1400)
	ip := tbIPv4(17, u)
	ip[6] = 0x20 // MF
	p, tr := tbDecode(t, tbEth(0x0800, ip))
	if p.Failed() || !p.Fragment || p.Chain() != "Ethernet:IPv4:UDP" || string(p.Payload()) != "abcdefgh" {
		t.Errorf("first fragment: chain %q err %v payload %q", p.Chain(), &p.Err, p.Payload())
	}
	if tr.Lookup(udpAt("error")...) != nil {
		t.Error("first fragment: length error reported")
	}
	// ... and in a whole datagram whose IP length agrees (snap length cut):
	// decoded, no error.
	ip = tbIPv4(17, u)
	binary.BigEndian.PutUint16(ip[2:], 20+1400)
	p, tr = tbDecode(t, tbEth(0x0800, ip))
	if p.Failed() || tr.Lookup(udpAt("error")...) != nil {
		t.Errorf("snap cut: err %v", &p.Err)
	}
	// ... but when the IP datagram is complete and shorter, the length lies:
	// decoded as far as the bytes go, with an error entry in the fields.
	p, tr = tbDecode(t, tbEth(0x0800, tbIPv4(17, u)))
	if p.Failed() {
		t.Errorf("lying length: frame failed: %v", &p.Err)
	}
	if n := tr.Lookup(udpAt("error")...); n == nil || n.Str() != "length exceeds the ip payload" {
		t.Errorf("lying length: no error entry")
	}

	// Truncated at every length of the header.
	good := tbEth(0x0800, tbIPv4(17, tbUDP(1, 2, nil)))
	for n := 35; n < len(good); n++ {
		p, _ := tbDecode(t, good[:n])
		if !errors.Is(p.Err.Err, ErrTruncated) || p.Err.Proto != ProtoUDP {
			t.Errorf("cut at %d: err %v", n, &p.Err)
		}
	}
}

func TestUDPJumbogramLength(t *testing.T) {
	u := tbUDP(1000, 2000, []byte("abc"))
	binary.BigEndian.PutUint16(u[4:], 0)
	p, _ := tbDecode(t, tbEth(0x86dd, tbIPv6(17, u)))
	if p.Failed() || p.Chain() != "Ethernet:IPv6:UDP" || string(p.Payload()) != "abc" {
		t.Errorf("udp length 0 over ipv6: chain %q err %v", p.Chain(), &p.Err)
	}
}

func TestPortProto(t *testing.T) {
	cases := []struct {
		tr       Proto
		src, dst uint16
		payload  string
		want     Proto
	}{
		{ProtoUDP, 40000, 53, "x", ProtoDNS},
		{ProtoUDP, 53, 40000, "x", ProtoDNS},
		{ProtoUDP, 5353, 5353, "x", ProtoDNS},
		{ProtoUDP, 40000, 5355, "x", ProtoDNS},
		{ProtoTCP, 40000, 53, "x", ProtoDNS},
		{ProtoUDP, 1701, 1701, "x", ProtoL2TP},
		{ProtoUDP, 40000, 2152, "x", ProtoGTP},
		{ProtoUDP, 2123, 40000, "x", ProtoGTP},
		{ProtoUDP, 40000, 4789, "x", ProtoVXLAN},
		{ProtoUDP, 4500, 4500, "\x00\x00\x10\x01rest", ProtoESP},
		{ProtoUDP, 4500, 4500, "\x00\x00\x00\x00ike", ProtoRaw},
		{ProtoUDP, 4500, 4500, "\xff", ProtoRaw},
		{ProtoUDP, 40000, 80, "GET / HTTP/1.1\r\n", ProtoRaw}, // HTTP over UDP: not HTTP/1.x
		{ProtoTCP, 40000, 1701, "x", ProtoRaw},
		{ProtoTCP, 40000, 4789, "x", ProtoRaw},
		{ProtoTCP, 40000, 31337, "HTTP/1.0 200 OK\r\n", ProtoHTTP},
		{ProtoTCP, 40000, 80, "", ProtoNone},
		{ProtoUDP, 40000, 9, "x", ProtoRaw},
	}
	for _, c := range cases {
		if got := portProto(c.tr, c.src, c.dst, []byte(c.payload)); got != c.want {
			t.Errorf("portProto(%v, %d, %d, %q) = %v, want %v", c.tr, c.src, c.dst, c.payload, got, c.want)
		}
	}
}

// dnsQueryA is a query for example.com A with an EDNS OPT record.
var dnsQueryA = []byte("\x12\x34\x01\x20\x00\x01\x00\x00\x00\x00\x00\x01" +
	"\x07example\x03com\x00\x00\x01\x00\x01" +
	"\x00\x00\x29\x10\x00\x00\x00\x80\x00\x00\x00")

func TestDecodeAllocs(t *testing.T) {
	frames := []struct {
		name, chain string
		frame       []byte
	}{
		{"ipv4-tcp", "Ethernet:IPv4:TCP", tbEth(0x0800, tbIPv4(6, tbTCP(40000, 443, 1, 2, TCPAck|TCPPsh,
			[]byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, []byte("\x17\x03\x03payload"))))},
		{"ipv4-tcp-http", "Ethernet:IPv4:TCP:HTTP", tbEth(0x0800, tbIPv4(6, tbTCP(40000, 80, 1, 2, TCPAck|TCPPsh,
			nil, []byte("GET /a HTTP/1.1\r\nHost: b\r\n\r\n"))))},
		{"ipv4-udp-dns", "Ethernet:IPv4:UDP:DNS", tbEth(0x0800, tbIPv4(17, tbUDP(40000, 53, dnsQueryA)))},
		{"ipv6-tcp", "Ethernet:IPv6:TCP", tbEth(0x86dd, tbIPv6(6, tbTCP(40000, 443, 1, 2, TCPSyn, []byte{2, 4, 5, 0xa0}, nil)))},
		{"ipv6-udp-dns", "Ethernet:IPv6:UDP:DNS", tbEth(0x86dd, tbIPv6(17, tbUDP(40000, 53, dnsQueryA)))},
		{"ipv4-icmp", "Ethernet:IPv4:ICMP", tbEth(0x0800, tbIPv4(1, []byte{8, 0, 0, 0, 0, 1, 0, 2, 'p', 'i', 'n', 'g'}))},
	}
	d := New(Options{})
	var p Packet
	for _, f := range frames {
		d.Decode(f.frame, 1, &p)
		if p.Failed() || p.Chain() != f.chain {
			t.Errorf("%s: chain %q err %v, want %q", f.name, p.Chain(), &p.Err, f.chain)
			continue
		}
		frame := f.frame
		if n := testing.AllocsPerRun(200, func() { d.Decode(frame, 1, &p) }); n != 0 {
			t.Errorf("%s: %v allocations per decode, want 0", f.name, n)
		}
		if n := testing.AllocsPerRun(200, func() { d.Decode(frame, 1, &p); _, _ = p.Flow() }); n != 0 {
			t.Errorf("%s: %v allocations per decode+flow, want 0", f.name, n)
		}
	}
}

func BenchmarkDecodeTransport(b *testing.B) {
	frames := []struct {
		name  string
		frame []byte
	}{
		{"ipv4-tcp", tbEth(0x0800, tbIPv4(6, tbTCP(40000, 443, 1, 2, TCPAck|TCPPsh,
			[]byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, make([]byte, 1200))))},
		{"ipv4-udp-dns", tbEth(0x0800, tbIPv4(17, tbUDP(40000, 53, dnsQueryA)))},
		{"ipv6-tcp-http", tbEth(0x86dd, tbIPv6(6, tbTCP(40000, 80, 1, 2, TCPAck|TCPPsh, nil,
			[]byte("GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"))))},
	}
	for _, f := range frames {
		b.Run(f.name+"/decode", func(b *testing.B) {
			d := New(Options{})
			var p Packet
			b.ReportAllocs()
			b.SetBytes(int64(len(f.frame)))
			for i := 0; i < b.N; i++ {
				d.Decode(f.frame, 1, &p)
			}
		})
		b.Run(f.name+"/fields", func(b *testing.B) {
			d := New(Options{})
			var p Packet
			var tr Tree
			d.Decode(f.frame, 1, &p)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				tr.Reset()
				p.Fields(&tr)
			}
		})
	}
}
