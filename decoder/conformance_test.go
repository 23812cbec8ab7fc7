package decoder_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/ingest/ingesttest"
)

// The conformance test decodes every capture of the shared corpus and
// compares the decoded values with tshark's (../shared/corpus/expected, see
// COVERAGE.md there for how they were made). It fails on any mismatch in a
// capture not tagged malformed unless the file and field are listed, with a
// reason, in testdata/known-differences.tsv. Malformed captures must decode
// without a panic or a hang.

// manifestTags maps capture names to their MANIFEST.tsv tags.
func manifestTags(t testing.TB, dir string) map[string][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tags := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) > 9 {
			tags[c[0]] = strings.Split(c[9], ",")
		}
	}
	return tags
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

// knownDifferences reads testdata/known-differences.tsv: file, field, reason.
// A file of "*" applies to every capture.
func knownDifferences(t testing.TB) map[[2]string]string {
	t.Helper()
	known := map[[2]string]string{}
	b, err := os.ReadFile(filepath.Join("testdata", "known-differences.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.SplitN(line, "\t", 3)
		if len(c) != 3 || strings.TrimSpace(c[2]) == "" {
			t.Fatalf("known-differences.tsv: want file<TAB>field<TAB>reason, got %q", line)
		}
		known[[2]string{c[0], c[1]}] = c[2]
	}
	return known
}

// conformanceFields are the tshark fields compared (COVERAGE.md lists 35;
// frame.number is the join key; frame.count compares the number of frames).
var conformanceFields = []string{
	"frame.count", "frame.time_epoch", "frame.len", "frame.cap_len", "frame.protocols",
	"eth.src", "eth.dst", "eth.type", "vlan.id",
	"ip.src", "ip.dst", "ip.proto", "ip.id", "ip.flags.mf", "ip.frag_offset", "ip.ttl", "ip.len",
	"ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.hlim",
	"tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.window_size_value", "tcp.len",
	"udp.srcport", "udp.dstport", "udp.length",
	"http.request.method", "http.request.uri", "http.response.code",
	"arp.opcode",
}

// quoting reports whether p holds an ICMP or ICMPv6 error, whose quoted
// datagram tshark dissects (adding ip/tcp/udp values) and pcapflow reports
// as bytes of the ICMP layer.
func quoting(p *decoder.Packet) bool {
	return p.Find(decoder.ProtoICMP) >= 0 || p.Find(decoder.ProtoICMPv6) >= 0
}

// coreChain reduces a chain to the protocols both tools name the same way,
// as ../shared/tools/chaincheck.py does.
func coreChain(tokens []string) string {
	alias := map[string]string{"ethernet": "eth", "eth": "eth", "vlan": "vlan", "arp": "arp", "rarp": "arp",
		"ipv4": "ip", "ip": "ip", "ipv6": "ipv6", "tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6"}
	var out []string
	for _, t := range tokens {
		if a, ok := alias[strings.ToLower(t)]; ok {
			out = append(out, a)
			if a == "icmp" || a == "icmpv6" {
				break
			}
		}
	}
	return strings.Join(out, ":")
}

// values extracts, for one decoded frame, every compared field in tshark's
// display form, each as the list of occurrences outer to inner.
func values(f *ingest.Frame, p *decoder.Packet, t *decoder.Tree) map[string][]string {
	v := map[string][]string{}
	add := func(k, s string) { v[k] = append(v[k], s) }
	add("frame.time_epoch", fmt.Sprintf("%d.%09d", f.Sec, f.Nsec))
	add("frame.len", strconv.Itoa(int(f.OrigLen)))
	add("frame.cap_len", strconv.Itoa(int(f.CapLen)))
	var chain []string
	for i := 0; i < p.N; i++ {
		chain = append(chain, p.Layers[i].Proto.String())
	}
	add("frame.protocols", coreChain(chain))
	for i := 0; i < p.N; i++ {
		l := &p.Layers[i]
		b := p.Bytes(i)
		if l.Hdr == 0 && p.Failed() && i == p.N-1 {
			// The failing layer: a TCP header cut short still shows
			// the fields its bytes hold (tshark does the same).
			if l.Proto == decoder.ProtoTCP {
				partialTCP(add, t)
			}
			break
		}
		switch l.Proto {
		case decoder.ProtoEthernet:
			e := decoder.Ethernet(b)
			add("eth.src", mac(e.Src()))
			add("eth.dst", mac(e.Dst()))
			if e.Type() > 0x05ff { // below: an 802.3 length, not a type
				add("eth.type", fmt.Sprintf("0x%04x", e.Type()))
			}
		case decoder.ProtoIPv4:
			h := decoder.IPv4(b)
			add("ip.src", ip(h.Src()))
			add("ip.dst", ip(h.Dst()))
			add("ip.proto", strconv.Itoa(int(h.Protocol())))
			add("ip.id", fmt.Sprintf("0x%04x", h.ID()))
			add("ip.flags.mf", b01(h.MF()))
			add("ip.frag_offset", strconv.Itoa(int(h.FragOffset())))
			add("ip.ttl", strconv.Itoa(int(h.TTL())))
			add("ip.len", strconv.Itoa(int(h.TotalLen())))
		case decoder.ProtoIPv6:
			h := decoder.IPv6(b)
			add("ipv6.src", ip(h.Src()))
			add("ipv6.dst", ip(h.Dst()))
			add("ipv6.nxt", strconv.Itoa(int(h.NextHeader())))
			add("ipv6.hlim", strconv.Itoa(int(h.HopLimit())))
		case decoder.ProtoTCP:
			h := decoder.TCP(b)
			add("tcp.srcport", strconv.Itoa(int(h.SrcPort())))
			add("tcp.dstport", strconv.Itoa(int(h.DstPort())))
			add("tcp.seq_raw", strconv.FormatUint(uint64(h.Seq()), 10))
			add("tcp.ack_raw", strconv.FormatUint(uint64(h.Ack()), 10))
			add("tcp.flags", fmt.Sprintf("0x%04x", uint16(b[12]&0x0f)<<8|uint16(b[13])))
			add("tcp.window_size_value", strconv.Itoa(int(h.Window())))
			if n, ok := tcpLen(p, i, int(f.OrigLen)); ok {
				add("tcp.len", strconv.Itoa(n))
			}
		case decoder.ProtoUDP:
			h := decoder.UDP(b)
			add("udp.srcport", strconv.Itoa(int(h.SrcPort())))
			add("udp.dstport", strconv.Itoa(int(h.DstPort())))
			add("udp.length", strconv.Itoa(int(h.Length())))
		}
	}
	// Fields that only the report carries: read them from the Tree, so the
	// report itself is what is checked.
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if n.Kind != decoder.KindObject {
			continue
		}
		switch n.Key() {
		case "vlan":
			if c := child(t, i, "tci", "vid"); c != nil {
				add("vlan.id", strconv.FormatUint(c.Num, 10))
			}
		case "arp", "rarp":
			if c := child(t, i, "oper"); c != nil {
				add("arp.opcode", strconv.FormatUint(c.Num, 10))
			}
		case "http":
			if c := child(t, i, "request", "method"); c != nil {
				add("http.request.method", c.Str())
			}
			if c := child(t, i, "request", "uri"); c != nil {
				add("http.request.uri", c.Str())
			}
			if c := child(t, i, "response", "status"); c != nil {
				add("http.response.code", strconv.FormatUint(c.Num, 10))
			}
		}
	}
	return v
}

// partialTCP adds the TCP fields that a header which failed to decode
// still shows in the report.
func partialTCP(add func(k, s string), t *decoder.Tree) {
	for i := range t.Nodes {
		if t.Nodes[i].Key() != "tcp" || t.Nodes[i].Kind != decoder.KindObject {
			continue
		}
		for k, path := range map[string][]string{"tcp.srcport": {"srcport"}, "tcp.dstport": {"dstport"},
			"tcp.seq_raw": {"seq"}, "tcp.ack_raw": {"ack"}, "tcp.window_size_value": {"window_size"}} {
			if c := child(t, i, path...); c != nil {
				add(k, strconv.FormatUint(c.Num, 10))
			}
		}
		if c := child(t, i, "flags"); c != nil {
			var v uint64
			for j, name := range []string{"ns", "cwr", "ece", "urg", "ack", "psh", "rst", "syn", "fin"} {
				if f := child(t, i, "flags", name); f != nil && f.Num == 1 {
					v |= 1 << (8 - j)
				}
			}
			add("tcp.flags", fmt.Sprintf("0x%04x", v))
		}
	}
}

// child follows a path of keys through the direct children of node i.
func child(t *decoder.Tree, i int, path ...string) *decoder.Node {
	for _, k := range path {
		parent := &t.Nodes[i]
		found := -1
		for j := i + 1; j < int(parent.End); j = int(t.Nodes[j].End) {
			if t.Nodes[j].Key() == k {
				found = j
				break
			}
		}
		if found < 0 {
			return nil
		}
		i = found
	}
	return &t.Nodes[i]
}

// tcpLen is the TCP payload length as tshark's tcp.len gives it: from the
// IP header's length, capped by any enclosing length field (PPPoE, ...),
// and so not shortened when a snap length cut the frame. tshark gives no
// tcp.len when the IP datagram holding the segment is a fragment (ok false).
func tcpLen(p *decoder.Packet, tcpIdx int, origLen int) (int, bool) {
	l := &p.Layers[tcpIdx]
	hdr := int(decoder.TCP(p.Bytes(tcpIdx)).DataOffset())
	end := int(l.End)
	for i := tcpIdx - 1; i >= 0; i-- {
		ipl := &p.Layers[i]
		switch ipl.Proto {
		case decoder.ProtoIPv6Frag:
			if h := decoder.IPv6Fragment(p.Bytes(i)); h.MF() || h.FragOffset() != 0 {
				return 0, false
			}
			continue
		case decoder.ProtoIPv4:
			if decoder.IPv4(p.Bytes(i)).IsFragment() {
				return 0, false
			}
			if tl := int(decoder.IPv4(p.Bytes(i)).TotalLen()); tl != 0 {
				end = int(ipl.Off) + tl
			}
		case decoder.ProtoIPv6:
			end = int(ipl.Off) + 40 + int(decoder.IPv6(p.Bytes(i)).PayloadLen())
		default:
			continue
		}
		for j := 0; j < i; j++ { // a length field of an enclosing layer
			if e := int(p.Layers[j].End); e < len(p.Data) && e < end {
				end = e
			}
		}
		break
	}
	end = min(end, origLen) // tshark never reads past the frame's wire length
	return end - int(l.Off) - hdr, true
}

func mac(b []byte) string {
	s := make([]string, len(b))
	for i, c := range b {
		s[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(s, ":")
}

func ip(b []byte) string {
	if len(b) == 4 {
		return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
	}
	var a [16]byte
	copy(a[:], b)
	return netipString(a)
}

func b01(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

type fileResult struct {
	frames, compared int
	mismatches       map[string]int
	examples         []string
	readErr          error
}

// conformFile decodes one capture and compares it with tshark's output.
func conformFile(t *testing.T, dir, name string) fileResult {
	res := fileResult{mismatches: map[string]int{}}
	exp := map[int]map[string][]string{}
	eb, err := os.ReadFile(filepath.Join(dir, "expected", name+".frames.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(eb)), "\n") {
		if line == "" {
			continue
		}
		var m map[string][]string
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n, _ := strconv.Atoi(m["frame.number"][0])
		exp[n] = m
	}
	r, c, err := ingest.Open(filepath.Join(dir, "raw", name), ingest.ReaderOptions{})
	if err != nil {
		res.readErr = err
		return res
	}
	defer c.Close()
	dec := decoder.New(decoder.Options{})
	var (
		f  ingest.Frame
		p  decoder.Packet
		tr decoder.Tree
	)
	for {
		if err := r.Next(&f); err != nil {
			if !errors.Is(err, io.EOF) {
				res.readErr = err
			}
			break
		}
		res.frames++
		dec.Decode(f.Data, f.LinkType, &p)
		tr.Reset()
		p.Fields(&tr)
		want, ok := exp[int(f.Index)]
		if !ok {
			continue
		}
		got := values(&f, &p, &tr)
		for _, k := range conformanceFields[1:] {
			w, g := want[k], got[k]
			if k == "frame.protocols" {
				w = []string{coreChain(strings.Split(w[0], ":"))}
			}
			if len(g) < len(w) && quoting(&p) && equalPrefix(w, g) {
				g = w // tshark also dissected the datagram quoted in an ICMP error
			}
			res.compared++
			if !equal(w, g) {
				res.mismatches[k]++
				if len(res.examples) < 3 {
					res.examples = append(res.examples, fmt.Sprintf("frame %d %s: tshark %q, pcapflow %q", f.Index, k, w, g))
				}
			}
		}
	}
	if res.readErr == nil && res.frames != len(exp) {
		res.compared++
		res.mismatches["frame.count"]++
		res.examples = append(res.examples, fmt.Sprintf("frames: tshark %d, pcapflow %d", len(exp), res.frames))
	}
	return res
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalPrefix(full, prefix []string) bool {
	return len(prefix) <= len(full) && equal(full[:len(prefix)], prefix)
}

func TestConformance(t *testing.T) {
	dir := ingesttest.CorpusDir(t)
	tags := manifestTags(t, dir)
	known := knownDifferences(t)
	entries, err := os.ReadDir(filepath.Join(dir, "raw"))
	if err != nil {
		t.Fatal(err)
	}
	var (
		files, frames, compared, malformedFiles int
		byField                                 = map[string]int{}
		excused                                 = map[string]int{}
		failures                                []string
	)
	for _, e := range entries {
		name := e.Name()
		bad := hasTag(tags[name], "malformed")
		done := make(chan fileResult, 1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic: %v", name, r)
					done <- fileResult{}
				}
			}()
			done <- conformFile(t, dir, name)
		}()
		var res fileResult
		select {
		case res = <-done:
		case <-time.After(60 * time.Second):
			t.Fatalf("%s: decoding did not finish within 60 s", name)
		}
		files++
		frames += res.frames
		if bad {
			malformedFiles++
			continue // only required not to panic or hang
		}
		compared += res.compared
		if res.readErr != nil {
			if _, err := os.Stat(filepath.Join(dir, "expected", name+".tshark_stderr.txt")); err != nil {
				if reason, ok := known[[2]string{name, "read"}]; !ok || reason == "" {
					failures = append(failures, fmt.Sprintf("%s: read error tshark does not have: %v", name, res.readErr))
				}
			}
		}
		var fields []string
		for k := range res.mismatches {
			fields = append(fields, k)
		}
		sort.Strings(fields)
		for _, k := range fields {
			n := res.mismatches[k]
			if _, ok := known[[2]string{name, k}]; ok {
				excused[k] += n
				continue
			}
			if _, ok := known[[2]string{name, "*"}]; ok {
				excused[k] += n
				continue
			}
			if _, ok := known[[2]string{"*", k}]; ok {
				excused[k] += n
				continue
			}
			byField[k] += n
			failures = append(failures, fmt.Sprintf("%s: %d mismatches in %s (%s)", name, n, k, strings.Join(res.examples, "; ")))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "conformance vs tshark: %d files (%d malformed, decoded without panic), %d frames, %d field values compared\n",
		files, malformedFiles, frames, compared)
	fmt.Fprintf(&b, "%-24s %10s %10s\n", "field", "mismatches", "excused")
	for _, k := range conformanceFields {
		fmt.Fprintf(&b, "%-24s %10d %10d\n", k, byField[k], excused[k])
	}
	t.Log("\n" + b.String())
	for _, f := range failures {
		t.Error(f)
	}
}
