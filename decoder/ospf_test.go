package decoder

import "testing"

func TestOSPF(t *testing.T) {
	v2 := func(typ, length string) string { // common v2 header, null auth
		return "02" + typ + length + "c0a80001 00000000 0000 0000 0000000000000000"
	}
	v3 := func(typ, length string) string {
		return "03" + typ + length + "01010101 00000000 0000 00 00"
	}
	hello2 := v2("01", "0030") + "ffffff00 000a 02 01 00000028 c0a80001 00000000 c0a80002"
	lsa2 := "0001 02 01 c0a80001 c0a80001 80000001 abcd 0018 00000000"
	runLinkCases(t, []linkCase{
		{
			name: "v2 hello over IPv4, trailer trimmed", first: ProtoIPv4,
			data:  linkIPv4With(89, lhex(t, hello2+"deadbeef")),
			chain: "IPv4:OSPF",
			fields: map[string]string{
				"ipv4.ospf.version": "2", "ipv4.ospf.type": "Hello [1]", "ipv4.ospf.len": "48",
				"ipv4.ospf.router_id": "192.168.0.1", "ipv4.ospf.area_id": "0.0.0.0",
				"ipv4.ospf.checksum": "0", "ipv4.ospf.autype": "Null [0]", "ipv4.ospf.auth": "0000000000000000",
				"ipv4.ospf.hello.network_mask": "255.255.255.0", "ipv4.ospf.hello.hello_interval": "10",
				"ipv4.ospf.hello.options": "2", "ipv4.ospf.hello.priority": "1",
				"ipv4.ospf.hello.dead_interval": "40", "ipv4.ospf.hello.dr": "192.168.0.1",
				"ipv4.ospf.hello.bdr": "0.0.0.0", "ipv4.ospf.hello.neighbors#": "1",
				"ipv4.ospf.hello.neighbors.": "192.168.0.2", "ipv4.ospf.raw": "<absent>",
				"ipv4.ospf.trailer": "deadbeef",
			},
		},
		{
			name: "v2 database description, cryptographic auth", first: ProtoOSPF,
			data: lhex(t, "02 02 0020 c0a80001 00000001 0000 0002 0000 1110 00000005"+
				"05dc 42 07 00001234"+"00112233445566778899aabbccddeeff"),
			chain: "OSPF",
			fields: map[string]string{
				"ospf.area_id": "0.0.0.1", "ospf.autype": "Cryptographic [2]", "ospf.auth.key_id": "17",
				"ospf.auth.auth_data_len": "16", "ospf.auth.crypto_seq": "5",
				"ospf.db_desc.mtu": "1500", "ospf.db_desc.options": "66", "ospf.db_desc.flags.i": "true",
				"ospf.db_desc.flags.m": "true", "ospf.db_desc.flags.ms": "true", "ospf.db_desc.seq": "4660",
				"ospf.db_desc.lsa_headers#": "0", "ospf.raw": "<absent>", "ospf.trailer": "<absent>",
			},
		},
		{
			name: "v2 link state request", first: ProtoOSPF,
			data:  lhex(t, v2("03", "0024")+"00000001 c0a80001 c0a80002"),
			chain: "OSPF",
			fields: map[string]string{
				"ospf.type": "Link State Request [3]", "ospf.requests#": "1",
				"ospf.requests..ls_type": "Router [1]", "ospf.requests..ls_id": "192.168.0.1",
				"ospf.requests..adv_router": "192.168.0.2",
			},
		},
		{
			name: "v2 link state update", first: ProtoOSPF,
			data:  lhex(t, v2("04", "0034")+"00000001"+lsa2),
			chain: "OSPF",
			fields: map[string]string{
				"ospf.ls_update.num_lsas": "1", "ospf.ls_update.lsas#": "1",
				"ospf.ls_update.lsas..age": "1", "ospf.ls_update.lsas..options": "2",
				"ospf.ls_update.lsas..type": "Router [1]", "ospf.ls_update.lsas..id": "192.168.0.1",
				"ospf.ls_update.lsas..seq": "2147483649", "ospf.ls_update.lsas..checksum": "43981",
				"ospf.ls_update.lsas..len": "24",
			},
		},
		{
			name: "v3 hello", first: ProtoOSPF,
			data:  lhex(t, v3("01", "0028")+"00000005 01 000013 000a 0028 01010101 00000000 02020202"),
			chain: "OSPF",
			fields: map[string]string{
				"ospf.version": "3", "ospf.instance_id": "0", "ospf.autype": "<absent>",
				"ospf.hello.interface_id": "5", "ospf.hello.priority": "1", "ospf.hello.options": "19",
				"ospf.hello.hello_interval": "10", "ospf.hello.dead_interval": "40",
				"ospf.hello.dr": "1.1.1.1", "ospf.hello.neighbors.": "2.2.2.2",
			},
		},
		{
			name: "v3 database description", first: ProtoOSPF,
			data:  lhex(t, v3("02", "001c")+"00 000013 05dc 00 01 00000001"),
			chain: "OSPF",
			fields: map[string]string{
				"ospf.db_desc.options": "19", "ospf.db_desc.mtu": "1500", "ospf.db_desc.flags.ms": "true",
				"ospf.db_desc.flags.i": "false", "ospf.db_desc.seq": "1",
			},
		},
		{
			name: "v3 link state acknowledgment", first: ProtoOSPF,
			data:  lhex(t, v3("05", "0024")+"0001 2001 00000000 01010101 80000001 abcd 0018"),
			chain: "OSPF",
			fields: map[string]string{
				"ospf.type": "Link State Acknowledgment [5]", "ospf.lsa_headers#": "1",
				"ospf.lsa_headers..type": "Router [8193]", "ospf.lsa_headers..options": "<absent>",
			},
		},
		{
			name: "v3 link state request", first: ProtoOSPF,
			data:   lhex(t, v3("03", "001c")+"0000 2009 00000000 01010101"),
			chain:  "OSPF",
			fields: map[string]string{"ospf.requests..ls_type": "Intra-Area-Prefix [8201]"},
		},
		{
			name: "version 4", first: ProtoOSPF,
			data:  lhex(t, "04"+hello2[2:]),
			chain: "OSPF", err: ErrMalformed, errAt: ProtoOSPF,
			fields: map[string]string{"ospf.error.reason": "malformed: version 4, want 2 or 3"},
		},
		{
			name: "length below the header", first: ProtoOSPF,
			data:  lhex(t, v2("01", "0010")),
			chain: "OSPF", err: ErrMalformed, errAt: ProtoOSPF,
		},
		{
			name: "length beyond the data", first: ProtoOSPF,
			data:  lhex(t, v2("01", "0040")),
			chain: "OSPF", err: ErrTruncated, errAt: ProtoOSPF,
			fields: map[string]string{"ospf.error.reason": "truncated: need 64 bytes, have 24"},
		},
		{
			name: "unknown type", first: ProtoOSPF,
			data:  lhex(t, v2("09", "0018")),
			chain: "OSPF", err: ErrMalformed, errAt: ProtoOSPF,
			fields: map[string]string{"ospf.error.reason": "malformed: packet type 9, want 1 to 5"},
		},
		{
			name: "hello without body", first: ProtoOSPF,
			data:  lhex(t, v2("01", "0018")),
			chain: "OSPF", err: ErrMalformed, errAt: ProtoOSPF,
			fields: map[string]string{"ospf.error.reason": "malformed: hello body of 0 bytes, need 20"},
		},
		{
			name: "hello neighbour cut", first: ProtoOSPF,
			data:  lhex(t, v2("01", "002f")+"ffffff00 000a 02 01 00000028 c0a80001 00000000 c0a800"),
			chain: "OSPF", err: ErrMalformed, errAt: ProtoOSPF,
		},
		{
			name: "update announces more LSAs than it holds", first: ProtoOSPF,
			data:  lhex(t, v2("04", "0034")+"00000002"+lsa2),
			chain: "OSPF", err: ErrMalformed, errAt: ProtoOSPF,
			fields: map[string]string{"ospf.error.reason": "malformed: link state update announces 2 LSAs, LSA 2 has 0 of 20 header bytes"},
		},
		{
			name: "LSA length below its header", first: ProtoOSPF,
			data:  lhex(t, v2("04", "0034")+"00000001 0001 02 01 c0a80001 c0a80001 80000001 abcd 000a 00000000"),
			chain: "OSPF", err: ErrMalformed, errAt: ProtoOSPF,
		},
		{
			name: "acknowledgment with a partial header", first: ProtoOSPF,
			data:  lhex(t, v3("05", "0014")+"00010203"),
			chain: "OSPF", err: ErrMalformed, errAt: ProtoOSPF,
		},
	})
	linkAllocs(t, ProtoIPv4, linkIPv4With(89, lhex(t, hello2)))
	linkAllocs(t, ProtoOSPF, lhex(t, v2("04", "0034")+"00000001"+lsa2))
}
