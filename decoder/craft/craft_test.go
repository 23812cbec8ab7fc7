package craft_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pcapflow/pcapflow/decoder/craft"
)

var (
	macA = craft.MustMAC("02:00:00:00:00:0a")
	macB = craft.MustMAC("00:00:5e:00:01:01")
	v4A  = netip.MustParseAddr("10.0.0.1")
	v4B  = netip.MustParseAddr("203.0.113.7")
	v6A  = netip.MustParseAddr("2001:db8:1::a")
	v6B  = netip.MustParseAddr("2001:db8:ff::7")
	v6C  = netip.MustParseAddr("2001:db8:ee::3")
)

// TestBuildRoundTrip builds frames, decodes them with the project decoder
// (chain and report values) and with gopacket (structure and checksums).
func TestBuildRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		layers []craft.Layer
		chain  string
		fields []field
		check  func(t *testing.T, p gopacket.Packet)
	}{
		{
			name: "ipv4 tcp syn with options",
			layers: []craft.Layer{
				&craft.Ethernet{Src: macA, Dst: macB},
				&craft.IPv4{TOS: 0x28, ID: 0x1234, DF: true, TTL: 64, Src: v4A, Dst: v4B,
					Options: []craft.IPv4Option{craft.IPv4RouterAlert()}},
				&craft.TCP{SrcPort: 40000, DstPort: 80, Seq: 0xdeadbeef, Flags: craft.SYN | craft.ECE | craft.CWR, Window: 64240,
					Options: []craft.TCPOption{craft.TCPMSS(1460), craft.TCPSACKPermitted(),
						craft.TCPTimestamps(1000, 0), craft.TCPNop(), craft.TCPWindowScale(7)}},
			},
			chain: "Ethernet:IPv4:TCP",
			fields: []field{
				{"ethernet/src", "02:00:00:00:00:0a"}, {"ethernet/dst", "00:00:5e:00:01:01"},
				{"ethernet/type", "2048"},
				{"ethernet/ipv4/hdr_len", "24"}, {"ethernet/ipv4/len", "64"},
				{"ethernet/ipv4/dsfield/dscp", "10"}, {"ethernet/ipv4/id", "4660"},
				{"ethernet/ipv4/flags/df", "true"}, {"ethernet/ipv4/flags/mf", "false"},
				{"ethernet/ipv4/ttl", "64"}, {"ethernet/ipv4/protocol", "6"},
				{"ethernet/ipv4/src", "10.0.0.1"}, {"ethernet/ipv4/dst", "203.0.113.7"},
				{"ethernet/ipv4/options/#0/type", "148"}, {"ethernet/ipv4/options/#0/length", "4"},
				{"ethernet/ipv4/tcp/srcport", "40000"}, {"ethernet/ipv4/tcp/dstport", "80"},
				{"ethernet/ipv4/tcp/seq", "3735928559"}, {"ethernet/ipv4/tcp/hdr_len", "40"},
				{"ethernet/ipv4/tcp/flags/syn", "true"}, {"ethernet/ipv4/tcp/flags/ack", "false"},
				{"ethernet/ipv4/tcp/flags/ece", "true"}, {"ethernet/ipv4/tcp/flags/cwr", "true"},
				{"ethernet/ipv4/tcp/window_size", "64240"},
				{"ethernet/ipv4/tcp/options/#0/mss", "1460"},
				{"ethernet/ipv4/tcp/options/#1/kind", "4"},
				{"ethernet/ipv4/tcp/options/#2/tsval", "1000"},
				{"ethernet/ipv4/tcp/options/#3/kind", "1"},
				{"ethernet/ipv4/tcp/options/#4/shift", "7"},
			},
			check: func(t *testing.T, p gopacket.Packet) {
				ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
				if ip.IHL != 6 || ip.Flags != layers.IPv4DontFragment || len(ip.Options) != 1 || ip.Options[0].OptionType != 148 {
					t.Errorf("gopacket ipv4: ihl %d flags %v options %v", ip.IHL, ip.Flags, ip.Options)
				}
				tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
				if !tcp.SYN || !tcp.ECE || !tcp.CWR || tcp.ACK || tcp.DataOffset != 10 || len(tcp.Options) != 5 {
					t.Errorf("gopacket tcp: %+v", tcp)
				}
			},
		},
		{
			name: "ipv4 tcp sack and http post",
			layers: []craft.Layer{
				&craft.Ethernet{Src: macA, Dst: macB},
				&craft.IPv4{TTL: 64, Src: v4A, Dst: v4B},
				&craft.TCP{SrcPort: 40000, DstPort: 80, Seq: 100, Ack: 200, Flags: craft.PSH | craft.ACK, Window: 502,
					Options: []craft.TCPOption{craft.TCPNop(), craft.TCPNop(),
						craft.TCPSACK(craft.SACKBlock{Left: 300, Right: 400}, craft.SACKBlock{Left: 500, Right: 600})}},
				&craft.HTTPRequest{Method: "POST", URI: "/api/v1/items",
					Header: []craft.HTTPHeader{{Name: "Host", Value: "api.example.com"}}, Body: []byte("a=1&b=2")},
			},
			chain: "Ethernet:IPv4:TCP:HTTP",
			fields: []field{
				{"ethernet/ipv4/tcp/ack", "200"}, {"ethernet/ipv4/tcp/flags/psh", "true"},
				{"ethernet/ipv4/tcp/options/#2/kind", "5"},
				{"ethernet/ipv4/tcp/options/#2/blocks/#0/left", "300"},
				{"ethernet/ipv4/tcp/options/#2/blocks/#1/right", "600"},
				{"ethernet/ipv4/tcp/http/request/method", "POST"},
				{"ethernet/ipv4/tcp/http/request/uri", "/api/v1/items"},
				{"ethernet/ipv4/tcp/http/request/version", "HTTP/1.1"},
				{"ethernet/ipv4/tcp/http/headers/#0/name", "Host"},
				{"ethernet/ipv4/tcp/http/headers/#0/value", "api.example.com"},
				{"ethernet/ipv4/tcp/http/headers/#1/name", "Content-Length"},
				{"ethernet/ipv4/tcp/http/headers/#1/value", "7"},
				{"ethernet/ipv4/tcp/http/body_len", "7"},
			},
			check: func(t *testing.T, p gopacket.Packet) {
				want := "POST /api/v1/items HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 7\r\n\r\na=1&b=2"
				if got := string(p.ApplicationLayer().Payload()); got != want {
					t.Errorf("gopacket payload %q, want %q", got, want)
				}
			},
		},
		{
			name: "ipv6 tcp http response",
			layers: []craft.Layer{
				&craft.Ethernet{Src: macB, Dst: macA},
				&craft.IPv6{TrafficClass: 0x20, FlowLabel: 0xabcde, HopLimit: 55, Src: v6B, Dst: v6A},
				&craft.TCP{SrcPort: 80, DstPort: 40001, Seq: 7, Ack: 9, Flags: craft.ACK | craft.PSH, Window: 300},
				&craft.HTTPResponse{StatusCode: 404, Header: []craft.HTTPHeader{{Name: "Server", Value: "nginx"}}, Body: []byte("<h1>no</h1>")},
			},
			chain: "Ethernet:IPv6:TCP:HTTP",
			fields: []field{
				{"ethernet/type", "34525"},
				{"ethernet/ipv6/class", "32"}, {"ethernet/ipv6/label", "703710"},
				{"ethernet/ipv6/payload", "92"}, {"ethernet/ipv6/next", "6"}, {"ethernet/ipv6/limit", "55"},
				{"ethernet/ipv6/src", "2001:db8:ff::7"}, {"ethernet/ipv6/dst", "2001:db8:1::a"},
				{"ethernet/ipv6/tcp/srcport", "80"},
				{"ethernet/ipv6/tcp/http/response/status", "404"},
				{"ethernet/ipv6/tcp/http/response/reason", "Not Found"},
				{"ethernet/ipv6/tcp/http/headers/#1/name", "Content-Length"},
				{"ethernet/ipv6/tcp/http/headers/#1/value", "11"},
			},
		},
		{
			name: "qinq ipv4 udp dns query",
			layers: []craft.Layer{
				&craft.Ethernet{Src: macA, Dst: macB},
				&craft.VLAN{TPID: craft.EtherTypeQinQ, ID: 100},
				&craft.VLAN{Priority: 5, DEI: true, ID: 4000},
				&craft.IPv4{TTL: 64, Src: v4A, Dst: v4B},
				&craft.UDP{SrcPort: 53000, DstPort: 53},
				&craft.DNS{ID: 0xbeef, RecursionDesired: true,
					Questions: []craft.DNSQuestion{{Name: "www.example.com.", Type: craft.DNSTypeA}}},
			},
			chain: "Ethernet:VLAN:VLAN:IPv4:UDP:DNS",
			fields: []field{
				{"ethernet/type", "34984"},
				{"ethernet/vlan/tci/vid", "100"}, {"ethernet/vlan/type", "33024"},
				{"ethernet/vlan/vlan/tci/vid", "4000"}, {"ethernet/vlan/vlan/tci/pcp", "5"},
				{"ethernet/vlan/vlan/tci/dei", "true"}, {"ethernet/vlan/vlan/type", "2048"},
				{"ethernet/vlan/vlan/ipv4/udp/len", "41"},
				{"ethernet/vlan/vlan/ipv4/udp/dns/id", "48879"},
				{"ethernet/vlan/vlan/ipv4/udp/dns/flags/qr", "false"},
				{"ethernet/vlan/vlan/ipv4/udp/dns/flags/rd", "true"},
				{"ethernet/vlan/vlan/ipv4/udp/dns/qdcount", "1"},
				{"ethernet/vlan/vlan/ipv4/udp/dns/questions/#0/name", "www.example.com"},
				{"ethernet/vlan/vlan/ipv4/udp/dns/questions/#0/type", "1"},
				{"ethernet/vlan/vlan/ipv4/udp/dns/questions/#0/class", "1"},
			},
			check: func(t *testing.T, p gopacket.Packet) {
				var ids []uint16
				for _, l := range p.Layers() {
					if d, ok := l.(*layers.Dot1Q); ok {
						ids = append(ids, d.VLANIdentifier)
					}
				}
				if len(ids) != 2 || ids[0] != 100 || ids[1] != 4000 {
					t.Errorf("gopacket vlan ids %v", ids)
				}
				d, ok := p.Layer(layers.LayerTypeDNS).(*layers.DNS)
				if !ok || d.ID != 0xbeef || len(d.Questions) != 1 || string(d.Questions[0].Name) != "www.example.com" {
					t.Errorf("gopacket dns: %+v", d)
				}
			},
		},
		{
			name: "ipv6 udp dns answer with cname and compression",
			layers: []craft.Layer{
				&craft.Ethernet{Src: macB, Dst: macA},
				&craft.IPv6{HopLimit: 64, Src: v6B, Dst: v6A},
				&craft.UDP{SrcPort: 53, DstPort: 53000},
				&craft.DNS{ID: 7, Response: true, RecursionDesired: true, RecursionAvailable: true,
					Questions: []craft.DNSQuestion{{Name: "www.example.com", Type: craft.DNSTypeAAAA}},
					Answers: []craft.DNSRecord{
						{Name: "www.example.com", Type: craft.DNSTypeCNAME, TTL: 300, Data: mustName(t, "edge.cdn.example.net")},
						craft.DNSAAAA("edge.cdn.example.net", 60, v6C),
					}},
			},
			chain: "Ethernet:IPv6:UDP:DNS",
			fields: []field{
				{"ethernet/ipv6/udp/dns/flags/qr", "true"}, {"ethernet/ipv6/udp/dns/flags/ra", "true"},
				{"ethernet/ipv6/udp/dns/ancount", "2"},
				{"ethernet/ipv6/udp/dns/answers/#0/name", "www.example.com"},
				{"ethernet/ipv6/udp/dns/answers/#0/type", "5"},
				{"ethernet/ipv6/udp/dns/answers/#0/ttl", "300"},
				{"ethernet/ipv6/udp/dns/answers/#1/name", "edge.cdn.example.net"},
				{"ethernet/ipv6/udp/dns/answers/#1/type", "28"},
				{"ethernet/ipv6/udp/dns/answers/#1/address", "2001:db8:ee::3"},
			},
			check: func(t *testing.T, p gopacket.Packet) {
				d := p.Layer(layers.LayerTypeDNS).(*layers.DNS)
				if len(d.Answers) != 2 || string(d.Answers[0].Name) != "www.example.com" ||
					string(d.Answers[0].CNAME) != "edge.cdn.example.net" || !d.Answers[1].IP.Equal(v6C.AsSlice()) {
					t.Errorf("gopacket dns answers: %+v", d.Answers)
				}
				// The answer's owner repeats the question name: a pointer to offset 12.
				raw := d.Contents
				if i := bytes.Index(raw, []byte{0xc0, 12}); i < 0 {
					t.Errorf("no compression pointer to the question name in %x", raw)
				}
			},
		},
		{
			name: "arp request padded",
			layers: []craft.Layer{
				&craft.Ethernet{Src: macA, Dst: craft.Broadcast, Pad: true},
				&craft.ARP{Op: craft.ARPRequest, SenderMAC: macA, SenderIP: v4A, TargetIP: netip.MustParseAddr("10.0.0.254")},
			},
			chain: "Ethernet:ARP",
			fields: []field{
				{"ethernet/dst", "ff:ff:ff:ff:ff:ff"}, {"ethernet/type", "2054"},
				{"ethernet/arp/oper", "1"}, {"ethernet/arp/htype", "1"}, {"ethernet/arp/ptype", "2048"},
				{"ethernet/arp/sha", "02:00:00:00:00:0a"}, {"ethernet/arp/spa", "10.0.0.1"},
				{"ethernet/arp/tha", "00:00:00:00:00:00"}, {"ethernet/arp/tpa", "10.0.0.254"},
			},
			check: func(t *testing.T, p gopacket.Packet) {
				if n := len(p.Data()); n != 60 {
					t.Errorf("padded frame is %d bytes, want 60", n)
				}
				a := p.Layer(layers.LayerTypeARP).(*layers.ARP)
				if a.Operation != 1 || !bytes.Equal(a.SourceProtAddress, v4A.AsSlice()) {
					t.Errorf("gopacket arp: %+v", a)
				}
			},
		},
		{
			name: "ipv4 icmp echo padded",
			layers: []craft.Layer{
				&craft.Ethernet{Src: macB, Dst: macA, Pad: true},
				&craft.IPv4{TTL: 57, Src: v4B, Dst: v4A},
				&craft.ICMP{Type: craft.ICMPEchoReply, ID: 0x77, Seq: 3},
				craft.Payload("ping"),
			},
			chain: "Ethernet:IPv4:ICMP",
			fields: []field{
				{"ethernet/ipv4/len", "32"}, {"ethernet/ipv4/protocol", "1"},
				{"ethernet/ipv4/icmp/type", "0"}, {"ethernet/ipv4/icmp/id", "119"},
				{"ethernet/ipv4/icmp/seq", "3"}, {"ethernet/ipv4/icmp/raw", "70696e67"},
			},
			check: func(t *testing.T, p gopacket.Packet) {
				if n := len(p.Data()); n != 60 {
					t.Errorf("padded frame is %d bytes, want 60", n)
				}
			},
		},
		{
			name: "ipv6 icmpv6 echo",
			layers: []craft.Layer{
				&craft.Ethernet{Src: macA, Dst: macB},
				&craft.IPv6{HopLimit: 64, Src: v6A, Dst: v6B},
				&craft.ICMPv6{Type: craft.ICMPv6EchoRequest, ID: 42, Seq: 1},
				craft.Payload("0123456789"),
			},
			chain: "Ethernet:IPv6:ICMPv6",
			fields: []field{
				{"ethernet/ipv6/next", "58"}, {"ethernet/ipv6/payload", "18"},
				{"ethernet/ipv6/icmpv6/type", "128"}, {"ethernet/ipv6/icmpv6/id", "42"},
				{"ethernet/ipv6/icmpv6/seq", "1"},
			},
		},
		{
			name: "icmpv6 neighbor solicitation",
			layers: []craft.Layer{
				&craft.Ethernet{Src: macA, Dst: craft.MustMAC("33:33:ff:00:00:07")},
				&craft.IPv6{HopLimit: 255, Src: netip.MustParseAddr("fe80::a"), Dst: netip.MustParseAddr("ff02::1:ff00:7")},
				&craft.NeighborSolicitation{Target: netip.MustParseAddr("fe80::7"), SourceMAC: macA},
			},
			chain: "Ethernet:IPv6:ICMPv6",
			fields: []field{
				{"ethernet/ipv6/payload", "32"}, {"ethernet/ipv6/icmpv6/type", "135"},
				{"ethernet/ipv6/icmpv6/target", "fe80::7"},
				{"ethernet/ipv6/icmpv6/options/#0/type", "1"},
				{"ethernet/ipv6/icmpv6/options/#0/address", "02:00:00:00:00:0a"},
			},
			check: func(t *testing.T, p gopacket.Packet) {
				ns, ok := p.Layer(layers.LayerTypeICMPv6NeighborSolicitation).(*layers.ICMPv6NeighborSolicitation)
				if !ok || ns.TargetAddress.String() != "fe80::7" || len(ns.Options) != 1 {
					t.Errorf("gopacket ns: %+v", ns)
				}
			},
		},
		{
			name: "icmpv6 neighbor advertisement",
			layers: []craft.Layer{
				&craft.Ethernet{Src: macB, Dst: macA},
				&craft.IPv6{HopLimit: 255, Src: netip.MustParseAddr("fe80::7"), Dst: netip.MustParseAddr("fe80::a")},
				&craft.NeighborAdvertisement{Router: true, Solicited: true, Target: netip.MustParseAddr("fe80::7"), TargetMAC: macB},
			},
			chain: "Ethernet:IPv6:ICMPv6",
			fields: []field{
				{"ethernet/ipv6/icmpv6/type", "136"},
				{"ethernet/ipv6/icmpv6/flags/r", "true"}, {"ethernet/ipv6/icmpv6/flags/s", "true"},
				{"ethernet/ipv6/icmpv6/flags/o", "false"},
				{"ethernet/ipv6/icmpv6/options/#0/type", "2"},
				{"ethernet/ipv6/icmpv6/options/#0/address", "00:00:5e:00:01:01"},
			},
			check: func(t *testing.T, p gopacket.Packet) {
				na, ok := p.Layer(layers.LayerTypeICMPv6NeighborAdvertisement).(*layers.ICMPv6NeighborAdvertisement)
				if !ok || !na.Router() || !na.Solicited() || na.Override() {
					t.Errorf("gopacket na: %+v", na)
				}
			},
		},
		{
			name: "ipv6 extension header chain",
			layers: []craft.Layer{
				&craft.Ethernet{Src: macA, Dst: macB},
				&craft.IPv6{HopLimit: 64, Src: v6A, Dst: v6B},
				&craft.IPv6HopByHop{Options: []craft.IPv6Option{craft.IPv6RouterAlert(0)}},
				&craft.IPv6Destination{Options: []craft.IPv6Option{{Type: 0x1e, Data: []byte{1, 2, 3}}}},
				&craft.IPv6Routing{Type: 0, Addresses: []netip.Addr{v6C, v6B}},
				&craft.IPv6Fragment{ID: 0x01020304},
				&craft.UDP{SrcPort: 5000, DstPort: 6000},
				craft.Payload("hello"),
			},
			chain: "Ethernet:IPv6:HOPOPT:IPv6_Opts:IPv6_Route:IPv6_Frag:UDP",
			fields: []field{
				{"ethernet/ipv6/next", "0"}, {"ethernet/ipv6/payload", "77"},
				{"ethernet/ipv6/hopopt/next", "60"}, {"ethernet/ipv6/hopopt/length", "8"},
				{"ethernet/ipv6/hopopt/options/#0/type", "5"},
				{"ethernet/ipv6/hopopt/ipv6_opts/next", "43"},
				{"ethernet/ipv6/hopopt/ipv6_opts/options/#0/type", "30"},
				{"ethernet/ipv6/hopopt/ipv6_opts/ipv6_route/next", "44"},
				{"ethernet/ipv6/hopopt/ipv6_opts/ipv6_route/length", "40"},
				{"ethernet/ipv6/hopopt/ipv6_opts/ipv6_route/seg_left", "0"},
				{"ethernet/ipv6/hopopt/ipv6_opts/ipv6_route/ip/#1", "2001:db8:ff::7"},
				{"ethernet/ipv6/hopopt/ipv6_opts/ipv6_route/ipv6_frag/next", "17"},
				{"ethernet/ipv6/hopopt/ipv6_opts/ipv6_route/ipv6_frag/id", "16909060"},
				{"ethernet/ipv6/hopopt/ipv6_opts/ipv6_route/ipv6_frag/mf", "false"},
				{"ethernet/ipv6/hopopt/ipv6_opts/ipv6_route/ipv6_frag/udp/len", "13"},
				{"ethernet/ipv6/hopopt/ipv6_opts/ipv6_route/ipv6_frag/udp/raw", "68656c6c6f"},
			},
			check: func(t *testing.T, p gopacket.Packet) {
				for _, lt := range []gopacket.LayerType{layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Destination,
					layers.LayerTypeIPv6Routing, layers.LayerTypeIPv6Fragment} {
					if p.Layer(lt) == nil {
						t.Errorf("gopacket: no %v layer", lt)
					}
				}
				// gopacket stops at the fragment header: check the UDP
				// checksum with the reference (routing header with no
				// segments left: the destination is the IPv6 one).
				b := p.Data()
				udp := b[len(b)-13:]
				s, d := v6A.As16(), v6B.As16()
				if c := refChecksum(s[:], d[:], []byte{0, 0, 0, 13, 0, 0, 0, 17}, udp); c != 0 {
					t.Errorf("udp checksum residue %#x", c)
				}
			},
		},
		{
			name: "ipv4 udp without checksum",
			layers: []craft.Layer{
				&craft.Ethernet{Src: macA, Dst: macB},
				&craft.IPv4{TTL: 1, Src: v4A, Dst: v4B},
				&craft.UDP{SrcPort: 1, DstPort: 2, NoChecksum: true},
				craft.Payload{0xff},
			},
			chain:  "Ethernet:IPv4:UDP",
			fields: []field{{"ethernet/ipv4/udp/checksum", "0"}, {"ethernet/ipv4/udp/len", "9"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := craft.Build(tc.layers...)
			if err != nil {
				t.Fatal(err)
			}
			p, tr := decode(t, b, 1)
			if got := p.Chain(); got != tc.chain {
				t.Errorf("chain %s, want %s", got, tc.chain)
			}
			checkFields(t, tr, tc.fields)
			gp := gopacketDecode(t, b, ethernet)
			if tc.check != nil {
				tc.check(t, gp)
			}
			// Builder and Append give the same bytes.
			var bl craft.Builder
			for range 2 {
				b2, err := bl.Build(tc.layers...)
				if err != nil || !bytes.Equal(b, b2) {
					t.Fatalf("Builder.Build differs from Build (err %v)", err)
				}
			}
			b3, err := craft.Append([]byte("prefix"), tc.layers...)
			if err != nil || string(b3[:6]) != "prefix" || !bytes.Equal(b3[6:], b) {
				t.Fatalf("Append differs from Build (err %v)", err)
			}
		})
	}
}

func mustName(t *testing.T, s string) []byte {
	b, err := craft.DNSName(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// refChecksum is an independent, byte-at-a-time Internet checksum.
func refChecksum(chunks ...[]byte) uint16 {
	var all []byte
	for _, c := range chunks {
		all = append(all, c...)
	}
	if len(all)%2 == 1 {
		all = append(all, 0)
	}
	var s uint32
	for i := 0; i < len(all); i += 2 {
		s += uint32(all[i])<<8 | uint32(all[i+1])
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// TestChecksumRoutingFinalDestination: behind a routing header with
// segments left, the pseudo-header carries the final destination.
func TestChecksumRoutingFinalDestination(t *testing.T) {
	b, err := craft.Build(
		&craft.IPv6{HopLimit: 64, Src: v6A, Dst: v6B},
		&craft.IPv6Routing{Type: 0, SegmentsLeft: 1, Addresses: []netip.Addr{v6C}},
		&craft.TCP{SrcPort: 1, DstPort: 2, Flags: craft.SYN},
		craft.Payload("xyz"),
	)
	if err != nil {
		t.Fatal(err)
	}
	tcp := b[40+24:]
	src, final := v6A.As16(), v6C.As16()
	var ph [8]byte
	binary.BigEndian.PutUint32(ph[:], uint32(len(tcp)))
	ph[7] = 6
	if c := refChecksum(src[:], final[:], ph[:], tcp); c != 0 {
		t.Errorf("tcp checksum does not verify against the final destination (residue %#x)", c)
	}
	p, _ := decode(t, b, 229)
	if got := p.Chain(); got != "IPv6:IPv6_Route:TCP" {
		t.Errorf("chain %s", got)
	}
}

// TestChecksumsReference checks the IPv4 header and TCP checksums against
// the byte-at-a-time reference, over odd payload lengths.
func TestChecksumsReference(t *testing.T) {
	for n := 0; n < 70; n++ {
		pl := bytes.Repeat([]byte{0xa5, 0x3c, 0xff}, n)[:n*2+n%3]
		b, err := craft.Build(&craft.IPv4{TTL: 9, Src: v4A, Dst: v4B}, &craft.TCP{SrcPort: 9, DstPort: 10, Flags: craft.ACK}, craft.Payload(pl))
		if err != nil {
			t.Fatal(err)
		}
		if c := refChecksum(b[:20]); c != 0 {
			t.Fatalf("payload %d: ipv4 header checksum residue %#x", len(pl), c)
		}
		s, d := v4A.As4(), v4B.As4()
		var ph [4]byte
		ph[1] = 6
		binary.BigEndian.PutUint16(ph[2:], uint16(len(b)-20))
		if c := refChecksum(s[:], d[:], ph[:], b[20:]); c != 0 {
			t.Fatalf("payload %d: tcp checksum residue %#x", len(pl), c)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	long := make([]craft.Layer, craft.MaxLayers+1)
	for i := range long {
		long[i] = craft.Payload("x")
	}
	tests := []struct {
		name   string
		layers []craft.Layer
		want   string
	}{
		{"no layers", nil, "no layers"},
		{"too many layers", long, "at most"},
		{"nil layer", []craft.Layer{&craft.Ethernet{}, nil}, "nil"},
		{"ethertype of payload", []craft.Layer{&craft.Ethernet{}, craft.Payload("x")}, "set Type"},
		{"ipv4 with ipv6 address", []craft.Layer{&craft.IPv4{Src: v6A, Dst: v4B}}, "IPv4 addresses"},
		{"ipv4 protocol of payload", []craft.Layer{&craft.IPv4{Src: v4A, Dst: v4B}, craft.Payload("x")}, "set it explicitly"},
		{"ipv4 odd fragment offset", []craft.Layer{&craft.IPv4{Src: v4A, Dst: v4B, FragOffset: 3}}, "multiple of 8"},
		{"ipv4 options too long", []craft.Layer{&craft.IPv4{Src: v4A, Dst: v4B,
			Options: []craft.IPv4Option{{Type: 7, Data: make([]byte, 38)}, {Type: 7, Data: make([]byte, 2)}}}}, "at most 60"},
		{"tcp without ip", []craft.Layer{&craft.TCP{}}, "no enclosing"},
		{"tcp options too long", []craft.Layer{&craft.IPv4{Src: v4A, Dst: v4B}, &craft.TCP{Options: []craft.TCPOption{
			craft.TCPSACK(make([]craft.SACKBlock, 4)...), craft.TCPMSS(1), craft.TCPTimestamps(1, 2)}}}, "at most 60"},
		{"sack with 5 blocks", []craft.Layer{&craft.IPv4{Src: v4A, Dst: v4B}, &craft.TCP{Options: []craft.TCPOption{
			craft.TCPSACK(make([]craft.SACKBlock, 5)...)}}}, "too long"},
		{"vlan id", []craft.Layer{&craft.Ethernet{}, &craft.VLAN{ID: 5000}}, "above 4095"},
		{"icmpv6 over ipv4", []craft.Layer{&craft.IPv4{Src: v4A, Dst: v4B}, &craft.ICMPv6{}}, "IPv4"},
		{"udp zero checksum over ipv6", []craft.Layer{&craft.IPv6{Src: v6A, Dst: v6B}, &craft.UDP{NoChecksum: true}}, "not allowed"},
		{"dns long label", []craft.Layer{&craft.DNS{Questions: []craft.DNSQuestion{{Name: strings.Repeat("a", 64) + ".com"}}}}, "1 to 63"},
		{"dns empty label", []craft.Layer{&craft.DNS{Questions: []craft.DNSQuestion{{Name: "a..com"}}}}, "1 to 63"},
		{"http header injection", []craft.Layer{&craft.HTTPRequest{Method: "GET", URI: "/", Header: []craft.HTTPHeader{{Name: "X", Value: "a\r\nb"}}}}, "invalid header"},
		{"arp ipv6", []craft.Layer{&craft.ARP{SenderIP: v6A, TargetIP: v4A}}, "IPv4"},
		{"raw ip garbage", []craft.Layer{craft.RawIP{0x12}}, "not an IPv4"},
		{"ipv6 too large", []craft.Layer{&craft.IPv6{Src: v6A, Dst: v6B, NextHeader: 59}, craft.Payload(make([]byte, 70000))}, "jumbograms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := craft.Build(tc.layers...)
			if err == nil {
				t.Fatalf("no error; built %x", b)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestBuilderAllocs guards the generator's hot path: building into a
// Builder with reused layers does not allocate.
func TestBuilderAllocs(t *testing.T) {
	eth := &craft.Ethernet{Src: macA, Dst: macB, Pad: true}
	ip := &craft.IPv4{TTL: 64, Src: v4A, Dst: v4B, DF: true}
	tcp := &craft.TCP{SrcPort: 1, DstPort: 80, Flags: craft.ACK}
	opts := make([]craft.TCPOption, 0, 4)
	pl := craft.Payload("GET / HTTP/1.1\r\n\r\n")
	ls := []craft.Layer{eth, ip, tcp, &pl}
	var bl craft.Builder
	if _, err := bl.Build(ls...); err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(200, func() {
		tcp.Seq++
		tcp.Options = append(opts[:0], craft.TCPNop(), craft.TCPNop(), craft.TCPTimestamps(tcp.Seq, 1))
		if _, err := bl.Build(ls...); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("Builder.Build allocates %.1f times per frame", n)
	}
}

func TestParseMAC(t *testing.T) {
	if _, err := craft.ParseMAC("00:11:22:33:44:55:66:77"); err == nil {
		t.Error("8-byte address accepted")
	}
	m, err := craft.ParseMAC("00-11-22-33-44-55")
	if err != nil || m.String() != "00:11:22:33:44:55" {
		t.Errorf("ParseMAC: %v %v", m, err)
	}
	if _, err := craft.DNSName("a.b"); err != nil {
		t.Error(err)
	}
	if _, err := craft.DNSName(strings.Repeat("abcdefgh.", 30)); err == nil {
		t.Error("name of 270 bytes accepted")
	}
	var e error = errors.New("x")
	_ = e
}
