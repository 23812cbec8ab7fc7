package craft_test

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest"
)

var update = flag.Bool("update", false, "rewrite the captures in testdata/ (repository root)")

// testdataDir is the repository's top-level testdata directory.
const testdataDir = "../../testdata"

// maxTestdata bounds the size of a committed capture.
const maxTestdata = 200 << 10

// testdataFiles makes every capture committed in testdata/. Each is
// described in testdata/README.md; change both together.
var testdataFiles = []struct {
	name string
	make func(t *testing.T) []byte
}{
	{"sample.pcap", genFile(craft.GenerateOptions{Seed: 1, Frames: 300, Flows: 24, MaxBody: 3000})},
	{"http.pcap", genFile(craft.GenerateOptions{Seed: 2, Frames: 200, Flows: 6, MaxBody: 4000, Traffic: craft.TrafficHTTP})},
	{"vlan.pcap", genFile(craft.GenerateOptions{Seed: 3, Frames: 200, Flows: 16, MaxBody: 2000, TagAll: true})},
	{"mixed.pcapng", genFile(craft.GenerateOptions{Seed: 4, Frames: 300, Flows: 24, MaxBody: 3000, PcapNG: true})},
	{"fragments.pcap", fragmentsCapture},
}

func genFile(o craft.GenerateOptions) func(t *testing.T) []byte {
	return func(t *testing.T) []byte { return generate(t, o) }
}

// TestTestdata checks that the committed captures are exactly what the
// generator makes (run with -update to rewrite them), small, and decode.
func TestTestdata(t *testing.T) {
	for _, tf := range testdataFiles {
		t.Run(tf.name, func(t *testing.T) {
			b := tf.make(t)
			if len(b) > maxTestdata {
				t.Fatalf("%s would be %d bytes, more than %d", tf.name, len(b), maxTestdata)
			}
			path := filepath.Join(testdataDir, tf.name)
			if *update {
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			have, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./decoder/craft -run TestTestdata -update)", err)
			}
			if !bytes.Equal(have, b) {
				t.Fatalf("%s differs from what the generator makes (%d bytes committed, %d generated); "+
					"if the generator changed on purpose, run go test ./decoder/craft -run TestTestdata -update", path, len(have), len(b))
			}
			check(t, have)
		})
	}
}

// fragmentsCapture makes testdata/fragments.pcap: IPv4 and IPv6 datagrams
// split into fragments in order, shuffled, duplicated, and overlapping
// (with the same bytes, and with different bytes).
func fragmentsCapture(t *testing.T) []byte {
	var buf bytes.Buffer
	w, err := ingest.NewPcapWriter(&buf, ingest.PcapWriterOptions{LinkType: ingest.LinkEthernet})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	cli4, srv4 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("203.0.113.9")
	cli6, srv6 := netip.MustParseAddr("2001:db8:1::1"), netip.MustParseAddr("2001:db8:ff::9")
	put := func(ls ...craft.Layer) {
		b, err := craft.Build(ls...)
		if err != nil {
			t.Fatal(err)
		}
		ts = ts.Add(137 * time.Microsecond)
		if err := w.WritePacket(ts.Unix(), uint32(ts.Nanosecond()), uint32(len(b)), b); err != nil {
			t.Fatal(err)
		}
	}
	eth := &craft.Ethernet{Src: macA, Dst: macB, Pad: true}
	frame := func(fr []byte) { put(eth, craft.RawIP(fr)) }
	body := func(n int, seed byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(i+int(seed))%26
		}
		return b
	}
	dgram4 := func(id uint16, l4 craft.Layer, n int, seed byte) []byte {
		b, err := craft.Build(&craft.IPv4{ID: id, TTL: 64, Src: cli4, Dst: srv4}, l4, craft.Payload(body(n, seed)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	dgram6 := func(l4 craft.Layer, n int, seed byte) []byte {
		b, err := craft.Build(&craft.IPv6{HopLimit: 64, Src: cli6, Dst: srv6}, l4, craft.Payload(body(n, seed)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	frag4 := func(dg []byte, mtu int) [][]byte {
		fs, err := craft.FragmentIPv4(dg, mtu)
		if err != nil {
			t.Fatal(err)
		}
		return fs
	}
	frag6 := func(dg []byte, mtu int, id uint32) [][]byte {
		fs, err := craft.FragmentIPv6(dg, mtu, id)
		if err != nil {
			t.Fatal(err)
		}
		return fs
	}

	// 1. IPv4 UDP in order; 2. ICMP echo in order; 3. UDP shuffled.
	for _, fr := range frag4(dgram4(0x101, &craft.UDP{SrcPort: 40001, DstPort: 5004}, 3000, 1), 1500) {
		frame(fr)
	}
	for _, fr := range frag4(dgram4(0x102, &craft.ICMP{Type: craft.ICMPEchoRequest, ID: 7, Seq: 1}, 4000, 2), 1500) {
		frame(fr)
	}
	fs := frag4(dgram4(0x103, &craft.UDP{SrcPort: 40002, DstPort: 5004}, 5000, 3), 1000)
	craft.Shuffle(fs, 3)
	for _, fr := range fs {
		frame(fr)
	}
	// 4. A duplicated fragment; 5. overlaps with the same bytes; 6. an
	// overlap that disagrees with what came first.
	fs = frag4(dgram4(0x104, &craft.UDP{SrcPort: 40003, DstPort: 5004}, 2500, 4), 1000)
	frame(fs[0])
	frame(fs[1])
	frame(fs[1])
	frame(fs[2])
	dg := dgram4(0x105, &craft.UDP{SrcPort: 40004, DstPort: 5004}, 2000, 5)
	fs = frag4(dg, 1000)
	frame(fs[0])
	put(eth, &craft.IPv4{ID: 0x105, TTL: 64, Src: cli4, Dst: srv4, MF: true, FragOffset: 488, Protocol: craft.ProtoUDP},
		craft.Payload(dg[20+488:20+488+976]))
	frame(fs[1])
	frame(fs[2])
	dg = dgram4(0x106, &craft.UDP{SrcPort: 40005, DstPort: 5004}, 2000, 6)
	fs = frag4(dg, 1000)
	frame(fs[0])
	put(eth, &craft.IPv4{ID: 0x106, TTL: 64, Src: cli4, Dst: srv4, MF: true, FragOffset: 488, Protocol: craft.ProtoUDP},
		craft.Payload(bytes.Repeat([]byte{'X'}, 976)))
	frame(fs[1])
	frame(fs[2])

	// 7. IPv6 UDP in order; 8. ICMPv6 echo reversed; 9. UDP with a duplicate.
	for _, fr := range frag6(dgram6(&craft.UDP{SrcPort: 40011, DstPort: 5004}, 3000, 7), 1280, 0x60001) {
		frame(fr)
	}
	fs = frag6(dgram6(&craft.ICMPv6{Type: craft.ICMPv6EchoRequest, ID: 9, Seq: 1}, 3500, 8), 1280, 0x60002)
	for i := len(fs) - 1; i >= 0; i-- {
		frame(fs[i])
	}
	fs = frag6(dgram6(&craft.UDP{SrcPort: 40012, DstPort: 5004}, 2000, 9), 1280, 0x60003)
	frame(fs[0])
	frame(fs[0])
	frame(fs[1])
	// 10. IPv6 overlapping fragments (RFC 5722: the datagram is dropped).
	put(eth, &craft.IPv6{HopLimit: 64, Src: cli6, Dst: srv6}, &craft.IPv6Fragment{NextHeader: craft.ProtoUDP, More: true, ID: 0x60004},
		&craft.UDP{SrcPort: 40013, DstPort: 5004}, craft.Payload(body(1000, 10)))
	put(eth, &craft.IPv6{HopLimit: 64, Src: cli6, Dst: srv6}, &craft.IPv6Fragment{NextHeader: craft.ProtoUDP, Offset: 504, ID: 0x60004},
		craft.Payload(body(800, 11)))
	return buf.Bytes()
}
