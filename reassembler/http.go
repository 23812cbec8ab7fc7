package reassembler

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/pcapflow/pcapflow/decoder"
)

// Application analysis of reassembled streams: HTTP/1.x (RFC 9112) and the
// FTP control channel (RFC 959).
//
// HTTP: each direction is read as a sequence of messages (pipelined
// requests included): start line, header fields (obsolete line folding
// joined), then a body delimited by Transfer-Encoding: chunked,
// Content-Length, or — for a response with neither — the end of the
// stream. Responses to HEAD, 1xx, 204 and 304 have no body. A message cut
// by a gap or by the end of the stream is reported incomplete; after a gap
// the parser resynchronises at the next line that starts a message.
//
// Each message carries the stream offsets it spans and the frames that
// delivered those bytes.

// Message is one application message of a stream.
type Message struct {
	Proto string `msgpack:"proto"` // "HTTP", "HTTP/2" (one per frame: see http2.go), "TLS" (one per record: tls.go) or "FTP"
	// Dir is the stream direction: 0 client to server, 1 server to client.
	Dir int `msgpack:"dir"`
	// Kind is "request" or "response" (HTTP), the frame type's name or
	// "preface" (HTTP/2), "command" or "reply" (FTP).
	Kind string `msgpack:"kind"`
	// Offset and Length locate the message in the direction's byte stream.
	Offset   uint64   `msgpack:"offset"`
	Length   uint64   `msgpack:"length"`
	Frames   []uint64 `msgpack:"frames"`
	Complete bool     `msgpack:"complete"`
	Error    string   `msgpack:"error,omitempty"`

	// HTTP
	Method  string   `msgpack:"method,omitempty"`
	URI     string   `msgpack:"uri,omitempty"`
	Version string   `msgpack:"version,omitempty"`
	Status  int      `msgpack:"status,omitempty"`
	Reason  string   `msgpack:"reason,omitempty"`
	Headers []Header `msgpack:"headers,omitempty"`
	Chunked bool     `msgpack:"chunked,omitempty"`
	// Body is the decoded body (chunk framing removed); BodyLen its length.
	Body    []byte `msgpack:"body,omitempty"`
	BodyLen uint64 `msgpack:"body_len"`

	// HTTP/2: the frame (a DATA frame's data is Body, BodyLen).
	H2 *H2Frame `msgpack:"h2,omitempty"`

	// TLS: the record (its memory is its own: see tls.go).
	TLS *TLSRecord `msgpack:"tls,omitempty"`

	// FTP
	Command string `msgpack:"command,omitempty"`
	Arg     string `msgpack:"arg,omitempty"`
	Code    int    `msgpack:"code,omitempty"`
	Text    string `msgpack:"text,omitempty"`
}

// Header is one header field.
type Header struct {
	Name  string `msgpack:"name"`
	Value string `msgpack:"value"`
}

// Fields writes the message report block.
func (m *Message) Fields(t *decoder.Tree) {
	t.String("proto", m.Proto)
	t.String("direction", [2]string{"client_to_server", "server_to_client"}[m.Dir&1])
	t.String("kind", m.Kind)
	t.Uint("offset", m.Offset)
	t.Uint("length", m.Length)
	framesField(t, "frames", m.Frames)
	t.Bool("complete", m.Complete)
	if m.Error != "" {
		t.String("error", m.Error)
	}
	switch m.Proto {
	case "HTTP":
		if m.Kind == "request" {
			t.String("method", m.Method)
			t.String("uri", m.URI)
		}
		t.String("version", m.Version)
		if m.Kind == "response" {
			t.Uint("status", uint64(m.Status))
			t.String("reason", m.Reason)
		}
		headersField(t, m.Headers)
		t.Bool("chunked", m.Chunked)
		t.Uint("body_len", m.BodyLen)
		t.Bytes("body", m.Body)
	case "HTTP/2":
		if m.H2 != nil {
			m.H2.fields(t, m)
		}
	case "TLS":
		if m.TLS != nil {
			m.TLS.fields(t)
		}
	case "FTP":
		if m.Kind == "command" {
			t.String("command", m.Command)
			t.String("arg", m.Arg)
		} else {
			t.Uint("code", uint64(m.Code))
			t.String("text", m.Text)
		}
	}
}

// headersField writes the "headers" list.
func headersField(t *decoder.Tree, hs []Header) {
	t.Array("headers")
	for _, h := range hs {
		t.Object("")
		t.String("name", h.Name)
		t.String("value", h.Value)
		t.Close()
	}
	t.Close()
}

// Analyse returns the application messages of a stream: FTP control when
// either port is 21, TLS records when either direction starts with a
// handshake record (see tls.go), HTTP/2 when the client direction starts
// with its connection preface (or after an upgrade to h2c: see http2.go),
// HTTP when either direction starts with an HTTP/1.x start line. Messages
// are ordered by direction (client first), then offset.
func Analyse(s *Stream) []*Message {
	if len(s.Dirs) != 2 {
		return nil
	}
	if s.SrcPort == 21 || s.DstPort == 21 {
		return analyseFTP(s)
	}
	if startsTLS(s.Dirs[0].Bytes()) || startsTLS(s.Dirs[1].Bytes()) {
		return append(analyseTLS(s, 0), analyseTLS(s, 1)...)
	}
	if bytes.HasPrefix(s.Dirs[0].Bytes(), []byte(h2Preface)) {
		out := append(analyseH2(s, 0, 0), analyseH2(s, 1, 0)...)
		h2Headers(out)
		return out
	}
	if !startsHTTP(s.Dirs[0].Bytes()) && !startsHTTP(s.Dirs[1].Bytes()) {
		return nil
	}
	var out []*Message
	var st httpState
	upgrade := false // a request asked for h2c
	for dir := 0; dir < 2; dir++ {
		h2 := int64(-1) // stream offset where HTTP/2 frames start
	spans:
		for _, sp := range spans(&s.Dirs[dir]) {
			b := s.Dirs[dir].Data[sp.start:sp.end]
			pos := 0
			if sp.afterGap || !startsHTTP(b) {
				pos = resync(b)
			}
			for pos >= 0 && pos < len(b) {
				if dir == 0 && upgrade && bytes.HasPrefix(b[pos:], []byte(h2Preface)) {
					h2 = int64(sp.off) + int64(pos)
					break spans
				}
				m, n := parseHTTP(b[pos:], &st, dir == 1, sp.last)
				m.Dir = dir
				m.Offset = sp.off + uint64(pos)
				m.Frames = framesOf(&s.Dirs[dir], m.Offset, m.Length)
				out = append(out, m)
				if dir == 0 && m.Kind == "request" {
					st.methods = append(st.methods, m.Method)
					upgrade = upgrade || isH2Upgrade(m)
				}
				if !m.Complete || n <= 0 {
					break
				}
				pos += n
				if dir == 1 && upgrade && m.Status == 101 && isH2Upgrade(m) {
					h2 = int64(sp.off) + int64(pos)
					break spans
				}
				// Stray CRLFs between pipelined messages (RFC 9112 section 2.2).
				for pos < len(b) && (b[pos] == '\r' || b[pos] == '\n') {
					pos++
				}
			}
		}
		if h2 >= 0 {
			out = append(out, analyseH2(s, dir, uint64(h2))...)
		}
	}
	if upgrade {
		h2Headers(out)
	}
	return out
}

// span is a contiguous run of Data between gaps.
type span struct {
	off        uint64 // stream offset of Data[start]
	start, end int
	afterGap   bool
	last       bool // the run reaches the end of the stream
}

func spans(d *StreamDir) []span {
	d.Bytes()
	var out []span
	pos, off := 0, uint64(0)
	after := false
	for _, g := range d.Gaps {
		n := int(g.Offset - off)
		if pos+n > len(d.Data) {
			n = len(d.Data) - pos
		}
		if n > 0 {
			out = append(out, span{off: off, start: pos, end: pos + n, afterGap: after})
		}
		pos += n
		off = g.Offset + g.Len
		after = true
	}
	if pos < len(d.Data) || len(out) == 0 {
		out = append(out, span{off: off, start: pos, end: len(d.Data), afterGap: after, last: !d.Truncated})
	}
	return out
}

// framesOf returns the frames that delivered stream bytes [off, off+n).
func framesOf(d *StreamDir, off, n uint64) []uint64 {
	var out []uint64
	end := off + n
	for _, s := range d.Segments {
		se := s.Offset + uint64(s.Len)
		if se <= off || s.Offset >= end && n > 0 {
			continue
		}
		if len(out) == 0 || out[len(out)-1] != s.Frame {
			out = append(out, s.Frame)
		}
	}
	return out
}

var httpMethods = []string{"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "TRACE ", "CONNECT ", "PATCH "}

func startsHTTP(b []byte) bool {
	if bytes.HasPrefix(b, []byte("HTTP/1.")) {
		return true
	}
	for _, m := range httpMethods {
		if bytes.HasPrefix(b, []byte(m)) {
			return true
		}
	}
	return false
}

// resync returns the offset of the first line of b that starts an HTTP
// message, or -1.
func resync(b []byte) int {
	for i := 0; i < len(b); {
		if startsHTTP(b[i:]) {
			return i
		}
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
	}
	return -1
}

// maxBody bounds the body bytes copied into a Message.
const maxBody = 64 << 10

// parseHTTP parses one message at the start of b. It returns the message
// and the bytes it used (0 when it is incomplete). requests lists the
// request methods seen so far, for HEAD responses; eos says that b ends
// where the stream ends.
func parseHTTP(b []byte, st *httpState, response bool, eos bool) (*Message, int) {
	m := &Message{Proto: "HTTP"}
	he := bytes.Index(b, []byte("\r\n\r\n"))
	sep := 4
	if lf := bytes.Index(b, []byte("\n\n")); lf >= 0 && (he < 0 || lf < he) {
		he, sep = lf, 2
	}
	if he < 0 {
		m.Length = uint64(len(b))
		m.Error = "headers incomplete"
		line, _, _ := bytes.Cut(b, []byte("\n"))
		startLine(m, string(bytes.TrimRight(line, "\r")))
		return m, 0
	}
	head := string(b[:he])
	lines := strings.Split(strings.ReplaceAll(head, "\r\n", "\n"), "\n")
	if err := startLine(m, lines[0]); err != "" {
		m.Error = err
		m.Length = uint64(he + sep)
		return m, 0
	}
	for _, l := range lines[1:] {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(m.Headers) > 0 {
			h := &m.Headers[len(m.Headers)-1]
			h.Value += " " + strings.TrimSpace(l)
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			m.Error = "malformed header line"
			continue
		}
		m.Headers = append(m.Headers, Header{Name: name, Value: strings.TrimSpace(value)})
	}
	pos := he + sep
	body := b[pos:]
	noBody := false
	if m.Kind == "response" {
		idx := st.responses
		if m.Status/100 == 1 || m.Status == 204 || m.Status == 304 {
			noBody = true
		} else if idx < len(st.methods) && st.methods[idx] == "HEAD" {
			noBody = true
		}
		if m.Status/100 != 1 {
			st.responses++
		}
	}
	te := headerValue(m.Headers, "Transfer-Encoding")
	cl := headerValue(m.Headers, "Content-Length")
	switch {
	case noBody:
		m.Complete = true
	case strings.Contains(strings.ToLower(te), "chunked"):
		m.Chunked = true
		n, dec, ok := dechunk(body)
		m.Body, m.BodyLen = capBody(dec), uint64(len(dec))
		if !ok {
			m.Error = "chunked body incomplete"
			m.Length = uint64(len(b))
			return m, 0
		}
		pos += n
		m.Complete = true
	case cl != "":
		n, err := strconv.ParseUint(strings.TrimSpace(cl), 10, 63)
		if err != nil {
			m.Error = "bad Content-Length"
			m.Length = uint64(pos)
			return m, 0
		}
		if uint64(len(body)) < n {
			m.Body, m.BodyLen = capBody(body), uint64(len(body))
			m.Error = "body incomplete"
			m.Length = uint64(len(b))
			return m, 0
		}
		m.Body, m.BodyLen = capBody(body[:n]), n
		pos += int(n)
		m.Complete = true
	case response:
		// Delimited by the end of the connection.
		m.Body, m.BodyLen = capBody(body), uint64(len(body))
		pos = len(b)
		m.Complete = eos
		if !eos {
			m.Error = "body cut"
		}
	default:
		m.Complete = true
	}
	m.Length = uint64(pos)
	return m, pos
}

// httpState pairs responses with requests: the request side is parsed
// first, so methods holds every request; responses counts the final
// responses parsed so far.
type httpState struct {
	methods   []string
	responses int
}

func capBody(b []byte) []byte {
	if len(b) > maxBody {
		b = b[:maxBody]
	}
	return b
}

func headerValue(hs []Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// startLine parses a request or status line into m.
func startLine(m *Message, line string) string {
	if strings.HasPrefix(line, "HTTP/") {
		m.Kind = "response"
		v, rest, _ := strings.Cut(line, " ")
		m.Version = v
		code, reason, _ := strings.Cut(rest, " ")
		n, err := strconv.Atoi(code)
		if err != nil || n < 100 || n > 999 {
			return "bad status line"
		}
		m.Status, m.Reason = n, reason
		return ""
	}
	m.Kind = "request"
	f := strings.Fields(line)
	if len(f) != 3 || !strings.HasPrefix(f[2], "HTTP/") {
		if len(f) > 0 {
			m.Method = f[0]
		}
		return "bad request line"
	}
	m.Method, m.URI, m.Version = f[0], f[1], f[2]
	return ""
}

// maxChunks bounds the work on a hostile chunked body.
const maxChunks = 1 << 16

// dechunk decodes a chunked body at the start of b. It returns the bytes
// used, the decoded body, and whether the body (with its trailer) is
// complete.
func dechunk(b []byte) (int, []byte, bool) {
	var out []byte
	pos := 0
	for i := 0; i < maxChunks; i++ {
		nl := bytes.IndexByte(b[pos:], '\n')
		if nl < 0 {
			return pos, out, false
		}
		line := strings.TrimSpace(string(b[pos : pos+nl]))
		if semi := strings.IndexByte(line, ';'); semi >= 0 {
			line = strings.TrimSpace(line[:semi])
		}
		size, err := strconv.ParseUint(line, 16, 62)
		if err != nil {
			return pos, out, false
		}
		pos += nl + 1
		if size == 0 {
			// Trailer fields up to an empty line.
			for {
				nl := bytes.IndexByte(b[pos:], '\n')
				if nl < 0 {
					return pos, out, false
				}
				empty := len(bytes.TrimSpace(b[pos:pos+nl])) == 0
				pos += nl + 1
				if empty {
					return pos, out, true
				}
			}
		}
		if uint64(len(b)-pos) < size {
			if len(out) < maxBody {
				out = append(out, b[pos:]...)
			}
			return len(b), out, false
		}
		if len(out) < maxBody {
			out = append(out, b[pos:pos+int(size)]...)
		}
		pos += int(size)
		// CRLF after the chunk data.
		if pos < len(b) && b[pos] == '\r' {
			pos++
		}
		if pos < len(b) && b[pos] == '\n' {
			pos++
		} else if pos >= len(b) {
			return pos, out, false
		}
	}
	return pos, out, false
}

// AnalysePayload analyses one direction's bytes read from a file
// (PyPCAPKit's analyse on a payload): HTTP/1.x requests or responses when
// it starts with an HTTP start line, HTTP/2 frames when it starts with the
// client's connection preface, TLS records when it starts with a hello,
// else FTP commands or replies when its first line looks like one. It
// returns nil when it recognises none.
// Frames are empty: a payload file has none.
func AnalysePayload(b []byte) []*Message {
	d := StreamDir{Data: b, Length: uint64(len(b))}
	switch {
	case startsHTTP(b):
		s := &Stream{Dirs: []StreamDir{d, {}}}
		if bytes.HasPrefix(b, []byte("HTTP/")) {
			s.Dirs[0], s.Dirs[1] = StreamDir{}, d
		}
		return Analyse(s)
	case bytes.HasPrefix(b, []byte(h2Preface)):
		return Analyse(&Stream{Dirs: []StreamDir{d, {}}})
	case startsTLS(b):
		return analyseTLS(&Stream{Dirs: []StreamDir{d, {}}}, 0)
	case decoder.IsFTPStart(b):
		if b[0] >= '0' && b[0] <= '9' { // a reply
			return analyseFTP(&Stream{SrcPort: 40000, DstPort: 21, Dirs: []StreamDir{{}, d}})
		}
		return analyseFTP(&Stream{SrcPort: 40000, DstPort: 21, Dirs: []StreamDir{d, {}}})
	}
	return nil
}
