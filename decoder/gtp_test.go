package decoder

import (
	"encoding/binary"
	"testing"
)

// inetGTP builds a GTPv1 header with the given flags, message type and
// TEID; opt is the optional part (sequence number onwards), body the
// payload. The length field counts opt and body.
func inetGTP(flags, typ uint8, teid uint32, opt, body []byte) []byte {
	b := []byte{flags, typ}
	b = binary.BigEndian.AppendUint16(b, uint16(len(opt)+len(body)))
	b = binary.BigEndian.AppendUint32(b, teid)
	return append(append(b, opt...), body...)
}

func TestGTP(t *testing.T) {
	inner4 := inetIP4(17, inetUDP(1000, 53, nil))
	runInetCases(t, []inetCase{
		{
			name: "g-pdu with sequence number over udp 2152", first: ProtoIPv4,
			data:  inetIP4(17, inetUDP(2152, 2152, inetGTP(0x32, 255, 0x42, inetHex("0001 00 00"), inner4))),
			chain: "IPv4:UDP:GTP:IPv4:UDP", under: ProtoGTP,
			fields: []inetField{
				{"ipv4.udp.gtp.flags.version", "1"},
				{"ipv4.udp.gtp.flags.pt", "1"},
				{"ipv4.udp.gtp.flags.e", "false"},
				{"ipv4.udp.gtp.flags.s", "true"},
				{"ipv4.udp.gtp.flags.pn", "false"},
				{"ipv4.udp.gtp.type", "G-PDU [255]"},
				{"ipv4.udp.gtp.length", "32"},
				{"ipv4.udp.gtp.teid", "66"},
				{"ipv4.udp.gtp.seq", "1"},
				{"ipv4.udp.gtp.npdu", "0"},
				{"ipv4.udp.gtp.next_ext", "No more extension headers [0]"},
				{"ipv4.udp.gtp.ipv4.udp.dstport", "53"},
			},
		},
		{
			name: "g-pdu with an extension header", first: ProtoGTP,
			data:  inetGTP(0x34, 255, 7, inetHex("0000 00 85 | 01 0009 00"), inetIP6(59, nil)),
			chain: "GTP:IPv6", under: ProtoGTP,
			fields: []inetField{
				{"gtp.flags.e", "true"},
				{"gtp.next_ext", "PDU Session Container [133]"},
				{"gtp.extensions", "#1"},
				{"gtp.extensions.0.type", "PDU Session Container [133]"},
				{"gtp.extensions.0.length", "4"},
				{"gtp.extensions.0.content", "0009"},
			},
		},
		{
			name: "two extension headers", first: ProtoGTP,
			data:  inetGTP(0x34, 255, 7, inetHex("0000 00 c0 | 01 1234 85 | 02 00000000000a 00"), inner4),
			chain: "GTP:IPv4:UDP", under: ProtoGTP,
			fields: []inetField{
				{"gtp.extensions", "#2"},
				{"gtp.extensions.0.type", "PDCP PDU Number [192]"},
				{"gtp.extensions.1.type", "PDU Session Container [133]"},
				{"gtp.extensions.1.content", "00000000000a"},
			},
		},
		{
			name: "g-pdu without optional fields, padding trimmed", first: ProtoGTP,
			data:  inetCat(inetGTP(0x30, 255, 1, nil, inner4), inetHex("0000")),
			chain: "GTP:IPv4:UDP", under: ProtoGTP,
			fields: []inetField{{"gtp.seq", "<missing>"}, {"gtp.length", "28"}},
		},
		{
			name: "echo request is signalling", first: ProtoGTP,
			data:   inetGTP(0x32, 1, 0, inetHex("0001 00 00"), nil),
			chain:  "GTP",
			fields: []inetField{{"gtp.type", "Echo Request [1]"}},
		},
		{
			name: "g-pdu with a payload that is not ip", first: ProtoGTP,
			data:  inetGTP(0x30, 255, 1, nil, inetHex("0102")),
			chain: "GTP", payload: "0102",
		},
		{
			name: "gtpv2-c with teid", first: ProtoGTP,
			data:  inetHex("48 20 0010 0000abcd 000102 00 | 0100 0400 01020304"),
			chain: "GTP", under: ProtoGTP, payload: "0100040001020304",
			fields: []inetField{
				{"gtp.flags.version", "2"},
				{"gtp.flags.t", "true"},
				{"gtp.type", "Create Session Request [32]"},
				{"gtp.teid", "43981"},
				{"gtp.seq", "258"},
			},
		},
		{
			name: "gtpv2-c echo without teid", first: ProtoGTP,
			data:  inetHex("40 01 0004 000005 00"),
			chain: "GTP", under: ProtoGTP,
			fields: []inetField{{"gtp.teid", "<missing>"}, {"gtp.seq", "5"}, {"gtp.type", "Echo Request [1]"}},
		},
		{
			name: "version 3", first: ProtoGTP,
			data:  inetHex("70 ff 0000 00000001"),
			chain: "GTP", err: ErrMalformed, errAt: ProtoGTP,
		},
		{
			name: "extension header of length 0", first: ProtoGTP,
			data:  inetGTP(0x34, 255, 7, inetHex("0000 00 85 | 00 0000 00"), nil),
			chain: "GTP", err: ErrMalformed, errAt: ProtoGTP,
		},
		{
			name: "length leaves no room for the optional fields", first: ProtoGTP,
			data:  inetHex("32 ff 0002 00000001 0001 00 00"),
			chain: "GTP", err: ErrMalformed, errAt: ProtoGTP,
		},
		{
			name: "gtpv2-c length below its header", first: ProtoGTP,
			data:  inetHex("48 20 0002 0000abcd 000102 00"),
			chain: "GTP", err: ErrMalformed, errAt: ProtoGTP,
		},
	})
}
