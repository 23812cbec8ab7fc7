package craft_test

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pcapflow/pcapflow/decoder"
)

// field is one expected report value: a path of keys ("#n" picks the n-th
// element of an array) and the value rendered as text.
type field struct{ path, want string }

// lookup follows a slash-separated path in t.
func lookup(t *decoder.Tree, path string) *decoder.Node {
	lo, hi := 0, len(t.Nodes)
	var found *decoder.Node
	for _, k := range strings.Split(path, "/") {
		found = nil
		idx := -1
		if strings.HasPrefix(k, "#") {
			idx, _ = strconv.Atoi(k[1:])
		}
		n := 0
		for i := lo; i < hi; {
			nd := &t.Nodes[i]
			if (idx < 0 && nd.Key() == k) || (idx >= 0 && n == idx) {
				found = nd
				lo, hi = i+1, int(nd.End)
				break
			}
			n++
			i = int(nd.End)
		}
		if found == nil {
			return nil
		}
	}
	return found
}

// render renders a node's value as text.
func render(n *decoder.Node) string {
	switch n.Kind {
	case decoder.KindUint, decoder.KindEnum:
		return strconv.FormatUint(n.Num, 10)
	case decoder.KindInt:
		return strconv.FormatInt(n.Int(), 10)
	case decoder.KindBool:
		return strconv.FormatBool(n.Num != 0)
	case decoder.KindString:
		return n.Str()
	case decoder.KindIPv4, decoder.KindIPv6:
		a, _ := netip.AddrFromSlice(n.Bin())
		return a.String()
	case decoder.KindMAC:
		return net.HardwareAddr(n.Bin()).String()
	case decoder.KindBytes:
		return hex.EncodeToString(n.Bin())
	}
	return fmt.Sprintf("<kind %d>", n.Kind)
}

// dump renders a tree, one node per line, for failure messages.
func dump(t *decoder.Tree) string {
	var sb strings.Builder
	var open []int32
	for i := range t.Nodes {
		n := &t.Nodes[i]
		for len(open) > 0 && int32(i) >= open[len(open)-1] {
			open = open[:len(open)-1]
		}
		fmt.Fprintf(&sb, "%s%s", strings.Repeat("  ", len(open)), n.Key())
		if n.Kind == decoder.KindObject || n.Kind == decoder.KindArray {
			sb.WriteString(":\n")
			open = append(open, n.End)
			continue
		}
		fmt.Fprintf(&sb, " = %s\n", render(n))
	}
	return sb.String()
}

// decode decodes frame b with the project decoder and returns the packet
// and its report tree; a decode error fails the test.
func decode(t *testing.T, b []byte, linkType uint32) (*decoder.Packet, *decoder.Tree) {
	t.Helper()
	var p decoder.Packet
	decoder.New(decoder.Options{}).Decode(b, linkType, &p)
	var tr decoder.Tree
	p.Fields(&tr)
	if p.Failed() {
		t.Fatalf("decode %s: %v\n%s", p.Chain(), &p.Err, dump(&tr))
	}
	return &p, &tr
}

// checkFields compares report values with their expected text.
func checkFields(t *testing.T, tr *decoder.Tree, fields []field) {
	t.Helper()
	for _, f := range fields {
		n := lookup(tr, f.path)
		if n == nil {
			t.Errorf("field %s missing from the report\n%s", f.path, dump(tr))
			continue
		}
		if got := render(n); got != f.want {
			t.Errorf("field %s = %q, want %q", f.path, got, f.want)
		}
	}
}

// gopacketDecode decodes b with gopacket, fails on a decoding error and on
// any checksum mismatch, and returns the packet.
func gopacketDecode(t *testing.T, b []byte, first gopacket.Decoder) gopacket.Packet {
	t.Helper()
	pkt := gopacket.NewPacket(b, first, gopacket.Default)
	if el := pkt.ErrorLayer(); el != nil {
		t.Fatalf("gopacket: %v\n%s", el.Error(), pkt.Dump())
	}
	if nl := pkt.NetworkLayer(); nl != nil {
		for _, l := range pkt.Layers() {
			if c, ok := l.(interface {
				SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
			}); ok {
				if err := c.SetNetworkLayerForChecksum(nl); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	err, bad := pkt.VerifyChecksums()
	if err != nil {
		t.Fatalf("gopacket checksums: %v", err)
	}
	for _, m := range bad {
		t.Errorf("gopacket: bad checksum in %v: have %#x, correct %#x", m.Layer.LayerType(), m.Actual, m.Correct)
	}
	return pkt
}

// ethernet is gopacket's Ethernet decoder.
var ethernet gopacket.Decoder = layers.LayerTypeEthernet
