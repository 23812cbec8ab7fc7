package decoder

import "testing"

func TestSLL(t *testing.T) {
	ip := linkIPv4
	ipx := "ffff 001e 00 04 00000001 ffffffffffff 0452 00000002 020000000001 4000"
	runLinkCases(t, []linkCase{
		{
			name: "v1 IPv4", first: ProtoSLL,
			data:  lhex(t, "0000 0001 0006 020000000001 0000 0800"+ip),
			chain: "SLL:IPv4",
			fields: map[string]string{
				"sll.pkttype": "unicast to us [0]", "sll.hatype": "Ethernet [1]", "sll.halen": "6",
				"sll.addr": "02:00:00:00:00:01", "sll.protocol": "IPv4 [2048]", "sll.ipv4.dst": "10.0.0.2",
			},
		},
		{
			name: "v1 address longer than the field", first: ProtoSLL,
			data:  lhex(t, "0004 0020 0014 0102030405060708 86dd"),
			chain: "SLL",
			fields: map[string]string{
				"sll.pkttype": "sent by us [4]", "sll.hatype": "InfiniBand [32]", "sll.halen": "20",
				"sll.addr": "0102030405060708", "sll.protocol": "IPv6 [34525]",
			},
		},
		{
			name: "v1 short address", first: ProtoSLL,
			data:   lhex(t, "0001 0304 0000 0000000000000000 0800"+ip),
			chain:  "SLL:IPv4",
			fields: map[string]string{"sll.addr": "", "sll.hatype": "Loopback [772]", "sll.pkttype": "broadcast [1]"},
		},
		{
			name: "v1 Novell raw 802.3", first: ProtoSLL,
			data:   lhex(t, "0000 0001 0006 020000000001 0000 0001"+ipx),
			chain:  "SLL:IPX",
			fields: map[string]string{"sll.protocol": "Novell 802.3 [1]"},
		},
		{
			name: "v1 802.2 LLC", first: ProtoSLL,
			data:   lhex(t, "0000 0001 0006 020000000001 0000 0004 424203 0000"),
			chain:  "SLL:LLC",
			fields: map[string]string{"sll.protocol": "802.2 LLC [4]", "sll.llc.dsap": "Spanning Tree [66]"},
		},
		{
			name: "v1 CAN is raw", first: ProtoSLL,
			data:   lhex(t, "0000 0118 0000 0000000000000000 000c 0102"),
			chain:  "SLL",
			fields: map[string]string{"sll.protocol": "CAN [12]", "sll.hatype": "CAN [280]", "sll.raw": "0102"},
		},
		{
			name: "v1 Netlink protocol is not an EtherType", first: ProtoSLL,
			data:   lhex(t, "0004 0338 0000 0000000000000000 0800 0102"),
			chain:  "SLL",
			fields: map[string]string{"sll.protocol": "Netlink [2048]", "sll.raw": "0102"},
		},
		{
			name: "v1 truncated", first: ProtoSLL,
			data:  lhex(t, "0000 0001 0006 020000000001 0000 08"),
			chain: "SLL", err: ErrTruncated, errAt: ProtoSLL,
			fields: map[string]string{"sll.error.reason": "truncated: need 16 bytes, have 15"},
		},
		{
			name: "v2 IPv4", first: ProtoSLL2,
			data:  lhex(t, "0800 0000 00000003 0001 04 06 020000000001 0000"+ip),
			chain: "SLL2:IPv4",
			fields: map[string]string{
				"sll2.protocol": "IPv4 [2048]", "sll2.reserved": "0", "sll2.ifindex": "3",
				"sll2.hatype": "Ethernet [1]", "sll2.pkttype": "sent by us [4]", "sll2.halen": "6",
				"sll2.addr": "02:00:00:00:00:01", "sll2.ipv4.src": "10.0.0.1",
			},
		},
		{
			name: "v2 ARP, oversized address", first: ProtoSLL2,
			data: lhex(t, "0806 0000 00000001 0001 00 ff 0102030405060708"+
				"0001 0800 06 04 0001 020000000001 c0a80001 000000000000 c0a80002"),
			chain:  "SLL2:ARP",
			fields: map[string]string{"sll2.halen": "255", "sll2.addr": "0102030405060708", "sll2.arp.oper": "request [1]"},
		},
		{
			name: "v2 truncated", first: ProtoSLL2,
			data:  lhex(t, "0800 0000 00000003 0001 04 06 0200000000"),
			chain: "SLL2", err: ErrTruncated, errAt: ProtoSLL2,
		},
	})
	linkAllocs(t, ProtoSLL, lhex(t, "0000 0001 0006 020000000001 0000 0800"+ip))
	linkAllocs(t, ProtoSLL2, lhex(t, "0800 0000 00000003 0001 04 06 020000000001 0000"+ip))
}

// TestSLLLinkTypes checks that link types 113 and 276 start with SLL / SLL2.
func TestSLLLinkTypes(t *testing.T) {
	d := New(Options{})
	var p Packet
	d.Decode(lhex(t, "0000 0001 0006 020000000001 0000 0800"+linkIPv4), 113, &p)
	if got := p.Chain(); got != "SLL:IPv4" {
		t.Errorf("link type 113: chain %q", got)
	}
	d.Decode(lhex(t, "0800 0000 00000003 0001 04 06 020000000001 0000"+linkIPv4), 276, &p)
	if got := p.Chain(); got != "SLL2:IPv4" {
		t.Errorf("link type 276: chain %q", got)
	}
}
