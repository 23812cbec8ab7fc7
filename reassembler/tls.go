package reassembler

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"fmt"
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
	Type         uint8             `msgpack:"type"`
	Length       uint32            `msgpack:"length"`
	Error        string            `msgpack:"error,omitempty"`
	Hello        *decoder.TLSHello `msgpack:"hello,omitempty"`
	Certificates []TLSCertificate  `msgpack:"certificates,omitempty"`
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
	tlsHeader = decoder.TLSRecordHeader
	// maxTLSRecords bounds the records analysed per direction.
	maxTLSRecords = 1 << 16
	// maxTLSHandshake bounds a handshake message (a certificate chain is
	// the largest).
	maxTLSHandshake = 1 << 20
)

// startsTLS reports whether b starts with a handshake record that starts
// with a hello, or (a connection seen from its middle) with a record that
// ends b or is followed by another.
func startsTLS(b []byte) bool {
	if !decoder.TLSRecordAt(b) {
		return false
	}
	if decoder.IsTLSHello(b) {
		return true
	}
	n := tlsHeader + int(binary.BigEndian.Uint16(b[3:]))
	return n == len(b) || decoder.TLSRecordAt(b[min(n, len(b)):])
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
			if !decoder.TLSRecordAt(b[pos:]) {
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
			m.TLS, m.Kind = r, decoder.TLSContentName(r.ContentType)
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
			case r.ContentType == 22 && len(hs) == 0 && decoder.TLSHandshakeName(p[0]) == "unknown":
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
		h.Hello, err = decoder.ParseTLSHello(b, typ == 1)
	case 11:
		h.Certificates, err = parseCertificates(b)
	}
	h.Error = err
	return h
}

// parseCertificates decodes a TLS 1.2 Certificate message: a list of DER
// certificates.
func parseCertificates(b []byte) ([]TLSCertificate, string) {
	if len(b) < 3 || int(b[0])<<16|int(b[1])<<8|int(b[2]) != len(b)-3 {
		return nil, "certificate list length does not match the message"
	}
	var out []TLSCertificate
	for list := b[3:]; len(list) > 0; {
		n := 0
		if len(list) >= 3 {
			n = int(list[0])<<16 | int(list[1])<<8 | int(list[2])
		}
		if len(list) < 3 || n > len(list)-3 {
			return out, "certificate cut short"
		}
		der := list[3 : 3+n]
		list = list[3+n:]
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
	t.Enum("content_type", uint64(r.ContentType), decoder.TLSContentName(r.ContentType))
	t.Enum("version", uint64(r.Version), decoder.TLSVersionName(r.Version))
	t.Uint("record_len", uint64(r.Length))
	t.Bool("encrypted", r.Encrypted)
	if a := r.Alert; a != nil {
		t.Object("alert")
		t.Enum("level", uint64(a.Level), decoder.TLSAlertLevelName(a.Level))
		t.Enum("description", uint64(a.Description), decoder.TLSAlertName(a.Description))
		t.Close()
	}
	if r.Handshakes == nil {
		return
	}
	t.Array("handshakes")
	for _, h := range r.Handshakes {
		t.Object("")
		t.Enum("type", uint64(h.Type), decoder.TLSHandshakeName(h.Type))
		t.Uint("length", uint64(h.Length))
		if h.Error != "" {
			t.String("error", h.Error)
		}
		if h.Hello != nil {
			h.Hello.Fields(t, h.Type == 1)
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
