package reassembler

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest/ingesttest"
)

// tlsSummary renders what the tests check of a TLS Message: its kind and
// frames, then per handshake message its type and the values tshark also
// gives (server name, ALPN, JA3/JA3S string and hash, cipher suite,
// supported versions, certificate names and serials), or the alert.
func tlsSummary(m *Message) string {
	s := fmt.Sprintf("%d %s %v", m.Dir, m.Kind, m.Frames)
	r := m.TLS
	if r == nil {
		return s + " error: " + m.Error
	}
	if r.Encrypted {
		s += " encrypted"
	}
	if a := r.Alert; a != nil {
		s += fmt.Sprintf(" alert=%d/%d", a.Level, a.Description)
	}
	for _, h := range r.Handshakes {
		s += fmt.Sprintf(" [%d", h.Type)
		if x := h.Hello; x != nil {
			if x.ServerName != "" {
				s += " sni=" + x.ServerName
			}
			if x.ALPN != nil {
				s += " alpn=" + strings.Join(x.ALPN, "|")
			}
			if h.Type == 2 {
				s += fmt.Sprintf(" cipher=%#04x", x.CipherSuite)
			}
			if x.SupportedVersions != nil {
				s += fmt.Sprintf(" versions=%#04x", x.SupportedVersions)
			}
			s += " ja3=" + x.JA3 + " " + x.JA3Hash
		}
		for _, c := range h.Certificates {
			s += fmt.Sprintf(" cert=%s/%s/%s/%d", strings.Join(c.DNSNames, "|"), c.Serial, c.Subject, c.Length)
			if c.Error != "" {
				s += " (" + c.Error + ")"
			}
		}
		if h.Error != "" {
			s += " error: " + h.Error
		}
		s += "]"
	}
	if m.Error != "" {
		s += " error: " + m.Error
	}
	return s
}

func tlsRecords(t *testing.T, path string) []string {
	t.Helper()
	var got []string
	for _, r := range runCapture(t, path, Config{TCP: true, Analyse: true, Strict: true}, 0) {
		if m := r.Message; m != nil && m.Proto == "TLS" {
			got = append(got, tlsSummary(m))
			var tr decoder.Tree
			m.Fields(&tr)
		}
	}
	return got
}

// TestTLSCapture: testdata/tls.pcap, OpenSSL 3.0 s_client against
// s_server on loopback (see testdata/README.md): TLS 1.2 with a
// certificate, TLS 1.3, and a TLS 1.2 hello the server refuses with an
// alert. The records (frames, content types, handshake types), server
// names, ALPN protocols, JA3 and JA3S strings and hashes, cipher suites,
// supported versions, certificate names, serial and length and the alert
// are tshark 4.0's (tls.record.content_type, tls.handshake.*,
// x509ce.dNSName, x509af.serialNumber, tls.alert_message.desc); tshark
// names TLS 1.3's protected records by frame only.
func TestTLSCapture(t *testing.T) {
	const (
		ja3a = "771,49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-35-16-22-23-13,29-23-30-25-24,0-1-2 22558766122974704364c9c75c5cce0a"
		ja3b = "771,4866-4867-4865-255,0-11-10-35-16-22-23-13-43-45-51,29-23-30-25-24-256-257-258-259-260,0-1-2 9dffdb8b608a430b774a2ff7d36c1a0c"
		ja3c = "771,47-255,0-35-22-23-13,, 32bd4344a88c1f141b7f7eb316c90496"
		cert = "cert=pcapflow.test|www.pcapflow.test/3c5b110df7271efe14333d05f81d5ae4afcac431/CN=pcapflow.test,O=pcapflow/478"
	)
	want := []string{
		// TLS 1.2: the client's hello, its key exchange, then encrypted;
		// OpenSSL's server sends each handshake message in a record.
		"0 handshake [4] [1 sni=pcapflow.test alpn=h2|http/1.1 ja3=" + ja3a + "]",
		"0 handshake [8] [16]",
		"0 change_cipher_spec [8]",
		"0 handshake [8] encrypted",
		"0 application_data [10] encrypted",
		"0 alert [14] encrypted",
		"1 handshake [6] [2 alpn=h2 cipher=0xc02c ja3=771,49196,65281-11-35-16-23 e195432758194ce2d482396b82e0d48e]",
		"1 handshake [6] [11 " + cert + "]",
		"1 handshake [6] [12]",
		"1 handshake [6] [14]",
		"1 handshake [9] [4]",
		"1 change_cipher_spec [9]",
		"1 handshake [9] encrypted",
		"1 application_data [11] encrypted",
		"1 alert [12] encrypted",
		// TLS 1.3: only the hellos in clear.
		"0 handshake [21] [1 sni=www.pcapflow.test alpn=http/1.1 versions=[0x0304] ja3=" + ja3b + "]",
		"0 change_cipher_spec [25]",
		"0 application_data [25] encrypted",
		"0 application_data [29] encrypted",
		"0 application_data [33] encrypted",
		"1 handshake [23] [2 cipher=0x1302 versions=[0x0304] ja3=771,4866,43-51 15af977ce25de452b96affa2addb1036]",
		"1 change_cipher_spec [23]",
		"1 application_data [23] encrypted",
		"1 application_data [23] encrypted",
		"1 application_data [23] encrypted",
		"1 application_data [23] encrypted",
		"1 application_data [26] encrypted",
		"1 application_data [27] encrypted",
		"1 application_data [30] encrypted",
		"1 application_data [31] encrypted",
		// Refused: a fatal handshake_failure alert in clear.
		"0 handshake [40] [1 sni=pcapflow.test ja3=" + ja3c + "]",
		"1 alert [42] alert=2/40",
	}
	got := tlsRecords(t, "../testdata/tls.pcap")
	if !slices.Equal(got, want) {
		t.Errorf("records:\n got %q\nwant %q", got, want)
	}
}

// TestTLSCorpus: the handshakes of the corpus's TLS captures, against
// tshark 4.0 (tls.handshake.extensions_server_name, ja3_full, ja3,
// ja3s_full, ja3s, x509ce.dNSName, x509af.serialNumber,
// tls.handshake.certificate_length): a TLS 1.3 hello exchange (a Java
// client, the capture ends inside the server's flight), and TLS 1.2 over
// PPPoE over QinQ with a two-certificate chain, whose server flight spans
// three segments.
func TestTLSCorpus(t *testing.T) {
	raw := filepath.Join(ingesttest.CorpusDir(t), "raw")
	jdk := tlsRecords(t, filepath.Join(raw, "zeek__tls__openjdk-25.0.2-zeek.org.pcap"))
	wantJDK := []string{
		"0 handshake [4] [1 sni=zeek.org alpn=h2|http/1.1 versions=[0x0304 0x0303] ja3=771,4866-4865-4867-49196-49195-52393-49200-52392-49199-159-52394-163-158-162-49188-49192-49187-49191-107-106-103-64-49162-49172-49161-49171-57-56-51-50-255,0-5-10-11-16-17-23-35-13-43-45-50-51,29-23-24-25-30-256-257-258-259-260,0 bddb16608b241c89053080cf80771423]",
		"1 handshake [6] [2 cipher=0x1302 versions=[0x0304] ja3=771,4866,43-51 15af977ce25de452b96affa2addb1036]",
		"1 change_cipher_spec [6]",
		"1 application_data [6] encrypted",
		"1 application_data [6] encrypted error: record cut short: 2732 of 3037 bytes",
	}
	if !slices.Equal(jdk, wantJDK) {
		t.Errorf("openjdk:\n got %q\nwant %q", jdk, wantJDK)
	}
	var hs []string
	for _, s := range tlsRecords(t, filepath.Join(raw, "zeek__pppoe-over-qinq.pcap")) {
		if !strings.Contains(s, "encrypted") {
			hs = append(hs, s)
		}
	}
	// The records in clear (the rest are protected, among them the alert
	// of a connection seen from its middle, 26 bytes: not read as one).
	wantQinQ := []string{
		"0 handshake [4] [1 sni=xp.apple.com alpn=h2|h2-16|h2-15|h2-14|spdy/3.1|spdy/3|http/1.1 ja3=771,49196-49195-49188-49187-49162-49161-52393-49200-49199-49192-49191-49172-49171-52392-157-156-61-60-53-47,65281-0-23-13-5-13172-18-16-11-10-21,29-23-24,0 92306a1faec06f00b17da7dd2a607d69]",
		"0 handshake [12] [16]",
		"0 change_cipher_spec [12]",
		"1 handshake [5 6 7] [2 cipher=0x009c ja3=771,156, ac4776ae2f7042ea107581e2be63ffa1] [11 " +
			"cert=xp.apple.com|metrics.mzstatic.com|mzuserxp.itunes.apple.com|xp2.apple.com|xp-cdn.apple.com/277f5ee26daa2c1b449bad78aca9ea06/SERIALNUMBER=C0806592,CN=mzuserxp.itunes.apple.com,OU=Delivery Site Reliability Engineering,O=Apple Inc.,POSTALCODE=95014,STREET=1 Infinite Loop,L=Cupertino,ST=California,C=US,2.5.4.15=#131450726976617465204f7267616e697a6174696f6e,1.3.6.1.4.1.311.60.2.1.2=#130a43616c69666f726e6961,1.3.6.1.4.1.311.60.2.1.3=#13025553/1913 " +
			"cert=/7ee14a6f6feff2d37f3fad654d3adab4/CN=Symantec Class 3 EV SSL CA - G3,OU=Symantec Trust Network,O=Symantec Corporation,C=US/1327] [14]",
		"1 change_cipher_spec [20]",
	}
	if !slices.Equal(hs, wantQinQ) {
		t.Errorf("pppoe-over-qinq handshakes:\n got %q\nwant %q", hs, wantQinQ)
	}
}

// tlsRec builds a record; tlsHS a handshake message; tlsVec a vector with
// an n-byte length.
func tlsRec(ct uint8, p []byte) []byte {
	return append([]byte{ct, 3, 3, byte(len(p) >> 8), byte(len(p))}, p...)
}

func tlsHS(typ uint8, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

func tlsVec(n int, b []byte) []byte {
	l := len(b)
	h := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		h[i], l = byte(l), l>>8
	}
	return append(h, b...)
}

func tlsExt(typ uint16, data []byte) []byte { return cat(u16be(typ), tlsVec(2, data)) }

func u16be(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

// clientHello builds a ClientHello with GREASE values in its suites,
// extensions and groups.
func clientHello() []byte {
	exts := cat(
		tlsExt(0x2a2a, nil),
		tlsExt(0, tlsVec(2, cat([]byte{0}, tlsVec(2, []byte("example.org"))))),
		tlsExt(10, tlsVec(2, cat(u16be(0x3a3a), u16be(29), u16be(23)))),
		tlsExt(11, tlsVec(1, []byte{0})),
		tlsExt(16, tlsVec(2, cat(tlsVec(1, []byte("h2")), tlsVec(1, []byte("http/1.1"))))),
		tlsExt(43, tlsVec(1, cat(u16be(0x4a4a), u16be(0x0304), u16be(0x0303)))),
		tlsExt(13, tlsVec(2, cat(u16be(0x0403), u16be(0x0804)))))
	return tlsHS(1, cat(u16be(0x0303), make([]byte, 32), tlsVec(1, []byte{1, 2}),
		tlsVec(2, cat(u16be(0x1a1a), u16be(0x1301), u16be(0xc02b))), tlsVec(1, []byte{0}), tlsVec(2, exts)))
}

// TestTLSHandshakes: a ClientHello split over two records is reported
// with the second, its JA3 leaves GREASE values out; malformed hellos,
// certificates and records carry their errors; the hello owns its bytes.
func TestTLSHandshakes(t *testing.T) {
	ch := clientHello()
	c := cat(tlsRec(22, ch[:50]), tlsRec(22, ch[50:]), tlsRec(20, []byte{1}), tlsRec(22, make([]byte, 40)), []byte{23, 3, 3, 0})
	sh := tlsHS(2, cat(u16be(0x0303), make([]byte, 32), tlsVec(1, nil), u16be(0x1301), []byte{0},
		tlsVec(2, cat(tlsExt(43, u16be(0x0304)), tlsExt(16, tlsVec(2, tlsVec(1, []byte("h2"))))))))
	bad := tlsHS(2, cat(u16be(0x0303), make([]byte, 10)))
	certs := tlsHS(11, tlsVec(3, tlsVec(3, []byte("not DER"))))
	short := tlsHS(11, tlsVec(3, []byte{0, 0, 9, 1}))
	s := cat(tlsRec(22, cat(sh, bad, certs, short)), tlsRec(21, []byte{1, 0}), tlsRec(21, make([]byte, 26)), []byte("junk data"))
	st := h2Stream(c, s)
	var got []string
	msgs := Analyse(st)
	for _, m := range msgs {
		got = append(got, tlsSummary(m))
	}
	want := []string{
		"0 handshake [1]",
		"0 handshake [1] [1 sni=example.org alpn=h2|http/1.1 versions=[0x4a4a 0x0304 0x0303] ja3=771,4865-49195,0-10-11-16-43-13,29-23,0 " + md5hex("771,4865-49195,0-10-11-16-43-13,29-23,0") + "]",
		"0 change_cipher_spec [1]",
		"0 handshake [1] encrypted",
		"0 fragment [1] error: record header cut short: 4 of 5 bytes",
		"1 handshake [2] [2 alpn=h2 cipher=0x1301 versions=[0x0304] ja3=771,4865,43-16 " + md5hex("771,4865,43-16") + "]" +
			" [2 error: hello cut short] [11 cert=///7 (x509: malformed certificate)] [11 error: certificate cut short]",
		"1 alert [2] alert=1/0",
		"1 alert [2] encrypted",
		`1 fragment [2] error: not a TLS record (content type 106, version 0x756e, length 27424)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("records:\n got %q\nwant %q", got, want)
	}
	if h := msgs[1].TLS.Handshakes[0].Hello; h != nil {
		st.Dirs[0].Data[60] ^= 0xff // the hello's session ID, random and names are copies
		if h.SessionID[0] != 1 || h.ServerName != "example.org" {
			t.Errorf("the hello aliases the stream: %v", h.SessionID)
		}
	}
	// A payload file that starts with a hello.
	if ms := AnalysePayload(tlsRec(22, ch)); len(ms) != 1 || ms[0].TLS == nil || len(ms[0].TLS.Handshakes) != 1 {
		t.Errorf("payload file: %v", ms)
	}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
