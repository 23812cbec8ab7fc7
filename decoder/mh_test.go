package decoder

import "testing"

func TestMH(t *testing.T) {
	runInetCases(t, []inetCase{
		{
			name: "binding update over ipv6", first: ProtoIPv6,
			data:  inetIP6(135, inetHex("3b 01 05 00 | 0364 | 0025 d000 0003 | 01 02 0000")),
			chain: "IPv6:MH", under: ProtoMH,
			fields: []inetField{
				{"ipv6.next", "MH [135]"},
				{"ipv6.mh.next", "IPv6-NoNxt [59]"},
				{"ipv6.mh.length", "16"},
				{"ipv6.mh.type", "BU [5]"},
				{"ipv6.mh.checksum", "868"},
				{"ipv6.mh.data.seq", "37"},
				{"ipv6.mh.data.flags.a", "true"},
				{"ipv6.mh.data.flags.h", "true"},
				{"ipv6.mh.data.flags.l", "false"},
				{"ipv6.mh.data.flags.k", "true"},
				{"ipv6.mh.data.lifetime", "12"},
				{"ipv6.mh.data.options", "#1"},
				{"ipv6.mh.data.options.0.type", "PadN [1]"},
				{"ipv6.mh.data.options.0.length", "2"},
			},
		},
		{
			name: "binding acknowledgement", first: ProtoMH,
			data:  inetHex("3b 01 06 00 | d1da | 00 80 002a 0008 | 01 02 0000"),
			chain: "MH", under: ProtoMH,
			fields: []inetField{
				{"mh.type", "BA [6]"},
				{"mh.data.status", "Binding Update accepted [0]"},
				{"mh.data.flags.k", "true"},
				{"mh.data.seq", "42"},
				{"mh.data.lifetime", "32"},
			},
		},
		{
			name: "home test init", first: ProtoMH,
			data:  inetHex("3b 01 01 00 | 0000 | 0000 | 0102030405060708"),
			chain: "MH", under: ProtoMH,
			fields: []inetField{
				{"mh.type", "HoTI [1]"},
				{"mh.data.home_init_cookie", "0102030405060708"},
				{"mh.data.options", "#0"},
			},
		},
		{
			name: "care-of test init", first: ProtoMH,
			data:  inetHex("3b 01 02 00 | 0000 | 0000 | 0102030405060708"),
			chain: "MH",
			fields: []inetField{
				{"mh.type", "CoTI [2]"},
				{"mh.data.care_of_init_cookie", "0102030405060708"},
			},
		},
		{
			name: "care-of test", first: ProtoMH,
			data:  inetHex("3b 02 04 00 | 0000 | 0002 | 0102030405060708 | 1112131415161718"),
			chain: "MH", under: ProtoMH,
			fields: []inetField{
				{"mh.type", "CoT [4]"},
				{"mh.data.nonce_index", "2"},
				{"mh.data.care_of_init_cookie", "0102030405060708"},
				{"mh.data.keygen_token", "1112131415161718"},
			},
		},
		{
			name: "home test", first: ProtoMH,
			data:  inetHex("3b 02 03 00 | 0000 | 0003 | 0102030405060708 | 1112131415161718"),
			chain: "MH",
			fields: []inetField{
				{"mh.type", "HoT [3]"},
				{"mh.data.home_init_cookie", "0102030405060708"},
			},
		},
		{
			name: "binding error", first: ProtoMH,
			data:  inetCat(inetHex("3b 02 07 00 | 0000 | 01 00"), inetHoA),
			chain: "MH", under: ProtoMH,
			fields: []inetField{
				{"mh.type", "BE [7]"},
				{"mh.data.status", "Unknown binding for Home Address destination option [1]"},
				{"mh.data.home_addr", "2001:db8::99"},
			},
		},
		{
			name: "binding refresh request", first: ProtoMH,
			data:  inetHex("3b 00 00 00 | 0000 | 0000"),
			chain: "MH", under: ProtoMH,
			fields: []inetField{{"mh.type", "BRR [0]"}, {"mh.length", "8"}, {"mh.data.options", "#0"}},
		},
		{
			name: "binding update with mobility options", first: ProtoMH,
			data: inetCat(inetHex("3b 06 05 00 | 0000 | 0001 8000 0010 | 03 10"), inetAddrA,
				inetHex("04 04 0005 0006 | 05 0c 0102030405060708090a0b0c | 01 04 00000000")),
			chain: "MH", under: ProtoMH,
			fields: []inetField{
				{"mh.length", "56"},
				{"mh.data.options", "#4"},
				{"mh.data.options.0.type", "Alternate Care-of Address [3]"},
				{"mh.data.options.0.care_of_addr", "2001:db8::a"},
				{"mh.data.options.1.type", "Nonce Indices [4]"},
				{"mh.data.options.1.home_nonce_index", "5"},
				{"mh.data.options.1.care_of_nonce_index", "6"},
				{"mh.data.options.2.type", "Binding Authorization Data [5]"},
				{"mh.data.options.2.authenticator", "0102030405060708090a0b0c"},
				{"mh.data.options.3.type", "PadN [1]"},
			},
		},
		{
			name: "type beyond rfc 6275 kept raw", first: ProtoMH,
			data:   inetHex("3b 00 0c 00 | 0000 | abcd"),
			chain:  "MH",
			fields: []inetField{{"mh.type", "HAS [12]"}, {"mh.data.raw", "abcd"}},
		},
		{
			name: "binding update too short for its fixed data", first: ProtoMH,
			data:  inetHex("3b 00 05 00 | 0000 | 0001"),
			chain: "MH", err: ErrMalformed, errAt: ProtoMH,
		},
		{
			name: "option overruns the header", first: ProtoMH,
			data:  inetHex("3b 01 05 00 | 0000 | 0001 0000 0001 | 03 10 0000"),
			chain: "MH", err: ErrMalformed, errAt: ProtoMH,
		},
		{
			name: "header length beyond the packet", first: ProtoIPv6,
			data:  inetIP6(135, inetHex("3b 02 05 00 | 0000 | 0001 0000 0001 | 01 02 0000")),
			chain: "IPv6:MH", err: ErrTruncated, errAt: ProtoMH,
		},
		{
			name: "payload proto other than 59 is followed", first: ProtoMH,
			data:  inetCat(inetHex("11 00 00 00 | 0000 | 0000"), inetUDP(7, 8, nil)),
			chain: "MH:UDP",
		},
	})
}
