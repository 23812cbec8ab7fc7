package decoder

import "testing"

func TestMPLS(t *testing.T) {
	eth := linkEthHdr
	ip := linkIPv4
	ip6 := "6000000000003b40 fe800000000000000000000000000001 fe800000000000000000000000000002"
	runLinkCases(t, []linkCase{
		{
			name: "two labels, IPv4", first: ProtoEthernet,
			// label 16 ttl 64; label 100 tc 5 bottom ttl 255
			data:  lhex(t, eth+"8847 00010040 00064bff"+ip),
			chain: "Ethernet:MPLS:IPv4",
			fields: map[string]string{
				"ethernet.mpls.labels#": "2", "ethernet.mpls.labels..label": "16",
				"ethernet.mpls.labels..tc": "0", "ethernet.mpls.labels..s": "false",
				"ethernet.mpls.labels..ttl": "64", "ethernet.mpls.labels..reserved": "<absent>",
				"ethernet.mpls.ipv4.src": "10.0.0.1",
			},
		},
		{
			name: "explicit null, IPv6", first: ProtoMPLS,
			data:  lhex(t, "00002140"+ip6),
			chain: "MPLS:IPv6",
			fields: map[string]string{
				"mpls.labels#": "1", "mpls.labels..label": "2", "mpls.labels..s": "true",
				"mpls.labels..reserved": "IPv6 Explicit NULL",
			},
		},
		{
			name: "pseudowire payload is raw", first: ProtoMPLS,
			data:   lhex(t, "00011140 00000000 0102"),
			chain:  "MPLS",
			fields: map[string]string{"mpls.raw": "000000000102"},
		},
		{
			name: "no bottom of stack", first: ProtoMPLS,
			data:  lhex(t, "00010040 00020040"),
			chain: "MPLS", err: ErrTruncated, errAt: ProtoMPLS,
			fields: map[string]string{"mpls.error.reason": "truncated: need 12 bytes, have 8"},
		},
		{
			name: "entry cut", first: ProtoMPLS,
			data:  lhex(t, "000101"),
			chain: "MPLS", err: ErrTruncated, errAt: ProtoMPLS,
		},
	})
	linkAllocs(t, ProtoEthernet, lhex(t, eth+"8847 00010040 00064bff"+ip))
}
