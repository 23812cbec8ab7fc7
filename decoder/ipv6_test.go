package decoder

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/ingest"
)

// Test harness of the internet-layer decoders (IPv6 and its extension
// headers, AH/ESP, HIP, MH, GRE, GTP, VXLAN, IGMP): hand-built frames
// decoded from a given first protocol, checked for chain, fragment flag,
// error and report fields, then cut at every length.

// inetCase is one hand-built frame and what decoding it must give.
type inetCase struct {
	name  string
	first Proto  // protocol of data[0]
	data  []byte // the frame
	chain string // wanted p.Chain()
	frag  bool   // wanted p.Fragment
	// err is the wanted error sentinel (nil: no error), at layer errAt.
	err   error
	errAt Proto
	// fields are report values wanted after p.Fields, path -> rendering
	// (see inetRender; "<present>" only asks for the node to exist); a
	// path is dot-separated keys, or indexes inside arrays.
	fields []inetField
	// under is the layer under test: every cut of data inside its header
	// must fail with ErrTruncated at that layer (ProtoNone: not checked).
	under Proto
	// payload, when set, is the wanted undecoded payload (hex).
	payload string
}

type inetField struct{ path, want string }

func runInetCases(t *testing.T, cases []inetCase) {
	t.Helper()
	d := New(Options{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			d.DecodeFrom(c.data, c.first, &p)
			if err := inetCheckPacket(&p); err != nil {
				t.Fatal(err)
			}
			if got := p.Chain(); got != c.chain {
				t.Errorf("chain = %q, want %q", got, c.chain)
			}
			if p.Fragment != c.frag {
				t.Errorf("Fragment = %v, want %v", p.Fragment, c.frag)
			}
			switch {
			case c.err == nil && p.Failed():
				t.Errorf("unexpected error: %v", &p.Err)
			case c.err != nil && !p.Failed():
				t.Errorf("no error, want %v at %v", c.err, c.errAt)
			case c.err != nil:
				if !errors.Is(&p.Err, c.err) || p.Err.Proto != c.errAt {
					t.Errorf("error = %v (layer %v), want %v at layer %v", &p.Err, p.Err.Proto, c.err, c.errAt)
				}
			}
			if c.payload != "" {
				if got := hex.EncodeToString(p.Payload()); got != c.payload {
					t.Errorf("payload = %s, want %s", got, c.payload)
				}
			}
			var tr Tree
			p.Fields(&tr)
			if err := inetCheckTree(&tr); err != nil {
				t.Fatal(err)
			}
			for _, f := range c.fields {
				i := inetLookup(&tr, f.path)
				if n := tr.Lookup(strings.Split(f.path, ".")...); n != nil && (i < 0 || n != &tr.Nodes[i]) {
					t.Errorf("field %s: Tree.Lookup and inetLookup disagree", f.path)
				}
				if f.want == "<present>" && i >= 0 {
					continue
				}
				if got := inetRender(&tr, i); got != f.want {
					t.Errorf("field %s = %s, want %s", f.path, got, f.want)
				}
			}
			if t.Failed() {
				t.Logf("tree:\n%s", inetDump(&tr))
			}
			inetCuts(t, d, c, &p)
		})
	}
}

// inetCuts decodes every prefix of the case's frame: no prefix may break
// the packet invariants or fail with an error that is not a sentinel, and a
// cut inside the header under test must be reported as truncated there.
func inetCuts(t *testing.T, d *Decoder, c inetCase, full *Packet) {
	t.Helper()
	lo, hi := -1, -1
	if c.under != ProtoNone {
		i := full.Find(c.under)
		if i < 0 {
			t.Fatalf("layer under test %v not in %s", c.under, full.Chain())
		}
		lo, hi = int(full.Layers[i].Off), int(full.Layers[i].Off+full.Layers[i].Hdr)
	}
	var p Packet
	var tr Tree
	for k := 0; k < len(c.data); k++ {
		d.DecodeFrom(c.data[:k], c.first, &p)
		if err := inetCheckPacket(&p); err != nil {
			t.Fatalf("cut at %d: %v", k, err)
		}
		if p.Failed() && !errors.Is(&p.Err, ErrTruncated) && !errors.Is(&p.Err, ErrMalformed) && !errors.Is(&p.Err, ErrUnsupported) {
			t.Errorf("cut at %d: error without a sentinel: %v", k, &p.Err)
		}
		if k > lo && k < hi {
			if !p.Failed() || p.Err.Proto != c.under || !errors.Is(&p.Err, ErrTruncated) {
				t.Errorf("cut at %d inside the %v header [%d,%d): got chain %s, error %v; want truncated %v",
					k, c.under, lo, hi, p.Chain(), &p.Err, c.under)
			}
		}
		tr.Reset()
		p.Fields(&tr)
		if err := inetCheckTree(&tr); err != nil {
			t.Fatalf("cut at %d: %v", k, err)
		}
	}
}

// inetCheckPacket checks the span invariants of a decoded packet: layers
// follow each other, each inside its parent and inside the frame.
func inetCheckPacket(p *Packet) error {
	off, end := uint32(0), uint32(len(p.Data))
	for i := 0; i < p.N; i++ {
		l := &p.Layers[i]
		if l.Off != off || l.Off+l.Hdr > l.End || l.End > end {
			return fmt.Errorf("layer %d (%v) span off=%d hdr=%d end=%d outside parent [%d,%d)", i, l.Proto, l.Off, l.Hdr, l.End, off, end)
		}
		off, end = l.Off+l.Hdr, l.End
	}
	if p.Failed() && p.N > 0 && p.Err.Proto != p.Layers[p.N-1].Proto && !errors.Is(&p.Err, ErrUnsupported) {
		return fmt.Errorf("error %v names layer %v, last layer is %v", &p.Err, p.Err.Proto, p.Layers[p.N-1].Proto)
	}
	return nil
}

// inetCheckTree checks that every container of the tree is closed and
// holds only nodes inside the tree.
func inetCheckTree(t *Tree) error {
	if t.Depth() != 0 {
		return fmt.Errorf("tree has %d containers left open", t.Depth())
	}
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if int(n.End) <= i || int(n.End) > len(t.Nodes) {
			return fmt.Errorf("node %d (%q) ends at %d, outside (%d,%d]", i, n.Key(), n.End, i, len(t.Nodes))
		}
		if n.Kind != KindObject && n.Kind != KindArray && int(n.End) != i+1 {
			return fmt.Errorf("leaf node %d (%q) has children", i, n.Key())
		}
	}
	return nil
}

// inetLookup finds a node by a dot-separated path of keys; inside an
// array, a number selects an element. It returns the node's index, or -1.
func inetLookup(t *Tree, path string) int {
	lo, hi := 0, len(t.Nodes)
	cur := -1
	for _, seg := range strings.Split(path, ".") {
		idx, err := strconv.Atoi(seg)
		inArray := cur >= 0 && t.Nodes[cur].Kind == KindArray && err == nil
		found := -1
		for i, k := lo, 0; i < hi; k++ {
			n := &t.Nodes[i]
			if (inArray && k == idx) || (!inArray && n.Key() == seg) {
				found = i
				lo, hi = i+1, int(n.End)
				break
			}
			i = int(n.End)
		}
		if found < 0 {
			return -1
		}
		cur = found
	}
	return cur
}

// inetRender renders node i for comparison: numbers in decimal, enums as
// "Name [n]", addresses in their text form, bytes in hex, containers as
// "#n" (their number of children), a missing node (-1) as "<missing>".
func inetRender(t *Tree, i int) string {
	if i < 0 {
		return "<missing>"
	}
	n := &t.Nodes[i]
	switch n.Kind {
	case KindUint:
		return strconv.FormatUint(n.Num, 10)
	case KindInt:
		return strconv.FormatInt(n.Int(), 10)
	case KindBool:
		return strconv.FormatBool(n.Num != 0)
	case KindString:
		return n.Str()
	case KindEnum:
		return fmt.Sprintf("%s [%d]", n.Str(), n.Num)
	case KindBytes:
		return hex.EncodeToString(n.Bin())
	case KindIPv4:
		if len(n.Bin()) == 4 {
			return netip.AddrFrom4([4]byte(n.Bin())).String()
		}
		return "bad ipv4 " + hex.EncodeToString(n.Bin())
	case KindIPv6:
		if len(n.Bin()) == 16 {
			return netip.AddrFrom16([16]byte(n.Bin())).String()
		}
		return "bad ipv6 " + hex.EncodeToString(n.Bin())
	case KindMAC:
		parts := make([]string, len(n.Bin()))
		for j, c := range n.Bin() {
			parts[j] = fmt.Sprintf("%02x", c)
		}
		return strings.Join(parts, ":")
	case KindNull:
		return "null"
	case KindObject, KindArray:
		c := 0
		for j := i + 1; j < int(n.End); j = int(t.Nodes[j].End) {
			c++
		}
		return "#" + strconv.Itoa(c)
	}
	return fmt.Sprintf("kind %d", n.Kind)
}

// inetDump prints a tree, one node a line, for failure messages.
func inetDump(t *Tree) string {
	var b strings.Builder
	var ends []int32
	for i := range t.Nodes {
		for len(ends) > 0 && int32(i) >= ends[len(ends)-1] {
			ends = ends[:len(ends)-1]
		}
		n := &t.Nodes[i]
		fmt.Fprintf(&b, "%s%s: %s\n", strings.Repeat("  ", len(ends)), n.Key(), inetRender(t, i))
		if n.Kind == KindObject || n.Kind == KindArray {
			ends = append(ends, n.End)
		}
	}
	return b.String()
}

// Frame builders. Addresses: 2001:db8::1 -> 2001:db8::2, 192.0.2.1 ->
// 198.51.100.2; MACs 02:00:00:00:00:01/02.

func inetHex(s string) []byte {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\t' || r == '|' {
			return -1
		}
		return r
	}, s)
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func inetCat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func inetEth(etype uint16, payload []byte) []byte {
	b := inetHex("020000000002 020000000001")
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, payload...)
}

var (
	inetSrc6 = inetHex("20010db8000000000000000000000001")
	inetDst6 = inetHex("20010db8000000000000000000000002")
)

// inetIP6 builds an IPv6 header (traffic class 0xab, flow label 0xcdef0,
// hop limit 64) with the payload length of payload.
func inetIP6(next uint8, payload []byte) []byte {
	b := inetHex("6abcdef0")
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	b = append(b, next, 64)
	b = append(b, inetSrc6...)
	b = append(b, inetDst6...)
	return append(b, payload...)
}

// inetIP4 builds an IPv4 header with a correct total length and checksum.
func inetIP4(proto uint8, payload []byte) []byte {
	b := inetHex("4500 0000 1234 0000 40 00 0000 c0000201 c6336402")
	b[9] = proto
	binary.BigEndian.PutUint16(b[2:], uint16(20+len(payload)))
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(b[10:], ^uint16(sum))
	return append(b, payload...)
}

func inetUDP(sport, dport uint16, payload []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, sport)
	b = binary.BigEndian.AppendUint16(b, dport)
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(payload)))
	b = append(b, 0, 0)
	return append(b, payload...)
}

// ICMP echo requests (checksums not computed: decoders do not verify).
var (
	inetPing4 = inetHex("0800 0000 0001 0001 61626364")
	inetPing6 = inetHex("8000 0000 0001 0001 61626364")
)

func TestIPv6(t *testing.T) {
	udp := inetUDP(5000, 5001, inetHex("deadbeef"))
	jumboHBH := inetHex("11 00 | c2 04 00000014") // next UDP, jumbo payload 20 = 8 + 12
	runInetCases(t, []inetCase{
		{
			name: "ethernet udp", first: ProtoEthernet,
			data:  inetEth(0x86dd, inetIP6(17, udp)),
			chain: "Ethernet:IPv6:UDP", under: ProtoIPv6,
			fields: []inetField{
				{"ethernet.ipv6.version", "6"},
				{"ethernet.ipv6.class", "171"},
				{"ethernet.ipv6.label", "843504"},
				{"ethernet.ipv6.payload", "12"},
				{"ethernet.ipv6.next", "UDP [17]"},
				{"ethernet.ipv6.limit", "64"},
				{"ethernet.ipv6.src", "2001:db8::1"},
				{"ethernet.ipv6.dst", "2001:db8::2"},
				{"ethernet.ipv6.udp.dstport", "5001"},
			},
		},
		{
			name: "link padding trimmed", first: ProtoIPv6,
			data:  inetCat(inetIP6(59, inetHex("0102")), inetHex("000000000000")),
			chain: "IPv6", payload: "0102",
		},
		{
			name: "no next header, empty", first: ProtoIPv6,
			data:  inetCat(inetIP6(59, nil), inetHex("aaaa")),
			chain: "IPv6",
		},
		{
			name: "zero payload length (offload): the frame decides", first: ProtoIPv6,
			data: func() []byte {
				b := inetIP6(17, udp)
				b[4], b[5] = 0, 0
				return b
			}(),
			chain: "IPv6:UDP", fields: []inetField{{"ipv6.payload", "0"}, {"ipv6.udp.len", "12"}},
		},
		{
			name: "jumbogram", first: ProtoIPv6,
			data: func() []byte {
				b := inetCat(inetIP6(0, inetCat(jumboHBH, udp)), inetHex("eeeeeeee"))
				b[4], b[5] = 0, 0
				return b
			}(),
			chain: "IPv6:HOPOPT:UDP",
			fields: []inetField{
				{"ipv6.hopopt.options.0.type", "Jumbo Payload [194]"},
				{"ipv6.hopopt.options.0.payload_len", "20"},
				{"ipv6.hopopt.udp.len", "12"},
			},
			payload: "deadbeef", // the 4 bytes after the jumbo length are not payload
		},
		{
			name: "jumbo length shorter than the hop-by-hop header: the frame decides", first: ProtoIPv6,
			data: func() []byte {
				b := inetIP6(0, inetCat(inetHex("11 00 | c2 04 00000004"), udp))
				b[4], b[5] = 0, 0
				return b
			}(),
			chain: "IPv6:HOPOPT:UDP",
		},
		{
			name: "version 4", first: ProtoIPv6,
			data: func() []byte {
				b := inetIP6(17, udp)
				b[0] = 0x4a
				return b
			}(),
			chain: "IPv6", err: ErrMalformed, errAt: ProtoIPv6,
		},
		{
			name: "payload beyond the capture (snap length)", first: ProtoIPv6,
			data:  inetIP6(17, udp)[:40+10],
			chain: "IPv6:UDP",
		},
		{
			name: "ipv6 in ipv4 (6in4)", first: ProtoIPv4,
			data:  inetIP4(41, inetIP6(58, inetPing6)),
			chain: "IPv4:IPv6:ICMPv6", under: ProtoIPv6,
			fields: []inetField{{"ipv4.protocol", "IPv6 [41]"}, {"ipv4.ipv6.next", "ICMPv6 [58]"}},
		},
	})
}

// Corpus conformance of the internet layer: every capture of the shared
// corpus that holds one of this file family's protocols is decoded frame by
// frame and compared with tshark's reference output (expected/*.frames.jsonl):
// the protocol chain over the core protocols plus the internet-layer ones
// (extension headers, AH, ESP, MH, GRE, GTP, IGMP, ...), and the values of
// every IPv6 header (ipv6.src, dst, nxt, hlim). Captures tagged malformed
// are only decoded (no panic, spans and report trees well formed).

// inetCorpusTags select corpus files by MANIFEST tag.
var inetCorpusTags = []string{"ipv6", "ipv6-hbh", "ipv6-routing", "ipv6-fraghdr", "ipv6-dstopts",
	"ah", "esp", "hip", "mobility", "ipv6-frag"}

// inetCorpusFiles are selected by name: no tag names their protocols.
var inetCorpusFiles = []string{"tcpdump__pptp.pcap", "zeek__tunnels__gtp__gtp1_gn_normal_incl_fragmentation.pcap",
	"tcpdump__IGMP_V2.pcap", "tcpdump__igmpv3-queries.pcap"}

// inetTokens maps tshark frame.protocols names to protocols; names not
// listed are not compared (application protocols, "ethertype", ...).
var inetTokens = map[string]Proto{
	"eth": ProtoEthernet, "vlan": ProtoVLAN, "arp": ProtoARP, "ip": ProtoIPv4, "ipv6": ProtoIPv6,
	"tcp": ProtoTCP, "udp": ProtoUDP, "icmp": ProtoICMP, "icmpv6": ProtoICMPv6,
	"ipv6.hopopts": ProtoHopOpts, "ipv6.routing": ProtoIPv6Route, "ipv6.fraghdr": ProtoIPv6Frag,
	"ipv6.dstopts": ProtoIPv6Opts, "ah": ProtoAH, "esp": ProtoESP, "hip": ProtoHIP, "mipv6": ProtoMH,
	"gre": ProtoGRE, "gtp": ProtoGTP, "vxlan": ProtoVXLAN, "igmp": ProtoIGMP,
}

// inetSeq filters a chain to the compared protocols, up to the first ICMP
// or ICMPv6 layer (quoted packets inside ICMP errors are not compared, as
// chaincheck.py does). tshark names IGMP twice in a row: duplicates are
// collapsed.
func inetSeq(ps []Proto) []Proto {
	var out []Proto
	for _, p := range ps {
		if p == ProtoRARP {
			p = ProtoARP
		}
		if !inetTokenSet[p] {
			continue
		}
		if p == ProtoIGMP && len(out) > 0 && out[len(out)-1] == ProtoIGMP {
			continue
		}
		out = append(out, p)
		if p == ProtoICMP || p == ProtoICMPv6 {
			break
		}
	}
	return out
}

var inetTokenSet = func() map[Proto]bool {
	m := map[Proto]bool{}
	for _, p := range inetTokens {
		m[p] = true
	}
	return m
}()

func inetCorpusDir(t testing.TB) string {
	dir := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.tsv")); err != nil {
		t.Skipf("corpus not found at %s: %v", dir, err)
	}
	return dir
}

// inetManifest returns the corpus files of this family and whether each
// is tagged malformed.
func inetManifest(t testing.TB, dir string) (names []string, malformed map[string]bool) {
	data, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	malformed = map[string]bool{}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		c := strings.Split(line, "\t")
		if len(c) < 10 {
			continue
		}
		tags := strings.Split(c[9], ",")
		want := slices.Contains(inetCorpusFiles, c[0])
		for _, tag := range inetCorpusTags {
			want = want || slices.Contains(tags, tag)
		}
		if want {
			names = append(names, c[0])
			malformed[c[0]] = slices.Contains(tags, "malformed")
		}
	}
	return names, malformed
}

// inetCorpusErrors are the frames of non-malformed corpus files where one
// of this family's layers fails to decode, with the reason; any other such
// failure is a test failure. tshark stops at the same layer in each.
var inetCorpusErrors = func() map[string]error {
	m := map[string]error{
		// Destination option 0xca claims 144 bytes in a 24-byte header.
		"zeek__ipv6-mobility-dst-opts.pcap#1": ErrMalformed,
		// The 40-byte Destination Options header exceeds the IPv6
		// payload length (36).
		"zeek__ipv6-mobility-dst-opts.pcap#2": ErrTruncated,
	}
	if MaxLayers < 103 {
		// 103 layers (Ethernet, IPv6, Hop-by-Hop, 33 routing/fragment/
		// destination-option triples, UDP) exceed MaxLayers; tshark
		// decodes them all down to UDP.
		m["libpcap__ipv6_ext_headers.pcap#1"] = ErrUnsupported
	}
	return m
}()

type inetRef struct {
	Number    []string `json:"frame.number"`
	Protocols []string `json:"frame.protocols"`
	Src       []string `json:"ipv6.src"`
	Dst       []string `json:"ipv6.dst"`
	Nxt       []string `json:"ipv6.nxt"`
	Hlim      []string `json:"ipv6.hlim"`
}

func TestInternetCorpus(t *testing.T) {
	dir := inetCorpusDir(t)
	names, bad := inetManifest(t, dir)
	if len(names) < 40 {
		t.Fatalf("only %d corpus files selected", len(names))
	}
	d := New(Options{})
	var frames, compared, ipv6Values, deep, ipcomp int
	seenErrors := map[string]bool{}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			var refs []inetRef
			if !bad[name] {
				data, err := os.ReadFile(filepath.Join(dir, "expected", name+".frames.jsonl"))
				if err != nil {
					t.Fatal(err)
				}
				for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
					var r inetRef
					if err := json.Unmarshal([]byte(line), &r); err != nil {
						t.Fatal(err)
					}
					refs = append(refs, r)
				}
			}
			r, c, err := ingest.Open(filepath.Join(dir, "raw", name), ingest.ReaderOptions{})
			if err != nil {
				if bad[name] {
					return
				}
				t.Fatal(err)
			}
			defer c.Close()
			var f ingest.Frame
			var p Packet
			var tr Tree
			for n := 0; ; n++ {
				if err := r.Next(&f); err != nil {
					if err != io.EOF && !bad[name] {
						t.Fatalf("frame %d: %v", n+1, err)
					}
					if !bad[name] && n != len(refs) {
						t.Errorf("read %d frames, tshark %d", n, len(refs))
					}
					return
				}
				frames++
				d.Decode(f.Data, f.LinkType, &p)
				if err := inetCheckPacket(&p); err != nil {
					t.Fatalf("frame %d: %v", f.Index, err)
				}
				tr.Reset()
				p.Fields(&tr)
				if err := inetCheckTree(&tr); err != nil {
					t.Fatalf("frame %d: %v", f.Index, err)
				}
				if bad[name] || n >= len(refs) {
					continue
				}
				if p.Failed() && slices.Contains(inetFuzzProtos, p.Err.Proto) {
					key := fmt.Sprintf("%s#%d", name, f.Index)
					want, ok := inetCorpusErrors[key]
					if !ok || !errors.Is(&p.Err, want) {
						t.Errorf("frame %d: %v (expected: %v)", f.Index, &p.Err, want)
					}
					seenErrors[key] = true
				}
				ref := refs[n]
				var want []Proto
				cut := false
				if len(ref.Protocols) > 0 {
					for _, tok := range strings.Split(ref.Protocols[0], ":") {
						if tok == "ipcomp" {
							cut = true
							break
						}
						if pr, ok := inetTokens[tok]; ok {
							want = append(want, pr)
						}
					}
				}
				want = inetSeq(want)
				var got []Proto
				for i := 0; i < p.N; i++ {
					got = append(got, p.Layers[i].Proto)
				}
				got = inetSeq(got)
				if cut {
					// tshark inflated an IPComp payload: compare up to it.
					ipcomp++
					if len(got) > len(want) {
						got = got[:len(want)]
					}
				}
				if len(want) > MaxLayers-2 && p.Failed() && errors.Is(&p.Err, ErrUnsupported) {
					// Deeper than Packet.Layers holds: the decoder must
					// say so, and agree with tshark as far as it went.
					deep++
					if !slices.Equal(got, want[:len(got)]) {
						t.Errorf("frame %d: chain %v is not a prefix of tshark's %v", f.Index, got, want)
					}
					continue
				}
				compared++
				if !slices.Equal(got, want) {
					t.Errorf("frame %d: chain %v (%s, err %v), tshark %v (%s)", f.Index, got, p.Chain(), &p.Err, want, ref.Protocols)
					continue
				}
				// IPv6 header values, outer first, as far as the compared
				// chain goes (tshark also lists headers quoted in ICMPv6).
				k := 0
				for i := 0; i < p.N; i++ {
					if p.Layers[i].Proto == ProtoICMPv6 || p.Layers[i].Proto == ProtoICMP {
						break
					}
					if p.Layers[i].Proto != ProtoIPv6 || p.Layers[i].Hdr == 0 {
						continue
					}
					h := IPv6(p.Bytes(i))
					gotV := []string{
						netip.AddrFrom16([16]byte(h.Src())).String(), netip.AddrFrom16([16]byte(h.Dst())).String(),
						strconv.Itoa(int(h.NextHeader())), strconv.Itoa(int(h.HopLimit())),
					}
					for j, list := range [][]string{ref.Src, ref.Dst, ref.Nxt, ref.Hlim} {
						if k >= len(list) || list[k] != gotV[j] {
							t.Errorf("frame %d: ipv6 header %d field %d = %s, tshark %v", f.Index, k, j, gotV[j], list)
						}
					}
					ipv6Values += 4
					k++
				}
			}
		})
	}
	for key := range inetCorpusErrors {
		if !seenErrors[key] {
			t.Errorf("%s: no decode error, want %v", key, inetCorpusErrors[key])
		}
	}
	t.Logf("%d files, %d frames; %d chains compared, %d IPv6 values; %d frames deeper than MaxLayers=%d; %d frames cut at IPComp",
		len(names), frames, compared, ipv6Values, deep, MaxLayers, ipcomp)
}

// inetSample is a whole frame exercising this family's decoders.
type inetSample struct {
	name     string
	linkType uint32 // for Decoder.Decode
	first    Proto  // for DecodeFrom (fuzz seeds)
	data     []byte
	chain    string
}

func inetSamples() []inetSample {
	udp := inetUDP(5000, 5001, inetHex("deadbeef"))
	ping := inetIP4(1, inetPing4)
	ext := inetCat(
		inetHex("2b 00 | 05 02 0000 | 01 00"),
		inetHex("2c 02 02 01 00000000"), inetHoA,
		inetHex("3c 00 0001 00000007"),
		inetHex("11 02 | 01 02 0000 | c9 10"), inetHoA,
	)
	return []inetSample{
		{"ipv6 extension headers", 1, ProtoIPv6, inetEth(0x86dd, inetIP6(0, inetCat(ext, udp))),
			"Ethernet:IPv6:HOPOPT:IPv6_Route:IPv6_Frag:IPv6_Opts:UDP"},
		{"ipv6 srh", 1, ProtoIPv6, inetEth(0x86dd, inetIP6(43, inetCat(inetHex("29 05 04 01 | 01 00 0000"), inetAddrA, inetAddrB,
			inetHex("04 06 000000000000"), inetIP6(58, inetPing6)))), "Ethernet:IPv6:IPv6_Route:IPv6:ICMPv6"},
		{"ah", 1, ProtoIPv4, inetEth(0x0800, inetIP4(51, inetCat(inetHex("04 04 0000 00001000 00000005 0102030405060708090a0b0c"), ping))),
			"Ethernet:IPv4:AH:IPv4:ICMP"},
		{"esp", 1, ProtoIPv6, inetEth(0x86dd, inetIP6(50, inetHex("00001234 00000007 8a7b6c5d4e3f2011"))), "Ethernet:IPv6:ESP"},
		{"hip", 229, ProtoIPv6, inetIP6(139, inetHIP(2, 0x21, 6, inetHex("0243 0006 0001 0002 0003 000000000000"))), "IPv6:HIP"},
		{"mh", 229, ProtoIPv6, inetIP6(135, inetCat(inetHex("3b 06 05 00 | 0000 | 0001 8000 0010 | 03 10"), inetAddrA,
			inetHex("04 04 0005 0006 | 05 0c 0102030405060708090a0b0c | 01 04 00000000"))), "IPv6:MH"},
		{"gre", 1, ProtoIPv4, inetEth(0x0800, inetIP4(47, inetCat(inetHex("b000 6558 | 1234 0000 | 0000002a | 00000007"), inetEth(0x0800, ping)))),
			"Ethernet:IPv4:GRE:Ethernet:IPv4:ICMP"},
		{"pptp", 1, ProtoIPv4, inetEth(0x0800, inetIP4(47, inetHex("3081 880b | 0008 0005 | 00000001 | 00000000 | ff03 c021 01010004"))),
			"Ethernet:IPv4:GRE:PPP"},
		{"gtp", 1, ProtoIPv4, inetEth(0x0800, inetIP4(17, inetUDP(2152, 2152, inetGTP(0x34, 255, 7, inetHex("0000 00 85 | 01 0009 00"), inetIP4(17, udp))))),
			"Ethernet:IPv4:UDP:GTP:IPv4:UDP"},
		{"vxlan", 1, ProtoIPv4, inetEth(0x0800, inetIP4(17, inetUDP(49152, 4789, inetCat(inetHex("08 000000 00a0b1 00"), inetEth(0x0800, ping))))),
			"Ethernet:IPv4:UDP:VXLAN:Ethernet:IPv4:ICMP"},
		{"igmp", 1, ProtoIPv4, inetEth(0x0800, inetIP4(2, inetHex("22 00 0000 0000 0002 01 00 0001 e00000fb c0000201 04 01 0000 e00000fc aabbccdd"))),
			"Ethernet:IPv4:IGMP"},
	}
}

// TestInternetAllocs guards the zero-allocation decode path (and the
// report fields, once the Tree has grown) of this family's protocols.
func TestInternetAllocs(t *testing.T) {
	d := New(Options{})
	for _, s := range inetSamples() {
		var p Packet
		d.Decode(s.data, s.linkType, &p)
		if p.Chain() != s.chain || p.Failed() {
			t.Fatalf("%s: chain %s (error %v), want %s", s.name, p.Chain(), &p.Err, s.chain)
		}
		if n := testing.AllocsPerRun(200, func() { d.Decode(s.data, s.linkType, &p) }); n != 0 {
			t.Errorf("%s: Decode allocates %.1f times per frame", s.name, n)
		}
		var tr Tree
		p.Fields(&tr)
		if n := testing.AllocsPerRun(200, func() { tr.Reset(); p.Fields(&tr) }); n != 0 {
			t.Errorf("%s: Fields allocates %.1f times per frame into a reused Tree", s.name, n)
		}
	}
}

func BenchmarkInternetDecode(b *testing.B) {
	for _, s := range inetSamples() {
		b.Run(strings.ReplaceAll(s.name, " ", "_"), func(b *testing.B) {
			d := New(Options{})
			var p Packet
			b.ReportAllocs()
			b.SetBytes(int64(len(s.data)))
			for b.Loop() {
				d.Decode(s.data, s.linkType, &p)
			}
		})
	}
}

// inetFuzzProtos are the protocols FuzzInternet starts from: the first
// input byte picks one, the rest is the data.
var inetFuzzProtos = []Proto{ProtoIPv6, ProtoHopOpts, ProtoIPv6Opts, ProtoIPv6Route, ProtoIPv6Frag,
	ProtoAH, ProtoESP, ProtoHIP, ProtoMH, ProtoGRE, ProtoGTP, ProtoVXLAN, ProtoIGMP, ProtoIPComp}

// FuzzInternet decodes arbitrary bytes as one of this family's protocols:
// no panic, layer spans inside the frame and nested, errors that carry a
// sentinel, and a report tree whose containers are all closed.
func FuzzInternet(f *testing.F) {
	for _, s := range inetSamples() {
		// Seed every protocol of the family with the bytes of the layer.
		var p Packet
		New(Options{}).Decode(s.data, s.linkType, &p)
		for i := 0; i < p.N; i++ {
			if k := slices.Index(inetFuzzProtos, p.Layers[i].Proto); k >= 0 {
				f.Add(append([]byte{byte(k)}, p.Bytes(i)...))
			}
		}
	}
	d := New(Options{})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		first := inetFuzzProtos[int(in[0])%len(inetFuzzProtos)]
		var p Packet
		d.DecodeFrom(in[1:], first, &p)
		if err := inetCheckPacket(&p); err != nil {
			t.Fatal(err)
		}
		if p.Failed() && !errors.Is(&p.Err, ErrTruncated) && !errors.Is(&p.Err, ErrMalformed) && !errors.Is(&p.Err, ErrUnsupported) {
			t.Fatalf("error without a sentinel: %v", &p.Err)
		}
		var tr Tree
		p.Fields(&tr)
		if err := inetCheckTree(&tr); err != nil {
			t.Fatal(err)
		}
	})
}
