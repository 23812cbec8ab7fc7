package craft

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pcapflow/pcapflow/ingest"
)

// Traffic selects the kinds of flows Generate makes.
type Traffic uint32

const (
	// TrafficHTTP: HTTP/1.1 over TCP, IPv4 and IPv6, with handshakes,
	// keep-alive requests, responses of varied sizes, retransmissions,
	// out-of-order segments with SACK, FIN or RST closes.
	TrafficHTTP Traffic = 1 << iota
	// TrafficDNS: DNS queries and answers over UDP, IPv4 and IPv6.
	TrafficDNS
	// TrafficUDP: other UDP exchanges (QUIC-like, NTP), IPv4 and IPv6.
	TrafficUDP
	// TrafficICMP: ICMP and ICMPv6 echo, ICMPv6 neighbour discovery.
	TrafficICMP
	// TrafficARP: ARP requests and replies.
	TrafficARP
	// TrafficFragments: IPv4 and IPv6 datagrams (UDP, ICMP echo) split into
	// fragments, some shuffled or duplicated.
	TrafficFragments

	// TrafficAll is the realistic mix (the default).
	TrafficAll = TrafficHTTP | TrafficDNS | TrafficUDP | TrafficICMP | TrafficARP | TrafficFragments
)

// GenerateOptions configures Generate. The zero value with Frames set
// writes the default mix as a microsecond pcap.
type GenerateOptions struct {
	// Seed decides everything: the same options give a byte-identical file.
	Seed int64
	// Frames is the number of frames to write.
	Frames int
	// PcapNG writes a pcapng file with two interfaces: 0 is Ethernet, 1 is
	// raw IP (LINKTYPE_RAW) and carries a share of the IP flows.
	PcapNG bool
	// Flows is the number of concurrent flows (0 means 256).
	Flows int
	// Traffic selects the kinds of flows (0 means TrafficAll).
	Traffic Traffic
	// TagAll puts an 802.1Q tag (or a QinQ pair) on every Ethernet frame;
	// otherwise about one flow in eight is tagged.
	TagAll bool
	// Start is the timestamp of the first frame (zero: 2024-03-01 12:00 UTC).
	Start time.Time
	// MaxBody caps the size of HTTP bodies (0: up to 400 KB), for small
	// captures whose connections complete in a few hundred frames.
	MaxBody int
}

// Generate writes a deterministic synthetic capture to w: o.Frames frames
// of interleaved flows with strictly increasing timestamps. The same
// options give the same bytes, and a capture of n frames is a prefix of one
// of more frames with otherwise equal options. Memory use does not depend
// on o.Frames (a million frames take a few seconds and 25 MiB). Wrap w
// in a bufio.Writer for speed.
func Generate(w io.Writer, o GenerateOptions) error {
	if o.Frames < 0 {
		return fmt.Errorf("generate: negative frame count %d", o.Frames)
	}
	if o.MaxBody < 0 {
		return fmt.Errorf("generate: negative body size cap %d", o.MaxBody)
	}
	if o.Flows < 0 || o.Flows > 20000 {
		return fmt.Errorf("generate: flow count %d out of range 0..20000", o.Flows)
	}
	if o.Flows == 0 {
		o.Flows = 256
	}
	if o.Traffic == 0 {
		o.Traffic = TrafficAll
	}
	if o.Traffic&^TrafficAll != 0 {
		return fmt.Errorf("generate: unknown traffic bits %#x", uint32(o.Traffic&^TrafficAll))
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	}
	g := newGenerator(o)
	if o.PcapNG {
		pw, err := ingest.NewPcapNGWriter(w, ingest.PcapNGWriterOptions{Application: "pcapflow generate"})
		if err != nil {
			return err
		}
		if _, err := pw.AddInterface(ingest.LinkEthernet, 262144, 6); err != nil {
			return err
		}
		if _, err := pw.AddInterface(ingest.LinkRaw, 262144, 9); err != nil {
			return err
		}
		g.write = func(iface uint32, sec int64, nsec uint32, b []byte) error {
			return pw.WritePacket(iface, sec, nsec, uint32(len(b)), b)
		}
	} else {
		pw, err := ingest.NewPcapWriter(w, ingest.PcapWriterOptions{LinkType: ingest.LinkEthernet})
		if err != nil {
			return err
		}
		g.write = func(_ uint32, sec int64, nsec uint32, b []byte) error {
			return pw.WritePacket(sec, nsec, uint32(len(b)), b)
		}
	}
	for i := 0; i < o.Frames; i++ {
		if err := g.step(); err != nil {
			return fmt.Errorf("generate frame %d: %w", i+1, err)
		}
	}
	return nil
}

// generator is the state of one Generate call: the flow slots, the clock,
// and reused layers and buffers, so that most frames cost no allocation.
type generator struct {
	o     GenerateOptions
	r     *rng
	err   error // an internal failure met while planning
	write func(iface uint32, sec int64, nsec uint32, b []byte) error
	now   int64 // nanoseconds since o.Start
	flows []flow
	count uint32 // flows started
	total int    // sum of enabled kind weights

	bl    Builder
	ls    [8]Layer
	eth   Ethernet
	vlan  [2]VLAN
	ip4   IPv4
	ip6   IPv6
	hbh   IPv6HopByHop
	alert [1]IPv6Option
	tcp   TCP
	udp   UDP
	icmp  ICMP
	icmp6 ICMPv6
	ns    NeighborSolicitation
	na    NeighborAdvertisement
	arp   ARP
	dns   DNS
	pl    Payload
	raw   RawIP
	opts  [6]TCPOption
	seg   []byte
	dq    [1]DNSQuestion
	da    [4]DNSRecord
	rdata [4][16]byte
	cname [][]byte

	text, bin []byte // body material
}

// newGenerator makes the body material and the first flows.
func newGenerator(o GenerateOptions) *generator {
	g := &generator{o: o, r: newRNG(uint64(o.Seed)*0x9e3779b97f4a7c15 + 0x5eed)}
	g.text = make([]byte, 0, 64<<10)
	for len(g.text) < 64<<10-16 {
		g.text = append(g.text, words[g.r.intn(len(words))]...)
		g.text = append(g.text, ' ')
	}
	g.bin = make([]byte, 64<<10)
	for i := 0; i < len(g.bin); i += 8 {
		be.PutUint64(g.bin[i:], g.r.next())
	}
	g.seg = make([]byte, 0, 2048)
	g.alert[0] = IPv6RouterAlert(0)
	for k := range kinds {
		if o.Traffic&kinds[k].traffic != 0 {
			g.total += kinds[k].weight
		}
	}
	g.flows = make([]flow, o.Flows)
	for i := range g.flows {
		g.newFlow(&g.flows[i])
	}
	return g
}

// step writes one frame of a random flow.
func (g *generator) step() error {
	f := &g.flows[g.r.intn(len(g.flows))]
	if f.qi == f.qn {
		f.qi, f.qn = 0, 0
		g.plan(f)
		if f.qn == 0 { // the flow is over: start another in its slot
			g.newFlow(f)
			g.plan(f)
		}
	}
	if g.err != nil {
		return g.err
	}
	a := f.q[f.qi]
	f.qi++
	// Time moves on by 1 to 150 microseconds per frame, now and then more.
	d := int64(1 + g.r.intn(150))
	if g.r.chance(5) {
		d += int64(g.r.intn(20000))
	}
	g.now += d * 1000
	return g.emit(f, &a)
}

// GenerateFrames returns the frames Generate writes for o, read back, each
// with bytes of its own: the same mix held in memory, for benchmarks that
// must not measure reading.
func GenerateFrames(o GenerateOptions) ([]ingest.Frame, error) {
	var buf bytes.Buffer
	if err := Generate(&buf, o); err != nil {
		return nil, err
	}
	r, err := ingest.NewReader(&buf, "generated", ingest.ReaderOptions{})
	if err != nil {
		return nil, err
	}
	var out []ingest.Frame
	for {
		var f ingest.Frame
		if err := r.Next(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		f.Data = bytes.Clone(f.Data)
		out = append(out, f)
	}
}
