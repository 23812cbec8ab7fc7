package decoder

import (
	"errors"
	"testing"
)

var httpPath = []string{"ethernet", "ipv4", "tcp", "http"}

func httpAt(keys ...string) []string { return append(append([]string(nil), httpPath...), keys...) }

func httpFrame(payload string) []byte {
	return tbEth(0x0800, tbIPv4(6, tbTCP(40000, 80, 1, 1, TCPAck|TCPPsh, nil, []byte(payload))))
}

func TestHTTPRequest(t *testing.T) {
	head := "POST /submit?a=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nX-Empty:\r\n\r\n"
	p, tr := tbDecode(t, httpFrame(head+"hello"))
	if p.Failed() || p.Chain() != "Ethernet:IPv4:TCP:HTTP" {
		t.Fatalf("chain %q err %v", p.Chain(), &p.Err)
	}
	if l := p.Layers[3]; int(l.Hdr) != len(head) || string(p.Payload()) != "hello" {
		t.Errorf("hdr %d (want %d), payload %q", l.Hdr, len(head), p.Payload())
	}
	tbString(t, tr, "POST", httpAt("request", "method")...)
	tbString(t, tr, "/submit?a=1", httpAt("request", "uri")...)
	tbString(t, tr, "HTTP/1.1", httpAt("request", "version")...)
	tbUint(t, tr, 5, httpAt("body_len")...)
	tbUint(t, tr, 1, httpAt("head_complete")...)
	hs := elems(tr, tr.Lookup(httpAt("headers")...))
	want := [][2]string{{"Host", "example.com"}, {"Content-Length", "5"}, {"X-Empty", ""}}
	if len(hs) != len(want) {
		t.Fatalf("%d headers, want %d", len(hs), len(want))
	}
	for i, w := range want {
		if n, v := child(tr, hs[i], "name"), child(tr, hs[i], "value"); n == nil || v == nil || n.Str() != w[0] || v.Str() != w[1] {
			t.Errorf("header %d = %+v %+v, want %q", i, n, v, w)
		}
	}
}

func TestHTTPResponse(t *testing.T) {
	// Bare LF line ends, no reason phrase beyond one word.
	head := "HTTP/1.0 301 Moved\nLocation: /new\n\n"
	p, tr := tbDecode(t, httpFrame(head))
	if p.Failed() || p.Chain() != "Ethernet:IPv4:TCP:HTTP" || int(p.Layers[3].Hdr) != len(head) {
		t.Fatalf("chain %q err %v hdr %d", p.Chain(), &p.Err, p.Layers[3].Hdr)
	}
	tbString(t, tr, "HTTP/1.0", httpAt("response", "version")...)
	tbUint(t, tr, 301, httpAt("response", "status")...)
	tbString(t, tr, "Moved", httpAt("response", "reason")...)
	tbString(t, tr, "Location", httpAt("headers", "", "name")...)
	tbString(t, tr, "/new", httpAt("headers", "", "value")...)
	tbUint(t, tr, 0, httpAt("body_len")...)

	// Cut inside the header section: every byte is the head.
	cut := "HTTP/1.1 200 OK\r\nContent-Type: text/ht"
	p, tr = tbDecode(t, httpFrame(cut))
	if p.Failed() || int(p.Layers[3].Hdr) != len(cut) {
		t.Fatalf("cut: err %v hdr %d", &p.Err, p.Layers[3].Hdr)
	}
	tbUint(t, tr, 0, httpAt("head_complete")...)
	tbUint(t, tr, 200, httpAt("response", "status")...)
	tbString(t, tr, "text/ht", httpAt("headers", "", "value")...)

	// A field line without a colon is reported, not fatal.
	_, tr = tbDecode(t, httpFrame("HTTP/1.1 200 OK\r\nbogus line\r\n\r\n"))
	tbString(t, tr, "field line without colon", httpAt("headers", "", "error")...)
}

func TestHTTPStartLine(t *testing.T) {
	cases := []struct {
		in   string
		kind int
	}{
		{"GET / HTTP/1.1\r\n", httpRequest},
		{"GET / HTTP/1.1", httpRequest}, // cut before CRLF
		{"GET / HTTP/1", httpRequest},   // cut inside the version
		{"GET /long/uri", httpRequest},  // cut inside the URI
		{"GET ", httpRequest},           // cut after the method
		{"DELETE /x HTTP/1.0\n", httpRequest},
		{"PROPFIND /dav HTTP/1.1\r\n", httpRequest},
		{"HTTP/1.1 200 OK\r\n", httpResponse},
		{"HTTP/1.1 204\r\n", httpResponse},
		{"HTTP/1.1 2", httpResponse},
		{"HTTP/1.", httpResponse},
		{"GET /bad.html\r\n", httpRequest}, // HTTP/0.9
		{"POST /bad.html\r\n", httpNone},
		{"GET bad\r\n", httpNone},
		{"get / HTTP/1.1\r\n", httpNone},
		{"GET  HTTP/1.1\r\n", httpNone},
		{"GET / HTTP/1.1 extra\r\n", httpNone},
		{"GET / RTSP/1.0\r\n", httpNone},
		{"OPTIONS * RTSP/1.0\r\n", httpNone},
		{"FOO / HTTP/1.1\r\n", httpNone},
		{"HTTP/2 200\r\n", httpNone},
		{"HTTP/1.1 20x OK\r\n", httpNone},
		{"HTTP/1.1 200OK\r\n", httpNone},
		{"HTTP/1.1\r\n", httpNone},
		{"GET", httpNone},
		{"\x16\x03\x01\x02\x00\x01", httpNone},
		{"SSH-2.0-OpenSSH_9.6\r\n", httpNone},
		{"GET /\x00bin HTTP/1.1\r\n", httpNone},
	}
	for _, c := range cases {
		if k, _ := httpStartLine([]byte(c.in)); k != c.kind {
			t.Errorf("httpStartLine(%q) = %d, want %d", c.in, k, c.kind)
		}
	}
	if n := testing.AllocsPerRun(100, func() { isHTTPStart([]byte("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")) }); n != 0 {
		t.Errorf("isHTTPStart allocates %v times", n)
	}
}

func TestHTTPNotHTTP(t *testing.T) {
	var p Packet
	New(Options{}).DecodeFrom([]byte("continuation of a body"), ProtoHTTP, &p)
	if !errors.Is(p.Err.Err, ErrMalformed) || p.Err.Proto != ProtoHTTP {
		t.Errorf("err %v", &p.Err)
	}
}

func FuzzHTTP(f *testing.F) {
	f.Add([]byte("GET /index.html HTTP/1.1\r\nHost: a\r\nUser-Agent: x\r\n\r\nbody"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n continued\r\n\r\nabc"))
	f.Add([]byte("HTTP/1.0 404\n\n"))
	f.Add([]byte("POST /x HTTP/1.1\r\nno colon\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, ProtoHTTP, data)
		fuzzDecode(t, ProtoTCP, tbTCP(40000, 80, 1, 1, TCPAck, nil, data))
	})
}
