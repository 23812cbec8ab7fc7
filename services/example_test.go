package services_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/services"
)

// exampleCapture writes a three-frame Ethernet capture into dir and
// returns its path: a TCP SYN, a DNS query over UDP, an ARP request.
func exampleCapture(dir string) string {
	a, b := craft.MustMAC("02:00:00:00:00:01"), craft.MustMAC("02:00:00:00:00:02")
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.53")
	frames := [][]craft.Layer{
		{&craft.Ethernet{Src: a, Dst: b}, &craft.IPv4{TTL: 64, Src: src, Dst: dst},
			&craft.TCP{SrcPort: 40000, DstPort: 80, Flags: craft.SYN}},
		{&craft.Ethernet{Src: a, Dst: b}, &craft.IPv4{TTL: 64, Src: src, Dst: dst},
			&craft.UDP{SrcPort: 40001, DstPort: 53},
			&craft.DNS{ID: 1, RecursionDesired: true, Questions: []craft.DNSQuestion{{Name: "example.org", Type: 1}}}},
		{&craft.Ethernet{Src: a, Dst: craft.MustMAC("ff:ff:ff:ff:ff:ff"), Pad: true},
			&craft.ARP{Op: 1, SenderMAC: a, SenderIP: src, TargetIP: dst}},
	}
	path := filepath.Join(dir, "example.pcap")
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	w, err := ingest.NewPcapWriter(f, ingest.PcapWriterOptions{LinkType: ingest.LinkEthernet})
	if err != nil {
		log.Fatal(err)
	}
	for i, layers := range frames {
		data, err := craft.Build(layers...)
		if err != nil {
			log.Fatal(err)
		}
		if err := w.WritePacket(1700000000+int64(i), 0, uint32(len(data)), data); err != nil {
			log.Fatal(err)
		}
	}
	return path
}

// Extract a capture into a JSON report, listing each frame's protocol
// chain as it goes (the CLI's "pcapflow extract in.pcap -v -o out.json").
func ExampleExtract() {
	dir, _ := os.MkdirTemp("", "pcapflow-example")
	defer os.RemoveAll(dir)
	in := exampleCapture(dir)

	st, err := services.Extract(context.Background(), services.ExtractOptions{
		Input:   in,
		Output:  filepath.Join(dir, "out.json"),
		Format:  reporter.JSON,
		Verbose: os.Stdout,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Frames, "frames,", st.DecodeErrors, "decode errors")
	// Output:
	// Frame   1: Ethernet:IPv4:TCP
	// Frame   2: Ethernet:IPv4:UDP:DNS
	// Frame   3: Ethernet:ARP
	// 3 frames, 0 decode errors
}

// Write one tree-text file per frame ("Frame 1.txt", ...), decoding no
// further than the internet layer (the CLI's -F -t -L internet).
func ExampleExtract_files() {
	dir, _ := os.MkdirTemp("", "pcapflow-example")
	defer os.RemoveAll(dir)
	in := exampleCapture(dir)

	out := filepath.Join(dir, "frames")
	_, err := services.Extract(context.Background(), services.ExtractOptions{
		Input:  in,
		Output: out,
		Format: reporter.Text,
		Files:  true,
		Decode: decoder.Options{Layer: decoder.LevelInternet},
	})
	if err != nil {
		log.Fatal(err)
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		fmt.Println(e.Name())
	}
	// Output:
	// Frame 1.txt
	// Frame 2.txt
	// Frame 3.txt
}

// Iterate over the decoded frames of a capture and read fields from their
// report trees. The *Decoded value is reused: keep copies, not pointers.
func ExampleFrames() {
	dir, _ := os.MkdirTemp("", "pcapflow-example")
	defer os.RemoveAll(dir)
	in := exampleCapture(dir)

	for d, err := range services.Frames(in, decoder.Options{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d %s", d.Frame.Index, d.Chain())
		if n := d.Tree().Lookup("ethernet", "ipv4", "dst"); n != nil {
			fmt.Printf(" to %v", netip.AddrFrom4([4]byte(n.Bin())))
		}
		fmt.Println()
	}
	// Output:
	// 1 Ethernet:IPv4:TCP to 192.0.2.53
	// 2 Ethernet:IPv4:UDP:DNS to 192.0.2.53
	// 3 Ethernet:ARP
}

// Summarise one of the project's test captures: count the frames of each
// protocol chain, stopping after the transport layer.
func ExampleFrames_chains() {
	counts := map[string]int{}
	var order []string
	for d, err := range services.Frames("../testdata/http.pcap", decoder.Options{Layer: decoder.LevelTransport}) {
		if err != nil {
			log.Fatal(err)
		}
		c := d.Chain()
		if counts[c] == 0 {
			order = append(order, c)
		}
		counts[c]++
	}
	for _, c := range order {
		fmt.Println(c, counts[c])
	}
	// Output:
	// Ethernet:IPv6:TCP 92
	// Ethernet:IPv4:TCP 108
}
