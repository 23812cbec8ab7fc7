package decoder

import (
	"bytes"
	"strconv"
)

// HTTP/1.x message head (RFC 9112, sections 2-5):
//
//	request-line  = method SP request-target SP HTTP-version CRLF
//	status-line   = HTTP-version SP status-code SP [ reason-phrase ] CRLF
//	field-line    = field-name ":" OWS field-value OWS CRLF
//	HTTP-message  = start-line *( field-line ) CRLF [ message-body ]
//	HTTP-version  = "HTTP/" DIGIT "." DIGIT
//
// The layer's header is the start line and the field lines through the
// empty line (or every byte, when the segment ends before it); the body, if
// any, is the layer's payload. With no TCP reassembly a segment is HTTP only
// when it begins with a start line: body continuations are raw TCP payload.
// Bare LF line ends are accepted, as RFC 9112 section 2.2 allows, and so is
// an HTTP/0.9 simple request ("GET /path", no version; tshark does too).

// httpMaxLine bounds how far the start-line check looks for the line end.
const httpMaxLine = 8192

// httpMethods are the request methods the heuristic accepts (RFC 9110 and
// WebDAV, RFC 4918).
var httpMethods = [...]string{
	"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH",
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT",
}

const (
	httpNone = iota
	httpRequest
	httpResponse
)

// isHTTPStart reports whether b begins with an HTTP/1.x request or status
// line (possibly cut by the end of the segment). It does not allocate.
func isHTTPStart(b []byte) bool {
	k, _ := httpStartLine(b)
	return k != httpNone
}

// httpStartLine classifies the first line of b and returns the index where
// it ends (of its CR or LF, or len(b) when the segment ends inside it).
func httpStartLine(b []byte) (kind int, end int) {
	if len(b) < 4 {
		return httpNone, 0
	}
	// Cheap rejection first: most payloads fail on their first bytes, so
	// the line end is searched for only when a start line may follow.
	if !bytes.HasPrefix(b, []byte("HTTP/")) {
		sp := bytes.IndexByte(b[:min(len(b), 10)], ' ')
		if sp <= 0 || !isHTTPMethod(b[:sp]) {
			return httpNone, 0
		}
	}
	end = bytes.IndexByte(b[:min(len(b), httpMaxLine)], '\n')
	if end < 0 {
		if len(b) > httpMaxLine {
			return httpNone, 0
		}
		end = len(b)
	} else if end > 0 && b[end-1] == '\r' {
		end--
	}
	line := b[:end]
	cut := end == len(b)
	if bytes.HasPrefix(line, []byte("HTTP/")) {
		// HTTP-version SP 3DIGIT [SP reason]
		if !httpVersionPrefix(line, cut) {
			return httpNone, 0
		}
		if len(line) < 8 {
			return httpResponse, end // cut inside the version
		}
		rest := line[8:]
		if len(rest) == 0 {
			if cut {
				return httpResponse, end
			}
			return httpNone, 0
		}
		if rest[0] != ' ' {
			return httpNone, 0
		}
		code := rest[1:min(len(rest), 4)]
		for _, c := range code {
			if c < '0' || c > '9' {
				return httpNone, 0
			}
		}
		if len(code) < 3 && !cut {
			return httpNone, 0
		}
		if len(rest) > 4 && rest[4] != ' ' {
			return httpNone, 0
		}
		return httpResponse, end
	}
	sp := bytes.IndexByte(line[:min(len(line), 10)], ' ')
	if sp <= 0 || !isHTTPMethod(line[:sp]) {
		return httpNone, 0
	}
	target := line[sp+1:]
	sp2 := bytes.IndexByte(target, ' ')
	if sp2 < 0 {
		if hasCtl(target) {
			return httpNone, 0
		}
		if cut {
			return httpRequest, end // cut inside the request target
		}
		if string(line[:sp]) == "GET" && len(target) > 0 && target[0] == '/' {
			return httpRequest, end // HTTP/0.9 simple request: "GET /path"
		}
		return httpNone, 0
	}
	if sp2 == 0 || hasCtl(target[:sp2]) {
		return httpNone, 0
	}
	if ver := target[sp2+1:]; !httpVersionPrefix(ver, cut) || (!cut && len(ver) != 8) {
		return httpNone, 0
	}
	return httpRequest, end
}

func isHTTPMethod(m []byte) bool {
	for _, s := range httpMethods {
		if string(m) == s {
			return true
		}
	}
	return false
}

// httpVersionPrefix checks that v starts with "HTTP/d.d"; when cut, a
// shorter v only has to be a prefix of that form.
func httpVersionPrefix(v []byte, cut bool) bool {
	const pat = "HTTP/0.0"
	if len(v) < len(pat) && !cut {
		return false
	}
	for i := 0; i < len(pat) && i < len(v); i++ {
		c := v[i]
		if pat[i] == '0' {
			if c < '0' || c > '9' {
				return false
			}
		} else if c != pat[i] {
			return false
		}
	}
	return true
}

func hasCtl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// httpHeadEnd returns the length of the message head: through the empty
// line that ends the field lines, or len(b) when the segment ends first.
// It walks the lines, so it stops at the head's end and never scans the
// body.
func httpHeadEnd(b []byte) int {
	for i := 0; i < len(b); {
		n := bytes.IndexByte(b[i:], '\n')
		if n < 0 {
			break
		}
		i += n + 1 // start of the next line
		if i < len(b) && b[i] == '\n' {
			return i + 1
		}
		if i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
			return i + 2
		}
	}
	return len(b)
}

func decodeHTTP(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	// Under TCP, portProto has already checked the start line.
	if i := layerIndex(p, l); i <= 0 || p.Layers[i-1].Proto != ProtoTCP {
		if kind, _ := httpStartLine(b); kind == httpNone {
			return ProtoNone, malformed("no http/1.x request or status line")
		}
	}
	n := httpHeadEnd(b)
	l.Hdr = uint32(n)
	if n == len(b) {
		return ProtoNone, nil
	}
	return ProtoRaw, nil
}

func fieldsHTTP(t *Tree, p *Packet, l *Layer) {
	b := p.Data[l.Off:l.End]
	kind, end := httpStartLine(b)
	line := b[:end]
	switch kind {
	case httpRequest:
		t.Object("request")
		method, rest, _ := bytes.Cut(line, []byte(" "))
		t.StringBytes("method", method)
		uri, ver, _ := bytes.Cut(rest, []byte(" "))
		t.StringBytes("uri", uri)
		t.StringBytes("version", ver)
		t.Close()
	case httpResponse:
		t.Object("response")
		ver, rest, _ := bytes.Cut(line, []byte(" "))
		t.StringBytes("version", ver)
		code, reason, _ := bytes.Cut(rest, []byte(" "))
		if n, err := strconv.ParseUint(string(code), 10, 16); err == nil {
			t.Uint("status", n)
		} else {
			t.StringBytes("status", code)
		}
		t.StringBytes("reason", reason)
		t.Close()
	default:
		t.String("error", "no http/1.x request or status line")
		return
	}
	head := b[:l.Hdr]
	complete := len(head) >= 2 && head[len(head)-1] == '\n' && (head[len(head)-2] == '\n' ||
		len(head) >= 4 && string(head[len(head)-4:]) == "\r\n\r\n")
	fields := head[min(len(head), end):]
	t.Array("headers")
	for len(fields) > 0 {
		var ln []byte
		ln, fields, _ = bytes.Cut(fields, []byte("\n"))
		ln = bytes.TrimSuffix(ln, []byte("\r"))
		if len(ln) == 0 {
			continue // the start line's end, or the empty line
		}
		t.Object("")
		if ln[0] == ' ' || ln[0] == '\t' {
			t.StringBytes("continuation", bytes.TrimSpace(ln)) // obs-fold
		} else if name, value, ok := bytes.Cut(ln, []byte(":")); ok {
			t.StringBytes("name", name)
			t.StringBytes("value", bytes.Trim(value, " \t"))
		} else {
			t.StringBytes("line", ln)
			t.String("error", "field line without colon")
		}
		t.Close()
	}
	t.Close()
	t.Bool("head_complete", complete)
	t.Uint("body_len", uint64(len(b)-len(head)))
}
