package decoder

import (
	"errors"
	"testing"
)

var icmpPath = []string{"ethernet", "ipv4", "icmp"}

func icmpAt(keys ...string) []string { return append(append([]string(nil), icmpPath...), keys...) }

func TestICMPEcho(t *testing.T) {
	frame := tbEth(0x0800, tbIPv4(1, []byte{8, 0, 0xf7, 0xfd, 0x12, 0x34, 0, 2, 'a', 'b', 'c'}))
	p, tr := tbDecode(t, frame)
	if p.Failed() || p.Chain() != "Ethernet:IPv4:ICMP" || string(p.Payload()) != "abc" {
		t.Fatalf("chain %q err %v payload %q", p.Chain(), &p.Err, p.Payload())
	}
	h := ICMP(p.Bytes(2))
	if h.Type() != 8 || h.Code() != 0 || h.Checksum() != 0xf7fd || h.ID() != 0x1234 || h.Seq() != 2 || !h.IsEcho() {
		t.Errorf("view %d %d %#x %#x %d", h.Type(), h.Code(), h.Checksum(), h.ID(), h.Seq())
	}
	tbUint(t, tr, 8, icmpAt("type")...)
	tbString(t, tr, "Echo Request", icmpAt("type")...)
	tbUint(t, tr, 0xf7fd, icmpAt("checksum")...)
	tbUint(t, tr, 0x1234, icmpAt("id")...)
	tbUint(t, tr, 2, icmpAt("seq")...)
}

func TestICMPErrors(t *testing.T) {
	quoted := tbIPv4(17, tbUDP(5353, 33434, nil))
	msg := append([]byte{3, 4, 0, 0, 0, 0, 0x05, 0xdc}, quoted...) // frag needed, MTU 1500
	p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(1, msg)))
	if p.Failed() || p.Chain() != "Ethernet:IPv4:ICMP" {
		t.Fatalf("chain %q err %v", p.Chain(), &p.Err)
	}
	if len(p.Payload()) != len(quoted) {
		t.Errorf("quote is not the payload: %d bytes", len(p.Payload()))
	}
	tbString(t, tr, "Destination Unreachable", icmpAt("type")...)
	tbString(t, tr, "Fragmentation Needed", icmpAt("code")...)
	tbUint(t, tr, 1500, icmpAt("mtu")...)
	tbUint(t, tr, 17, icmpAt("quote", "protocol")...)
	tbUint(t, tr, 5353, icmpAt("quote", "srcport")...)
	tbUint(t, tr, 33434, icmpAt("quote", "dstport")...)
	if n := tr.Lookup(icmpAt("quote", "dst")...); n == nil || string(n.Bin()) != string(tbDst4) {
		t.Errorf("quote dst %+v", n)
	}

	// Redirect: gateway.
	_, tr = tbDecode(t, tbEth(0x0800, tbIPv4(1, append([]byte{5, 1, 0, 0, 10, 0, 0, 254}, quoted...))))
	if n := tr.Lookup(icmpAt("gateway")...); n == nil || string(n.Bin()) != "\x0a\x00\x00\xfe" {
		t.Errorf("redirect gateway %+v", n)
	}
	tbString(t, tr, "Redirect for Host", icmpAt("code")...)

	// Timestamp: 20-byte header.
	ts := []byte{13, 0, 0, 0, 0, 7, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}
	p, tr = tbDecode(t, tbEth(0x0800, tbIPv4(1, ts)))
	if p.Failed() || p.Layers[2].Hdr != 20 {
		t.Fatalf("timestamp: err %v hdr %d", &p.Err, p.Layers[2].Hdr)
	}
	tbUint(t, tr, 7, icmpAt("id")...)
	tbUint(t, tr, 2, icmpAt("receive")...)
	tbUint(t, tr, 3, icmpAt("transmit")...)
	for n := 8; n < len(ts); n++ {
		p, _ = tbDecode(t, tbEth(0x0800, tbIPv4(1, ts[:n])))
		if !errors.Is(p.Err.Err, ErrTruncated) || p.Err.Proto != ProtoICMP {
			t.Errorf("timestamp cut at %d: err %v", n, &p.Err)
		}
	}

	// Truncated below 8 bytes, at every length.
	for n := 1; n < 8; n++ {
		p, _ = tbDecode(t, tbEth(0x0800, tbIPv4(1, msg[:n])))
		if !errors.Is(p.Err.Err, ErrTruncated) || p.Err.Proto != ProtoICMP || p.Err.Offset != 34 {
			t.Errorf("cut at %d: err %v", n, &p.Err)
		}
	}

	// Router advertisement whose entries do not fit: truncated.
	p, _ = tbDecode(t, tbEth(0x0800, tbIPv4(1, []byte{9, 0, 0, 0, 2, 2, 0, 30, 10, 0, 0, 1, 0, 0, 0, 0})))
	if !errors.Is(p.Err.Err, ErrTruncated) {
		t.Errorf("router advertisement: err %v", &p.Err)
	}
}
