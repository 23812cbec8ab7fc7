package decoder

import (
	"errors"
	"slices"
	"testing"
)

// dhcpMessage builds a DHCP message: op, xid, the client's MAC, then
// options.
func dhcpMessage(op uint8, xid uint32, opts ...byte) []byte {
	b := make([]byte, dhcpFixed)
	b[0], b[1], b[2] = op, 1, 6
	b[4], b[5], b[6], b[7] = byte(xid>>24), byte(xid>>16), byte(xid>>8), byte(xid)
	copy(b[dhcpCHAddr:], []byte{0, 0x0b, 0x82, 1, 0xfc, 0x42})
	copy(b[dhcpSName:], "boot-server")
	return append(append(b, dhcpCookie...), opts...)
}

// TestDHCP: the fixed part, typed options, padding after End; an option
// running past the message fails the layer with its code and offset, and
// the partial fields keep what came before it; BOOTP without the magic
// cookie keeps its vendor area raw.
func TestDHCP(t *testing.T) {
	msg := dhcpMessage(2, 0x3d1e, 53, 1, 5, 54, 4, 192, 168, 0, 1, 51, 4, 0, 0, 0x0e, 0x10, 6, 8, 8, 8, 8, 8, 1, 1, 1, 1,
		12, 3, 'p', 'c', '1', 0, 61, 7, 1, 0, 0x0b, 0x82, 1, 0xfc, 0x42, 200, 2, 0xab, 0xcd, 255, 0, 0)
	p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(67, 68, msg))))
	if got := p.Chain(); got != "Ethernet:IPv4:UDP:DHCP" || p.Failed() {
		t.Fatalf("chain %q (err %v)", got, &p.Err)
	}
	got := flatten(tr, "ethernet", "ipv4", "udp", "dhcp")
	want := []string{".op=2", ".htype=1", ".hlen=6", ".hops=0", ".xid=15646", ".secs=0", ".flags.broadcast=0", ".flags.value=0",
		".ciaddr=0.0.0.0", ".yiaddr=0.0.0.0", ".siaddr=0.0.0.0", ".giaddr=0.0.0.0", ".chaddr=00:0b:82:01:fc:42",
		".sname=boot-server", ".file=", ".magic_cookie=1",
		".options[0].code=53", ".options[0].length=1", ".options[0].value=5",
		".options[1].code=54", ".options[1].length=4", ".options[1].value=192.168.0.1",
		".options[2].code=51", ".options[2].length=4", ".options[2].value=3600",
		".options[3].code=6", ".options[3].length=8", ".options[3].value[0]=8.8.8.8", ".options[3].value[1]=1.1.1.1",
		".options[4].code=12", ".options[4].length=3", ".options[4].value=pc1",
		".options[5].code=61", ".options[5].length=7", ".options[5].hwtype=1", ".options[5].value=00:0b:82:01:fc:42",
		".options[6].code=200", ".options[6].length=2", ".options[6].value=abcd",
		".options[7].code=255", ".padding=2"}
	if !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	bad := dhcpMessage(1, 7, 53, 1, 1, 12, 30, 'x')
	p, tr = tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(68, 67, bad))))
	if !p.Failed() || p.Err.Proto != ProtoDHCP || p.Err.Err.Error() != "malformed: dhcp option 12 at offset 243 runs past the end of the message" {
		t.Errorf("option past the end: chain %q, err %v", p.Chain(), &p.Err)
	}
	if got := flatten(tr, "ethernet", "ipv4", "udp", "dhcp"); !slices.Contains(got, ".options[0].value=1") || slices.Contains(got, ".options[1].code=12") {
		t.Errorf("partial fields %q", got)
	}
	bootp := append(dhcpMessage(1, 9)[:dhcpFixed], "vendor"...)
	p, tr = tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(68, 67, bootp))))
	if got := flatten(tr, "ethernet", "ipv4", "udp", "dhcp"); p.Chain() != "Ethernet:IPv4:UDP:DHCP" || !slices.Contains(got, ".magic_cookie=0") || !slices.Contains(got, ".raw=76656e646f72") {
		t.Errorf("BOOTP: chain %q, %q", p.Chain(), got)
	}
	// Cut short by the snapshot length: DHCP, truncated, with the fields
	// the bytes hold.
	p, tr = tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(67, 68, msg[:100]))))
	got = flatten(tr, "ethernet", "ipv4", "udp", "dhcp")
	if !errors.Is(p.Err.Err, ErrTruncated) || p.Err.Proto != ProtoDHCP || !slices.Contains(got, ".xid=15646") ||
		!slices.Contains(got, ".chaddr=00:0b:82:01:fc:42") || slices.Contains(got, ".sname=boot-server") {
		t.Errorf("cut short: err %v, fields %q", &p.Err, got)
	}
	// Not DHCP: neither request nor reply, a hardware address too long.
	for _, b := range [][]byte{append([]byte{3}, msg[1:]...), append([]byte{1, 1, 17}, msg[3:]...)} {
		if p, _ := tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(68, 67, b)))); p.Chain() != "Ethernet:IPv4:UDP" {
			t.Errorf("%d bytes, op %d: chain %q", len(b), b[0], p.Chain())
		}
	}
}

func FuzzDHCP(f *testing.F) {
	f.Add(dhcpMessage(1, 1, 53, 1, 1, 55, 3, 1, 3, 6, 255))
	f.Add(dhcpMessage(2, 2, 3, 8, 10, 0, 0, 1, 10, 0, 0, 2, 12, 0, 255, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, ProtoDHCP, data)
		fuzzDecode(t, ProtoUDP, tbUDP(68, 67, data))
	})
}
