package decoder

import "testing"

func TestIPX(t *testing.T) {
	eth := linkEthHdr
	ipx := "ffff 0022 00 11 00000001 ffffffffffff 0451 00000002 020000000001 4003"
	runLinkCases(t, []linkCase{
		{
			name: "Ethernet II IPX, padding trimmed", first: ProtoEthernet,
			data:  lhex(t, eth+"8137"+ipx+"01020304 0000"),
			chain: "Ethernet:IPX",
			fields: map[string]string{
				"ethernet.ipx.checksum": "65535", "ethernet.ipx.len": "34", "ethernet.ipx.tc": "0",
				"ethernet.ipx.type": "NCP [17]", "ethernet.ipx.dst.network": "00000001",
				"ethernet.ipx.dst.node": "ff:ff:ff:ff:ff:ff", "ethernet.ipx.dst.socket": "NCP [1105]",
				"ethernet.ipx.src.network": "00000002", "ethernet.ipx.src.node": "02:00:00:00:00:01",
				"ethernet.ipx.src.socket": "Unknown [16387]", "ethernet.ipx.raw": "01020304",
			},
		},
		{
			name: "over PPP", first: ProtoPPP,
			data:   lhex(t, "ff03 002b"+ipx+"01020304"),
			chain:  "PPP:IPX",
			fields: map[string]string{"ppp.protocol": "IPX [43]", "ppp.ipx.raw": "01020304"},
		},
		{
			name: "length beyond the capture is kept", first: ProtoIPX,
			data:   lhex(t, "ffff 0100 00 05 00000001 ffffffffffff 0451 00000002 020000000001 4003 0102"),
			chain:  "IPX",
			fields: map[string]string{"ipx.len": "256", "ipx.type": "SPX [5]", "ipx.raw": "0102"},
		},
		{
			name: "length below the header", first: ProtoIPX,
			data:  lhex(t, "ffff 001d 00 05 00000001 ffffffffffff 0451 00000002 020000000001 4003"),
			chain: "IPX", err: ErrMalformed, errAt: ProtoIPX,
			fields: map[string]string{"ipx.error.reason": "malformed: length 29 below the header length 30"},
		},
		{
			name: "truncated", first: ProtoIPX,
			data:  lhex(t, "ffff 001e 00 05 00000001 ffffffffffff 0451 00000002 020000000001 40"),
			chain: "IPX", err: ErrTruncated, errAt: ProtoIPX,
			fields: map[string]string{"ipx.error.reason": "truncated: need 30 bytes, have 29"},
		},
	})
	linkAllocs(t, ProtoEthernet, lhex(t, eth+"8137"+ipx+"01020304"))
}
