package decoder

import "testing"

func TestARP(t *testing.T) {
	eth := linkEthHdr
	req := "0001 0800 06 04 0001 020000000001 c0a80001 000000000000 c0a80002"
	runLinkCases(t, []linkCase{
		{
			name: "request with Ethernet padding", first: ProtoEthernet,
			data:  lhex(t, eth+"0806"+req+"000000000000000000000000000000000000"),
			chain: "Ethernet:ARP",
			fields: map[string]string{
				"ethernet.arp.htype": "Ethernet [1]", "ethernet.arp.ptype": "IPv4 [2048]",
				"ethernet.arp.hlen": "6", "ethernet.arp.plen": "4", "ethernet.arp.oper": "request [1]",
				"ethernet.arp.sha": "02:00:00:00:00:01", "ethernet.arp.spa": "192.168.0.1",
				"ethernet.arp.tha": "00:00:00:00:00:00", "ethernet.arp.tpa": "192.168.0.2",
				"ethernet.arp.len": "28", "ethernet.arp.raw": "<absent>",
			},
		},
		{
			name: "RARP reply", first: ProtoEthernet,
			data:  lhex(t, eth+"8035"+"0001 0800 06 04 0004 020000000001 c0a80001 020000000002 c0a80002"),
			chain: "Ethernet:RARP",
			fields: map[string]string{
				"ethernet.rarp.oper": "rarp reply [4]", "ethernet.rarp.tha": "02:00:00:00:00:02",
			},
		},
		{
			name: "other address lengths are bytes", first: ProtoARP,
			data:  lhex(t, "0020 86dd 08 10 0009 0102030405060708 fe800000000000000000000000000001 1112131415161718 fe800000000000000000000000000002"),
			chain: "ARP",
			fields: map[string]string{
				"arp.htype": "InfiniBand [32]", "arp.ptype": "IPv6 [34525]", "arp.oper": "inarp reply [9]",
				"arp.sha": "0102030405060708", "arp.spa": "fe80::1", "arp.tpa": "fe80::2",
			},
		},
		{
			name: "zero address lengths", first: ProtoARP,
			data:   lhex(t, "0001 0800 00 00 0002"),
			chain:  "ARP",
			fields: map[string]string{"arp.sha": "", "arp.len": "8", "arp.oper": "reply [2]"},
		},
		{
			name: "unknown operation", first: ProtoARP,
			data:  lhex(t, "0001 0800 00 00 00ff"),
			chain: "ARP", fields: map[string]string{"arp.oper": "Unknown [255]"},
		},
		{
			name: "addresses cut", first: ProtoEthernet,
			data:  lhex(t, eth+"0806"+"0001 0800 06 04 0001 020000000001 c0a80001 0000"),
			chain: "Ethernet:ARP", err: ErrTruncated, errAt: ProtoARP,
			fields: map[string]string{"ethernet.arp.error.reason": "truncated: need 28 bytes, have 20"},
		},
		{
			name: "address lengths beyond the frame", first: ProtoARP,
			data:  lhex(t, "0001 0800 ff ff 0001 0000"),
			chain: "ARP", err: ErrTruncated, errAt: ProtoARP,
			fields: map[string]string{"arp.error.reason": "truncated: need 1028 bytes, have 10"},
		},
	})
	linkAllocs(t, ProtoEthernet, lhex(t, eth+"0806"+req))
}
