package decoder

import (
	"encoding/hex"
	"slices"
	"testing"
)

// DHCPv6 messages built for the test; tshark 4.0 reads them with the
// values TestDHCPv6 expects (dhcpv6.msgtype, .xid, .duidll.link_layer_addr,
// .duidllt.link_layer_addr, .iaaddr.ip, .iaaddr.pref_lifetime,
// .iaaddr.valid_lifetime, .status_code, .status_msg, .dns_server,
// .peeraddr, .requested_option_code).
var (
	dhcp6Solicit, _ = hex.DecodeString("011234560001000a000300010011223344550003000c0000000100000000000000000008000200000006000400170018")
	dhcp6Reply, _   = hex.DecodeString("071234560001000a000300010011223344550002000e000100012a0000000a0b0c0d0e0f000300300000000100000e10000015180005001820010db800000000000000000000010000001c2000001d4c000d000400006f6b0017001020010db80000000000000000000000530018000d076578616d706c6503636f6d00")
	dhcp6Relay, _   = hex.DecodeString("0c0020010db8000100000000000000000001fe80000000000000021122fffe334455001200046574683000090030011234560001000a000300010011223344550003000c0000000100000000000000000008000200000006000400170018")
)

// TestDHCPv6: a SOLICIT, a REPLY with an address in its IA_NA and a status
// inside, and a RELAY-FORW carrying the SOLICIT; an option nested in an
// IA that runs past it fails the layer at its offset.
func TestDHCPv6(t *testing.T) {
	for _, c := range []struct {
		msg   []byte
		ports [2]uint16
		want  []string
	}{
		{dhcp6Solicit, [2]uint16{546, 547}, []string{".msg_type=1", ".transaction_id=1193046",
			".options[0].link_layer_address=00:11:22:33:44:55", ".options[3].value[0]=23", ".options[3].value[1]=24"}},
		{dhcp6Reply, [2]uint16{547, 546}, []string{".msg_type=7", ".transaction_id=1193046",
			".options[0].link_layer_address=00:11:22:33:44:55", ".options[1].link_layer_address=0a:0b:0c:0d:0e:0f",
			".options[2].options[0].address=2001:db8::100", ".options[2].options[0].preferred_lifetime=7200",
			".options[2].options[0].valid_lifetime=7500", ".options[2].options[1].status=0", ".options[2].options[1].message=ok",
			".options[3].value[0]=2001:db8::53", ".options[4].value[0]=example.com"}},
		{dhcp6Relay, [2]uint16{547, 547}, []string{".msg_type=12", ".peer_address=fe80::211:22ff:fe33:4455",
			".options[1].message.msg_type=1", ".options[1].message.transaction_id=1193046",
			".options[1].message.options[3].value[1]=24"}},
	} {
		p, tr := tbDecode(t, tbEth(0x86dd, tbIPv6(17, tbUDP(c.ports[0], c.ports[1], c.msg))))
		if p.Chain() != "Ethernet:IPv6:UDP:DHCPv6" || p.Failed() {
			t.Fatalf("chain %q, err %v", p.Chain(), &p.Err)
		}
		got := flatten(tr, "ethernet", "ipv6", "udp", "dhcpv6")
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("msg %d: no %s in %q", c.msg[0], w, got)
			}
		}
	}
	// The IA Address inside the REPLY's IA_NA claims 20 more bytes than the
	// IA_NA holds.
	bad := slices.Clone(dhcp6Reply)
	i := 4 + 14 + 18 + 4 + 12 // header, client id, server id, IA_NA header and fields
	bad[i+3] += 20
	p, _ := tbDecode(t, tbEth(0x86dd, tbIPv6(17, tbUDP(547, 546, bad))))
	if !p.Failed() || p.Err.Err.Error() != "malformed: dhcpv6 option 5 at offset 52 runs past its container" {
		t.Errorf("nested option past its IA: err %v", &p.Err)
	}
}

func FuzzDHCPv6(f *testing.F) {
	for _, m := range [][]byte{dhcp6Solicit, dhcp6Reply, dhcp6Relay} {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, ProtoDHCPv6, data)
		fuzzDecode(t, ProtoUDP, tbUDP(546, 547, data))
	})
}
