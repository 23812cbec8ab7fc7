package decoder

import "testing"

func TestGRE(t *testing.T) {
	ping := inetIP4(1, inetPing4)
	lcp := inetHex("ff03 c021 | 01 01 0004") // PPP LCP Configure-Request, 8 bytes
	runInetCases(t, []inetCase{
		{
			name: "plain gre over ipv4", first: ProtoIPv4,
			data:  inetIP4(47, inetCat(inetHex("0000 0800"), ping)),
			chain: "IPv4:GRE:IPv4:ICMP", under: ProtoGRE,
			fields: []inetField{
				{"ipv4.protocol", "GRE [47]"},
				{"ipv4.gre.flags.checksum", "false"},
				{"ipv4.gre.flags.key", "false"},
				{"ipv4.gre.flags.seq", "false"},
				{"ipv4.gre.flags.ack", "<missing>"},
				{"ipv4.gre.version", "0"},
				{"ipv4.gre.protocol", "IPv4 [2048]"},
				{"ipv4.gre.checksum", "<missing>"},
				{"ipv4.gre.ipv4.src", "192.0.2.1"},
			},
		},
		{
			name: "checksum, key and sequence number", first: ProtoGRE,
			data:  inetCat(inetHex("b000 86dd | 1234 0000 | 0000002a | 00000007"), inetIP6(17, inetUDP(1, 2, nil))),
			chain: "GRE:IPv6:UDP", under: ProtoGRE,
			fields: []inetField{
				{"gre.flags.checksum", "true"},
				{"gre.flags.key", "true"},
				{"gre.flags.seq", "true"},
				{"gre.protocol", "IPv6 [34525]"},
				{"gre.checksum", "4660"},
				{"gre.offset", "0"},
				{"gre.key", "42"},
				{"gre.seq", "7"},
			},
		},
		{
			name: "transparent ethernet bridging", first: ProtoIPv6,
			data:  inetIP6(47, inetCat(inetHex("2000 6558 | 00000064"), inetEth(0x0800, ping))),
			chain: "IPv6:GRE:Ethernet:IPv4:ICMP", under: ProtoGRE,
			fields: []inetField{
				{"ipv6.gre.protocol", "Transparent Ethernet Bridging [25944]"},
				{"ipv6.gre.key", "100"},
				{"ipv6.gre.ethernet.type", "IPv4 [2048]"},
			},
		},
		{
			name: "pptp enhanced gre", first: ProtoIPv4,
			data:  inetIP4(47, inetCat(inetHex("3081 880b | 0008 0005 | 00000001 | 00000000"), lcp, inetHex("eeeeeeee"))),
			chain: "IPv4:GRE:PPP", under: ProtoGRE,
			fields: []inetField{
				{"ipv4.gre.flags.key", "true"},
				{"ipv4.gre.flags.seq", "true"},
				{"ipv4.gre.flags.ack", "true"},
				{"ipv4.gre.version", "1"},
				{"ipv4.gre.protocol", "PPP [34827]"},
				{"ipv4.gre.payload_len", "8"},
				{"ipv4.gre.call_id", "5"},
				{"ipv4.gre.seq", "1"},
				{"ipv4.gre.ack", "0"},
				{"ipv4.gre.key", "<missing>"},
			},
			payload: "01010004", // the bytes after the 8-byte payload are not PPP's
		},
		{
			name: "pptp ack only", first: ProtoGRE,
			data:  inetCat(inetHex("2081 880b | 0000 0005 | 00000009")),
			chain: "GRE", under: ProtoGRE,
			fields: []inetField{{"gre.ack", "9"}, {"gre.seq", "<missing>"}},
		},
		{
			name: "rfc 1701 routing", first: ProtoGRE,
			data:  inetCat(inetHex("4000 0800 | 0000 0000 | 0800 00 04 c0000201 | 0000 00 00"), ping),
			chain: "GRE:IPv4:ICMP", under: ProtoGRE,
			fields: []inetField{
				{"gre.flags.routing", "true"},
				{"gre.routing", "08000004c000020100000000"},
			},
		},
		{
			name: "routing without its terminator", first: ProtoGRE,
			data:  inetHex("4000 0800 | 0000 0000 | 0800 00 04 c0000201"),
			chain: "GRE", err: ErrTruncated, errAt: ProtoGRE,
		},
		{
			name: "enhanced gre without key", first: ProtoGRE,
			data:  inetHex("1001 880b 00000001 ff03c021"),
			chain: "GRE", err: ErrMalformed, errAt: ProtoGRE,
		},
		{
			name: "enhanced gre with checksum", first: ProtoGRE,
			data:  inetHex("a001 880b 0000 0000 00000001 ff03c021"),
			chain: "GRE", err: ErrMalformed, errAt: ProtoGRE,
		},
		{
			name: "version 2", first: ProtoGRE,
			data:  inetCat(inetHex("0002 0800"), ping),
			chain: "GRE", err: ErrMalformed, errAt: ProtoGRE,
		},
		{
			name: "unknown protocol type is raw", first: ProtoGRE,
			data:  inetHex("0000 88be | 01020304"),
			chain: "GRE", payload: "01020304",
			fields: []inetField{{"gre.protocol", " [35006]"}},
		},
	})
}
