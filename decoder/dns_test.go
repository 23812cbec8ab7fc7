package decoder

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// dnsName encodes labels as an uncompressed wire name.
func dnsWireName(name string) []byte {
	var b []byte
	if name != "" {
		for _, l := range strings.Split(name, ".") {
			b = append(b, byte(len(l)))
			b = append(b, l...)
		}
	}
	return append(b, 0)
}

func dnsPtr(off int) []byte { return []byte{0xc0 | byte(off>>8), byte(off)} }

func dnsRR(name []byte, typ, class uint16, ttl uint32, rdata []byte) []byte {
	b := append([]byte(nil), name...)
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, class)
	b = binary.BigEndian.AppendUint32(b, ttl)
	b = binary.BigEndian.AppendUint16(b, uint16(len(rdata)))
	return append(b, rdata...)
}

func dnsHeader(id, flags, qd, an, ns, ar uint16) []byte {
	var b []byte
	for _, v := range []uint16{id, flags, qd, an, ns, ar} {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

// dnsResponse builds a response to www.example.com with one record of
// every decoded type. The question name sits at offset 12.
func dnsResponse() []byte {
	m := dnsHeader(0xbeef, 0x8580|0x20, 1, 9, 1, 2) // QR AA RD RA AD, NOERROR
	m = append(m, dnsWireName("www.example.com")...)
	m = binary.BigEndian.AppendUint16(m, 1)
	m = binary.BigEndian.AppendUint16(m, 1)
	q := dnsPtr(12)
	ex := dnsPtr(12 + 4)                                                                           // "example.com"
	m = append(m, dnsRR(q, 5, 1, 300, append([]byte("\x03web"), ex...))...)                        // CNAME web.example.com
	m = append(m, dnsRR(q, 1, 1, 60, []byte{93, 184, 216, 34})...)                                 // A
	m = append(m, dnsRR(q, 28, 1, 60, append([]byte{0x20, 1, 0xd, 0xb8}, make([]byte, 12)...))...) // AAAA
	m = append(m, dnsRR(ex, 15, 1, 60, append([]byte{0, 10, 2, 'm', 'x'}, ex...))...)              // MX 10 mx.example.com
	m = append(m, dnsRR(ex, 16, 1, 60, []byte("\x05hello\x00\x03a=b"))...)                         // TXT
	m = append(m, dnsRR(ex, 2, 1, 60, append([]byte("\x03ns1"), ex...))...)                        // NS
	m = append(m, dnsRR(dnsWireName("4.3.2.1.in-addr.arpa"), 12, 1, 60, ex)...)                    // PTR
	m = append(m, dnsRR(dnsWireName("_sip._udp.example.com"), 33, 1, 60,
		append([]byte{0, 1, 0, 2, 0x13, 0xc4}, q...))...) // SRV 1 2 5060 www.example.com
	m = append(m, dnsRR(ex, 99, 1, 60, []byte{1, 2, 3})...) // unknown type: raw
	soa := append(append([]byte("\x03ns1"), ex...), append([]byte("\x0ahostmaster"), ex...)...)
	for _, v := range []uint32{2024010101, 7200, 3600, 1209600, 300} {
		soa = binary.BigEndian.AppendUint32(soa, v)
	}
	m = append(m, dnsRR(ex, 6, 1, 3600, soa)...) // authority: SOA
	m = append(m, dnsRR(dnsWireName(""), 41, 1232, 0x00008000, []byte{0, 10, 0, 2, 0xab, 0xcd})...)
	m = append(m, dnsRR(dnsWireName("ns1.example.com"), 1, 1, 60, []byte{192, 0, 2, 53})...)
	return m
}

// elems returns the indexes of the children of the container n.
func elems(tr *Tree, n *Node) []int {
	var out []int
	i0 := indexOf(tr, n)
	for i := i0 + 1; i < int(n.End); i = int(tr.Nodes[i].End) {
		out = append(out, i)
	}
	return out
}

// child returns the child with the given key of the container at index i.
func child(tr *Tree, i int, key string) *Node {
	for j := i + 1; j < int(tr.Nodes[i].End); j = int(tr.Nodes[j].End) {
		if tr.Nodes[j].Key() == key {
			return &tr.Nodes[j]
		}
	}
	return nil
}

func TestDNSMessage(t *testing.T) {
	frame := tbEth(0x0800, tbIPv4(17, tbUDP(53, 40000, dnsResponse())))
	p, tr := tbDecode(t, frame)
	if p.Failed() || p.Chain() != "Ethernet:IPv4:UDP:DNS" {
		t.Fatalf("chain %q err %v", p.Chain(), &p.Err)
	}
	if len(p.Payload()) != 0 {
		t.Errorf("payload after dns: %d bytes", len(p.Payload()))
	}
	dns := []string{"ethernet", "ipv4", "udp", "dns"}
	at := func(k ...string) []string { return append(append([]string(nil), dns...), k...) }
	if tr.Lookup(at("error")...) != nil {
		t.Fatalf("error: %s", tr.Lookup(at("error")...).Str())
	}
	tbUint(t, tr, 0xbeef, at("id")...)
	for k, v := range map[string]uint64{"qr": 1, "opcode": 0, "aa": 1, "tc": 0, "rd": 1, "ra": 1, "z": 0, "ad": 1, "cd": 0, "rcode": 0} {
		tbUint(t, tr, v, at("flags", k)...)
	}
	tbString(t, tr, "NOERROR", at("flags", "rcode")...)
	tbUint(t, tr, 1, at("qdcount")...)
	tbUint(t, tr, 9, at("ancount")...)
	tbString(t, tr, "www.example.com", at("questions", "", "name")...)
	tbString(t, tr, "A", at("questions", "", "type")...)
	tbString(t, tr, "IN", at("questions", "", "class")...)

	ans := elems(tr, tr.Lookup(at("answers")...))
	if len(ans) != 9 {
		t.Fatalf("%d answers, want 9", len(ans))
	}
	str := func(i int, key, want string) {
		t.Helper()
		if n := child(tr, i, key); n == nil || n.Str() != want {
			t.Errorf("record %d %s = %+v, want %q", i, key, n, want)
		}
	}
	num := func(i int, key string, want uint64) {
		t.Helper()
		if n := child(tr, i, key); n == nil || n.Num != want {
			t.Errorf("record %d %s = %+v, want %d", i, key, n, want)
		}
	}
	str(ans[0], "name", "www.example.com")
	str(ans[0], "type", "CNAME")
	num(ans[0], "ttl", 300)
	str(ans[0], "cname", "web.example.com")
	if n := child(tr, ans[1], "address"); n == nil || n.Kind != KindIPv4 || string(n.Bin()) != "\x5d\xb8\xd8\x22" {
		t.Errorf("A address %+v", n)
	}
	if n := child(tr, ans[2], "address"); n == nil || n.Kind != KindIPv6 || len(n.Bin()) != 16 || n.Bin()[3] != 0xb8 {
		t.Errorf("AAAA address %+v", n)
	}
	str(ans[3], "name", "example.com")
	num(ans[3], "preference", 10)
	str(ans[3], "exchange", "mx.example.com")
	txt := child(tr, ans[4], "txt")
	if txt == nil || len(elems(tr, txt)) != 3 {
		t.Fatalf("txt %+v", txt)
	}
	if e := elems(tr, txt); tr.Nodes[e[0]].Str() != "hello" || tr.Nodes[e[1]].Str() != "" || tr.Nodes[e[2]].Str() != "a=b" {
		t.Errorf("txt strings %q %q %q", tr.Nodes[e[0]].Str(), tr.Nodes[e[1]].Str(), tr.Nodes[e[2]].Str())
	}
	str(ans[5], "ns", "ns1.example.com")
	str(ans[6], "name", "4.3.2.1.in-addr.arpa")
	str(ans[6], "ptr", "example.com")
	num(ans[7], "priority", 1)
	num(ans[7], "weight", 2)
	num(ans[7], "port", 5060)
	str(ans[7], "target", "www.example.com")
	if n := child(tr, ans[8], "rdata"); n == nil || string(n.Bin()) != "\x01\x02\x03" {
		t.Errorf("unknown rdata %+v", n)
	}

	auth := elems(tr, tr.Lookup(at("authorities")...))
	if len(auth) != 1 {
		t.Fatalf("%d authorities", len(auth))
	}
	str(auth[0], "mname", "ns1.example.com")
	str(auth[0], "rname", "hostmaster.example.com")
	num(auth[0], "serial", 2024010101)
	num(auth[0], "minimum", 300)

	add := elems(tr, tr.Lookup(at("additionals")...))
	if len(add) != 2 {
		t.Fatalf("%d additionals", len(add))
	}
	str(add[0], "name", "<Root>")
	str(add[0], "type", "OPT")
	num(add[0], "udp_size", 1232)
	num(add[0], "do", 1)
	num(add[0], "version", 0)
	if o := child(tr, add[0], "options"); o == nil || len(elems(tr, o)) != 1 {
		t.Errorf("edns options %+v", o)
	} else if d := child(tr, elems(tr, o)[0], "data"); d == nil || string(d.Bin()) != "\xab\xcd" {
		t.Errorf("edns option data %+v", d)
	}
	str(add[1], "name", "ns1.example.com")
}

func TestDNSMalformed(t *testing.T) {
	loop := dnsHeader(1, 0, 1, 0, 0, 0)
	loop = append(loop, dnsPtr(12)...) // points at itself
	loop = append(loop, 0, 1, 0, 1)

	mutual := dnsHeader(1, 0, 1, 0, 0, 0)
	mutual = append(mutual, 1, 'a')
	mutual = append(mutual, dnsPtr(12)...) // a.a.a.a... forever

	long := dnsHeader(1, 0, 1, 0, 0, 0)
	for i := 0; i < 5; i++ {
		long = append(long, 63)
		long = append(long, strings.Repeat("x", 63)...)
	}
	long = append(long, 0, 0, 1, 0, 1)

	cutRR := append(dnsHeader(1, 0x8000, 0, 1, 0, 0), 0, 0, 1, 0, 1, 0, 0)
	badLen := append(dnsHeader(1, 0x8000, 0, 1, 0, 0), dnsRR([]byte{0}, 1, 1, 1, []byte{1, 2, 3, 4})...)
	badLen[len(badLen)-5] = 9 // rdlength 9 > 4 bytes left
	badLabel := append(dnsHeader(1, 0, 1, 0, 0, 0), 0x41, 0, 0, 1, 0, 1)
	manyCounts := dnsHeader(1, 0x8000, 0xffff, 0xffff, 0xffff, 0xffff)

	cases := []struct {
		name string
		msg  []byte
		err  string
	}{
		{"pointer loop", loop, "question name: too many compression pointers"},
		{"label loop", mutual, "question name: too many compression pointers"},
		{"long name", long, "question name: name longer than 255 bytes"},
		{"record cut", cutRR, "record truncated"},
		{"rdlength beyond", badLen, "record data truncated"},
		{"label type", badLabel, "question name: unsupported label type 0x40"},
		{"huge counts", manyCounts, "question name: name beyond the message"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(40000, 53, c.msg))))
			if p.Failed() {
				t.Fatalf("frame failed: %v", &p.Err)
			}
			if n := tr.Lookup("ethernet", "ipv4", "udp", "dns", "error"); n == nil || n.Str() != c.err {
				t.Errorf("error %+v, want %q", n, c.err)
			}
		})
	}

	// Shorter than the header: truncated, at every length.
	for n := 1; n < dnsHdrLen; n++ {
		p, _ := tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(40000, 53, dnsQueryA[:n]))))
		if !errors.Is(p.Err.Err, ErrTruncated) || p.Err.Proto != ProtoDNS || p.Err.Offset != 42 {
			t.Errorf("cut at %d: err %v", n, &p.Err)
		}
	}
	// Cut anywhere after the header: decoded, body error in the fields.
	for n := dnsHdrLen; n < len(dnsQueryA); n++ {
		p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(40000, 53, dnsQueryA[:n]))))
		if p.Failed() || tr.Lookup("ethernet", "ipv4", "udp", "dns", "error") == nil {
			t.Errorf("cut at %d: err %v, want a fields error", n, &p.Err)
		}
	}
}

func TestDNSOverTCP(t *testing.T) {
	msg := binary.BigEndian.AppendUint16(nil, uint16(len(dnsQueryA)))
	msg = append(msg, dnsQueryA...)
	p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(40000, 53, 1, 1, TCPAck|TCPPsh, nil, msg))))
	if p.Failed() || p.Chain() != "Ethernet:IPv4:TCP:DNS" || len(p.Payload()) != 0 {
		t.Fatalf("chain %q err %v payload %d", p.Chain(), &p.Err, len(p.Payload()))
	}
	at := []string{"ethernet", "ipv4", "tcp", "dns"}
	tbUint(t, tr, uint64(len(dnsQueryA)), append(at, "length")...)
	tbUint(t, tr, 0x1234, append(at, "id")...)
	tbString(t, tr, "example.com", append(at, "questions", "", "name")...)
	if tr.Lookup(append(at, "error")...) != nil {
		t.Errorf("error %q", tr.Lookup(append(at, "error")...).Str())
	}

	// Two messages in one segment: the second is raw payload.
	two := append(append([]byte(nil), msg...), msg...)
	p, _ = tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(53, 40000, 1, 1, TCPAck, nil, two))))
	if p.Failed() || len(p.Payload()) != len(msg) {
		t.Errorf("two messages: err %v payload %d", &p.Err, len(p.Payload()))
	}

	// Length prefix below the header size: malformed.
	bad := append([]byte{0, 5}, dnsQueryA...)
	p, _ = tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(53, 40000, 1, 1, TCPAck, nil, bad))))
	if !errors.Is(p.Err.Err, ErrMalformed) || p.Err.Proto != ProtoDNS {
		t.Errorf("short prefix: err %v", &p.Err)
	}
}

func FuzzDNS(f *testing.F) {
	f.Add(false, dnsResponse())
	f.Add(false, dnsQueryA)
	f.Add(true, append([]byte{0, byte(len(dnsQueryA))}, dnsQueryA...))
	f.Add(false, append(dnsHeader(1, 0, 1, 0, 0, 0), 0xc0, 12, 0, 1, 0, 1))
	f.Fuzz(func(t *testing.T, overTCP bool, data []byte) {
		if overTCP {
			// Behind a TCP header on port 53, to take the length-prefix path.
			fuzzDecode(t, ProtoTCP, tbTCP(53, 40000, 1, 1, TCPAck, nil, data))
			return
		}
		fuzzDecode(t, ProtoDNS, data)
	})
}
