package decoder

import (
	"bytes"
	"compress/flate"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestAH(t *testing.T) {
	ah := func(next string) []byte {
		// Payload Len 4: (4+2)*4 = 24 bytes, 12 of them ICV.
		return inetHex(next + " 04 0000 | 00001000 | 00000005 | 0102030405060708090a0b0c")
	}
	runInetCases(t, []inetCase{
		{
			name: "transport mode over ipv4", first: ProtoIPv4,
			data:  inetIP4(51, inetCat(ah("01"), inetPing4)),
			chain: "IPv4:AH:ICMP", under: ProtoAH,
			fields: []inetField{
				{"ipv4.protocol", "AH [51]"},
				{"ipv4.ah.next", "ICMP [1]"},
				{"ipv4.ah.length", "24"},
				{"ipv4.ah.reserved", "0"},
				{"ipv4.ah.spi", "4096"},
				{"ipv4.ah.seq", "5"},
				{"ipv4.ah.icv", "0102030405060708090a0b0c"},
				{"ipv4.ah.icmp", "<present>"},
			},
		},
		{
			name: "tunnel mode ipv4 in ipv4", first: ProtoIPv4,
			data:  inetIP4(51, inetCat(ah("04"), inetIP4(1, inetPing4))),
			chain: "IPv4:AH:IPv4:ICMP", under: ProtoAH,
			fields: []inetField{{"ipv4.ah.next", "IPv4 [4]"}, {"ipv4.ah.ipv4.src", "192.0.2.1"}},
		},
		{
			name: "tunnel mode ipv6 in ipv6", first: ProtoIPv6,
			data:  inetIP6(51, inetCat(ah("29"), inetIP6(17, inetUDP(1, 2, nil)))),
			chain: "IPv6:AH:IPv6:UDP", under: ProtoAH,
			fields: []inetField{{"ipv6.ah.next", "IPv6 [41]"}},
		},
		{
			// Zeek's ipv6_zero_len_ah trace: Payload Len 0 announces an
			// 8-byte header (no sequence number, no ICV); tshark decodes
			// the ICMPv6 message right after it.
			name: "zero-length ah", first: ProtoIPv6,
			data:  inetIP6(51, inetCat(inetHex("3a 00 0000 00000000"), inetPing6)),
			chain: "IPv6:AH:ICMPv6", under: ProtoAH,
			fields: []inetField{
				{"ipv6.ah.length", "8"},
				{"ipv6.ah.spi", "0"},
				{"ipv6.ah.seq", "null"},
				{"ipv6.ah.icv", "null"},
				{"ipv6.ah.icmpv6", "<present>"},
			},
		},
		{
			name: "ah longer than the packet", first: ProtoIPv4,
			data:  inetIP4(51, inetHex("01 07 0000 00001000 00000005 0102030405060708")),
			chain: "IPv4:AH", err: ErrTruncated, errAt: ProtoAH,
		},
	})
}

func TestESP(t *testing.T) {
	esp := inetHex("00001234 00000007 | 8a7b6c5d4e3f2011")
	runInetCases(t, []inetCase{
		{
			name: "over ipv4", first: ProtoIPv4,
			data:  inetIP4(50, esp),
			chain: "IPv4:ESP", under: ProtoESP, payload: "8a7b6c5d4e3f2011",
			fields: []inetField{
				{"ipv4.esp.spi", "4660"},
				{"ipv4.esp.seq", "7"},
				{"ipv4.esp.raw", "8a7b6c5d4e3f2011"},
			},
		},
		{
			name: "over ipv6", first: ProtoEthernet,
			data:  inetEth(0x86dd, inetIP6(50, esp)),
			chain: "Ethernet:IPv6:ESP", under: ProtoESP,
			fields: []inetField{{"ethernet.ipv6.next", "ESP [50]"}, {"ethernet.ipv6.esp.seq", "7"}},
		},
		{
			name: "nat traversal over udp 4500", first: ProtoIPv4,
			data:   inetIP4(17, inetUDP(4500, 4500, esp)),
			chain:  "IPv4:UDP:ESP",
			fields: []inetField{{"ipv4.udp.esp.spi", "4660"}},
		},
		{
			name: "spi 0 over ip is still esp", first: ProtoIPv4,
			data:  inetIP4(50, inetHex("00000000 00000001 ff")),
			chain: "IPv4:ESP", payload: "ff",
			fields: []inetField{{"ipv4.esp.spi", "0"}, {"ipv4.esp.seq", "1"}},
		},
	})
}

// TestESPOverUDPMarkers checks the RFC 3948 cases on port 4500 that are
// not ESP, as decodeESP sees them when its parent layer is UDP.
func TestESPOverUDPMarkers(t *testing.T) {
	for _, c := range []struct {
		name    string
		payload []byte
		hdr     uint32
		next    Proto
		field   string
		err     error
	}{
		{"non-esp marker (ike)", inetHex("00000000 2a2a2a2a"), 4, ProtoRaw, "non_esp_marker", nil},
		{"nat keepalive", inetHex("ff"), 1, ProtoNone, "keepalive", nil},
		{"short esp", inetHex("0102"), 0, ProtoNone, "", ErrTruncated},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			p.Data = inetCat(inetUDP(4500, 4500, nil), c.payload)
			p.Layers[0] = Layer{Proto: ProtoUDP, Off: 0, Hdr: 8, End: uint32(len(p.Data))}
			p.Layers[1] = Layer{Proto: ProtoESP, Off: 8, End: uint32(len(p.Data))}
			p.N = 2
			next, err := decodeESP(&p, &p.Layers[1])
			if !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if err != nil {
				return
			}
			if next != c.next || p.Layers[1].Hdr != c.hdr {
				t.Fatalf("next %v hdr %d, want %v %d", next, p.Layers[1].Hdr, c.next, c.hdr)
			}
			var tr Tree
			p.Fields(&tr)
			if got := inetRender(&tr, inetLookup(&tr, "udp.esp."+c.field)); got != "true" {
				t.Errorf("udp.esp.%s = %s, want true\n%s", c.field, got, inetDump(&tr))
			}
		})
	}
}

// deflate compresses b as raw DEFLATE (RFC 1951).
func deflate(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	w, _ := flate.NewWriter(&out, flate.BestCompression)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// TestIPComp: the header; a DEFLATE payload reported decompressed, the
// inner datagram decoded under it while the frame's layers end at IPComp;
// an algorithm other than DEFLATE left compressed; a payload that does not
// inflate, or inflates past an IP datagram, reported with its error.
func TestIPComp(t *testing.T) {
	inner := tbIPv4(17, tbUDP(5000, 53, make([]byte, 40)))
	ipcomp := func(cpi uint16, payload []byte) []byte {
		return append([]byte{4, 0, byte(cpi >> 8), byte(cpi)}, payload...)
	}
	p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(108, ipcomp(2, deflate(t, inner)))))
	if p.Chain() != "Ethernet:IPv4:IPComp" || p.Failed() {
		t.Fatalf("chain %q, err %v", p.Chain(), &p.Err)
	}
	got := flatten(tr, "ethernet", "ipv4", "ipcomp")
	for _, w := range []string{".next=4", ".flags=0", ".cpi=2", ".decompressed_len=68", ".decompressed.ipv4.src=10.0.0.1",
		".decompressed.ipv4.udp.dstport=53"} {
		if !slices.Contains(got, w) {
			t.Errorf("missing %s in %q", w, got)
		}
	}
	for _, c := range []struct {
		cpi     uint16
		payload []byte
		want    string
	}{
		{3, deflate(t, inner), ".cpi=3"}, // LZS: left as it is
		{2, []byte("not deflate"), ".decompress_error=flate: corrupt input before offset 1"},
		{300, deflate(t, make([]byte, 70000)), ".decompress_error=decompressed payload over 65535 bytes"},
	} {
		_, tr := tbDecode(t, tbEth(0x0800, tbIPv4(108, ipcomp(c.cpi, c.payload))))
		got := flatten(tr, "ethernet", "ipv4", "ipcomp")
		if !slices.Contains(got, c.want) || slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, ".decompressed.") }) {
			t.Errorf("cpi %d: %q, want %s and nothing decompressed", c.cpi, got, c.want)
		}
	}
}
