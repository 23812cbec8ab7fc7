package decoder

// This file holds the VLAN tests and the helpers shared by the tests of the
// link-layer family (VLAN, ARP, SLL, Null, LLC, PPP, MPLS, L2TP, OSPF, IPX):
// hex frame builders, a table runner, the prefix-truncation check and the
// FuzzLink target (in llc_test.go, with the corpus comparison TestLinkCorpus).

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// lhex decodes hex with spaces, newlines and '|' separators ignored.
func lhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.NewReplacer(" ", "", "\n", "", "\t", "", "|", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// linkNodeString renders a report node as a test-friendly string.
func linkNodeString(n *Node) string {
	switch n.Kind {
	case KindUint:
		return fmt.Sprint(n.Num)
	case KindInt:
		return fmt.Sprint(int64(n.Num))
	case KindBool:
		return fmt.Sprint(n.Num == 1)
	case KindString:
		return n.Str()
	case KindEnum:
		name := n.Str()
		if name == "" {
			name = "Unknown"
		}
		return fmt.Sprintf("%s [%d]", name, n.Num)
	case KindBytes:
		return hex.EncodeToString(n.Bin())
	case KindMAC:
		parts := make([]string, len(n.Bin()))
		for i, c := range n.Bin() {
			parts[i] = fmt.Sprintf("%02x", c)
		}
		return strings.Join(parts, ":")
	case KindIPv4, KindIPv6:
		a, ok := netip.AddrFromSlice(n.Bin())
		if !ok {
			return "bad-ip:" + hex.EncodeToString(n.Bin())
		}
		return a.String()
	case KindObject:
		return "{object}"
	case KindArray:
		return "[array]"
	}
	return fmt.Sprintf("kind %d", n.Kind)
}

// linkCount counts the direct children of the container at path.
func linkCount(t *Tree, path ...string) int {
	n := t.Lookup(path...)
	if n == nil || (n.Kind != KindObject && n.Kind != KindArray) {
		return -1
	}
	start := -1
	for i := range t.Nodes {
		if &t.Nodes[i] == n {
			start = i
			break
		}
	}
	c := 0
	for i := start + 1; i < int(n.End); i = int(t.Nodes[i].End) {
		c++
	}
	return c
}

// linkCase is one hand-built frame and what decoding it must give.
type linkCase struct {
	name   string
	first  Proto  // first layer's protocol
	data   []byte // frame
	chain  string // p.Chain()
	err    error  // sentinel of p.Err (nil: no error)
	errAt  Proto  // failing layer's protocol, when err != nil
	fields map[string]string
	// noTrunc skips the prefix-truncation check (cases that are already
	// malformed, where shorter prefixes can fail differently).
	noTrunc bool
}

// runLinkCases decodes each case, checks chain, error and fields, and
// checks every shorter prefix of the good cases with checkLinkPrefixes.
func runLinkCases(t *testing.T, cases []linkCase) {
	t.Helper()
	d := New(Options{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			d.DecodeFrom(c.data, c.first, &p)
			if got := p.Chain(); got != c.chain {
				t.Errorf("chain = %q, want %q (err %v)", got, c.chain, &p.Err)
			}
			switch {
			case c.err == nil && p.Failed():
				t.Errorf("unexpected error: %v", &p.Err)
			case c.err != nil && !p.Failed():
				t.Errorf("no error, want %v", c.err)
			case c.err != nil && !errors.Is(&p.Err, c.err):
				t.Errorf("error %v, want %v", &p.Err, c.err)
			case c.err != nil && p.Err.Proto != c.errAt:
				t.Errorf("error in layer %v, want %v", p.Err.Proto, c.errAt)
			}
			checkLinkSpans(t, &p)
			var tr Tree
			p.Fields(&tr)
			if tr.Depth() != 0 {
				t.Errorf("Fields left %d containers open", tr.Depth())
			}
			for path, want := range c.fields {
				if p, ok := strings.CutSuffix(path, "#"); ok {
					// "a.b#": number of children of the container a.b.
					if got := fmt.Sprint(linkCount(&tr, strings.Split(p, ".")...)); got != want {
						t.Errorf("field %s = %s children, want %s", p, got, want)
					}
					continue
				}
				n := tr.Lookup(strings.Split(path, ".")...)
				if want == "<absent>" {
					if n != nil {
						t.Errorf("field %s = %q, want it absent", path, linkNodeString(n))
					}
					continue
				}
				if n == nil {
					t.Errorf("field %s missing", path)
					continue
				}
				if got := linkNodeString(n); got != want {
					t.Errorf("field %s = %q, want %q", path, got, want)
				}
			}
			if c.err == nil && !c.noTrunc {
				checkLinkPrefixes(t, c.first, c.data, p.Chain())
			}
		})
	}
}

// checkLinkSpans checks that every layer lies inside the frame and inside
// its parent.
func checkLinkSpans(t testing.TB, p *Packet) {
	t.Helper()
	lo, hi := uint32(0), uint32(len(p.Data))
	for i := 0; i < p.N; i++ {
		l := &p.Layers[i]
		if l.Off < lo || l.End > hi || l.Off+l.Hdr > l.End {
			t.Fatalf("layer %d (%v) span off %d hdr %d end %d outside [%d,%d]", i, l.Proto, l.Off, l.Hdr, l.End, lo, hi)
		}
		lo, hi = l.Off+l.Hdr, l.End
	}
}

// checkLinkPrefixes decodes every proper prefix of a good frame: it must
// not panic, spans stay inside, the chain is a prefix of the full chain,
// and any error is a truncation (a cut frame is never "malformed").
func checkLinkPrefixes(t *testing.T, first Proto, data []byte, full string) {
	t.Helper()
	d := New(Options{})
	var p Packet
	var tr Tree
	for n := 0; n < len(data); n++ {
		d.DecodeFrom(data[:n], first, &p)
		checkLinkSpans(t, &p)
		if got := p.Chain(); !strings.HasPrefix(full, got) {
			t.Errorf("prefix %d: chain %q is not a prefix of %q", n, got, full)
		}
		if p.Failed() && !errors.Is(&p.Err, ErrTruncated) {
			t.Errorf("prefix %d: error %v, want a truncation", n, &p.Err)
		}
		tr.Reset()
		p.Fields(&tr)
		if tr.Depth() != 0 {
			t.Errorf("prefix %d: Fields left %d containers open", n, tr.Depth())
		}
	}
}

// linkAllocs checks that decoding frame, and writing its fields into a
// reused Tree, do not allocate.
func linkAllocs(t *testing.T, first Proto, data []byte) {
	t.Helper()
	d := New(Options{})
	var p Packet
	if a := testing.AllocsPerRun(100, func() { d.DecodeFrom(data, first, &p) }); a != 0 {
		t.Errorf("DecodeFrom(%v) allocates %.1f times per frame", first, a)
	}
	if p.Failed() {
		t.Errorf("alloc frame fails to decode: %v", &p.Err)
	}
	var tr Tree
	p.Fields(&tr) // grow the tree once
	if a := testing.AllocsPerRun(100, func() { tr.Reset(); p.Fields(&tr) }); a != 0 {
		t.Errorf("Fields(%v) allocates %.1f times per frame into a reused Tree", first, a)
	}
}

// linkIPv4With returns an IPv4 header (no options, checksum not set) for
// the given protocol and payload, followed by the payload.
func linkIPv4With(proto byte, payload []byte) []byte {
	h := []byte{0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	return append(h, payload...)
}

// Ethernet headers for the hand-built frames.
const (
	linkEthHdr = "ffffffffffff 020000000001"
	linkIPv4   = "4500 0014 0001 0000 40 ff 0000 0a000001 0a000002" // proto 255: raw payload
)

func TestVLAN(t *testing.T) {
	eth := linkEthHdr
	runLinkCases(t, []linkCase{
		{
			name: "802.1Q IPv4", first: ProtoEthernet,
			data:  lhex(t, eth+"8100 a064 0800"+linkIPv4),
			chain: "Ethernet:VLAN:IPv4",
			fields: map[string]string{
				"ethernet.vlan.tci.pcp": "5", "ethernet.vlan.tci.dei": "false",
				"ethernet.vlan.tci.vid": "100", "ethernet.vlan.type": "IPv4 [2048]",
			},
		},
		{
			name: "QinQ 802.1ad over 802.1Q ARP", first: ProtoEthernet,
			data: lhex(t, eth+"88a8 1fff 8100 300a 0806"+
				"0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002"),
			chain: "Ethernet:VLAN:VLAN:ARP",
			fields: map[string]string{
				"ethernet.vlan.tci.dei": "true", "ethernet.vlan.tci.vid": "4095",
				"ethernet.vlan.type": "802.1Q [33024]", "ethernet.vlan.vlan.tci.vid": "10",
				"ethernet.vlan.vlan.tci.pcp": "1", "ethernet.vlan.vlan.arp.oper": "request [1]",
			},
		},
		{
			name: "triple tag", first: ProtoEthernet,
			data:  lhex(t, eth+"9100 0001 88a8 0002 8100 0003 86dd"),
			chain: "Ethernet:VLAN:VLAN:VLAN",
			fields: map[string]string{
				"ethernet.vlan.vlan.vlan.tci.vid": "3", "ethernet.vlan.vlan.vlan.type": "IPv6 [34525]",
			},
		},
		{
			name: "802.3 length after tag, LLC, padding trimmed", first: ProtoEthernet,
			data:  lhex(t, eth+"8100 0005 0003 424203 000000000000"),
			chain: "Ethernet:VLAN:LLC",
			fields: map[string]string{
				"ethernet.vlan.len": "3", "ethernet.vlan.llc.dsap": "Spanning Tree [66]",
			},
		},
		{
			name: "unknown inner type is raw", first: ProtoEthernet,
			data:  lhex(t, eth+"8100 0005 88b5 01020304"),
			chain: "Ethernet:VLAN",
			fields: map[string]string{
				"ethernet.vlan.type": "Unknown [34997]", "ethernet.vlan.raw": "01020304",
			},
		},
		{
			name: "truncated tag", first: ProtoEthernet,
			data:  lhex(t, eth+"8100 00"),
			chain: "Ethernet:VLAN", err: ErrTruncated, errAt: ProtoVLAN,
			fields: map[string]string{"ethernet.vlan.error.offset": "14"},
		},
	})
	linkAllocs(t, ProtoEthernet, lhex(t, eth+"88a8 1fff 8100 300a 0800"+linkIPv4))
}
