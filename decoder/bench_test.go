package decoder_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest"
)

// The benchmark capture: craft.Generate with seed 1 and 1,000,000 frames
// (100,000 with -short), or the pcap file named by PCAPFLOW_BENCH_CAPTURE
// (for instance one written by "pcapflow generate"). PCAPFLOW_BENCH_FRAMES
// overrides the frame count of the generated capture.
var bench struct {
	once   sync.Once
	err    error
	file   []byte   // the whole pcap file
	frames [][]byte // each frame's bytes, aliasing file
	link   uint32
	bytes  int64
}

func benchFrames(b *testing.B) [][]byte {
	b.Helper()
	bench.once.Do(loadBench)
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.frames
}

func loadBench() {
	if path := os.Getenv("PCAPFLOW_BENCH_CAPTURE"); path != "" {
		bench.file, bench.err = os.ReadFile(path)
		if bench.err != nil {
			return
		}
	} else {
		n := 1_000_000
		if testing.Short() {
			n = 100_000
		}
		if s := os.Getenv("PCAPFLOW_BENCH_FRAMES"); s != "" {
			if n, bench.err = strconv.Atoi(s); bench.err != nil {
				return
			}
		}
		// Through a temporary file, so that the file is allocated once at
		// its final size rather than grown.
		var f *os.File
		if f, bench.err = os.CreateTemp("", "pcapflow-bench-*.pcap"); bench.err != nil {
			return
		}
		defer os.Remove(f.Name())
		w := bufio.NewWriterSize(f, 1<<20)
		if bench.err = craft.Generate(w, craft.GenerateOptions{Seed: 1, Frames: n}); bench.err != nil {
			return
		}
		if bench.err = w.Flush(); bench.err != nil {
			return
		}
		f.Close()
		if bench.file, bench.err = os.ReadFile(f.Name()); bench.err != nil {
			return
		}
	}
	bench.frames, bench.link, bench.err = splitPcap(bench.file)
	for _, fr := range bench.frames {
		bench.bytes += int64(len(fr))
	}
}

// splitPcap finds the records of a little-endian pcap file in memory.
func splitPcap(b []byte) ([][]byte, uint32, error) {
	if len(b) < 24 {
		return nil, 0, errors.New("bench capture: too short for a pcap header")
	}
	if m := binary.LittleEndian.Uint32(b); m != 0xa1b2c3d4 && m != 0xa1b23c4d {
		return nil, 0, errors.New("bench capture: not a little-endian pcap file")
	}
	link := binary.LittleEndian.Uint32(b[20:])
	var frames [][]byte
	for off := 24; off < len(b); {
		if off+16 > len(b) {
			return nil, 0, fmt.Errorf("bench capture: record header cut at offset %d", off)
		}
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		if off+16+n > len(b) {
			return nil, 0, fmt.Errorf("bench capture: record cut at offset %d", off)
		}
		frames = append(frames, b[off+16:off+16+n:off+16+n])
		off += 16 + n
	}
	return frames, link, nil
}

// gopacketParser is the baseline: gopacket's DecodingLayerParser over the
// layers pcapflow decodes in the benchmark capture.
type gopacketParser struct {
	parser  *gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	arp     layers.ARP
	ip4     layers.IPv4
	ip6     layers.IPv6
	ext     layers.IPv6ExtensionSkipper
	frag    layers.IPv6Fragment
	tcp     layers.TCP
	udp     layers.UDP
	icmp4   layers.ICMPv4
	icmp6   layers.ICMPv6
	echo6   layers.ICMPv6Echo
	ns      layers.ICMPv6NeighborSolicitation
	na      layers.ICMPv6NeighborAdvertisement
	dns     layers.DNS
	payload gopacket.Payload
}

func newGopacketParser() *gopacketParser {
	g := &gopacketParser{}
	// The skipper covers the extension headers that are not decoding
	// layers in gopacket (Hop-by-Hop, Routing, Destination Options); the
	// Fragment layer, added after it, takes over fragment headers.
	g.parser = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet,
		&g.eth, &g.dot1q, &g.arp, &g.ip4, &g.ip6, &g.ext, &g.frag,
		&g.tcp, &g.udp, &g.icmp4, &g.icmp6, &g.echo6, &g.ns, &g.na, &g.dns, &g.payload)
	g.parser.IgnoreUnsupported = true
	g.decoded = make([]gopacket.LayerType, 0, 16)
	return g
}

// decode decodes one frame; errors (unsupported or truncated layers) are
// ignored, as the chain simply ends there.
func (g *gopacketParser) decode(b []byte) int {
	_ = g.parser.DecodeLayers(b, &g.decoded)
	return len(g.decoded)
}

func reportRate(b *testing.B, frames int, d time.Duration, prefix string) {
	if frames == 0 || d <= 0 {
		return
	}
	b.ReportMetric(float64(d.Nanoseconds())/float64(frames), prefix+"ns/frame")
	b.ReportMetric(float64(frames)/d.Seconds(), prefix+"frames/s")
}

// BenchmarkDecode decodes the benchmark capture frame by frame: one
// operation is one frame, so ns/op is ns per frame.
func BenchmarkDecode(b *testing.B) {
	frames := benchFrames(b)
	b.Run("pcapflow", func(b *testing.B) {
		d := decoder.New(decoder.Options{})
		var p decoder.Packet
		link := bench.link
		layersSeen := 0
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			d.Decode(frames[i%len(frames)], link, &p)
			layersSeen += p.N
		}
		b.StopTimer()
		if layersSeen == 0 {
			b.Fatal("no layers decoded")
		}
		reportRate(b, b.N, b.Elapsed(), "")
	})
	b.Run("gopacket", func(b *testing.B) {
		g := newGopacketParser()
		layersSeen := 0
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			layersSeen += g.decode(frames[i%len(frames)])
		}
		b.StopTimer()
		if layersSeen == 0 {
			b.Fatal("no layers decoded")
		}
		reportRate(b, b.N, b.Elapsed(), "")
	})
}

// BenchmarkDecodeRatio decodes the same chunks of frames with both decoders
// in one loop (alternating which goes first) and reports ratio: pcapflow
// frames/s divided by gopacket frames/s, measured in the same run.
func BenchmarkDecodeRatio(b *testing.B) {
	frames := benchFrames(b)
	const chunk = 4096
	d := decoder.New(decoder.Options{})
	var p decoder.Packet
	g := newGopacketParser()
	link := bench.link
	var tp, tg time.Duration
	n := 0
	runP := func(fs [][]byte) {
		t0 := time.Now()
		for _, f := range fs {
			d.Decode(f, link, &p)
		}
		tp += time.Since(t0)
	}
	runG := func(fs [][]byte) {
		t0 := time.Now()
		for _, f := range fs {
			g.decode(f)
		}
		tg += time.Since(t0)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := (i * chunk) % len(frames)
		fs := frames[start:min(start+chunk, len(frames))]
		if i%2 == 0 {
			runP(fs)
			runG(fs)
		} else {
			runG(fs)
			runP(fs)
		}
		n += len(fs)
	}
	b.StopTimer()
	if tp > 0 && tg > 0 {
		b.ReportMetric(float64(tg)/float64(tp), "ratio")
		reportRate(b, n, tp, "pcapflow-")
		reportRate(b, n, tg, "gopacket-")
	}
}

// BenchmarkRead reads the whole benchmark capture from memory with the
// ingest reader: one operation is one pass over every frame. (gopacket's
// pcapgo is not a baseline here: it needs a module this repository does
// not require.)
func BenchmarkRead(b *testing.B) {
	frames := benchFrames(b)
	b.Run("pcapflow", func(b *testing.B) {
		b.SetBytes(int64(len(bench.file)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			r, err := ingest.NewReader(bytes.NewReader(bench.file), "bench", ingest.ReaderOptions{})
			if err != nil {
				b.Fatal(err)
			}
			var f ingest.Frame
			n := 0
			for {
				if err := r.Next(&f); err != nil {
					if err == io.EOF {
						break
					}
					b.Fatal(err)
				}
				n++
			}
			if n != len(frames) {
				b.Fatalf("read %d frames, want %d", n, len(frames))
			}
		}
		b.StopTimer()
		reportRate(b, b.N*len(frames), b.Elapsed(), "")
	})
}
