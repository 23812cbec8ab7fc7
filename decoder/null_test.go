package decoder

import "testing"

func TestNull(t *testing.T) {
	ip := linkIPv4
	ip6 := "6000000000003b40 fe800000000000000000000000000001 fe800000000000000000000000000002"
	runLinkCases(t, []linkCase{
		{
			name: "little-endian AF_INET", first: ProtoNull,
			data: lhex(t, "02000000"+ip), chain: "Null:IPv4",
			fields: map[string]string{"null.family": "AF_INET [2]", "null.ipv4.src": "10.0.0.1"},
		},
		{
			name: "big-endian AF_INET", first: ProtoNull,
			data: lhex(t, "00000002"+ip), chain: "Null:IPv4",
			fields: map[string]string{"null.family": "AF_INET [2]"},
		},
		{
			name: "little-endian AF_INET6 BSD", first: ProtoNull,
			data: lhex(t, "18000000"+ip6), chain: "Null:IPv6",
			fields: map[string]string{"null.family": "AF_INET6 [24]"},
		},
		{
			name: "big-endian AF_INET6 FreeBSD", first: ProtoNull,
			data: lhex(t, "0000001c"+ip6), chain: "Null:IPv6",
			fields: map[string]string{"null.family": "AF_INET6 [28]"},
		},
		{
			name: "little-endian AF_INET6 macOS", first: ProtoNull,
			data: lhex(t, "1e000000"+ip6), chain: "Null:IPv6",
			fields: map[string]string{"null.family": "AF_INET6 [30]"},
		},
		{
			name: "little-endian AF_INET6 Linux", first: ProtoNull,
			data: lhex(t, "0a000000"+ip6), chain: "Null:IPv6",
			fields: map[string]string{"null.family": "AF_INET6 [10]"},
		},
		{
			name: "unknown family is raw", first: ProtoNull,
			data: lhex(t, "07000000 0102"), chain: "Null",
			fields: map[string]string{"null.family": "AF_ISO [7]", "null.raw": "0102"},
		},
		{
			name: "loop is network byte order", first: ProtoLoop,
			data: lhex(t, "00000002"+ip), chain: "Loopback:IPv4",
			fields: map[string]string{"loopback.family": "AF_INET [2]"},
		},
		{
			name: "loop does not guess the byte order", first: ProtoLoop,
			data: lhex(t, "02000000"+ip), chain: "Loopback",
			fields: map[string]string{"loopback.family": "Unknown [33554432]"},
		},
		{
			name: "truncated", first: ProtoNull,
			data: lhex(t, "020000"), chain: "Null", err: ErrTruncated, errAt: ProtoNull,
			fields: map[string]string{"null.error.reason": "truncated: need 4 bytes, have 3"},
		},
	})
	linkAllocs(t, ProtoNull, lhex(t, "02000000"+ip))
	d := New(Options{})
	var p Packet
	for lt, want := range map[uint32]string{0: "Null:IPv4", 108: "Loopback"} {
		d.Decode(lhex(t, "02000000"+ip), lt, &p)
		if got := p.Chain(); got != want {
			t.Errorf("link type %d: chain %q, want %q", lt, got, want)
		}
	}
}
