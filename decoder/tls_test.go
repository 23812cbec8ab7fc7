package decoder

import (
	"bytes"
	"slices"
	"testing"
)

func tlsRecord(ct uint8, p []byte) []byte {
	return append([]byte{ct, 3, 3, byte(len(p) >> 8), byte(len(p))}, p...)
}

func tlsMsg(typ uint8, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

// tlsServerHello: TLS 1.2, cipher 0xc02f, extensions renegotiation_info
// and ALPN "h2".
var tlsServerHello = tlsMsg(2, append(append([]byte{3, 3}, make([]byte, 32)...),
	0, 0xc0, 0x2f, 0, 0, 14, 0xff, 0x01, 0, 1, 0, 0, 16, 0, 5, 0, 3, 2, 'h', '2'))

// TestTLSSegments: a segment of records is TLS on any port; hellos are
// decoded, a handshake or alert record that does not parse is reported
// encrypted, a record that goes on in the next segment truncated, and
// bytes after the records that are no record are raw.
func TestTLSSegments(t *testing.T) {
	payload := append(append(tlsRecord(22, tlsServerHello), tlsRecord(20, []byte{1})...), tlsRecord(22, bytes.Repeat([]byte{0x9c}, 40))...)
	payload = append(payload, tlsRecord(21, []byte{2, 40})...)
	payload = append(payload, tlsRecord(23, make([]byte, 100))[:30]...)
	p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(18443, 40000, 1, 1, TCPAck|TCPPsh, nil, payload))))
	if got := p.Chain(); got != "Ethernet:IPv4:TCP:TLS" || p.Failed() {
		t.Fatalf("chain %q (err %v)", got, &p.Err)
	}
	got := flatten(tr, "ethernet", "ipv4", "tcp", "tls")
	want := []string{
		".records[0].content_type=22", ".records[0].version=771", ".records[0].length=58",
		".records[0].handshakes[0].type=2", ".records[0].handshakes[0].length=54",
		".records[0].handshakes[0].version=771",
		".records[0].handshakes[0].random=0000000000000000000000000000000000000000000000000000000000000000",
		".records[0].handshakes[0].session_id=", ".records[0].handshakes[0].cipher_suite=49199",
		".records[0].handshakes[0].compression[0]=0", ".records[0].handshakes[0].extensions[0]=65281",
		".records[0].handshakes[0].extensions[1]=16", ".records[0].handshakes[0].alpn[0]=h2",
		".records[0].handshakes[0].ja3s=771,49199,65281-16", ".records[0].handshakes[0].ja3s_hash=7bee5c1d424b7e5f943b06983bb11422",
		".records[1].content_type=20", ".records[1].version=771", ".records[1].length=1",
		".records[2].content_type=22", ".records[2].version=771", ".records[2].length=40", ".records[2].encrypted=1",
		".records[3].content_type=21", ".records[3].version=771", ".records[3].length=2",
		".records[3].level=2", ".records[3].description=40",
		".records[4].content_type=23", ".records[4].version=771", ".records[4].length=100",
		".records[4].truncated=1", ".records[4].encrypted=1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	// Records, then bytes that are none: those are raw.
	p, tr = tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(443, 40000, 1, 1, TCPAck, nil, append(tlsRecord(23, []byte("abc")), "not tls"...)))))
	if got := flatten(tr, "ethernet", "ipv4", "tcp", "tls"); p.Chain() != "Ethernet:IPv4:TCP:TLS" || got[len(got)-1] != ".raw=6e6f7420746c73" {
		t.Errorf("records then junk: chain %q, %q", p.Chain(), flatten(tr, "ethernet", "ipv4", "tcp", "tls"))
	}
	// Not TLS: a record header that starts a longer record, off the TLS
	// ports and not a hello; text; an unknown version.
	for _, b := range [][]byte{tlsRecord(23, make([]byte, 3000))[:1000], []byte("\x16\x03\x09\x00\x10hello"), []byte("GET x")} {
		p, _ := tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(40001, 40000, 1, 1, TCPAck, nil, b))))
		if p.Chain() == "Ethernet:IPv4:TCP:TLS" {
			t.Errorf("%x: decoded as TLS", b[:5])
		}
	}
	// On port 443, the same record start is TLS (a record in several
	// segments).
	p, _ = tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(40001, 443, 1, 1, TCPAck, nil, tlsRecord(23, make([]byte, 3000))[:1000]))))
	if p.Chain() != "Ethernet:IPv4:TCP:TLS" {
		t.Errorf("port 443: chain %q", p.Chain())
	}
}

func FuzzTLS(f *testing.F) {
	f.Add(append(tlsRecord(22, tlsServerHello), tlsRecord(21, []byte{2, 40})...))
	f.Add(tlsRecord(22, tlsMsg(1, []byte{3, 3})))
	f.Add(tlsRecord(22, tlsMsg(11, []byte{0, 0, 3, 0, 0, 0})))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, ProtoTLS, data)
		fuzzDecode(t, ProtoTCP, tbTCP(40000, 443, 1, 1, TCPAck, nil, data))
		for _, client := range []bool{true, false} {
			if h, err := ParseTLSHello(data, client); (h == nil) == (err == "") {
				t.Fatalf("hello %v with error %q", h, err)
			}
		}
	})
}
