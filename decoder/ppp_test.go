package decoder

import "testing"

func TestPPP(t *testing.T) {
	ip := linkIPv4
	ip6 := "6000000000003b40 fe800000000000000000000000000001 fe800000000000000000000000000002"
	runLinkCases(t, []linkCase{
		{
			name: "address, control, IPv4", first: ProtoPPP,
			data: lhex(t, "ff03 0021"+ip), chain: "PPP:IPv4",
			fields: map[string]string{"ppp.address": "255", "ppp.control": "3", "ppp.protocol": "IPv4 [33]"},
		},
		{
			name: "compressed protocol field, no address", first: ProtoPPP,
			data: lhex(t, "21"+ip), chain: "PPP:IPv4",
			fields: map[string]string{"ppp.address": "<absent>", "ppp.protocol": "IPv4 [33]"},
		},
		{
			name: "IPv6 without address and control", first: ProtoPPP,
			data: lhex(t, "0057"+ip6), chain: "PPP:IPv6",
			fields: map[string]string{"ppp.protocol": "IPv6 [87]"},
		},
		{
			name: "MPLS", first: ProtoPPP,
			data: lhex(t, "ff03 0281 00001140"+ip), chain: "PPP:MPLS:IPv4",
			fields: map[string]string{"ppp.protocol": "MPLS Unicast [641]", "ppp.mpls.labels..label": "1"},
		},
		{
			name: "LCP is named and raw", first: ProtoPPP,
			data: lhex(t, "ff03 c021 01010004"), chain: "PPP",
			fields: map[string]string{"ppp.protocol": "LCP [49185]", "ppp.raw": "01010004"},
		},
		{
			name: "even protocol", first: ProtoPPP,
			data: lhex(t, "ff03 0020 00"), chain: "PPP", err: ErrMalformed, errAt: ProtoPPP,
			fields: map[string]string{"ppp.error.reason": "malformed: protocol 0x0020 is even"},
		},
		{
			name: "protocol cut", first: ProtoPPP,
			data: lhex(t, "ff03 00"), chain: "PPP", err: ErrTruncated, errAt: ProtoPPP,
			fields: map[string]string{"ppp.error.reason": "truncated: need 4 bytes, have 3"},
		},
	})
	linkAllocs(t, ProtoPPP, lhex(t, "ff03 0021"+ip))
	d := New(Options{})
	var p Packet
	d.Decode(lhex(t, "ff03 0021"+ip), 9, &p)
	if got := p.Chain(); got != "PPP:IPv4" {
		t.Errorf("link type 9: chain %q", got)
	}
}

func TestPPPoE(t *testing.T) {
	eth := linkEthHdr
	ip := linkIPv4
	runLinkCases(t, []linkCase{
		{
			name: "session with padding", first: ProtoEthernet,
			data:  lhex(t, eth+"8864 1100 1234 0016 0021"+ip+"00000000"),
			chain: "Ethernet:PPPoE:PPP:IPv4",
			fields: map[string]string{
				"ethernet.pppoe.version": "1", "ethernet.pppoe.type": "1",
				"ethernet.pppoe.code": "Session Data [0]", "ethernet.pppoe.session_id": "4660",
				"ethernet.pppoe.len": "22", "ethernet.pppoe.tags": "<absent>",
				"ethernet.pppoe.ppp.ipv4.raw": "<absent>",
			},
		},
		{
			name: "session length trims the padding", first: ProtoEthernet,
			data:   lhex(t, eth+"8864 1100 1234 0006 c021 01010004 00000000"),
			chain:  "Ethernet:PPPoE:PPP",
			fields: map[string]string{"ethernet.pppoe.ppp.raw": "01010004"},
		},
		{
			name: "discovery PADI tags", first: ProtoEthernet,
			data:  lhex(t, eth+"8863 1109 0000 000c 0101 0000 0103 0004 deadbeef 0000"),
			chain: "Ethernet:PPPoE",
			fields: map[string]string{
				"ethernet.pppoe.code": "PADI [9]", "ethernet.pppoe.tags#": "2",
				"ethernet.pppoe.tags..type": "Service-Name [257]", "ethernet.pppoe.tags..len": "0",
				"ethernet.pppoe.raw": "<absent>",
			},
		},
		{
			name: "session length beyond capture is kept", first: ProtoPPPoE,
			data:   lhex(t, "1100 0001 05dc 0021"+ip),
			chain:  "PPPoE:PPP:IPv4",
			fields: map[string]string{"pppoe.len": "1500"},
		},
		{
			name: "bad version", first: ProtoPPPoE,
			data:  lhex(t, "2100 0001 0000"),
			chain: "PPPoE", err: ErrMalformed, errAt: ProtoPPPoE,
			fields: map[string]string{"pppoe.error.reason": "malformed: version 2 type 1, want 1 and 1"},
		},
		{
			name: "tag overruns the stated length", first: ProtoPPPoE,
			data:  lhex(t, "1109 0000 0008 0101 0010 aabbccdd"),
			chain: "PPPoE", err: ErrMalformed, errAt: ProtoPPPoE,
			fields: map[string]string{"pppoe.error.reason": "malformed: tag 0x0101 at offset 6: length 16 exceeds the 4 bytes left"},
		},
		{
			name: "stray bytes after the tags", first: ProtoPPPoE,
			data:  lhex(t, "1109 0000 0006 0101 0000 aa bb"),
			chain: "PPPoE", err: ErrMalformed, errAt: ProtoPPPoE,
		},
		{
			name: "discovery cut by the snap length", first: ProtoPPPoE,
			data:  lhex(t, "1109 0000 0020 0101 0000"),
			chain: "PPPoE", err: ErrTruncated, errAt: ProtoPPPoE,
		},
		{
			name: "truncated header", first: ProtoPPPoE,
			data:  lhex(t, "1100 0001 00"),
			chain: "PPPoE", err: ErrTruncated, errAt: ProtoPPPoE,
		},
	})
	linkAllocs(t, ProtoEthernet, lhex(t, eth+"8864 1100 1234 0016 0021"+ip))
	linkAllocs(t, ProtoEthernet, lhex(t, eth+"8863 1109 0000 000c 0101 0000 0103 0004 deadbeef"))
}
