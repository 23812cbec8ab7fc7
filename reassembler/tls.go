package reassembler

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
)

// TLS (RFC 5246, RFC 8446) on a reassembled stream whose first bytes, in
// either direction, are a handshake record. Each direction is read as a
// sequence of records, one Message per record (Proto "TLS", Kind the
// content type's name). The handshake messages that travel in clear are
// decoded, also when one spans several records: a direction's handshake is
// in clear until its ChangeCipherSpec (TLS 1.2), and in TLS 1.3 only the
// hellos are (the rest travels as application_data). A handshake message
// is reported with the record that completes it. Hellos give their
// extensions, server name, ALPN protocols, supported versions and groups,
// and the JA3 (ClientHello) or JA3S (ServerHello) fingerprint; a TLS 1.2
// Certificate message gives each certificate's subject, issuer, names,
// validity and SHA-256 (crypto/x509). A gap, or bytes that are not a
// record, end a direction's records: nothing marks where the next starts.

// TLSRecord is what a TLS record says beyond its Message (Kind is its
// content type's name).
type TLSRecord struct {
	ContentType uint8  `msgpack:"content_type"`
	Version     uint16 `msgpack:"version"` // of the record layer
	Length      uint16 `msgpack:"length"`  // of the payload after the 5-byte header
	// Encrypted: the payload is protected (application_data, and every
	// record a direction sends after its ChangeCipherSpec).
	Encrypted  bool            `msgpack:"encrypted"`
	Alert      *TLSAlert       `msgpack:"alert,omitempty"`
	Handshakes []*TLSHandshake `msgpack:"handshakes,omitempty"`
}

// TLSAlert is an alert sent in clear.
type TLSAlert struct {
	Level       uint8 `msgpack:"level"`
	Description uint8 `msgpack:"description"`
}

// TLSHandshake is a handshake message.
type TLSHandshake struct {
	Type         uint8            `msgpack:"type"`
	Length       uint32           `msgpack:"length"`
	Error        string           `msgpack:"error,omitempty"`
	Hello        *TLSHello        `msgpack:"hello,omitempty"`
	Certificates []TLSCertificate `msgpack:"certificates,omitempty"`
}

// TLSHello is a ClientHello or ServerHello. Its bytes are its own (copied
// from the stream).
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

// TLSCertificate is one certificate of a Certificate message.
type TLSCertificate struct {
	Subject   string   `msgpack:"subject"`
	Issuer    string   `msgpack:"issuer"`
	Serial    string   `msgpack:"serial"`
	NotBefore string   `msgpack:"not_before"` // RFC 3339, UTC
	NotAfter  string   `msgpack:"not_after"`
	DNSNames  []string `msgpack:"dns_names,omitempty"`
	SHA256    string   `msgpack:"sha256"` // of the DER bytes, hex
	Length    int      `msgpack:"length"`
	Error     string   `msgpack:"error,omitempty"` // when the DER does not parse
}

// Limits of the TLS analysis.
const (
	tlsHeader = 5
	// maxTLSRecord is the largest record length RFC 8446 allows
	// (ciphertext: 2^14 + 256; RFC 5246: 2^14 + 2048).
	maxTLSRecord = 1<<14 + 2048
	// maxTLSRecords bounds the records analysed per direction.
	maxTLSRecords = 1 << 16
	// maxTLSHandshake bounds a handshake message (a certificate chain is
	// the largest).
	maxTLSHandshake = 1 << 20
)

var tlsContentNames = [...]string{20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data", 24: "heartbeat"}

var tlsHandshakeNames = [...]string{0: "hello_request", 1: "client_hello", 2: "server_hello", 4: "new_session_ticket",
	5: "end_of_early_data", 8: "encrypted_extensions", 11: "certificate", 12: "server_key_exchange",
	13: "certificate_request", 14: "server_hello_done", 15: "certificate_verify", 16: "client_key_exchange",
	20: "finished", 21: "certificate_url", 22: "certificate_status", 24: "key_update", 254: "message_hash"}

var tlsAlertNames = [...]string{0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
	21: "decryption_failed", 22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure",
	41: "no_certificate", 42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked",
	45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
	49: "access_denied", 50: "decode_error", 51: "decrypt_error", 60: "export_restriction", 70: "protocol_version",
	71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
	100: "no_renegotiation", 109: "missing_extension", 110: "unsupported_extension", 111: "certificate_unobtainable",
	112: "unrecognized_name", 113: "bad_certificate_status_response", 114: "bad_certificate_hash_value",
	115: "unknown_psk_identity", 116: "certificate_required", 120: "no_application_protocol"}

func tlsName(names []string, v int, unknown string) string {
	if v >= 0 && v < len(names) && names[v] != "" {
		return names[v]
	}
	return unknown
}

// tlsVersionName names a protocol version ("TLS 1.2"), or "".
func tlsVersionName(v uint16) string {
	switch {
	case v == 0x0300:
		return "SSL 3.0"
	case v > 0x0300 && v <= 0x0304:
		return "TLS 1." + strconv.Itoa(int(v-0x0301))
	case isGREASE(v):
		return "GREASE"
	}
	return "unknown"
}

// tlsRecordAt reports whether b starts with a plausible record header of
// content type ct (0: any): a known type, SSL 3.0 to TLS 1.3, a length
// within the limit.
func tlsRecordAt(b []byte, ct uint8) bool {
	if len(b) < tlsHeader || b[1] != 3 || b[2] > 4 {
		return false
	}
	if ct != 0 && b[0] != ct || b[0] < 20 || b[0] > 24 {
		return false
	}
	n := int(binary.BigEndian.Uint16(b[3:]))
	return n > 0 && n <= maxTLSRecord
}

// startsTLS reports whether b starts with a handshake record that starts
// with a hello, or (a connection seen from its middle) with a record that
// ends b or is followed by another.
func startsTLS(b []byte) bool {
	if !tlsRecordAt(b, 0) {
		return false
	}
	if b[0] == 22 && (len(b) == tlsHeader || b[5] == 1 || b[5] == 2) {
		return true
	}
	n := tlsHeader + int(binary.BigEndian.Uint16(b[3:]))
	return n == len(b) || tlsRecordAt(b[min(n, len(b)):], 0)
}

// analyseTLS returns the records of direction dir of s.
func analyseTLS(s *Stream, dir int) []*Message {
	d := &s.Dirs[dir]
	var (
		out       []*Message
		hs        []byte // handshake bytes not yet a whole message
		encrypted bool   // after the direction's ChangeCipherSpec
		hsFailed  bool
	)
	for _, sp := range spans(d) {
		if sp.afterGap || sp.off != 0 {
			break // a gap: the next record boundary is unknown
		}
		b := d.Data[sp.start:sp.end]
		for pos := 0; pos < len(b); {
			m := &Message{Proto: "TLS", Dir: dir, Offset: sp.off + uint64(pos)}
			out = append(out, m)
			if !tlsRecordAt(b[pos:], 0) {
				m.Kind, m.Length = "fragment", uint64(len(b)-pos)
				if len(b)-pos < tlsHeader {
					m.Error = fmt.Sprintf("record header cut short: %d of %d bytes", len(b)-pos, tlsHeader)
				} else {
					m.Error = fmt.Sprintf("not a TLS record (content type %d, version %#04x, length %d)",
						b[pos], binary.BigEndian.Uint16(b[pos+1:]), binary.BigEndian.Uint16(b[pos+3:]))
				}
				break
			}
			r := &TLSRecord{ContentType: b[pos], Version: binary.BigEndian.Uint16(b[pos+1:]), Length: binary.BigEndian.Uint16(b[pos+3:])}
			r.Encrypted = encrypted || r.ContentType == 23
			m.TLS, m.Kind = r, tlsName(tlsContentNames[:], int(r.ContentType), "unknown")
			n := tlsHeader + int(r.Length)
			if n > len(b)-pos {
				m.Length = uint64(len(b) - pos)
				m.Error = fmt.Sprintf("record cut short: %d of %d bytes", len(b)-pos, n)
				break
			}
			m.Length, m.Complete = uint64(n), true
			p := b[pos+tlsHeader : pos+n]
			pos += n
			switch {
			case r.Encrypted:
			case r.ContentType == 20:
				encrypted = true
			case r.ContentType == 21:
				if len(p) == 2 {
					r.Alert = &TLSAlert{Level: p[0], Description: p[1]}
				} else {
					r.Encrypted = true // a protected alert (its ChangeCipherSpec was not seen)
				}
			case r.ContentType == 22 && len(hs) == 0 && tlsName(tlsHandshakeNames[:], int(p[0]), "") == "":
				r.Encrypted = true // not a handshake message: protected, as an alert above
			case r.ContentType == 22 && !hsFailed:
				hs = append(hs, p...)
				for len(hs) >= 4 {
					l := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
					if l > maxTLSHandshake {
						m.Error = fmt.Sprintf("handshake message of %d bytes, over %d", l, maxTLSHandshake)
						hsFailed, hs = true, nil
						break
					}
					if len(hs) < 4+l {
						break
					}
					r.Handshakes = append(r.Handshakes, parseHandshake(hs[0], hs[4:4+l]))
					hs = hs[4+l:]
				}
				if len(hs) == 0 {
					hs = nil // appending copies: hs never holds the stream's bytes
				}
			}
			if len(out) == maxTLSRecords {
				m.Error = fmt.Sprintf("the first %d records are analysed, not the rest", maxTLSRecords)
				break
			}
		}
		break
	}
	if len(hs) > 0 && len(out) > 0 {
		last := out[len(out)-1]
		if last.Error == "" {
			last.Error = fmt.Sprintf("a handshake message cut short: %d bytes of it", len(hs))
		}
	}
	for _, m := range out {
		m.Frames = framesOf(d, m.Offset, m.Length)
	}
	return out
}

// parseHandshake decodes a handshake message of type typ and body b.
func parseHandshake(typ uint8, b []byte) *TLSHandshake {
	h := &TLSHandshake{Type: typ, Length: uint32(len(b))}
	var err string
	switch typ {
	case 1, 2:
		if h.Hello, err = parseHello(b, typ == 1); err != "" {
			h.Hello = nil // a partial hello would give a wrong fingerprint
		}
	case 11:
		h.Certificates, err = parseCertificates(b)
	}
	h.Error = err
	return h
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

// isGREASE reports whether v is a GREASE value (RFC 8701): 0x?a?a with
// both bytes equal.
func isGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// parseHello decodes a ClientHello (client) or ServerHello body.
func parseHello(b []byte, client bool) (*TLSHello, string) {
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
		return h, "hello cut short"
	}
	h.Extensions = []uint16{}
	var exts []byte
	if len(r.b) > 0 {
		if exts = r.vec(2); r.bad {
			return h, "extensions cut short"
		}
	}
	er := &tlsReader{b: exts}
	for len(er.b) > 0 {
		typ, data := er.u16(), er.vec(2)
		if er.bad {
			return h, fmt.Sprintf("extension %d cut short", typ)
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
				if nt == 0 && h.ServerName == "" {
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
			if isGREASE(v) {
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

// parseCertificates decodes a TLS 1.2 Certificate message: a list of DER
// certificates.
func parseCertificates(b []byte) ([]TLSCertificate, string) {
	r := &tlsReader{b: b}
	list := &tlsReader{b: r.vec(3)}
	if r.bad || len(r.b) != 0 {
		return nil, "certificate list length does not match the message"
	}
	var out []TLSCertificate
	for len(list.b) > 0 {
		der := list.vec(3)
		if list.bad {
			return out, "certificate cut short"
		}
		sum := sha256.Sum256(der)
		c := TLSCertificate{SHA256: hex.EncodeToString(sum[:]), Length: len(der)}
		if x, err := x509.ParseCertificate(der); err != nil {
			c.Error = err.Error()
		} else {
			c.Subject, c.Issuer = x.Subject.String(), x.Issuer.String()
			c.Serial = x.SerialNumber.Text(16)
			c.NotBefore, c.NotAfter = x.NotBefore.UTC().Format(time.RFC3339), x.NotAfter.UTC().Format(time.RFC3339)
			c.DNSNames = x.DNSNames
		}
		out = append(out, c)
	}
	return out, ""
}

// fields writes the record's part of the Message report block.
func (r *TLSRecord) fields(t *decoder.Tree) {
	t.Enum("content_type", uint64(r.ContentType), tlsName(tlsContentNames[:], int(r.ContentType), "unknown"))
	t.Enum("version", uint64(r.Version), tlsVersionName(r.Version))
	t.Uint("record_len", uint64(r.Length))
	t.Bool("encrypted", r.Encrypted)
	if a := r.Alert; a != nil {
		t.Object("alert")
		t.Enum("level", uint64(a.Level), tlsName([]string{1: "warning", 2: "fatal"}, int(a.Level), "unknown"))
		t.Enum("description", uint64(a.Description), tlsName(tlsAlertNames[:], int(a.Description), "unknown"))
		t.Close()
	}
	if r.Handshakes == nil {
		return
	}
	t.Array("handshakes")
	for _, h := range r.Handshakes {
		t.Object("")
		t.Enum("type", uint64(h.Type), tlsName(tlsHandshakeNames[:], int(h.Type), "unknown"))
		t.Uint("length", uint64(h.Length))
		if h.Error != "" {
			t.String("error", h.Error)
		}
		if h.Hello != nil {
			h.Hello.fields(t, h.Type == 1)
		}
		if h.Type == 11 && h.Error == "" || h.Certificates != nil {
			t.Array("certificates")
			for i := range h.Certificates {
				h.Certificates[i].fields(t)
			}
			t.Close()
		}
		t.Close()
	}
	t.Close()
}

func uintList(t *decoder.Tree, key string, vs []uint16) {
	t.Array(key)
	for _, v := range vs {
		t.Uint("", uint64(v))
	}
	t.Close()
}

func (h *TLSHello) fields(t *decoder.Tree, client bool) {
	t.Enum("version", uint64(h.Version), tlsVersionName(h.Version))
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
			t.Enum("", uint64(v), tlsVersionName(v))
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

func (c *TLSCertificate) fields(t *decoder.Tree) {
	t.Object("")
	t.Uint("length", uint64(c.Length))
	t.String("sha256", c.SHA256)
	if c.Error != "" {
		t.String("error", c.Error)
	} else {
		t.String("subject", c.Subject)
		t.String("issuer", c.Issuer)
		t.String("serial", c.Serial)
		t.String("not_before", c.NotBefore)
		t.String("not_after", c.NotAfter)
		t.Array("dns_names")
		for _, n := range c.DNSNames {
			t.String("", n)
		}
		t.Close()
	}
	t.Close()
}
