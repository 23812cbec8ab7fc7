package decoder

import (
	"errors"
	"testing"
)

var icmp6Path = []string{"ethernet", "ipv6", "icmpv6"}

func icmp6At(keys ...string) []string { return append(append([]string(nil), icmp6Path...), keys...) }

func icmp6Frame(msg []byte) []byte { return tbEth(0x86dd, tbIPv6(58, msg)) }

func TestICMPv6(t *testing.T) {
	linkLocal := []byte{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	mac := []byte{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}

	// Echo reply.
	p, tr := tbDecode(t, icmp6Frame([]byte{129, 0, 0x12, 0x34, 0, 9, 0, 3, 'x'}))
	if p.Failed() || p.Chain() != "Ethernet:IPv6:ICMPv6" || string(p.Payload()) != "x" {
		t.Fatalf("echo: chain %q err %v", p.Chain(), &p.Err)
	}
	if h := ICMPv6(p.Bytes(2)); h.ID() != 9 || h.Seq() != 3 || !h.IsEcho() || h.Checksum() != 0x1234 {
		t.Errorf("echo view %d %d", h.ID(), h.Seq())
	}
	tbString(t, tr, "Echo Reply", icmp6At("type")...)
	tbUint(t, tr, 9, icmp6At("id")...)

	// Neighbour solicitation with a source link-layer address option.
	ns := append([]byte{135, 0, 0, 0, 0, 0, 0, 0}, linkLocal...)
	ns = append(ns, 1, 1)
	ns = append(ns, mac...)
	p, tr = tbDecode(t, icmp6Frame(ns))
	if p.Failed() || int(p.Layers[2].Hdr) != len(ns) {
		t.Fatalf("ns: err %v hdr %d", &p.Err, p.Layers[2].Hdr)
	}
	if n := tr.Lookup(icmp6At("target")...); n == nil || n.Kind != KindIPv6 || string(n.Bin()) != string(linkLocal) {
		t.Errorf("ns target %+v", n)
	}
	tbString(t, tr, "Source Link-Layer Address", icmp6At("options", "", "type")...)
	if n := tr.Lookup(icmp6At("options", "", "address")...); n == nil || n.Kind != KindMAC || string(n.Bin()) != string(mac) {
		t.Errorf("slla %+v", n)
	}
	for n := 8; n < 24; n++ {
		p, _ = tbDecode(t, icmp6Frame(ns[:n]))
		if !errors.Is(p.Err.Err, ErrTruncated) || p.Err.Proto != ProtoICMPv6 {
			t.Errorf("ns cut at %d: err %v", n, &p.Err)
		}
	}

	// Neighbour advertisement flags.
	na := append([]byte{136, 0, 0, 0, 0xe0, 0, 0, 0}, linkLocal...)
	_, tr = tbDecode(t, icmp6Frame(na))
	tbUint(t, tr, 1, icmp6At("flags", "r")...)
	tbUint(t, tr, 1, icmp6At("flags", "o")...)

	// Router advertisement: prefix, MTU, RDNSS options.
	ra := []byte{134, 0, 0, 0, 64, 0xc0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0}
	ra = append(ra, 3, 4, 64, 0xc0, 0, 0, 0x0e, 0x10, 0, 0, 0x07, 0x08, 0, 0, 0, 0)
	ra = append(ra, 0x20, 1, 0xd, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	ra = append(ra, 5, 1, 0, 0, 0, 0, 0x05, 0xdc)
	ra = append(ra, 25, 3, 0, 0, 0, 0, 0x0e, 0x10)
	ra = append(ra, tbDst6...)
	p, tr = tbDecode(t, icmp6Frame(ra))
	if p.Failed() {
		t.Fatalf("ra: err %v", &p.Err)
	}
	tbUint(t, tr, 64, icmp6At("cur_hop_limit")...)
	tbUint(t, tr, 1, icmp6At("flags", "m")...)
	tbUint(t, tr, 1800, icmp6At("router_lifetime")...)
	opts := elems(tr, tr.Lookup(icmp6At("options")...))
	if len(opts) != 3 {
		t.Fatalf("ra: %d options", len(opts))
	}
	if n := child(tr, opts[0], "prefix_length"); n == nil || n.Num != 64 {
		t.Errorf("prefix length %+v", n)
	}
	if n := child(tr, opts[0], "valid_lifetime"); n == nil || n.Num != 3600 {
		t.Errorf("valid lifetime %+v", n)
	}
	if n := child(tr, opts[0], "prefix"); n == nil || n.Bin()[5] != 1 {
		t.Errorf("prefix %+v", n)
	}
	if n := child(tr, opts[1], "mtu"); n == nil || n.Num != 1500 {
		t.Errorf("mtu %+v", n)
	}
	if s := child(tr, opts[2], "servers"); s == nil || len(elems(tr, s)) != 1 {
		t.Errorf("rdnss servers %+v", s)
	}

	// A zero-length option ends the list with an error; the frame is fine.
	bad := append(append([]byte(nil), ns[:24]...), 1, 0, 0, 0, 0, 0, 0, 0)
	p, tr = tbDecode(t, icmp6Frame(bad))
	if p.Failed() {
		t.Fatalf("bad option: frame failed: %v", &p.Err)
	}
	tbString(t, tr, "option length zero", icmp6At("options", "", "error")...)

	// Packet too big, with the invoking packet as payload.
	ptb := append([]byte{2, 0, 0, 0, 0, 0, 0x05, 0x00}, tbIPv6(6, nil)...)
	p, tr = tbDecode(t, icmp6Frame(ptb))
	if p.Failed() || len(p.Payload()) != 40 {
		t.Fatalf("ptb: err %v payload %d", &p.Err, len(p.Payload()))
	}
	tbUint(t, tr, 1280, icmp6At("mtu")...)
	tbUint(t, tr, 6, icmp6At("quote", "nxt")...)
	if n := tr.Lookup(icmp6At("quote", "dst")...); n == nil || string(n.Bin()) != string(tbDst6) {
		t.Errorf("ptb quote dst %+v", n)
	}
	if tr.Lookup(icmp6At("quote", "srcport")...) != nil {
		t.Error("ptb quote: ports from 0 bytes of tcp")
	}
	unreach := append([]byte{1, 4, 0, 0, 0, 0, 0, 0}, tbIPv6(17, tbUDP(5000, 33434, nil))...)
	_, tr = tbDecode(t, icmp6Frame(unreach))
	tbString(t, tr, "Port Unreachable", icmp6At("code")...)
	tbUint(t, tr, 33434, icmp6At("quote", "dstport")...)

	// MLDv2 query with one source, MLDv2 report with one record.
	q := append([]byte{130, 0, 0, 0, 0x27, 0x10, 0, 0}, make([]byte, 16)...)
	q = append(q, 0x02, 125, 0, 1)
	q = append(q, linkLocal...)
	p, tr = tbDecode(t, icmp6Frame(q))
	if p.Failed() || int(p.Layers[2].Hdr) != len(q) {
		t.Fatalf("mldv2 query: err %v", &p.Err)
	}
	tbUint(t, tr, 2, icmp6At("qrv")...)
	tbUint(t, tr, 10000, icmp6At("max_resp_delay")...)
	p, _ = tbDecode(t, icmp6Frame(q[:len(q)-1]))
	if !errors.Is(p.Err.Err, ErrTruncated) {
		t.Errorf("mldv2 query cut: err %v", &p.Err)
	}
	rep := append([]byte{143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0}, tbDst6...)
	_, tr = tbDecode(t, icmp6Frame(rep))
	tbUint(t, tr, 1, icmp6At("num_records")...)
	tbUint(t, tr, 4, icmp6At("records", "", "type")...)
}
