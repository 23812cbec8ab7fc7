package craft_test

import (
	"bytes"
	"fmt"
	"log"
	"net/netip"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest"
)

// Build a TCP SYN with options; EtherType, IP protocol, lengths and
// checksums are filled in.
func ExampleBuild() {
	frame, err := craft.Build(
		&craft.Ethernet{Src: craft.MustMAC("02:00:00:00:00:01"), Dst: craft.MustMAC("02:00:00:00:00:02")},
		&craft.IPv4{TTL: 64, DF: true, Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("198.51.100.7")},
		&craft.TCP{SrcPort: 40000, DstPort: 80, Seq: 1, Flags: craft.SYN, Window: 64240,
			Options: []craft.TCPOption{craft.TCPMSS(1460), craft.TCPSACKPermitted(), craft.TCPNop(), craft.TCPWindowScale(7)}},
	)
	if err != nil {
		log.Fatal(err)
	}
	var p decoder.Packet
	decoder.New(decoder.Options{}).Decode(frame, ingest.LinkEthernet, &p)
	fmt.Println(len(frame), "bytes:", p.Chain())
	fmt.Printf("ipv4 total length %d, checksum %#04x\n", decoder.IPv4(p.Bytes(1)).TotalLen(), decoder.IPv4(p.Bytes(1)).Checksum())
	// Output:
	// 66 bytes: Ethernet:IPv4:TCP
	// ipv4 total length 52, checksum 0x4e88
}

// A Builder reuses its buffer: building many frames does not allocate.
func ExampleBuilder() {
	var bl craft.Builder
	ip := &craft.IPv6{HopLimit: 64, Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::53")}
	udp := &craft.UDP{SrcPort: 33000, DstPort: 53}
	dns := &craft.DNS{ID: 1, RecursionDesired: true}
	for i, name := range []string{"example.com", "www.example.org"} {
		dns.ID = uint16(i + 1)
		dns.Questions = []craft.DNSQuestion{{Name: name, Type: craft.DNSTypeAAAA}}
		b, err := bl.Build(ip, udp, dns) // valid until the next Build
		if err != nil {
			log.Fatal(err)
		}
		var p decoder.Packet
		decoder.New(decoder.Options{}).Decode(b, ingest.LinkIPv6, &p)
		fmt.Println(len(b), p.Chain())
	}
	// Output:
	// 77 IPv6:UDP:DNS
	// 81 IPv6:UDP:DNS
}

// Split a datagram into fragments, shuffle them, and wrap each in Ethernet.
func ExampleFragmentIPv4() {
	dgram, err := craft.Build(
		&craft.IPv4{ID: 7, TTL: 64, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")},
		&craft.UDP{SrcPort: 5000, DstPort: 5001},
		craft.Payload(make([]byte, 4000)),
	)
	if err != nil {
		log.Fatal(err)
	}
	frags, err := craft.FragmentIPv4(dgram, 1500)
	if err != nil {
		log.Fatal(err)
	}
	craft.Shuffle(frags, 1)
	for _, fr := range frags {
		frame, err := craft.Build(&craft.Ethernet{}, craft.RawIP(fr))
		if err != nil {
			log.Fatal(err)
		}
		h := decoder.IPv4(fr)
		fmt.Printf("frame of %d bytes: offset %d, more fragments %v\n", len(frame), int(h.FragOffset())*8, h.MF())
	}
	// Output:
	// frame of 1514 bytes: offset 0, more fragments true
	// frame of 1082 bytes: offset 2960, more fragments false
	// frame of 1514 bytes: offset 1480, more fragments true
}

// Generate a small deterministic capture and list its frames.
func ExampleGenerate() {
	var buf bytes.Buffer
	if err := craft.Generate(&buf, craft.GenerateOptions{Seed: 7, Frames: 8, Flows: 8}); err != nil {
		log.Fatal(err)
	}
	r, err := ingest.NewReader(&buf, "generated", ingest.ReaderOptions{})
	if err != nil {
		log.Fatal(err)
	}
	var f ingest.Frame
	var p decoder.Packet
	d := decoder.New(decoder.Options{})
	for r.Next(&f) == nil {
		d.Decode(f.Data, f.LinkType, &p)
		fmt.Println(f.Index, f.Time().Format("15:04:05.000000"), p.Chain())
	}
	// Output:
	// 1 12:00:00.000146 Ethernet:IPv4:TCP
	// 2 12:00:00.000213 Ethernet:IPv6:UDP:DNS
	// 3 12:00:00.000259 Ethernet:IPv4:UDP:DNS
	// 4 12:00:00.000362 Ethernet:IPv4:UDP:DNS
	// 5 12:00:00.000480 Ethernet:IPv6:UDP:DNS
	// 6 12:00:00.000621 Ethernet:VLAN:IPv4:TCP
	// 7 12:00:00.000730 Ethernet:IPv4:TCP
	// 8 12:00:00.000827 Ethernet:IPv6:ICMPv6
}
