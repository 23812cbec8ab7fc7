package decoder

import "testing"

// HIP packets are hand-built: no public capture holds HIP (see the corpus
// COVERAGE.md).

// inetHIP builds a HIP header of the given packet type, version byte and
// header length around params.
func inetHIP(typ, ver, hlen uint8, params []byte) []byte {
	b := []byte{0x3b, hlen, typ, ver, 0xbe, 0xef, 0x00, 0x01}
	b = append(b, inetHex("20010010000000000000000000000001")...)
	b = append(b, inetHex("20010010000000000000000000000002")...)
	return append(b, params...)
}

func TestHIP(t *testing.T) {
	r1Params := inetHex(`0081 000c 00000000 0000000000000001
	                     0101 000c 0a 25 0000 1122334455667788`)
	i2Params := inetHex("0243 0006 0001 0002 0003 | 000000000000") // HIP_CIPHER, 6 bytes + 6 padding
	runInetCases(t, []inetCase{
		{
			name: "r1 over ipv6", first: ProtoIPv6,
			data:  inetIP6(139, inetHIP(2, 0x21, 8, r1Params)),
			chain: "IPv6:HIP", under: ProtoHIP,
			fields: []inetField{
				{"ipv6.next", "HIP [139]"},
				{"ipv6.hip.next", "IPv6-NoNxt [59]"},
				{"ipv6.hip.length", "72"},
				{"ipv6.hip.type", "R1 [2]"},
				{"ipv6.hip.version", "2"},
				{"ipv6.hip.checksum", "48879"},
				{"ipv6.hip.control.anonymous", "true"},
				{"ipv6.hip.shit", "2001:10::1"},
				{"ipv6.hip.rhit", "2001:10::2"},
				{"ipv6.hip.parameters", "#2"},
				{"ipv6.hip.parameters.0.type", "R1_COUNTER [129]"},
				{"ipv6.hip.parameters.0.critical", "true"},
				{"ipv6.hip.parameters.0.length", "12"},
				{"ipv6.hip.parameters.0.value", "000000000000000000000001"},
				{"ipv6.hip.parameters.1.type", "PUZZLE [257]"},
				{"ipv6.hip.parameters.1.value", "0a2500001122334455667788"},
			},
		},
		{
			name: "i2 with a padded parameter", first: ProtoHIP,
			data:  inetHIP(3, 0x21, 6, i2Params),
			chain: "HIP", under: ProtoHIP,
			fields: []inetField{
				{"hip.type", "I2 [3]"},
				{"hip.parameters", "#1"},
				{"hip.parameters.0.type", "HIP_CIPHER [579]"},
				{"hip.parameters.0.length", "6"},
				{"hip.parameters.0.value", "000100020003"},
			},
		},
		{
			name: "i1 without parameters, v1", first: ProtoHIP,
			data:  inetHIP(1, 0x11, 4, nil),
			chain: "HIP", under: ProtoHIP,
			fields: []inetField{{"hip.type", "I1 [1]"}, {"hip.version", "1"}, {"hip.parameters", "#0"}},
		},
		{
			name: "close_ack", first: ProtoHIP,
			data:   inetHIP(19, 0x21, 4, nil),
			chain:  "HIP",
			fields: []inetField{{"hip.type", "CLOSE_ACK [19]"}},
		},
		{
			name: "first fixed bit set (not HIP)", first: ProtoHIP,
			data:  inetHIP(0x82, 0x21, 4, nil),
			chain: "HIP", err: ErrMalformed, errAt: ProtoHIP,
		},
		{
			name: "last fixed bit clear", first: ProtoHIP,
			data:  inetHIP(2, 0x20, 4, nil),
			chain: "HIP", err: ErrMalformed, errAt: ProtoHIP,
		},
		{
			name: "header length below the fixed header", first: ProtoHIP,
			data:  inetHIP(2, 0x21, 3, nil),
			chain: "HIP", err: ErrMalformed, errAt: ProtoHIP,
		},
		{
			name: "parameter overruns the header", first: ProtoHIP,
			data:  inetHIP(2, 0x21, 6, inetHex("0081 0014 00000000 0000000000000001")),
			chain: "HIP", err: ErrMalformed, errAt: ProtoHIP,
		},
		{
			name: "header beyond the packet", first: ProtoHIP,
			data:  inetHIP(2, 0x21, 8, r1Params[:16]),
			chain: "HIP", err: ErrTruncated, errAt: ProtoHIP,
		},
	})
}
