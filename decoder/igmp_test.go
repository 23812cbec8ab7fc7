package decoder

import "testing"

func TestIGMP(t *testing.T) {
	runInetCases(t, []inetCase{
		{
			name: "v1 query", first: ProtoIPv4,
			data:  inetIP4(2, inetHex("11 00 eeff 00000000")),
			chain: "IPv4:IGMP", under: ProtoIGMP,
			fields: []inetField{
				{"ipv4.protocol", "IGMP [2]"},
				{"ipv4.igmp.type", "Membership Query [17]"},
				{"ipv4.igmp.version", "1"},
				{"ipv4.igmp.max_resp_code", "0"},
				{"ipv4.igmp.checksum", "61183"},
				{"ipv4.igmp.group", "0.0.0.0"},
			},
		},
		{
			name: "v2 query", first: ProtoIGMP,
			data:  inetHex("11 64 0000 e00000fb"),
			chain: "IGMP", under: ProtoIGMP,
			fields: []inetField{
				{"igmp.version", "2"},
				{"igmp.max_resp_ms", "10000"},
				{"igmp.group", "224.0.0.251"},
			},
		},
		{
			name: "v1 report", first: ProtoIGMP,
			data:   inetHex("12 00 0000 e00000fb"),
			chain:  "IGMP",
			fields: []inetField{{"igmp.type", "Version 1 Membership Report [18]"}, {"igmp.version", "1"}},
		},
		{
			name: "v2 report", first: ProtoIGMP,
			data:   inetHex("16 00 0000 e00000fb"),
			chain:  "IGMP",
			fields: []inetField{{"igmp.type", "Version 2 Membership Report [22]"}, {"igmp.version", "2"}},
		},
		{
			name: "leave, ethernet padding trimmed by ipv4", first: ProtoEthernet,
			data:  inetEth(0x0800, inetCat(inetIP4(2, inetHex("17 00 0000 e00000fb")), inetHex("000000000000"))),
			chain: "Ethernet:IPv4:IGMP",
			fields: []inetField{
				{"ethernet.ipv4.igmp.type", "Leave Group [23]"},
				{"ethernet.ipv4.igmp.raw", "<missing>"},
			},
		},
		{
			// No "under": a query's version follows from its length, so a
			// v3 query cut to 8 bytes is a whole v2 query, and cut to 9-11
			// bytes a malformed one.
			name: "v3 query with sources", first: ProtoIPv4,
			data:  inetIP4(2, inetHex("11 64 0000 e00000fb | 0a 7d 0002 | c0000201 c0000202")),
			chain: "IPv4:IGMP",
			fields: []inetField{
				{"ipv4.igmp.version", "3"},
				{"ipv4.igmp.max_resp_ms", "10000"},
				{"ipv4.igmp.s", "true"},
				{"ipv4.igmp.qrv", "2"},
				{"ipv4.igmp.qqic", "125"},
				{"ipv4.igmp.qqi", "125"},
				{"ipv4.igmp.num_src", "2"},
				{"ipv4.igmp.sources", "#2"},
				{"ipv4.igmp.sources.1", "192.0.2.2"},
			},
		},
		{
			name: "v3 query, floating-point codes", first: ProtoIGMP,
			data:  inetHex("11 8a 0000 00000000 | 02 ff 0000"),
			chain: "IGMP",
			fields: []inetField{
				{"igmp.max_resp_code", "138"},
				{"igmp.max_resp_ms", "20800"}, // (0x10|0xa) << (0+3) tenths
				{"igmp.qqi", "31744"},         // (0x10|0xf) << (7+3) seconds
				{"igmp.sources", "#0"},
			},
		},
		{
			name: "v3 report", first: ProtoIPv4,
			data: inetIP4(2, inetHex(`22 00 0000 0000 0002
				01 00 0001 e00000fb c0000201
				04 01 0000 e00000fc aabbccdd`)),
			chain: "IPv4:IGMP", under: ProtoIGMP,
			fields: []inetField{
				{"ipv4.igmp.type", "Version 3 Membership Report [34]"},
				{"ipv4.igmp.version", "3"},
				{"ipv4.igmp.num_records", "2"},
				{"ipv4.igmp.group", "<missing>"},
				{"ipv4.igmp.records", "#2"},
				{"ipv4.igmp.records.0.type", "MODE_IS_INCLUDE [1]"},
				{"ipv4.igmp.records.0.num_src", "1"},
				{"ipv4.igmp.records.0.group", "224.0.0.251"},
				{"ipv4.igmp.records.0.sources.0", "192.0.2.1"},
				{"ipv4.igmp.records.0.aux_data", "<missing>"},
				{"ipv4.igmp.records.1.type", "CHANGE_TO_EXCLUDE_MODE [4]"},
				{"ipv4.igmp.records.1.aux_len", "4"},
				{"ipv4.igmp.records.1.sources", "#0"},
				{"ipv4.igmp.records.1.aux_data", "aabbccdd"},
			},
		},
		{
			name: "query of 10 bytes", first: ProtoIPv4,
			data:  inetIP4(2, inetHex("11 64 0000 e00000fb 0a7d")),
			chain: "IPv4:IGMP", err: ErrMalformed, errAt: ProtoIGMP,
		},
		{
			name: "v3 report missing a record", first: ProtoIPv4,
			data:  inetIP4(2, inetHex("22 00 0000 0000 0002 | 01 00 0001 e00000fb c0000201")),
			chain: "IPv4:IGMP", err: ErrTruncated, errAt: ProtoIGMP,
		},
		{
			name: "v3 query missing a source", first: ProtoIPv4,
			data:  inetIP4(2, inetHex("11 64 0000 e00000fb | 0a 7d 0002 | c0000201")),
			chain: "IPv4:IGMP", err: ErrTruncated, errAt: ProtoIGMP,
		},
		{
			name: "dvmrp", first: ProtoIGMP,
			data:  inetHex("13 01 0000 00000000 | 0102"),
			chain: "IGMP", payload: "0102",
			fields: []inetField{{"igmp.type", "DVMRP [19]"}, {"igmp.version", "0"}},
		},
	})
}
