package decoder

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/ingest"
)

func TestLLC(t *testing.T) {
	eth := linkEthHdr
	ipx := "ffff 001e 00 04 00000001 ffffffffffff 0452 00000002 020000000001 4000"
	runLinkCases(t, []linkCase{
		{
			name: "SNAP IPv4", first: ProtoEthernet,
			data:  lhex(t, eth+"001c aaaa03 000000 0800"+linkIPv4),
			chain: "Ethernet:LLC:IPv4",
			fields: map[string]string{
				"ethernet.llc.dsap": "SNAP [170]", "ethernet.llc.ssap": "SNAP [170]",
				"ethernet.llc.control": "3", "ethernet.llc.snap.oui": "0",
				"ethernet.llc.snap.type": "IPv4 [2048]", "ethernet.llc.ipv4.src": "10.0.0.1",
			},
		},
		{
			name: "SNAP other OUI is raw", first: ProtoEthernet,
			data:  lhex(t, eth+"000a aaaa03 00000c 2000 0102"),
			chain: "Ethernet:LLC",
			fields: map[string]string{
				"ethernet.llc.snap.oui": "12", "ethernet.llc.snap.pid": "8192",
				"ethernet.llc.raw": "0102",
			},
		},
		{
			name: "STP, padding trimmed", first: ProtoEthernet,
			data:  lhex(t, eth+"0007 424203 00000000 000000000000"),
			chain: "Ethernet:LLC",
			fields: map[string]string{
				"ethernet.llc.dsap": "Spanning Tree [66]", "ethernet.llc.ig": "false",
				"ethernet.llc.cr": "false", "ethernet.llc.raw": "00000000",
			},
		},
		{
			name: "I-format two-byte control, NetBIOS", first: ProtoEthernet,
			data:  lhex(t, eth+"0006 f0f1 0a0c 0102"),
			chain: "Ethernet:LLC",
			fields: map[string]string{
				"ethernet.llc.dsap": "NetBIOS [240]", "ethernet.llc.cr": "true",
				"ethernet.llc.control": "2572", "ethernet.llc.raw": "0102",
			},
		},
		{
			name: "802.2 IPX", first: ProtoEthernet,
			data:  lhex(t, eth+"0021 e0e003"+ipx),
			chain: "Ethernet:LLC:IPX",
			fields: map[string]string{
				"ethernet.llc.dsap": "NetWare [224]", "ethernet.llc.ipx.type": "PEP [4]",
			},
		},
		{
			name: "raw 802.3 Novell IPX", first: ProtoEthernet,
			data:  lhex(t, eth+"001e"+ipx+"0000"),
			chain: "Ethernet:IPX",
			fields: map[string]string{
				"ethernet.len": "30", "ethernet.ipx.dst.socket": "SAP [1106]",
			},
		},
		{
			name: "truncated SNAP", first: ProtoEthernet,
			data:  lhex(t, eth+"0005 aaaa03 0000"),
			chain: "Ethernet:LLC", err: ErrTruncated, errAt: ProtoLLC,
		},
		{
			name: "truncated I-format", first: ProtoLLC,
			data:  lhex(t, "f0f0 0a"),
			chain: "LLC", err: ErrTruncated, errAt: ProtoLLC,
		},
	})
	linkAllocs(t, ProtoEthernet, lhex(t, eth+"001c aaaa03 000000 0800"+linkIPv4))
}

// linkTokens maps tshark's frame.protocols names to the protocols of this
// family (plus the core ones, as /work/shared/tools/chaincheck.py compares
// them). tshark names 802.1ad tags "ieee8021ad", and both SLL versions "sll".
var linkTokens = map[string]string{
	"eth": "eth", "ip": "ip", "ipv6": "ipv6", "tcp": "tcp", "udp": "udp",
	"icmp": "icmp", "icmpv6": "icmpv6",
	"vlan": "vlan", "ieee8021ad": "vlan", "arp": "arp", "sll": "sll", "null": "null",
	"llc": "llc", "ppp": "ppp", "pppoes": "pppoe", "pppoed": "pppoe", "mpls": "mpls",
	"l2tp": "l2tp", "ospf": "ospf", "ipx": "ipx",
}

// linkOurToken maps our protocols to the same vocabulary ("" = not compared).
func linkOurToken(pr Proto) string {
	switch pr {
	case ProtoEthernet:
		return "eth"
	case ProtoIPv4:
		return "ip"
	case ProtoIPv6:
		return "ipv6"
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoICMP:
		return "icmp"
	case ProtoICMPv6:
		return "icmpv6"
	case ProtoVLAN:
		return "vlan"
	case ProtoARP, ProtoRARP:
		return "arp"
	case ProtoSLL, ProtoSLL2:
		return "sll"
	case ProtoNull, ProtoLoop:
		return "null"
	case ProtoLLC:
		return "llc"
	case ProtoPPP:
		return "ppp"
	case ProtoPPPoE:
		return "pppoe"
	case ProtoMPLS:
		return "mpls"
	case ProtoL2TP:
		return "l2tp"
	case ProtoOSPF:
		return "ospf"
	case ProtoIPX:
		return "ipx"
	}
	return ""
}

// linkFamily reports whether a token belongs to this engineer's family (a
// file is checked when one of its frames holds one).
func linkFamily(tok string) bool {
	switch tok {
	case "eth", "ip", "ipv6", "tcp", "udp", "icmp", "icmpv6":
		return false
	}
	return tok != ""
}

// linkSeq keeps the compared tokens, stopping after ICMP (quoted packets in
// ICMP errors are not decoded), as chaincheck.py does.
func linkSeq(toks []string) []string {
	var out []string
	for _, t := range toks {
		if t == "" {
			continue
		}
		out = append(out, t)
		if t == "icmp" || t == "icmpv6" {
			break
		}
	}
	return out
}

type linkFrame struct {
	lt   uint32
	data []byte
}

// linkCorpusDir returns the shared corpus directory, skipping the test when
// it is absent.
func linkCorpusDir(t testing.TB) string {
	dir := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(dir, "raw")); err != nil {
		t.Skipf("corpus not found at %s", dir)
	}
	return dir
}

// linkReadCapture reads every frame of a capture with the project's reader
// (ingest does not import decoder, so there is no cycle). The error says
// where reading stopped.
func linkReadCapture(path string) ([]linkFrame, error) {
	r, c, err := ingest.Open(path, ingest.ReaderOptions{})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var frames []linkFrame
	var f ingest.Frame
	for {
		if err := r.Next(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return frames, nil
			}
			return frames, err
		}
		frames = append(frames, linkFrame{f.LinkType, append([]byte(nil), f.Data...)})
	}
}

// linkExpected reads NAME.frames.jsonl: per frame, tshark's protocols,
// vlan.id list and arp.opcode.
type linkExpFrame struct {
	Protocols []string `json:"frame.protocols"`
	VlanID    []string `json:"vlan.id"`
	ArpOpcode []string `json:"arp.opcode"`
}

func linkExpected(path string) ([]linkExpFrame, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []linkExpFrame
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e linkExpFrame
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// linkManifestTags returns the tags column of MANIFEST.tsv by file name.
func linkManifestTags(t *testing.T, dir string) map[string]string {
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		c := strings.Split(line, "\t")
		if i == 0 || len(c) < 10 {
			continue
		}
		tags[c[0]] = c[9]
	}
	return tags
}

// TestLinkCorpus decodes every corpus file whose tshark protocol chains
// hold a protocol of the link family (or whose link type is one) and
// compares, frame by frame: the sequence of family and core protocols with
// tshark's frame.protocols (as chaincheck.py does, with 802.1ad tags counted
// as VLAN), the VLAN ids (outer to inner) and the ARP opcode. Files tagged
// malformed are only decoded (no panic, spans inside the frame).
func TestLinkCorpus(t *testing.T) {
	dir := linkCorpusDir(t)
	tags := linkManifestTags(t, dir)
	names, err := os.ReadDir(filepath.Join(dir, "raw"))
	if err != nil {
		t.Fatal(err)
	}
	d := New(Options{})
	var p Packet
	var tr Tree
	var nFiles, nFrames, nMism, nVlan, nArp, nBad, nSkip int
	famErr := 0
	seen := map[string]int{} // family layers in tshark's chains of compared frames
	for _, de := range names {
		name := de.Name()
		exp, err := linkExpected(filepath.Join(dir, "expected", name+".frames.jsonl"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		ours := false
		for _, e := range exp {
			if len(e.Protocols) > 0 {
				for _, tok := range strings.Split(e.Protocols[0], ":") {
					if linkFamily(linkTokens[tok]) {
						ours = true
					}
				}
			}
		}
		if !ours {
			continue
		}
		frames, rerr := linkReadCapture(filepath.Join(dir, "raw", name))
		malformed := strings.Contains(","+tags[name]+",", ",malformed,")
		if malformed {
			for _, f := range frames {
				d.Decode(f.data, f.lt, &p)
				checkLinkSpans(t, &p)
				tr.Reset()
				p.Fields(&tr)
				if tr.Depth() != 0 {
					t.Errorf("%s: Fields left containers open", name)
				}
				if p.Failed() {
					nBad++
				}
			}
			continue
		}
		nFiles++
		if rerr != nil {
			t.Logf("%s: reader stopped after %d frames: %v", name, len(frames), rerr)
		}
		if len(frames) != len(exp) {
			// tshark also counts pcapng custom blocks as frames: the two
			// lists cannot be matched frame by frame.
			t.Logf("%s: NOT COMPARED: read %d frames, tshark %d", name, len(frames), len(exp))
			nSkip++
			continue
		}
		bad := 0
		for i, f := range frames {
			if i >= len(exp) {
				break
			}
			e := exp[i]
			d.Decode(f.data, f.lt, &p)
			checkLinkSpans(t, &p)
			nFrames++
			var want, got []string
			if len(e.Protocols) > 0 {
				for _, tok := range strings.Split(e.Protocols[0], ":") {
					want = append(want, linkTokens[tok])
				}
			}
			var vids []string
			arpOp := ""
			for j := 0; j < p.N; j++ {
				l := &p.Layers[j]
				got = append(got, linkOurToken(l.Proto))
				if l.Hdr == 0 {
					continue
				}
				switch l.Proto {
				case ProtoVLAN:
					// tshark lists 802.1ad S-tags as ieee8021ad.id, not vlan.id.
					if l.Off >= 2 && binary.BigEndian.Uint16(p.Data[l.Off-2:]) == 0x88a8 {
						break
					}
					vids = append(vids, strconv.Itoa(int(VLAN(p.Data[l.Off:l.End]).VID())))
				case ProtoARP, ProtoRARP:
					arpOp = strconv.Itoa(int(ARP(p.Data[l.Off:l.End]).Oper()))
				}
			}
			ws, gs := strings.Join(linkSeq(want), ":"), strings.Join(linkSeq(got), ":")
			for _, tok := range linkSeq(want) {
				if linkFamily(tok) {
					seen[tok]++
				}
			}
			msg := ""
			if ws != gs {
				msg += " chain want " + ws + " got " + gs
			}
			if wv := strings.Join(e.VlanID, ","); wv != strings.Join(vids, ",") {
				msg += " vlan.id want " + wv + " got " + strings.Join(vids, ",")
				nVlan++
			}
			if wa := strings.Join(e.ArpOpcode, ","); wa != arpOp {
				msg += " arp.opcode want " + wa + " got " + arpOp
				nArp++
			}
			if msg != "" {
				nMism++
				bad++
				if bad <= 3 {
					t.Errorf("%s frame %d:%s (ours %s, err %v)", name, i+1, msg, p.Chain(), &p.Err)
				}
			}
			if p.Failed() && linkFamily(linkOurToken(p.Err.Proto)) {
				famErr++
				t.Logf("%s frame %d: %s: %v", name, i+1, p.Chain(), &p.Err)
			}
			tr.Reset()
			p.Fields(&tr)
			if tr.Depth() != 0 {
				t.Errorf("%s frame %d: Fields left containers open", name, i+1)
			}
		}
		if bad > 3 {
			t.Errorf("%s: %d mismatching frames in all", name, bad)
		}
	}
	t.Logf("link corpus: %d good files (%d not comparable), %d frames, %d mismatching (vlan.id %d, arp.opcode %d); malformed files: %d frames with a decode error",
		nFiles, nSkip, nFrames, nMism, nVlan, nArp, nBad)
	t.Logf("family layers compared: %v; frames of good files failing in a family layer: %d", seen, famErr)
	if nFiles == 0 {
		t.Error("no corpus file holds a link-family protocol")
	}
}

// linkFuzzProtos are the first layers FuzzLink starts from.
var linkFuzzProtos = []Proto{
	ProtoEthernet, ProtoVLAN, ProtoARP, ProtoRARP, ProtoSLL, ProtoSLL2, ProtoNull, ProtoLoop,
	ProtoLLC, ProtoPPP, ProtoPPPoE, ProtoMPLS, ProtoL2TP, ProtoOSPF, ProtoIPX, ProtoIPv4,
}

// FuzzLink decodes arbitrary bytes from each link-family protocol (and from
// IPv4, to reach L2TPv3 and OSPF over IP). Invariants: no panic, every layer
// inside the frame and its parent, a failed layer is the last one and has
// no header, and Fields closes every container it opens.
func FuzzLink(f *testing.F) {
	eth := linkEthHdr
	seeds := []struct {
		pr  Proto
		hex string
	}{
		{ProtoEthernet, eth + "88a8 1fff 8100 300a 0806 0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002"},
		{ProtoEthernet, eth + "001c aaaa03 000000 0800" + linkIPv4},
		{ProtoEthernet, eth + "0021 e0e003 ffff 001e 00 04 00000001 ffffffffffff 0452 00000002 020000000001 4000"},
		{ProtoEthernet, eth + "001e ffff 001e 00 04 00000001 ffffffffffff 0452 00000002 020000000001 4000"},
		{ProtoEthernet, eth + "8864 1100 1234 0016 0021" + linkIPv4},
		{ProtoEthernet, eth + "8863 1109 0000 000c 0101 0000 0103 0004 deadbeef"},
		{ProtoEthernet, eth + "8847 00010040 00064bff" + linkIPv4},
		{ProtoVLAN, "a064 0800" + linkIPv4},
		{ProtoARP, "0001 0800 06 04 0001 020000000001 c0a80001 000000000000 c0a80002"},
		{ProtoRARP, "0001 0800 06 04 0003 020000000001 c0a80001 000000000000 c0a80002"},
		{ProtoSLL, "0000 0001 0006 020000000001 0000 0800" + linkIPv4},
		{ProtoSLL, "0004 0020 0014 0102030405060708 0004 424203 00"},
		{ProtoSLL2, "0800 0000 00000003 0001 04 06 020000000001 0000" + linkIPv4},
		{ProtoNull, "1e000000 6000000000003b40 fe800000000000000000000000000001 fe800000000000000000000000000002"},
		{ProtoLoop, "00000002" + linkIPv4},
		{ProtoLLC, "aaaa03 000000 0800" + linkIPv4},
		{ProtoPPP, "ff03 0281 00001140" + linkIPv4},
		{ProtoPPP, "21" + linkIPv4},
		{ProtoPPPoE, "1109 0000 0008 0101 0004 aabbccdd"},
		{ProtoMPLS, "00010040 00002140 6000000000003b40 fe800000000000000000000000000001 fe800000000000000000000000000002"},
		{ProtoL2TP, "c802 001f 0000 0000 0000 0000 8008 0000 0000 0001 000b 0000 0007 686f73742e"},
		{ProtoL2TP, "4a02 0028 0001 0002 0003 0004 0002 aaaa ff03 0021" + linkIPv4},
		{ProtoL2TP, "0003 0000 00001234 0102"},
		{ProtoL2TP, "c803 000c 00000007 0000 0000"},
		{ProtoIPv4, "4500 0028 0001 0000 40 73 0000 0a000001 0a000002 00000000 c803 0014 00000007 0001 0002 8008 0000 0000 0001"},
		{ProtoIPv4, "4500 0044 0001 0000 40 59 0000 0a000001 0a000002 02010030c0a800010000000000000000000000000000000000ffffff00000a020100000028c0a8000100000000c0a80002"},
		{ProtoOSPF, "02 04 0034 c0a80001 00000000 0000 0000 0000000000000000 00000001 0001 02 01 c0a80001 c0a80001 80000001 abcd 0018 00000000"},
		{ProtoOSPF, "03 01 0028 01010101 00000000 0000 00 00 00000005 01 000013 000a 0028 01010101 00000000 02020202"},
		{ProtoOSPF, "03 02 001c 01010101 00000000 0000 00 00 00 000013 05dc 00 01 00000001"},
		{ProtoIPX, "ffff 0022 00 11 00000001 ffffffffffff 0451 00000002 020000000001 4003 01020304"},
	}
	for _, s := range seeds {
		idx := -1
		for i, pr := range linkFuzzProtos {
			if pr == s.pr {
				idx = i
			}
		}
		f.Add(uint8(idx), lhex(f, s.hex))
	}
	d := New(Options{})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		first := linkFuzzProtos[int(which)%len(linkFuzzProtos)]
		var p Packet
		d.DecodeFrom(data, first, &p)
		checkLinkSpans(t, &p)
		if p.Failed() {
			last := p.Last()
			if last == nil || last.Proto != p.Err.Proto || last.Hdr != 0 {
				t.Fatalf("error %v not on the last layer (%+v)", &p.Err, last)
			}
			if !errors.Is(&p.Err, ErrTruncated) && !errors.Is(&p.Err, ErrMalformed) && !errors.Is(&p.Err, ErrUnsupported) {
				t.Fatalf("error %v wraps no sentinel", &p.Err)
			}
		}
		var tr Tree
		p.Fields(&tr)
		if tr.Depth() != 0 {
			t.Fatalf("Fields left %d containers open", tr.Depth())
		}
		for i := range tr.Nodes {
			if e := int(tr.Nodes[i].End); e <= i || e > len(tr.Nodes) {
				t.Fatalf("node %d (%s) ends at %d of %d", i, tr.Nodes[i].Key(), e, len(tr.Nodes))
			}
		}
	})
}
