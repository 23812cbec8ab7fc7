package craft_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest"
)

func generate(t testing.TB, o craft.GenerateOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := craft.Generate(&buf, o); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll reads a capture with the project reader, calling fn per frame.
func readAll(t testing.TB, b []byte, fn func(f *ingest.Frame)) *ingest.Meta {
	t.Helper()
	r, err := ingest.NewReader(bytes.NewReader(b), "generated", ingest.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var f ingest.Frame
	for {
		err := r.Next(&f)
		if errors.Is(err, io.EOF) {
			return r.Meta()
		}
		if err != nil {
			t.Fatal(err)
		}
		fn(&f)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	for _, ng := range []bool{false, true} {
		o := craft.GenerateOptions{Seed: 1, Frames: 3000, PcapNG: ng}
		a, b := generate(t, o), generate(t, o)
		if !bytes.Equal(a, b) {
			t.Fatalf("pcapng %v: the same seed gives different files", ng)
		}
		o.Seed = 2
		if c := generate(t, o); bytes.Equal(a, c) {
			t.Fatalf("pcapng %v: seeds 1 and 2 give the same file", ng)
		}
	}
}

// stats counts what a generated capture holds.
type stats struct {
	frames, fragments4, fragments6, retrans, sack, rst, fin, syn int
	protos                                                       map[decoder.Proto]int
	vlan2                                                        int
}

// check decodes every frame with the project decoder (which must not
// fail) and gopacket (no decoding error, no checksum mismatch), and checks
// timestamps increase.
func check(t *testing.T, b []byte) (*stats, *ingest.Meta) {
	t.Helper()
	s := &stats{protos: map[decoder.Proto]int{}}
	d := decoder.New(decoder.Options{})
	var p decoder.Packet
	var lastSec int64
	var lastNsec uint32
	seen := map[string]bool{}
	meta := readAll(t, b, func(f *ingest.Frame) {
		s.frames++
		if f.Sec < lastSec || (f.Sec == lastSec && f.Nsec <= lastNsec) {
			t.Fatalf("frame %d: timestamp %d.%09d not after %d.%09d", f.Index, f.Sec, f.Nsec, lastSec, lastNsec)
		}
		lastSec, lastNsec = f.Sec, f.Nsec
		d.Decode(f.Data, f.LinkType, &p)
		if p.Failed() {
			t.Fatalf("frame %d (%s): %v", f.Index, p.Chain(), &p.Err)
		}
		seenProto := map[decoder.Proto]bool{}
		for i := 0; i < p.N; i++ {
			pr := p.Layers[i].Proto
			if !seenProto[pr] {
				s.protos[pr]++
				seenProto[pr] = true
			}
		}
		if i := p.Find(decoder.ProtoVLAN); i >= 0 && i+1 < p.N && p.Layers[i+1].Proto == decoder.ProtoVLAN {
			s.vlan2++
		}
		if p.Fragment {
			if p.Find(decoder.ProtoIPv6Frag) >= 0 {
				s.fragments6++
			} else {
				s.fragments4++
			}
		}
		first := gopacket.Decoder(layers.LayerTypeEthernet)
		if f.LinkType == ingest.LinkRaw {
			first = layers.LayerTypeIPv4
			if f.Data[0]>>4 == 6 {
				first = layers.LayerTypeIPv6
			}
		}
		gp := gopacket.NewPacket(f.Data, first, gopacket.NoCopy)
		if el := gp.ErrorLayer(); el != nil {
			t.Fatalf("frame %d: gopacket: %v", f.Index, el.Error())
		}
		if !p.Fragment {
			nl := gp.NetworkLayer()
			for _, l := range gp.Layers() {
				if c, ok := l.(interface {
					SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
				}); ok && nl != nil {
					c.SetNetworkLayerForChecksum(nl)
				}
			}
			if err, bad := gp.VerifyChecksums(); err != nil || len(bad) > 0 {
				t.Fatalf("frame %d (%s): checksums: %v %v", f.Index, p.Chain(), err, bad)
			}
		} else if ip, ok := gp.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			if _, r := ip.VerifyChecksum(); !r.Valid {
				t.Fatalf("frame %d: ipv4 fragment header checksum", f.Index)
			}
		}
		if tcp, ok := gp.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
			if tcp.RST {
				s.rst++
			}
			if tcp.FIN {
				s.fin++
			}
			if tcp.SYN {
				s.syn++
			}
			for _, o := range tcp.Options {
				if o.OptionType == layers.TCPOptionKindSACK {
					s.sack++
				}
			}
			if len(tcp.Payload) > 0 {
				key := gp.NetworkLayer().NetworkFlow().String() + tcp.TransportFlow().String() + string(tcp.Contents[4:8])
				if seen[key] {
					s.retrans++
				}
				seen[key] = true
			}
		}
	})
	return s, meta
}

func TestGenerateMix(t *testing.T) {
	n := 30000
	if testing.Short() {
		n = 5000
	}
	s, meta := check(t, generate(t, craft.GenerateOptions{Seed: 3, Frames: n}))
	if s.frames != n || meta.Format != ingest.FormatPcap || meta.LinkType != ingest.LinkEthernet {
		t.Fatalf("%d frames, format %v, link type %d", s.frames, meta.Format, meta.LinkType)
	}
	t.Logf("%+v", *s)
	for _, pr := range []decoder.Proto{decoder.ProtoIPv4, decoder.ProtoIPv6, decoder.ProtoTCP, decoder.ProtoUDP,
		decoder.ProtoHTTP, decoder.ProtoDNS, decoder.ProtoVLAN, decoder.ProtoARP, decoder.ProtoICMP,
		decoder.ProtoICMPv6, decoder.ProtoIPv6Frag} {
		if s.protos[pr] == 0 {
			t.Errorf("no %v frame in %d", pr, n)
		}
	}
	if s.protos[decoder.ProtoTCP] < n/2 {
		t.Errorf("only %d TCP frames in %d", s.protos[decoder.ProtoTCP], n)
	}
	for name, v := range map[string]int{"qinq": s.vlan2, "ipv4 fragment": s.fragments4, "ipv6 fragment": s.fragments6,
		"retransmission": s.retrans, "sack": s.sack, "rst": s.rst, "fin": s.fin, "syn": s.syn} {
		if v == 0 {
			t.Errorf("no %s in %d frames", name, n)
		}
	}
}

func TestGeneratePcapNG(t *testing.T) {
	b := generate(t, craft.GenerateOptions{Seed: 4, Frames: 4000, PcapNG: true})
	onRaw := 0
	readAll(t, b, func(f *ingest.Frame) {
		if f.Interface == 1 {
			onRaw++
			if f.LinkType != ingest.LinkRaw {
				t.Fatalf("frame %d on interface 1 has link type %d", f.Index, f.LinkType)
			}
		}
	})
	s, meta := check(t, b)
	if meta.Format != ingest.FormatPcapNG || len(meta.Interfaces) != 2 ||
		meta.Interfaces[0].LinkType != ingest.LinkEthernet || meta.Interfaces[1].LinkType != ingest.LinkRaw {
		t.Fatalf("meta: %+v", meta)
	}
	if onRaw == 0 || onRaw == s.frames {
		t.Errorf("%d of %d frames on the raw interface", onRaw, s.frames)
	}
}

func TestGenerateSelection(t *testing.T) {
	s, _ := check(t, generate(t, craft.GenerateOptions{Seed: 5, Frames: 2000, Traffic: craft.TrafficHTTP, Flows: 20}))
	if s.protos[decoder.ProtoTCP] != s.frames || s.protos[decoder.ProtoHTTP] == 0 {
		t.Errorf("http only: %d of %d frames TCP, %d HTTP", s.protos[decoder.ProtoTCP], s.frames, s.protos[decoder.ProtoHTTP])
	}
	s, _ = check(t, generate(t, craft.GenerateOptions{Seed: 5, Frames: 2000, TagAll: true}))
	if s.protos[decoder.ProtoVLAN] != s.frames || s.vlan2 == 0 {
		t.Errorf("tag all: %d of %d frames tagged, %d double", s.protos[decoder.ProtoVLAN], s.frames, s.vlan2)
	}
	s, _ = check(t, generate(t, craft.GenerateOptions{Seed: 5, Frames: 1000, Traffic: craft.TrafficARP | craft.TrafficDNS}))
	if s.protos[decoder.ProtoARP]+s.protos[decoder.ProtoDNS] != s.frames || s.protos[decoder.ProtoARP] == 0 {
		t.Errorf("arp+dns: %d arp, %d dns of %d", s.protos[decoder.ProtoARP], s.protos[decoder.ProtoDNS], s.frames)
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, o := range []craft.GenerateOptions{{Frames: -1}, {Frames: 1, Flows: -3}, {Frames: 1, Traffic: 1 << 20}} {
		if err := craft.Generate(io.Discard, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	// A write error stops the generator with that error.
	err := craft.Generate(&failWriter{n: 5000}, craft.GenerateOptions{Frames: 1000})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("write error: %v", err)
	}
	if b := generate(t, craft.GenerateOptions{Frames: 0}); len(b) != 24 {
		t.Errorf("zero frames: %d bytes, want a 24-byte header", len(b))
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(b []byte) (int, error) {
	if w.n -= len(b); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(b), nil
}

func BenchmarkGenerate(b *testing.B) {
	const frames = 100000
	b.ReportAllocs()
	for b.Loop() {
		w := bufio.NewWriterSize(io.Discard, 1<<20)
		if err := craft.Generate(w, craft.GenerateOptions{Seed: 1, Frames: frames}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(frames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// TestGenerateStreams reassembles every TCP direction of a generated
// capture by sequence number (retransmissions must repeat the same bytes)
// and parses the client side as HTTP requests and the server side as HTTP
// responses, bodies included, with nothing left over.
func TestGenerateStreams(t *testing.T) {
	type dir struct {
		isn   uint32
		syn   bool
		segs  map[uint32][]byte
		fromC bool
	}
	dirs := map[string]*dir{}
	var order []string
	readAll(t, generate(t, craft.GenerateOptions{Seed: 6, Frames: 20000, Flows: 64}), func(f *ingest.Frame) {
		p := gopacket.NewPacket(f.Data, layers.LayerTypeEthernet, gopacket.Default)
		tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			return
		}
		key := p.NetworkLayer().NetworkFlow().String() + " " + tcp.TransportFlow().String()
		d := dirs[key]
		if d == nil {
			d = &dir{segs: map[uint32][]byte{}, fromC: tcp.DstPort == 80 || tcp.DstPort == 8080}
			dirs[key] = d
			order = append(order, key)
		}
		if tcp.SYN {
			d.isn, d.syn = tcp.Seq, true
			return
		}
		if len(tcp.Payload) == 0 {
			return
		}
		if old, ok := d.segs[tcp.Seq]; ok && !bytes.Equal(old, tcp.Payload) {
			t.Fatalf("frame %d: retransmission with different bytes", f.Index)
		}
		d.segs[tcp.Seq] = append([]byte(nil), tcp.Payload...)
	})
	requests, responses := 0, 0
	for _, key := range order {
		d := dirs[key]
		if !d.syn {
			t.Fatalf("%s: no SYN", key)
		}
		// Assemble the contiguous prefix of the stream.
		var stream []byte
		for seq := d.isn + 1; ; {
			b, ok := d.segs[seq]
			if !ok {
				break
			}
			stream = append(stream, b...)
			seq += uint32(len(b))
		}
		br := bufio.NewReader(bytes.NewReader(stream))
		for {
			if _, err := br.Peek(1); err != nil {
				break
			}
			var body io.ReadCloser
			var length int64
			if d.fromC {
				req, err := http.ReadRequest(br)
				if err != nil {
					t.Fatalf("%s: request %d: %v", key, requests, err)
				}
				body, length = req.Body, req.ContentLength
				requests++
			} else {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("%s: response %d: %v", key, responses, err)
				}
				body, length = resp.Body, resp.ContentLength
				responses++
			}
			n, err := io.Copy(io.Discard, body)
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatal(err)
			}
			if n != length && br.Buffered() > 0 {
				t.Fatalf("%s: body of %d bytes, content length %d, with bytes after it", key, n, length)
			}
		}
	}
	if requests < 100 || responses < 100 {
		t.Errorf("%d requests, %d responses parsed", requests, responses)
	}
	t.Logf("%d directions, %d requests, %d responses", len(order), requests, responses)
}

// TestGeneratePrefix: fewer frames give a prefix of the same capture.
func TestGeneratePrefix(t *testing.T) {
	for _, ng := range []bool{false, true} {
		long := generate(t, craft.GenerateOptions{Seed: 9, Frames: 2000, PcapNG: ng})
		short := generate(t, craft.GenerateOptions{Seed: 9, Frames: 700, PcapNG: ng})
		if !bytes.HasPrefix(long, short) {
			t.Errorf("pcapng %v: 700 frames are not a prefix of 2000", ng)
		}
	}
}
