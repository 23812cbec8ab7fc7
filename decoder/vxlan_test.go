package decoder

import "testing"

func TestVXLAN(t *testing.T) {
	frame := inetEth(0x0800, inetIP4(1, inetPing4))
	runInetCases(t, []inetCase{
		{
			name: "over udp 4789", first: ProtoIPv4,
			data:  inetIP4(17, inetUDP(49152, 4789, inetCat(inetHex("08 000000 00a0b1 00"), frame))),
			chain: "IPv4:UDP:VXLAN:Ethernet:IPv4:ICMP", under: ProtoVXLAN,
			fields: []inetField{
				{"ipv4.udp.vxlan.flags.i", "true"},
				{"ipv4.udp.vxlan.flags.value", "8"},
				{"ipv4.udp.vxlan.vni", "41137"},
				{"ipv4.udp.vxlan.ethernet.ipv4.icmp", "<present>"},
			},
		},
		{
			name: "i flag clear", first: ProtoVXLAN,
			data:   inetCat(inetHex("00 000000 000001 00"), frame),
			chain:  "VXLAN:Ethernet:IPv4:ICMP",
			fields: []inetField{{"vxlan.flags.i", "false"}, {"vxlan.vni", "1"}},
		},
	})
}
