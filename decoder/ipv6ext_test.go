package decoder

import "testing"

var (
	inetHoA   = inetHex("20010db8000000000000000000000099")
	inetAddrA = inetHex("20010db800000000000000000000000a")
	inetAddrB = inetHex("20010db800000000000000000000000b")
)

func TestIPv6Options(t *testing.T) {
	udp := inetUDP(5000, 5001, inetHex("deadbeef"))
	runInetCases(t, []inetCase{
		{
			name: "hop-by-hop router alert", first: ProtoIPv6,
			data:  inetIP6(0, inetCat(inetHex("3a 00 | 05 02 0000 | 01 00"), inetPing6)),
			chain: "IPv6:HOPOPT:ICMPv6", under: ProtoHopOpts,
			fields: []inetField{
				{"ipv6.next", "HOPOPT [0]"},
				{"ipv6.hopopt.next", "ICMPv6 [58]"},
				{"ipv6.hopopt.length", "8"},
				{"ipv6.hopopt.options", "#2"},
				{"ipv6.hopopt.options.0.type", "Router Alert [5]"},
				{"ipv6.hopopt.options.0.action", "skip [0]"},
				{"ipv6.hopopt.options.0.change", "false"},
				{"ipv6.hopopt.options.0.length", "2"},
				{"ipv6.hopopt.options.0.value", "MLD [0]"},
				{"ipv6.hopopt.options.1.type", "PadN [1]"},
				{"ipv6.hopopt.options.1.length", "0"},
			},
		},
		{
			name: "destination options home address", first: ProtoIPv6,
			data:  inetIP6(60, inetCat(inetHex("11 02 | 01 02 0000 | c9 10"), inetHoA, udp)),
			chain: "IPv6:IPv6_Opts:UDP", under: ProtoIPv6Opts,
			fields: []inetField{
				{"ipv6.ipv6_opts.next", "UDP [17]"},
				{"ipv6.ipv6_opts.length", "24"},
				{"ipv6.ipv6_opts.options.1.type", "Home Address [201]"},
				{"ipv6.ipv6_opts.options.1.action", "discard and send ICMP unless multicast [3]"},
				{"ipv6.ipv6_opts.options.1.change", "false"},
				{"ipv6.ipv6_opts.options.1.addr", "2001:db8::99"},
				{"ipv6.ipv6_opts.udp.srcport", "5000"},
			},
		},
		{
			name: "calipso, tunnel limit, unknown option, padding", first: ProtoIPv6,
			data:  inetIP6(0, inetHex(`3b 02 | 07 08 00000003 00 01 abcd | 04 01 05 | 9e 01 ab | 01 04 00000000`)),
			chain: "IPv6:HOPOPT", under: ProtoHopOpts,
			fields: []inetField{
				{"ipv6.hopopt.next", "IPv6-NoNxt [59]"},
				{"ipv6.hopopt.options", "#4"},
				{"ipv6.hopopt.options.0.type", "CALIPSO [7]"},
				{"ipv6.hopopt.options.0.domain", "3"},
				{"ipv6.hopopt.options.0.cmpt_len", "0"},
				{"ipv6.hopopt.options.0.level", "1"},
				{"ipv6.hopopt.options.0.checksum", "43981"},
				{"ipv6.hopopt.options.0.bitmap", ""},
				{"ipv6.hopopt.options.1.type", "Tunnel Encapsulation Limit [4]"},
				{"ipv6.hopopt.options.1.limit", "5"},
				{"ipv6.hopopt.options.2.type", " [158]"},
				{"ipv6.hopopt.options.2.action", "discard and send ICMP [2]"},
				{"ipv6.hopopt.options.2.data", "ab"},
				{"ipv6.hopopt.options.3.type", "PadN [1]"},
				{"ipv6.hopopt.options.3.length", "4"},
			},
		},
		{
			name: "pad1 only", first: ProtoHopOpts,
			data:  inetHex("3b 00 00 00 00 00 00 00"),
			chain: "HOPOPT", under: ProtoHopOpts,
			fields: []inetField{{"hopopt.options", "#6"}, {"hopopt.options.5.type", "Pad1 [0]"}},
		},
		{
			name: "known option with a wrong length is kept raw", first: ProtoIPv6Opts,
			data:  inetHex("3b 00 | c9 02 aaaa | 01 00"),
			chain: "IPv6_Opts",
			fields: []inetField{
				{"ipv6_opts.options.0.type", "Home Address [201]"},
				{"ipv6_opts.options.0.addr", "<missing>"},
				{"ipv6_opts.options.0.data", "aaaa"},
			},
		},
		{
			name: "option overruns the header", first: ProtoIPv6,
			data:  inetIP6(0, inetCat(inetHex("11 00 | 01 00 | 01 05 0000"), udp)),
			chain: "IPv6:HOPOPT", err: ErrMalformed, errAt: ProtoHopOpts,
		},
		{
			// Zeek's ipv6-mobility-dst-opts frame 3: tshark goes on.
			name: "option length byte outside the header", first: ProtoIPv6Opts,
			data:  inetHex("3b 00 | 01 03 000000 | 05 | ffff"),
			chain: "IPv6_Opts", payload: "ffff",
			fields: []inetField{
				{"ipv6_opts.options", "#2"},
				{"ipv6_opts.options.1.type", "Router Alert [5]"},
				{"ipv6_opts.options.1.error", "option length outside the header"},
			},
		},
		{
			name: "header longer than the IPv6 payload", first: ProtoIPv6,
			data: func() []byte {
				b := inetIP6(60, inetCat(inetHex("11 02 | 01 02 0000 | c9 10"), inetHoA, udp))
				b[5] = 20 // payload length 20: the 24-byte header does not fit
				return b
			}(),
			chain: "IPv6:IPv6_Opts", err: ErrTruncated, errAt: ProtoIPv6Opts,
		},
	})
}

func TestIPv6Routing(t *testing.T) {
	udp := inetUDP(5000, 5001, inetHex("deadbeef"))
	runInetCases(t, []inetCase{
		{
			name: "type 0 source route", first: ProtoIPv6,
			data:  inetIP6(43, inetCat(inetHex("11 04 00 02 00000000"), inetAddrA, inetAddrB, udp)),
			chain: "IPv6:IPv6_Route:UDP", under: ProtoIPv6Route,
			fields: []inetField{
				{"ipv6.next", "IPv6_Route [43]"},
				{"ipv6.ipv6_route.next", "UDP [17]"},
				{"ipv6.ipv6_route.length", "40"},
				{"ipv6.ipv6_route.type", "Source Route [0]"},
				{"ipv6.ipv6_route.seg_left", "2"},
				{"ipv6.ipv6_route.ip", "#2"},
				{"ipv6.ipv6_route.ip.0", "2001:db8::a"},
				{"ipv6.ipv6_route.ip.1", "2001:db8::b"},
			},
		},
		{
			name: "type 2 mobile ipv6", first: ProtoIPv6,
			data:  inetIP6(43, inetCat(inetHex("11 02 02 01 00000000"), inetHoA, udp)),
			chain: "IPv6:IPv6_Route:UDP", under: ProtoIPv6Route,
			fields: []inetField{
				{"ipv6.ipv6_route.type", "Type 2 Routing Header [2]"},
				{"ipv6.ipv6_route.ip", "2001:db8::99"},
			},
		},
		{
			name: "type 2 of the wrong length", first: ProtoIPv6Route,
			data:  inetCat(inetHex("11 04 02 01 00000000"), inetHoA, inetAddrA),
			chain: "IPv6_Route", err: ErrMalformed, errAt: ProtoIPv6Route,
		},
		{
			name: "segment routing header", first: ProtoIPv6,
			data: inetIP6(43, inetCat(inetHex("29 05 04 01 | 01 00 0000"), inetAddrA, inetAddrB,
				inetHex("04 06 000000000000"), inetIP6(58, inetPing6))),
			chain: "IPv6:IPv6_Route:IPv6:ICMPv6", under: ProtoIPv6Route,
			fields: []inetField{
				{"ipv6.ipv6_route.next", "IPv6 [41]"},
				{"ipv6.ipv6_route.length", "48"},
				{"ipv6.ipv6_route.type", "Segment Routing Header [4]"},
				{"ipv6.ipv6_route.seg_left", "1"},
				{"ipv6.ipv6_route.last_entry", "1"},
				{"ipv6.ipv6_route.flags", "0"},
				{"ipv6.ipv6_route.tag", "0"},
				{"ipv6.ipv6_route.segments", "#2"},
				{"ipv6.ipv6_route.segments.1", "2001:db8::b"},
				{"ipv6.ipv6_route.tlvs", "0406000000000000"},
				{"ipv6.ipv6_route.ipv6.next", "ICMPv6 [58]"},
			},
		},
		{
			name: "segment routing: last entry beyond the header", first: ProtoIPv6Route,
			data:  inetCat(inetHex("29 04 04 01 | 02 00 0000"), inetAddrA, inetAddrB),
			chain: "IPv6_Route", err: ErrMalformed, errAt: ProtoIPv6Route,
		},
		{
			name: "rpl source route", first: ProtoIPv6Route,
			data:  inetHex("3b 02 03 01 | 88 00 0000 | 0000000000000001 0000000000000002"),
			chain: "IPv6_Route", under: ProtoIPv6Route,
			fields: []inetField{
				{"ipv6_route.type", "RPL Source Route Header [3]"},
				{"ipv6_route.cmpr_i", "8"},
				{"ipv6_route.cmpr_e", "8"},
				{"ipv6_route.pad", "0"},
				{"ipv6_route.addresses", "00000000000000010000000000000002"},
			},
		},
		{
			name: "rpl padding beyond the header", first: ProtoIPv6Route,
			data:  inetHex("3b 00 03 01 | 88 10 0000"),
			chain: "IPv6_Route", err: ErrMalformed, errAt: ProtoIPv6Route,
		},
		{
			name: "unknown type kept raw", first: ProtoIPv6Route,
			data:  inetHex("3b 00 fd 00 | 01020304"),
			chain: "IPv6_Route",
			fields: []inetField{
				{"ipv6_route.type", " [253]"},
				{"ipv6_route.data", "01020304"},
			},
		},
	})
}

func TestIPv6Fragment(t *testing.T) {
	udp := inetUDP(5000, 5001, inetHex("deadbeef"))
	runInetCases(t, []inetCase{
		{
			name: "first fragment decodes its transport header", first: ProtoIPv6,
			data:  inetIP6(44, inetCat(inetHex("11 00 0001 00012345"), udp)),
			chain: "IPv6:IPv6_Frag:UDP", frag: true, under: ProtoIPv6Frag,
			fields: []inetField{
				{"ipv6.ipv6_frag.next", "UDP [17]"},
				{"ipv6.ipv6_frag.offset", "0"},
				{"ipv6.ipv6_frag.mf", "true"},
				{"ipv6.ipv6_frag.id", "74565"},
			},
		},
		{
			name: "later fragment is payload", first: ProtoIPv6,
			data:  inetIP6(44, inetCat(inetHex("11 00 05a8 00012345"), udp)),
			chain: "IPv6:IPv6_Frag", frag: true, under: ProtoIPv6Frag,
			payload: "13881389000c0000deadbeef",
			fields: []inetField{
				{"ipv6.ipv6_frag.offset", "1448"},
				{"ipv6.ipv6_frag.mf", "false"},
			},
		},
		{
			name: "reserved bits do not change the offset", first: ProtoIPv6Frag,
			data:  inetHex("11 ff 05af 00000001 00"),
			chain: "IPv6_Frag", frag: true,
			fields: []inetField{
				{"ipv6_frag.offset", "1448"},
				{"ipv6_frag.mf", "true"},
			},
		},
		{
			name: "atomic fragment is a whole datagram", first: ProtoIPv6,
			data:  inetIP6(44, inetCat(inetHex("11 00 0000 00000001"), udp)),
			chain: "IPv6:IPv6_Frag:UDP", frag: false, under: ProtoIPv6Frag,
		},
		{
			name: "first fragment too short for its transport header", first: ProtoIPv6,
			data:  inetIP6(44, inetCat(inetHex("06 00 0001 00000002"), inetHex("0050 1f90 0000"))),
			chain: "IPv6:IPv6_Frag:TCP", frag: true, err: ErrTruncated, errAt: ProtoTCP,
		},
	})
}

func TestIPv6ExtensionChain(t *testing.T) {
	udp := inetUDP(5000, 5001, inetHex("deadbeef"))
	ext := inetCat(
		inetHex("2b 00 | 01 04 00000000"), // hop-by-hop -> routing
		inetHex("2c 00 00 00 00000000"),   // routing type 0, no address -> fragment
		inetHex("3c 00 0000 00000007"),    // atomic fragment -> destination options
		inetHex("11 00 | 01 04 00000000"), // destination options -> UDP
	)
	runInetCases(t, []inetCase{{
		name: "every extension header", first: ProtoEthernet,
		data:  inetEth(0x86dd, inetIP6(0, inetCat(ext, udp))),
		chain: "Ethernet:IPv6:HOPOPT:IPv6_Route:IPv6_Frag:IPv6_Opts:UDP",
		fields: []inetField{
			{"ethernet.ipv6.hopopt.ipv6_route.ipv6_frag.id", "7"},
			{"ethernet.ipv6.hopopt.ipv6_route.ipv6_frag.ipv6_opts.udp.dstport", "5001"},
		},
	}})
}
