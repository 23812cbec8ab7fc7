package reporter

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
)

// benchFrame decodes a typical HTTP request frame (Ethernet, IPv4, TCP with
// timestamps, HTTP).
func benchFrame(tb testing.TB) (*decoder.Packet, FrameInfo) {
	tb.Helper()
	data, err := craft.Build(
		&craft.Ethernet{Src: craft.MustMAC("02:00:00:00:00:01"), Dst: craft.MustMAC("02:00:00:00:00:02")},
		&craft.IPv4{ID: 77, DF: true, TTL: 64, Src: netip.MustParseAddr("10.1.2.3"), Dst: netip.MustParseAddr("10.3.2.1")},
		&craft.TCP{SrcPort: 51000, DstPort: 80, Seq: 12345, Ack: 67890, Flags: craft.ACK | craft.PSH, Window: 502,
			Options: []craft.TCPOption{craft.TCPNop(), craft.TCPNop(), craft.TCPTimestamps(1, 2)}},
		craft.Payload(bytes.Repeat([]byte("x"), 200)),
	)
	if err != nil {
		tb.Fatal(err)
	}
	var p decoder.Packet
	decoder.New(decoder.Options{}).Decode(data, 1, &p)
	return &p, FrameInfo{Index: 1, Sec: 1700000000, Nsec: 123456000, Digits: 6, CapLen: uint32(len(data)), OrigLen: uint32(len(data))}
}

// TestBuilderAllocs: building a frame block allocates nothing in steady
// state (for layers whose field builders do not allocate).
func TestBuilderAllocs(t *testing.T) {
	p, fi := benchFrame(t)
	var b Builder
	var tree decoder.Tree
	b.Frame(&tree, fi, p)
	if got := tree.Lookup("protocols"); got == nil || got.Str() != "Ethernet:IPv4:TCP" {
		t.Fatalf("protocols = %+v", got)
	}
	if got := tree.Lookup("time_epoch"); got == nil || got.Str() != "1700000000.123456" {
		t.Fatalf("time_epoch = %+v", got)
	}
	if n := testing.AllocsPerRun(100, func() {
		fi.Index++
		b.Frame(&tree, fi, p)
		_ = b.Name(fi.Index)
	}); n != 0 {
		t.Errorf("%.1f allocations per frame block, want 0", n)
	}
}

func benchmarkRender(b *testing.B, f Format) {
	p, fi := benchFrame(b)
	var bl Builder
	var tree decoder.Tree
	w := NewWriter(discard{}, f)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fi.Index = uint64(i + 1)
		bl.Frame(&tree, fi, p)
		if err := w.Block(bl.Name(fi.Index), &tree); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	w.Close()
}

// BenchmarkRenderJSON measures building and rendering one frame block.
func BenchmarkRenderJSON(b *testing.B)  { benchmarkRender(b, JSON) }
func BenchmarkRenderPlist(b *testing.B) { benchmarkRender(b, Plist) }
func BenchmarkRenderText(b *testing.B)  { benchmarkRender(b, Text) }

// BenchmarkBuildFrame measures building one frame block (no rendering).
func BenchmarkBuildFrame(b *testing.B) {
	p, fi := benchFrame(b)
	var bl Builder
	var tree decoder.Tree
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		fi.Index = uint64(i + 1)
		bl.Frame(&tree, fi, p)
	}
}
