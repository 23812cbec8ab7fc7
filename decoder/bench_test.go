package decoder_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
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

// chunk is the number of frames brought into cache and decoded at once.
const chunk = 2048

// sink keeps the warming loads from being optimised away.
var sink byte

// warm loads the first 512 bytes of each frame into cache, as a reader
// leaves a frame it has just copied into its buffer: the decode benchmarks
// then measure decoding, not the DRAM latency of a frame read long ago
// (the "cold" variants measure that too; it is the same for every decoder).
func warm(frames [][]byte) {
	var x byte
	for _, f := range frames {
		for i := 0; i < len(f) && i < 512; i += 64 {
			x ^= f[i]
		}
	}
	sink ^= x
}

// decodeFn decodes one frame and returns the number of layers found.
type decodeFn func([]byte) int

func pcapflowFn() decodeFn {
	d := decoder.New(decoder.Options{})
	p := new(decoder.Packet)
	link := bench.link
	return func(b []byte) int {
		d.Decode(b, link, p)
		return p.N
	}
}

func gopacketFn() decodeFn { return newGopacketParser().decode }

// runWarm decodes b.N frames, chunk by chunk, each chunk warmed outside
// the timer.
func runWarm(b *testing.B, frames [][]byte, fn decodeFn) int {
	seen := 0
	for done := 0; done < b.N; {
		start := done % len(frames)
		fs := frames[start:min(start+chunk, len(frames), start+b.N-done)]
		b.StopTimer()
		warm(fs)
		b.StartTimer()
		for _, f := range fs {
			seen += fn(f)
		}
		done += len(fs)
	}
	return seen
}

// BenchmarkDecode decodes the benchmark capture frame by frame: one
// operation is one frame, so ns/op is ns per frame. The plain variants
// decode frames just brought into cache; the -cold ones walk the whole
// capture in order, so each frame comes from memory.
func BenchmarkDecode(b *testing.B) {
	frames := benchFrames(b)
	for _, c := range []struct {
		name string
		fn   func() decodeFn
	}{{"pcapflow", pcapflowFn}, {"gopacket", gopacketFn}} {
		b.Run(c.name, func(b *testing.B) {
			fn := c.fn()
			b.ReportAllocs()
			b.ResetTimer()
			if runWarm(b, frames, fn) == 0 {
				b.Fatal("no layers decoded")
			}
			b.StopTimer()
			reportRate(b, b.N, b.Elapsed(), "")
		})
		b.Run(c.name+"-cold", func(b *testing.B) {
			fn := c.fn()
			seen := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				seen += fn(frames[i%len(frames)])
			}
			b.StopTimer()
			if seen == 0 {
				b.Fatal("no layers decoded")
			}
			reportRate(b, b.N, b.Elapsed(), "")
		})
	}
}

// BenchmarkDecodeRatio decodes the same chunks of frames with both decoders
// in one loop (one operation is one frame decoded by both; each chunk is
// warmed before each decoder, and which goes first alternates) and reports
// ratio: pcapflow frames/s divided by gopacket frames/s, measured in the same
// run on the same frames. ratio is the median of the per-chunk ratios, which
// a time slice lost to another process on a busy machine does not skew;
// total-ratio is the ratio of the summed times.
func BenchmarkDecodeRatio(b *testing.B) {
	frames := benchFrames(b)
	const small = 256
	p, g := pcapflowFn(), gopacketFn()
	var tp, tg time.Duration
	var ratios []float64
	n := 0
	run := func(fs [][]byte, fn decodeFn) time.Duration {
		warm(fs)
		t0 := time.Now()
		for _, f := range fs {
			fn(f)
		}
		return time.Since(t0)
	}
	b.ResetTimer()
	for i := 0; n < b.N; i++ {
		start := n % len(frames)
		fs := frames[start:min(start+small, len(frames), start+b.N-n)]
		var dp, dg time.Duration
		if i%2 == 0 {
			dp = run(fs, p)
			dg = run(fs, g)
		} else {
			dg = run(fs, g)
			dp = run(fs, p)
		}
		tp += dp
		tg += dg
		if dp > 0 {
			ratios = append(ratios, float64(dg)/float64(dp))
		}
		n += len(fs)
	}
	b.StopTimer()
	if tp > 0 && tg > 0 && len(ratios) > 0 {
		slices.Sort(ratios)
		b.ReportMetric(ratios[len(ratios)/2], "ratio")
		b.ReportMetric(float64(tg)/float64(tp), "total-ratio")
		reportRate(b, n, tp, "pcapflow-")
		reportRate(b, n, tg, "gopacket-")
	}
}

// BenchmarkRead reads the benchmark capture from memory with the ingest
// reader, starting over at its end: one operation is one frame. (gopacket's
// pcapgo is not a baseline here: it needs a module this repository does not
// require.)
func BenchmarkRead(b *testing.B) {
	benchFrames(b)
	open := func() *ingest.Reader {
		r, err := ingest.NewReader(bytes.NewReader(bench.file), "bench", ingest.ReaderOptions{})
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	r := open()
	var f ingest.Frame
	var n int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := r.Next(&f)
		if err == io.EOF {
			r = open()
			err = r.Next(&f)
		}
		if err != nil {
			b.Fatal(err)
		}
		n += int64(len(f.Data))
	}
	b.StopTimer()
	reportRate(b, b.N, b.Elapsed(), "")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds()/1e6, "MB/s")
}

// TestBenchBaseline checks that the gopacket baseline decodes the same
// frames as deep as pcapflow for the layers both know, so the benchmark
// compares like with like.
func TestBenchBaseline(t *testing.T) {
	var buf bytes.Buffer
	if err := craft.Generate(&buf, craft.GenerateOptions{Seed: 1, Frames: 20000}); err != nil {
		t.Fatal(err)
	}
	frames, link, err := splitPcap(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	d := decoder.New(decoder.Options{})
	var p decoder.Packet
	g := newGopacketParser()
	pairs := []struct {
		proto decoder.Proto
		layer gopacket.LayerType
	}{
		{decoder.ProtoEthernet, layers.LayerTypeEthernet}, {decoder.ProtoVLAN, layers.LayerTypeDot1Q},
		{decoder.ProtoARP, layers.LayerTypeARP}, {decoder.ProtoIPv4, layers.LayerTypeIPv4},
		{decoder.ProtoIPv6, layers.LayerTypeIPv6}, {decoder.ProtoIPv6Frag, layers.LayerTypeIPv6Fragment},
		{decoder.ProtoTCP, layers.LayerTypeTCP}, {decoder.ProtoUDP, layers.LayerTypeUDP},
		{decoder.ProtoICMP, layers.LayerTypeICMPv4}, {decoder.ProtoICMPv6, layers.LayerTypeICMPv6},
		{decoder.ProtoDNS, layers.LayerTypeDNS},
	}
	for _, f := range frames {
		d.Decode(f, link, &p)
		g.decode(f)
		if p.Fragment {
			continue // gopacket stops at every IPv4 fragment, even a first one
		}
		for _, pr := range pairs {
			inP := p.Find(pr.proto) >= 0
			inG := false
			for _, lt := range g.decoded {
				inG = inG || lt == pr.layer
			}
			if inP != inG {
				t.Fatalf("%s: pcapflow %v, gopacket %v (%v)", pr.proto, inP, inG, g.decoded)
			}
		}
	}
}

// BenchmarkReadDecode reads the benchmark capture with the ingest reader
// and decodes each frame as it comes, as the inline engine does (the frame
// is in cache because the reader has just copied it): one operation is one
// frame. The gopacket variant decodes the same frames from the same reader.
func BenchmarkReadDecode(b *testing.B) {
	benchFrames(b)
	for _, c := range []struct {
		name string
		fn   func() decodeFn
	}{{"pcapflow", pcapflowFn}, {"gopacket", gopacketFn}} {
		b.Run(c.name, func(b *testing.B) {
			fn := c.fn()
			open := func() *ingest.Reader {
				r, err := ingest.NewReader(bytes.NewReader(bench.file), "bench", ingest.ReaderOptions{})
				if err != nil {
					b.Fatal(err)
				}
				return r
			}
			r := open()
			var f ingest.Frame
			seen := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				err := r.Next(&f)
				if err == io.EOF {
					r = open()
					err = r.Next(&f)
				}
				if err != nil {
					b.Fatal(err)
				}
				seen += fn(f.Data)
			}
			b.StopTimer()
			if seen == 0 {
				b.Fatal("no layers decoded")
			}
			reportRate(b, b.N, b.Elapsed(), "")
		})
	}
}
