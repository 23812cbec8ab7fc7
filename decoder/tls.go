package decoder

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// TLS (RFC 5246, RFC 8446), per segment: the records that start in a TCP
// payload. A segment is TLS when it starts with a record header (content
// type 20 to 24, version SSL 3.0 to TLS 1.3, a length within the limit)
// and holds a ClientHello or ServerHello, or has a TLS port (443, 465,
// 563, 636, 853, 989, 990, 992 to 995, 5061, 8443), or is whole records
// (or two record headers or more, the last going on in the next segment).
// tshark finds TLS by port and by its handshake heuristic, and then knows
// the conversation; a decoder of single frames checks each segment. A
// segment that continues a record is not TLS here: tshark, which calls it
// TLS "Continuation Data" on a TLS conversation, has the stream. The layer's header
// is the records (the last may continue in the next segment); bytes after
// them that are not a record are raw. A handshake record's messages are
// reported with their type and length, a hello that the segment holds
// whole with its fields (server name, ALPN, versions, groups, JA3). What a
// record holds after the handshake is protected: a handshake or alert
// record that does not parse as one is reported encrypted, as tshark
// reports it ("Encrypted Handshake Message", "Encrypted Alert"). The
// stream analysis (reassembler) reads whole handshakes across segments.

// TLS record limits.
const (
	TLSRecordHeader = 5
	// TLSMaxRecord is the largest record length (RFC 5246: 2^14 + 2048).
	TLSMaxRecord = 1<<14 + 2048
)

// TLSRecordAt reports whether b starts with a plausible record header: a
// known content type, SSL 3.0 to TLS 1.3, a length from 1 to TLSMaxRecord.
func TLSRecordAt(b []byte) bool {
	if len(b) < TLSRecordHeader || b[0] < 20 || b[0] > 24 || b[1] != 3 || b[2] > 4 {
		return false
	}
	n := int(b[3])<<8 | int(b[4])
	return n > 0 && n <= TLSMaxRecord
}

// IsTLSHello reports whether b starts with a handshake record whose first
// message is a ClientHello or ServerHello (or whose first byte of it is
// past the end of b).
func IsTLSHello(b []byte) bool { return TLSRecordAt(b) && startsHello(b) }

// startsHello reports whether a record header at the start of b opens a
// handshake record that starts with a hello.
func startsHello(b []byte) bool {
	return b[0] == 22 && (len(b) == TLSRecordHeader || b[5] == 1 || b[5] == 2)
}

func isTLSPort(p uint16) bool {
	switch p {
	case 443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 5061, 8443:
		return true
	}
	return false
}

// isTLSStart reports whether a TCP payload between ports src and dst is
// TLS (see the comment at the top).
func isTLSStart(src, dst uint16, b []byte) bool {
	if !TLSRecordAt(b) {
		return false
	}
	return startsHello(b) || isTLSPort(src) || isTLSPort(dst) || tlsTiles(b)
}

// tlsTiles reports whether b is a sequence of whole records, or holds two
// record headers or more, the last record going on past its end.
func tlsTiles(b []byte) bool {
	n, k := 0, 0
	for n < len(b) && TLSRecordAt(b[n:]) {
		n += TLSRecordHeader + int(binary.BigEndian.Uint16(b[n+3:]))
		k++
	}
	return n == len(b) || n > len(b) && k >= 2
}

func decodeTLS(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if !TLSRecordAt(b) {
		return ProtoNone, malformed("no tls record header")
	}
	n := 0
	for n < len(b) && TLSRecordAt(b[n:]) {
		n += TLSRecordHeader + int(binary.BigEndian.Uint16(b[n+3:]))
	}
	if n < len(b) && len(b)-n < TLSRecordHeader && b[n] >= 20 && b[n] <= 24 {
		n = len(b) // a record header that the next segment completes
	}
	n = min(n, len(b))
	l.Hdr = uint32(n)
	if n == len(b) {
		return ProtoNone, nil
	}
	return ProtoRaw, nil
}

func fieldsTLS(t *Tree, p *Packet, l *Layer) {
	b := p.Data[l.Off : l.Off+l.Hdr]
	t.Array("records")
	for pos := 0; pos < len(b); {
		t.Object("")
		if len(b)-pos < TLSRecordHeader {
			t.Uint("header_bytes", uint64(len(b)-pos))
			t.Bool("truncated", true)
			t.Close()
			break
		}
		ct, ver, n := b[pos], binary.BigEndian.Uint16(b[pos+1:]), int(binary.BigEndian.Uint16(b[pos+3:]))
		t.Enum("content_type", uint64(ct), TLSContentName(ct))
		t.Enum("version", uint64(ver), TLSVersionName(ver))
		t.Uint("length", uint64(n))
		body := b[pos+TLSRecordHeader : min(pos+TLSRecordHeader+n, len(b))]
		if len(body) < n {
			t.Bool("truncated", true) // the record goes on in the next segment
		}
		switch ct {
		case 21:
			if n == 2 && len(body) == 2 {
				t.Enum("level", uint64(body[0]), tableName(tlsAlertLevels[:], int(body[0])))
				t.Enum("description", uint64(body[1]), tableName(tlsAlertNames[:], int(body[1])))
			} else {
				t.Bool("encrypted", true)
			}
		case 22:
			tlsHandshakeFields(t, body, len(body) == n)
		case 23:
			t.Bool("encrypted", true)
		}
		t.Close()
		pos += TLSRecordHeader + n
	}
	t.Close()
}

// tlsHandshakeFields writes the handshake messages of a record body (whole
// when complete), or that it is encrypted.
func tlsHandshakeFields(t *Tree, b []byte, complete bool) {
	if len(b) >= 4 {
		typ, n := b[0], int(b[1])<<16|int(b[2])<<8|int(b[3])
		spans := typ == 1 || typ == 2 || typ == 11 // the messages that span records
		if TLSHandshakeName(typ) == "unknown" || complete && 4+n > len(b) && !spans {
			t.Bool("encrypted", true)
			return
		}
	}
	t.Array("handshakes")
	for len(b) >= 4 {
		typ, n := b[0], int(b[1])<<16|int(b[2])<<8|int(b[3])
		t.Object("")
		t.Enum("type", uint64(typ), TLSHandshakeName(typ))
		t.Uint("length", uint64(n))
		if 4+n > len(b) {
			t.Bool("truncated", true) // continues in a later record or segment
			t.Close()
			break
		}
		if typ == 1 || typ == 2 {
			if h, err := ParseTLSHello(b[4:4+n], typ == 1); err != "" {
				t.String("error", err)
			} else {
				h.Fields(t, typ == 1)
			}
		}
		t.Close()
		b = b[4+n:]
	}
	t.Close()
}

var tlsContentNames = [...]string{20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data", 24: "heartbeat"}

var tlsHandshakeNames = [...]string{0: "hello_request", 1: "client_hello", 2: "server_hello", 4: "new_session_ticket",
	5: "end_of_early_data", 8: "encrypted_extensions", 11: "certificate", 12: "server_key_exchange",
	13: "certificate_request", 14: "server_hello_done", 15: "certificate_verify", 16: "client_key_exchange",
	20: "finished", 21: "certificate_url", 22: "certificate_status", 24: "key_update", 254: "message_hash"}

var tlsAlertLevels = [...]string{1: "warning", 2: "fatal"}

var tlsAlertNames = [...]string{0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
	21: "decryption_failed", 22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure",
	41: "no_certificate", 42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked",
	45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
	49: "access_denied", 50: "decode_error", 51: "decrypt_error", 60: "export_restriction", 70: "protocol_version",
	71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
	100: "no_renegotiation", 109: "missing_extension", 110: "unsupported_extension", 111: "certificate_unobtainable",
	112: "unrecognized_name", 113: "bad_certificate_status_response", 114: "bad_certificate_hash_value",
	115: "unknown_psk_identity", 116: "certificate_required", 120: "no_application_protocol"}

// tableName returns names[v], or "unknown" when v has no name.
func tableName(names []string, v int) string {
	if v >= 0 && v < len(names) && names[v] != "" {
		return names[v]
	}
	return "unknown"
}

// TLSContentName names a record content type ("handshake").
func TLSContentName(ct uint8) string { return tableName(tlsContentNames[:], int(ct)) }

// TLSHandshakeName names a handshake message type ("client_hello").
func TLSHandshakeName(t uint8) string { return tableName(tlsHandshakeNames[:], int(t)) }

// TLSAlertLevelName and TLSAlertName name an alert's level and
// description.
func TLSAlertLevelName(v uint8) string { return tableName(tlsAlertLevels[:], int(v)) }
func TLSAlertName(v uint8) string      { return tableName(tlsAlertNames[:], int(v)) }

// TLSVersionName names a protocol version ("TLS 1.2").
func TLSVersionName(v uint16) string {
	switch {
	case v == 0x0300:
		return "SSL 3.0"
	case v > 0x0300 && v <= 0x0304:
		return "TLS 1." + strconv.Itoa(int(v-0x0301))
	case IsGREASE(v):
		return "GREASE"
	}
	return "unknown"
}

// IsGREASE reports whether v is a GREASE value (RFC 8701): 0x?a?a with
// both bytes equal.
func IsGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// TLSHello is a ClientHello or ServerHello. Its bytes are its own (copied
// from the message).
type TLSHello struct {
	Version   uint16 `msgpack:"version"` // legacy_version
	Random    []byte `msgpack:"random"`
	SessionID []byte `msgpack:"session_id"`
	// CipherSuites are the client's offer, CipherSuite the server's choice.
	CipherSuites []uint16 `msgpack:"cipher_suites,omitempty"`
	CipherSuite  uint16   `msgpack:"cipher_suite"`
	Compression  []uint8  `msgpack:"compression"`
	// Extensions are the extension types in the order sent.
	Extensions          []uint16 `msgpack:"extensions"`
	ServerName          string   `msgpack:"server_name,omitempty"`
	ALPN                []string `msgpack:"alpn,omitempty"`
	SupportedVersions   []uint16 `msgpack:"supported_versions,omitempty"`
	Groups              []uint16 `msgpack:"groups,omitempty"`
	PointFormats        []uint8  `msgpack:"point_formats,omitempty"`
	SignatureAlgorithms []uint16 `msgpack:"signature_algorithms,omitempty"`
	// JA3 is the JA3 string of a ClientHello or the JA3S string of a
	// ServerHello, JA3Hash its MD5 in hex.
	JA3     string `msgpack:"ja3"`
	JA3Hash string `msgpack:"ja3_hash"`
}

// tlsReader reads the vectors of a handshake message.
type tlsReader struct {
	b   []byte
	bad bool
}

func (r *tlsReader) bytes(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *tlsReader) u8() uint8 {
	if v := r.bytes(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *tlsReader) u16() uint16 {
	if v := r.bytes(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

// vec reads a vector with a length prefix of n bytes (1, 2 or 3).
func (r *tlsReader) vec(n int) []byte {
	l := 0
	for _, c := range r.bytes(n) {
		l = l<<8 | int(c)
	}
	return r.bytes(l)
}

func u16s(b []byte) []uint16 {
	out := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		out = append(out, binary.BigEndian.Uint16(b[i:]))
	}
	return out
}

// ParseTLSHello decodes the body of a ClientHello (client) or ServerHello
// message, or returns what is wrong with it.
func ParseTLSHello(b []byte, client bool) (*TLSHello, string) {
	r := &tlsReader{b: b}
	h := &TLSHello{Version: r.u16()}
	h.Random = bytes.Clone(r.bytes(32))
	h.SessionID = bytes.Clone(r.vec(1))
	if client {
		h.CipherSuites = u16s(r.vec(2))
		h.Compression = bytes.Clone(r.vec(1))
	} else {
		h.CipherSuite = r.u16()
		h.Compression = []uint8{r.u8()}
	}
	if r.bad {
		return nil, "hello cut short"
	}
	h.Extensions = []uint16{}
	var exts []byte
	if len(r.b) > 0 {
		if exts = r.vec(2); r.bad {
			return nil, "extensions cut short"
		}
	}
	er := &tlsReader{b: exts}
	for len(er.b) > 0 {
		typ, data := er.u16(), er.vec(2)
		if er.bad {
			return nil, fmt.Sprintf("extension %d cut short", typ)
		}
		h.Extensions = append(h.Extensions, typ)
		x := &tlsReader{b: data}
		switch typ {
		case 0: // server_name (RFC 6066): in a ClientHello, a list of names
			if !client {
				break
			}
			list := &tlsReader{b: x.vec(2)}
			for len(list.b) > 0 && !list.bad {
				nt, name := list.u8(), list.vec(2)
				if nt == 0 && h.ServerName == "" && !list.bad {
					h.ServerName = string(name)
				}
			}
		case 10: // supported_groups
			h.Groups = u16s(x.vec(2))
		case 11: // ec_point_formats
			h.PointFormats = bytes.Clone(x.vec(1))
		case 13: // signature_algorithms
			h.SignatureAlgorithms = u16s(x.vec(2))
		case 16: // application_layer_protocol_negotiation (RFC 7301)
			list := &tlsReader{b: x.vec(2)}
			for len(list.b) > 0 && !list.bad {
				if p := list.vec(1); !list.bad {
					h.ALPN = append(h.ALPN, string(p))
				}
			}
		case 43: // supported_versions: a list from a client, the choice from a server
			if client {
				h.SupportedVersions = u16s(x.vec(1))
			} else if v := x.u16(); !x.bad {
				h.SupportedVersions = []uint16{v}
			}
		}
	}
	h.JA3 = ja3(h, client)
	sum := md5.Sum([]byte(h.JA3))
	h.JA3Hash = hex.EncodeToString(sum[:])
	return h, ""
}

// ja3 returns the JA3 string of a ClientHello (version, cipher suites,
// extensions, groups, point formats) or the JA3S string of a ServerHello
// (version, cipher suite, extensions): decimal values joined by '-', the
// fields by ',', GREASE values left out (github.com/salesforce/ja3).
func ja3(h *TLSHello, client bool) string {
	var sb strings.Builder
	list := func(vs []uint16) {
		first := true
		for _, v := range vs {
			if IsGREASE(v) {
				continue
			}
			if !first {
				sb.WriteByte('-')
			}
			first = false
			sb.WriteString(strconv.Itoa(int(v)))
		}
	}
	sb.WriteString(strconv.Itoa(int(h.Version)))
	sb.WriteByte(',')
	if client {
		list(h.CipherSuites)
	} else {
		sb.WriteString(strconv.Itoa(int(h.CipherSuite)))
	}
	sb.WriteByte(',')
	list(h.Extensions)
	if client {
		sb.WriteByte(',')
		list(h.Groups)
		sb.WriteByte(',')
		for i, f := range h.PointFormats {
			if i > 0 {
				sb.WriteByte('-')
			}
			sb.WriteString(strconv.Itoa(int(f)))
		}
	}
	return sb.String()
}

func uintList(t *Tree, key string, vs []uint16) {
	t.Array(key)
	for _, v := range vs {
		t.Uint("", uint64(v))
	}
	t.Close()
}

// Fields writes the hello's fields into t (a ClientHello when client).
func (h *TLSHello) Fields(t *Tree, client bool) {
	t.Enum("version", uint64(h.Version), TLSVersionName(h.Version))
	t.Bytes("random", h.Random)
	t.Bytes("session_id", h.SessionID)
	if client {
		uintList(t, "cipher_suites", h.CipherSuites)
	} else {
		t.Uint("cipher_suite", uint64(h.CipherSuite))
	}
	t.Array("compression")
	for _, c := range h.Compression {
		t.Uint("", uint64(c))
	}
	t.Close()
	uintList(t, "extensions", h.Extensions)
	if h.ServerName != "" {
		t.String("server_name", h.ServerName)
	}
	if h.ALPN != nil {
		t.Array("alpn")
		for _, p := range h.ALPN {
			t.String("", p)
		}
		t.Close()
	}
	if h.SupportedVersions != nil {
		t.Array("supported_versions")
		for _, v := range h.SupportedVersions {
			t.Enum("", uint64(v), TLSVersionName(v))
		}
		t.Close()
	}
	if h.Groups != nil {
		uintList(t, "groups", h.Groups)
	}
	if h.PointFormats != nil {
		t.Array("point_formats")
		for _, f := range h.PointFormats {
			t.Uint("", uint64(f))
		}
		t.Close()
	}
	if h.SignatureAlgorithms != nil {
		uintList(t, "signature_algorithms", h.SignatureAlgorithms)
	}
	name := "ja3"
	if !client {
		name = "ja3s"
	}
	t.String(name, h.JA3)
	t.String(name+"_hash", h.JA3Hash)
}
