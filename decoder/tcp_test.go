package decoder

import (
	"encoding/binary"
	"errors"
	"testing"
)

// Hand-built frames for the transport tests. Addresses and MACs are fixed;
// lengths are computed, checksums left zero (the decoder does not verify
// them).

var (
	tbSrc4 = []byte{10, 0, 0, 1}
	tbDst4 = []byte{192, 168, 7, 9}
	tbSrc6 = []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	tbDst6 = []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}
)

// tbEth wraps payload in an Ethernet II header.
func tbEth(et uint16, payload []byte) []byte {
	b := []byte{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, byte(et >> 8), byte(et)}
	return append(b, payload...)
}

// tbIPv4 wraps payload in a 20-byte IPv4 header (src 10.0.0.1).
func tbIPv4(proto uint8, payload []byte) []byte {
	b := make([]byte, 20, 20+len(payload))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(b[4:], 0x1234)
	b[8] = 64
	b[9] = proto
	copy(b[12:], tbSrc4)
	copy(b[16:], tbDst4)
	return append(b, payload...)
}

// tbIPv6 wraps payload in a 40-byte IPv6 header.
func tbIPv6(nh uint8, payload []byte) []byte {
	b := make([]byte, 40, 40+len(payload))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	b[6] = nh
	b[7] = 64
	copy(b[8:], tbSrc6)
	copy(b[24:], tbDst6)
	return append(b, payload...)
}

// tbTCP builds a TCP header with options (padded to 4 bytes by the
// caller) and payload.
func tbTCP(src, dst uint16, seq, ack uint32, flags uint16, opts, payload []byte) []byte {
	hl := 20 + len(opts)
	b := make([]byte, 20, hl+len(payload))
	binary.BigEndian.PutUint16(b[0:], src)
	binary.BigEndian.PutUint16(b[2:], dst)
	binary.BigEndian.PutUint32(b[4:], seq)
	binary.BigEndian.PutUint32(b[8:], ack)
	binary.BigEndian.PutUint16(b[12:], uint16(hl/4)<<12|flags)
	binary.BigEndian.PutUint16(b[14:], 65535)
	binary.BigEndian.PutUint16(b[16:], 0xbeef)
	binary.BigEndian.PutUint16(b[18:], 7)
	b = append(b, opts...)
	return append(b, payload...)
}

// tbUDP builds a UDP datagram.
func tbUDP(src, dst uint16, payload []byte) []byte {
	b := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(b[0:], src)
	binary.BigEndian.PutUint16(b[2:], dst)
	binary.BigEndian.PutUint16(b[4:], uint16(8+len(payload)))
	binary.BigEndian.PutUint16(b[6:], 0xabcd)
	return append(b, payload...)
}

// tbDecode decodes an Ethernet frame and builds its fields.
func tbDecode(t testing.TB, frame []byte) (*Packet, *Tree) {
	t.Helper()
	var p Packet
	New(Options{}).Decode(frame, 1, &p)
	var tr Tree
	p.Fields(&tr)
	if tr.Depth() != 0 {
		t.Fatalf("fields left %d containers open", tr.Depth())
	}
	return &p, &tr
}

func tbUint(t testing.TB, tr *Tree, want uint64, path ...string) {
	t.Helper()
	n := tr.Lookup(path...)
	if n == nil {
		t.Errorf("%v: missing", path)
		return
	}
	if n.Num != want || (n.Kind != KindUint && n.Kind != KindEnum && n.Kind != KindBool) {
		t.Errorf("%v = %d (kind %d), want %d", path, n.Num, n.Kind, want)
	}
}

func tbString(t testing.TB, tr *Tree, want string, path ...string) {
	t.Helper()
	n := tr.Lookup(path...)
	if n == nil {
		t.Errorf("%v: missing", path)
		return
	}
	if n.Str() != want {
		t.Errorf("%v = %q, want %q", path, n.Str(), want)
	}
}

var tcpPath = []string{"ethernet", "ipv4", "tcp"}

func tcpAt(keys ...string) []string { return append(append([]string(nil), tcpPath...), keys...) }

func TestTCPHeader(t *testing.T) {
	opts := []byte{
		2, 4, 0x05, 0xb4, // MSS 1460
		1,       // NOP
		3, 3, 7, // WS 7
		4, 2, // SACK permitted
		8, 10, 0, 0, 0, 1, 0, 0, 0, 2, // TS 1, 2
		5, 10, 0, 0, 0, 10, 0, 0, 0, 20, // SACK 10-20
		30, 4, 0x01, 0x81, // MPTCP MP_CAPABLE v1
		34, 2, // TFO cookie request
		99, 3, 0xee, // unknown kind
		0, // EOL
	}
	if len(opts)%4 != 0 {
		t.Fatalf("test options length %d not a multiple of 4", len(opts))
	}
	frame := tbEth(0x0800, tbIPv4(6, tbTCP(40000, 8443, 0xdeadbeef, 0x01020304, TCPSyn|TCPAck|TCPEce|TCPNs, opts, []byte("xyz"))))
	p, tr := tbDecode(t, frame)
	if p.Failed() {
		t.Fatalf("decode failed: %v", &p.Err)
	}
	if got := p.Chain(); got != "Ethernet:IPv4:TCP" {
		t.Errorf("chain %q", got)
	}
	l := p.Layers[2]
	h := TCP(p.Data[l.Off:l.End])
	if h.SrcPort() != 40000 || h.DstPort() != 8443 || h.Seq() != 0xdeadbeef || h.Ack() != 0x01020304 {
		t.Errorf("view: ports %d %d seq %x ack %x", h.SrcPort(), h.DstPort(), h.Seq(), h.Ack())
	}
	if h.DataOffset() != 20+len(opts) || int(l.Hdr) != h.DataOffset() || len(h.Options()) != len(opts) {
		t.Errorf("data offset %d, hdr %d, options %d", h.DataOffset(), l.Hdr, len(h.Options()))
	}
	if f := h.Flags(); f != 0x152 {
		t.Errorf("flags %#x, want 0x152", f)
	}
	if TCPFin != 0x001 || TCPSyn != 0x002 || TCPRst != 0x004 || TCPPsh != 0x008 || TCPAck != 0x010 ||
		TCPUrg != 0x020 || TCPEce != 0x040 || TCPCwr != 0x080 || TCPNs != 0x100 {
		t.Error("flag constants differ from the wire bits")
	}
	if string(p.Payload()) != "xyz" {
		t.Errorf("payload %q", p.Payload())
	}
	tbUint(t, tr, 40000, tcpAt("srcport")...)
	tbUint(t, tr, 8443, tcpAt("dstport")...)
	tbUint(t, tr, 0xdeadbeef, tcpAt("seq")...)
	tbUint(t, tr, 0x01020304, tcpAt("ack")...)
	tbUint(t, tr, uint64(20+len(opts)), tcpAt("hdr_len")...)
	for k, v := range map[string]uint64{"ns": 1, "cwr": 0, "ece": 1, "urg": 0, "ack": 1, "psh": 0, "rst": 0, "syn": 1, "fin": 0} {
		tbUint(t, tr, v, tcpAt("flags", k)...)
	}
	tbUint(t, tr, 65535, tcpAt("window_size")...)
	tbUint(t, tr, 0xbeef, tcpAt("checksum")...)
	tbUint(t, tr, 7, tcpAt("urgent_pointer")...)
	tbUint(t, tr, 3, tcpAt("len")...)

	// Options, in order.
	kinds, child := tcpOptionsOf(t, tr)
	checkKinds(t, kinds, []uint64{2, 1, 3, 4, 8, 5, 30, 34, 99, 0})
	checks := []struct {
		kind uint64
		key  string
		num  uint64
	}{
		{2, "mss", 1460}, {3, "shift", 7}, {3, "multiplier", 128}, {8, "tsval", 1}, {8, "tsecr", 2},
		{30, "subtype", 0}, {30, "version", 1}, {99, "length", 3},
	}
	for _, c := range checks {
		if n := child(c.kind, c.key); n.Num != c.num {
			t.Errorf("option %d %s = %d, want %d", c.kind, c.key, n.Num, c.num)
		}
	}
	if n := child(30, "subtype"); n.Str() != "MP_CAPABLE" {
		t.Errorf("mptcp subtype name %q", n.Str())
	}
	if n := child(99, "data"); string(n.Bin()) != "\xee" {
		t.Errorf("unknown option data %x", n.Bin())
	}
	if n := child(34, "cookie"); n.Kind != KindBytes || len(n.Bin()) != 0 {
		t.Errorf("tfo cookie %x", n.Bin())
	}
	blocks := child(5, "blocks")
	if bi := indexOf(tr, blocks); bi < 0 || tr.Nodes[bi+2].Num != 10 || tr.Nodes[bi+3].Num != 20 {
		t.Errorf("sack blocks wrong")
	}

	// Authentication options.
	opts = []byte{
		19, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, // MD5
		29, 6, 3, 4, 0xaa, 0xbb, // TCP-AO
	}
	_, tr = tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(1, 2, 3, 4, TCPAck, opts, nil))))
	kinds, child = tcpOptionsOf(t, tr)
	checkKinds(t, kinds, []uint64{19, 29})
	if n := child(19, "digest"); len(n.Bin()) != 16 || n.Bin()[15] != 16 {
		t.Errorf("md5 digest %x", n.Bin())
	}
	if n := child(29, "keyid"); n.Num != 3 {
		t.Errorf("ao keyid %d", n.Num)
	}
	if n := child(29, "rnextkeyid"); n.Num != 4 {
		t.Errorf("ao rnextkeyid %d", n.Num)
	}
	if n := child(29, "mac"); string(n.Bin()) != "\xaa\xbb" {
		t.Errorf("ao mac %x", n.Bin())
	}
}

// tcpOptionsOf returns the kinds of the TCP options in tr, in order, and a
// lookup of an option's field by kind.
func tcpOptionsOf(t *testing.T, tr *Tree) ([]uint64, func(kind uint64, key string) *Node) {
	t.Helper()
	o := tr.Lookup(tcpAt("options")...)
	if o == nil || o.Kind != KindArray {
		t.Fatalf("options missing")
	}
	var kinds []uint64
	idx := map[uint64]int{}
	for i := indexOf(tr, o) + 1; i < int(o.End); i = int(tr.Nodes[i].End) {
		k := tr.Nodes[i+1] // first child: kind
		if k.Key() != "kind" {
			t.Fatalf("option without kind first: %+v", k)
		}
		idx[k.Num] = i
		kinds = append(kinds, k.Num)
	}
	return kinds, func(kind uint64, key string) *Node {
		i, ok := idx[kind]
		if ok {
			for j := i + 1; j < int(tr.Nodes[i].End); j = int(tr.Nodes[j].End) {
				if tr.Nodes[j].Key() == key {
					return &tr.Nodes[j]
				}
			}
		}
		t.Errorf("option %d: no %q", kind, key)
		return &Node{}
	}
}

func checkKinds(t *testing.T, got, want []uint64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("option kinds %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("option kinds %v, want %v", got, want)
		}
	}
}

// indexOf returns the index of n in tr.Nodes.
func indexOf(tr *Tree, n *Node) int {
	for i := range tr.Nodes {
		if &tr.Nodes[i] == n {
			return i
		}
	}
	return -1
}

func TestTCPErrors(t *testing.T) {
	good := tbEth(0x0800, tbIPv4(6, tbTCP(1, 2, 3, 4, TCPAck, []byte{1, 1, 1, 0}, nil)))
	// Truncated at every length inside the TCP header: truncated error at
	// offset 34. (IPv4 accepts a total length beyond the bytes: snap cut.)
	// (Cut at 34 leaves no TCP byte: the chain ends at IPv4, no layer.)
	for n := 35; n < len(good); n++ {
		p, tr := tbDecode(t, good[:n])
		if !errors.Is(p.Err.Err, ErrTruncated) || p.Err.Proto != ProtoTCP || p.Err.Offset != 34 {
			t.Errorf("cut at %d: err %v", n, &p.Err)
		}
		// What the bytes hold is still reported, as tshark does: the ports
		// from 4 bytes on, the fixed header once its 20 bytes are there.
		tcpLen := n - 34
		if tr.Lookup(tcpAt("error", "layer")...) == nil {
			t.Errorf("cut at %d: want an error entry", n)
		}
		if got, want := tr.Lookup(tcpAt("srcport")...) != nil, tcpLen >= 4; got != want {
			t.Errorf("cut at %d: srcport reported %v, want %v", n, got, want)
		}
		if got, want := tr.Lookup(tcpAt("window_size")...) != nil, tcpLen >= 20; got != want {
			t.Errorf("cut at %d: window_size reported %v, want %v", n, got, want)
		}
	}
	for n := 0; n < len(good); n++ { // never panics, spans stay inside
		p, _ := tbDecode(t, good[:n])
		checkSpans(t, p)
	}

	bad := tbEth(0x0800, tbIPv4(6, tbTCP(1, 2, 3, 4, TCPAck, nil, []byte("data"))))
	bad[14+20+12] = 0x40 // data offset 16
	p, _ := tbDecode(t, bad)
	if !errors.Is(p.Err.Err, ErrMalformed) || p.Err.Proto != ProtoTCP {
		t.Errorf("data offset 16: err %v", &p.Err)
	}
	bad[14+20+12] = 0xf0 // data offset 60 > 24 bytes
	p, _ = tbDecode(t, bad)
	if !errors.Is(p.Err.Err, ErrTruncated) || p.Err.Proto != ProtoTCP {
		t.Errorf("data offset 60: err %v", &p.Err)
	}
}

// checkSpans asserts the layer invariants of a decoded packet.
func checkSpans(t testing.TB, p *Packet) {
	t.Helper()
	end := uint32(len(p.Data))
	for i := 0; i < p.N; i++ {
		l := &p.Layers[i]
		if l.Off > l.End || l.Off+l.Hdr > l.End || l.End > end {
			t.Fatalf("layer %d %v: span off %d hdr %d end %d outside %d", i, l.Proto, l.Off, l.Hdr, l.End, end)
		}
		end = l.End
	}
}

func TestTCPMalformedOptions(t *testing.T) {
	cases := []struct {
		name string
		opts []byte
		err  string
	}{
		{"length beyond header", []byte{2, 8, 5, 0xb4}, "option length beyond the header"},
		{"length below 2", []byte{1, 8, 1, 1}, "option length below 2"},
		{"length missing", []byte{1, 1, 1, 8}, "option length missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(1, 2, 3, 4, TCPAck, c.opts, nil))))
			if p.Failed() {
				t.Fatalf("frame failed: %v", &p.Err)
			}
			o := tr.Lookup(tcpAt("options")...)
			if o == nil {
				t.Fatal("no options")
			}
			found := false
			for i := indexOf(tr, o); i < int(o.End); i++ {
				if tr.Nodes[i].Key() == "error" && tr.Nodes[i].Str() == c.err {
					found = true
				}
			}
			if !found {
				t.Errorf("no error %q in options", c.err)
			}
		})
	}
	// A known kind with the wrong length keeps its bytes and says so.
	_, tr := tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(1, 2, 3, 4, TCPAck, []byte{2, 3, 5, 0}, nil))))
	o := tr.Lookup(tcpAt("options")...)
	if o == nil {
		t.Fatal("no options")
	}
	first := indexOf(tr, o) + 1
	var sawErr bool
	for j := first + 1; j < int(tr.Nodes[first].End); j++ {
		if tr.Nodes[j].Key() == "error" && tr.Nodes[j].Str() == "invalid length for option kind" {
			sawErr = true
		}
	}
	if !sawErr {
		t.Error("mss of length 3: no error")
	}
}

func TestTCPNextProto(t *testing.T) {
	cases := []struct {
		src, dst uint16
		payload  string
		chain    string
	}{
		{40000, 80, "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n", "Ethernet:IPv4:TCP:HTTP"},
		{8080, 40000, "HTTP/1.1 404 Not Found\r\n\r\n", "Ethernet:IPv4:TCP:HTTP"},
		{40000, 12345, "POST /x HTTP/1.0\r\n", "Ethernet:IPv4:TCP:HTTP"},
		{40000, 80, "<html>body continuation</html>", "Ethernet:IPv4:TCP"},
		{40000, 554, "OPTIONS rtsp://a/b RTSP/1.0\r\n\r\n", "Ethernet:IPv4:TCP"},
		{40000, 80, "GET /cut-in-the-uri", "Ethernet:IPv4:TCP:HTTP"},
		{40000, 53, "\x00\x0c\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", "Ethernet:IPv4:TCP:DNS"},
		{40000, 80, "", "Ethernet:IPv4:TCP"},
	}
	for _, c := range cases {
		p, _ := tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(c.src, c.dst, 1, 1, TCPAck|TCPPsh, nil, []byte(c.payload)))))
		if got := p.Chain(); got != c.chain || p.Failed() {
			t.Errorf("%d->%d %q: chain %q (err %v), want %q", c.src, c.dst, c.payload, got, &p.Err, c.chain)
		}
	}
}

func FuzzTransport(f *testing.F) {
	f.Add(uint8(0), tbTCP(40000, 80, 1, 2, TCPAck, []byte{2, 4, 5, 0xb4, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0}, []byte("GET / HTTP/1.1\r\n\r\n")))
	f.Add(uint8(0), tbTCP(53, 40000, 1, 2, TCPAck, []byte{5, 10, 0, 0, 0, 10, 0, 0, 0, 20, 30, 4}, []byte("\x00\x20\x00\x01")))
	f.Add(uint8(1), tbUDP(5353, 5353, []byte("\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00\x05local\x00\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\x0a\x00\x00\x01")))
	f.Add(uint8(1), tbUDP(4500, 4500, []byte{0, 0, 0, 1, 2, 3}))
	f.Add(uint8(2), []byte{8, 0, 0xf7, 0xff, 0, 1, 0, 1, 'a', 'b'})
	f.Add(uint8(2), append([]byte{3, 3, 0, 0, 0, 0, 0, 0}, tbIPv4(17, tbUDP(1, 53, nil))...))
	f.Add(uint8(3), []byte{135, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 2, 3, 4, 5})
	f.Add(uint8(3), []byte{134, 0, 0, 0, 64, 0xc0, 0, 30, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 64, 0xc0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(uint8(3), []byte{143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 1, 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb})
	f.Add(uint8(4), tbIPv4(6, tbTCP(40000, 80, 1, 2, TCPAck, nil, []byte("HTTP/1.1 200 OK\r\n\r\n"))))
	f.Add(uint8(5), tbIPv6(0, append([]byte{17, 0, 1, 4, 0, 0, 0, 0}, tbUDP(5000, 53, dnsQueryA)...)))
	f.Add(uint8(5), tbIPv6(58, []byte{128, 0, 0, 0, 0, 42, 0, 1}))
	f.Add(uint8(0), tbTCP(21, 40000, 1, 2, TCPAck|TCPPsh, nil, []byte("211-Features:\r\n EPRT\r\n211 End\r\n")))
	f.Add(uint8(0), tbTCP(40000, 21, 1, 2, TCPAck|TCPPsh, nil, []byte("PASV\r\nRETR a b\r\n")))
	f.Add(uint8(6), []byte{0x0b, 0x59, 0x0b, 0x59, 0, 0, 0x0e, 0x50, 0xb0, 0xb0, 0x18, 0x83, 0, 3, 0, 20, 0, 0, 0, 1, 0, 6, 0, 42, 0, 0, 0, 3, 1, 2, 3, 4,
		3, 0, 0, 24, 0, 0, 0, 99, 0, 1, 0, 0, 0, 1, 0, 1, 0, 2, 0, 3, 0, 0, 0, 97})
	f.Add(uint8(6), []byte{0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 28, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, 5, 0, 8, 10, 0, 0, 1})
	first := [...]Proto{ProtoTCP, ProtoUDP, ProtoICMP, ProtoICMPv6, ProtoIPv4, ProtoIPv6, ProtoSCTP}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		fuzzDecode(t, first[int(which)%len(first)], data)
	})
}

// fuzzDecode decodes data from protocol first and writes its fields,
// checking the packet and tree invariants.
func fuzzDecode(t *testing.T, first Proto, data []byte) {
	var p Packet
	New(Options{}).DecodeFrom(data, first, &p)
	checkSpans(t, &p)
	if f, ok := p.Flow(); ok != (f.IPVersion != 0) || (ok && f.IPVersion != 4 && f.IPVersion != 6) {
		t.Fatalf("flow %+v ok %v", f, ok)
	}
	var tr Tree
	p.Fields(&tr)
	if tr.Depth() != 0 {
		t.Fatalf("%d containers left open", tr.Depth())
	}
	for i, n := range tr.Nodes {
		if int(n.End) <= i || int(n.End) > len(tr.Nodes) {
			t.Fatalf("node %d (%q) end %d out of range", i, n.Key(), n.End)
		}
	}
}
