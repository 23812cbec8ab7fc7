package craft

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Payload is opaque application data, copied as it is.
type Payload []byte

func (p Payload) appendHeader(b []byte, _ Layer) ([]byte, error) { return append(b, p...), nil }
func (Payload) finish(*frame, int) error                         { return nil }

// HTTPHeader is one HTTP header field.
type HTTPHeader struct{ Name, Value string }

// HTTPRequest is an HTTP/1.x request: request line, header fields, blank
// line, body. A Content-Length field is added when Body is not empty and
// Header has none.
type HTTPRequest struct {
	Method, URI string
	Proto       string // "" means "HTTP/1.1"
	Header      []HTTPHeader
	Body        []byte
	noFinish
}

func (r *HTTPRequest) appendHeader(b []byte, _ Layer) ([]byte, error) {
	if r.Method == "" || r.URI == "" {
		return b, errors.New("http request: method and uri are required")
	}
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, r.URI...)
	b = append(b, ' ')
	b = append(b, orDefault(r.Proto, "HTTP/1.1")...)
	b = append(b, "\r\n"...)
	return appendHTTPRest(b, r.Header, r.Body, len(r.Body) > 0)
}

// HTTPResponse is an HTTP/1.x response. A Content-Length field is added
// when Header has none (except for 1xx, 204 and 304 responses).
type HTTPResponse struct {
	Proto      string // "" means "HTTP/1.1"
	StatusCode int
	Reason     string // "" means the standard reason phrase
	Header     []HTTPHeader
	Body       []byte
	noFinish
}

func (r *HTTPResponse) appendHeader(b []byte, _ Layer) ([]byte, error) {
	if r.StatusCode < 100 || r.StatusCode > 999 {
		return b, fmt.Errorf("http response: status code %d", r.StatusCode)
	}
	b = append(b, orDefault(r.Proto, "HTTP/1.1")...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(r.StatusCode), 10)
	b = append(b, ' ')
	b = append(b, orDefault(r.Reason, StatusText(r.StatusCode))...)
	b = append(b, "\r\n"...)
	c := r.StatusCode
	return appendHTTPRest(b, r.Header, r.Body, c >= 200 && c != 204 && c != 304)
}

func appendHTTPRest(b []byte, hs []HTTPHeader, body []byte, wantLen bool) ([]byte, error) {
	hasLen := false
	for _, h := range hs {
		if h.Name == "" || strings.ContainsAny(h.Name, ":\r\n") || strings.ContainsAny(h.Value, "\r\n") {
			return b, fmt.Errorf("http: invalid header field %q", h.Name)
		}
		if strings.EqualFold(h.Name, "Content-Length") || strings.EqualFold(h.Name, "Transfer-Encoding") {
			hasLen = true
		}
		b = append(b, h.Name...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
		b = append(b, "\r\n"...)
	}
	if wantLen && !hasLen {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...), nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// StatusText returns the reason phrase of common HTTP status codes ("" for
// others).
func StatusText(code int) string {
	switch code {
	case 100:
		return "Continue"
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 204:
		return "No Content"
	case 206:
		return "Partial Content"
	case 301:
		return "Moved Permanently"
	case 302:
		return "Found"
	case 304:
		return "Not Modified"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 500:
		return "Internal Server Error"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	}
	return ""
}

// DNS record types and class.
const (
	DNSTypeA     uint16 = 1
	DNSTypeNS    uint16 = 2
	DNSTypeCNAME uint16 = 5
	DNSTypeMX    uint16 = 15
	DNSTypeTXT   uint16 = 16
	DNSTypeAAAA  uint16 = 28
	DNSClassIN   uint16 = 1
)

// DNS is a DNS message (RFC 1035). Names are encoded as labels; a name
// written before in the message is replaced by a compression pointer.
type DNS struct {
	ID                 uint16
	Response           bool
	Opcode             uint8
	Authoritative      bool
	Truncated          bool
	RecursionDesired   bool
	RecursionAvailable bool
	RCode              uint8
	Questions          []DNSQuestion
	Answers            []DNSRecord
	Authority          []DNSRecord
	Additional         []DNSRecord
	// TCP prefixes the message with its 2-byte length (DNS over TCP).
	TCP bool
	noFinish
}

// DNSQuestion is one entry of the question section. Class 0 means IN.
type DNSQuestion struct {
	Name        string
	Type, Class uint16
}

// DNSRecord is one resource record. Class 0 means IN. Data is the RDATA as
// it goes on the wire (see DNSA, DNSAAAA, DNSName).
type DNSRecord struct {
	Name        string
	Type, Class uint16
	TTL         uint32
	Data        []byte
}

// DNSA returns an A record.
func DNSA(name string, ttl uint32, a netip.Addr) DNSRecord {
	v := a.As4()
	return DNSRecord{Name: name, Type: DNSTypeA, TTL: ttl, Data: v[:]}
}

// DNSAAAA returns an AAAA record.
func DNSAAAA(name string, ttl uint32, a netip.Addr) DNSRecord {
	v := a.As16()
	return DNSRecord{Name: name, Type: DNSTypeAAAA, TTL: ttl, Data: v[:]}
}

// DNSName encodes a domain name as uncompressed labels (RDATA of CNAME, NS,
// PTR records).
func DNSName(name string) ([]byte, error) { return appendName(nil, name, nil, 0) }

// dnsNames remembers names written in a message for compression.
type dnsNames struct {
	n    int
	name [16]string
	off  [16]uint16
}

// appendName encodes name at the end of b; msg is where the message starts
// in b. With names, a repeated name becomes a pointer.
func appendName(b []byte, name string, names *dnsNames, msg int) ([]byte, error) {
	name = strings.TrimSuffix(name, ".")
	if len(name) > 253 {
		return b, fmt.Errorf("dns: name of %d bytes", len(name))
	}
	if names != nil && name != "" {
		for k := 0; k < names.n; k++ {
			if strings.EqualFold(names.name[k], name) {
				return append(b, 0xc0|byte(names.off[k]>>8), byte(names.off[k])), nil
			}
		}
		if off := len(b) - msg; names.n < len(names.name) && off < 0x3fff {
			names.name[names.n], names.off[names.n] = name, uint16(off)
			names.n++
		}
	}
	for name != "" {
		label := name
		if i := strings.IndexByte(name, '.'); i >= 0 {
			label, name = name[:i], name[i+1:]
		} else {
			name = ""
		}
		if len(label) == 0 || len(label) > 63 {
			return b, fmt.Errorf("dns: label %q must be 1 to 63 bytes", label)
		}
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	return append(b, 0), nil
}

func (d *DNS) appendHeader(b []byte, _ Layer) ([]byte, error) {
	if d.Opcode > 15 || d.RCode > 15 {
		return b, fmt.Errorf("dns: opcode %d or rcode %d above 15", d.Opcode, d.RCode)
	}
	start := len(b)
	if d.TCP {
		b = append(b, 0, 0)
	}
	msg := len(b)
	var fl uint16 = uint16(d.Opcode)<<11 | uint16(d.RCode)
	for _, f := range [...]struct {
		on  bool
		bit uint16
	}{{d.Response, 0x8000}, {d.Authoritative, 0x0400}, {d.Truncated, 0x0200},
		{d.RecursionDesired, 0x0100}, {d.RecursionAvailable, 0x0080}} {
		if f.on {
			fl |= f.bit
		}
	}
	b = be.AppendUint16(b, d.ID)
	b = be.AppendUint16(b, fl)
	for _, n := range [...]int{len(d.Questions), len(d.Answers), len(d.Authority), len(d.Additional)} {
		if n > 0xffff {
			return b, errors.New("dns: too many records")
		}
		b = be.AppendUint16(b, uint16(n))
	}
	var names dnsNames
	var err error
	for _, q := range d.Questions {
		if b, err = appendName(b, q.Name, &names, msg); err != nil {
			return b, err
		}
		b = be.AppendUint16(b, q.Type)
		b = be.AppendUint16(b, classOrIN(q.Class))
	}
	for _, sec := range [...][]DNSRecord{d.Answers, d.Authority, d.Additional} {
		for _, r := range sec {
			if b, err = appendName(b, r.Name, &names, msg); err != nil {
				return b, err
			}
			if len(r.Data) > 0xffff {
				return b, errors.New("dns: rdata too long")
			}
			b = be.AppendUint16(b, r.Type)
			b = be.AppendUint16(b, classOrIN(r.Class))
			b = be.AppendUint32(b, r.TTL)
			b = be.AppendUint16(b, uint16(len(r.Data)))
			b = append(b, r.Data...)
		}
	}
	if d.TCP {
		n := len(b) - msg
		if n > 0xffff {
			return b, errors.New("dns: message too long for tcp")
		}
		be.PutUint16(b[start:], uint16(n))
	}
	return b, nil
}

func classOrIN(c uint16) uint16 {
	if c == 0 {
		return DNSClassIN
	}
	return c
}
