package decoder

import (
	"encoding/binary"
	"strconv"
)

// DNS message header (RFC 1035, section 4.1.1; AD/CD bits RFC 4035):
//
//	                                1  1  1  1  1  1
//	  0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
//	+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//	|                      ID                       |
//	+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//	|QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
//	+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//	|                    QDCOUNT                    |
//	+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//	|                    ANCOUNT                    |
//	+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//	|                    NSCOUNT                    |
//	+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//	|                    ARCOUNT                    |
//	+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//
// Over TCP every message is preceded by a 2-byte length (section 4.2.2).
// decodeDNS checks the header only; the questions and resource records are
// parsed when fields are written, and a malformed body is reported there.
// mDNS (5353) and LLMNR (5355) share the format.
const (
	dnsID      = 0
	dnsFlags   = 2
	dnsQDCount = 4
	dnsANCount = 6
	dnsNSCount = 8
	dnsARCount = 10
	dnsHdrLen  = 12

	dnsMaxHops    = 64  // compression pointers followed in one name
	dnsMaxNameLen = 255 // wire length of a name (RFC 1035, section 3.1)
)

// DNS is a view of a DNS message (without the TCP length prefix).
type DNS []byte

func (m DNS) ID() uint16      { return binary.BigEndian.Uint16(m[dnsID:]) }
func (m DNS) Flags() uint16   { return binary.BigEndian.Uint16(m[dnsFlags:]) }
func (m DNS) QDCount() uint16 { return binary.BigEndian.Uint16(m[dnsQDCount:]) }
func (m DNS) ANCount() uint16 { return binary.BigEndian.Uint16(m[dnsANCount:]) }
func (m DNS) NSCount() uint16 { return binary.BigEndian.Uint16(m[dnsNSCount:]) }
func (m DNS) ARCount() uint16 { return binary.BigEndian.Uint16(m[dnsARCount:]) }
func (m DNS) Response() bool  { return m.Flags()&0x8000 != 0 }
func (m DNS) Opcode() uint8   { return uint8(m.Flags()>>11) & 0xf }
func (m DNS) Rcode() uint8    { return uint8(m.Flags() & 0xf) }

// dnsOverTCP reports whether the DNS layer l is carried by TCP.
func dnsOverTCP(p *Packet, l *Layer) bool {
	i := layerIndex(p, l)
	return i > 0 && p.Layers[i-1].Proto == ProtoTCP
}

func decodeDNS(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if !dnsOverTCP(p, l) {
		if len(b) < dnsHdrLen {
			return ProtoNone, truncated(dnsHdrLen, len(b))
		}
		l.Hdr = uint32(len(b))
		return ProtoNone, nil
	}
	if len(b) < 2+dnsHdrLen {
		return ProtoNone, truncated(2+dnsHdrLen, len(b))
	}
	n := int(binary.BigEndian.Uint16(b))
	if n < dnsHdrLen {
		return ProtoNone, malformed("tcp length prefix %d below the 12-byte header", n)
	}
	if 2+n < len(b) {
		l.Hdr = uint32(2 + n) // further messages follow: raw payload
		return ProtoRaw, nil
	}
	l.Hdr = uint32(len(b)) // whole, or cut by the segment's end
	return ProtoNone, nil
}

func fieldsDNS(t *Tree, p *Packet, l *Layer) {
	m := DNS(p.Data[l.Off : l.Off+l.Hdr])
	if dnsOverTCP(p, l) {
		n := int(binary.BigEndian.Uint16(m))
		t.Uint("length", uint64(n))
		m = m[2:min(len(m), 2+n)]
	}
	fieldsDNSMessage(t, m)
}

// fieldsDNSMessage writes a DNS message (at least 12 bytes).
func fieldsDNSMessage(t *Tree, m DNS) {
	t.Uint("id", uint64(m.ID()))
	f := m.Flags()
	t.Object("flags")
	t.Bool("qr", f&0x8000 != 0)
	t.Enum("opcode", uint64(m.Opcode()), dnsOpcodeName(m.Opcode()))
	t.Bool("aa", f&0x0400 != 0)
	t.Bool("tc", f&0x0200 != 0)
	t.Bool("rd", f&0x0100 != 0)
	t.Bool("ra", f&0x0080 != 0)
	t.Bool("z", f&0x0040 != 0)
	t.Bool("ad", f&0x0020 != 0)
	t.Bool("cd", f&0x0010 != 0)
	t.Enum("rcode", uint64(m.Rcode()), dnsRcodeName(m.Rcode()))
	t.Close()
	t.Uint("qdcount", uint64(m.QDCount()))
	t.Uint("ancount", uint64(m.ANCount()))
	t.Uint("nscount", uint64(m.NSCount()))
	t.Uint("arcount", uint64(m.ARCount()))

	off := dnsHdrLen
	var err string
	t.Array("questions")
	for i := 0; i < int(m.QDCount()) && err == ""; i++ {
		off, err = fieldsDNSQuestion(t, m, off)
	}
	t.Close()
	sections := [3]struct {
		key   string
		count uint16
	}{{"answers", m.ANCount()}, {"authorities", m.NSCount()}, {"additionals", m.ARCount()}}
	for _, s := range sections {
		if err != "" {
			break
		}
		t.Array(s.key)
		for i := 0; i < int(s.count) && err == ""; i++ {
			off, err = fieldsDNSRR(t, m, off)
		}
		t.Close()
	}
	if err != "" {
		t.String("error", err)
	} else if off < len(m) {
		t.Bytes("trailing", m[off:])
	}
}

func fieldsDNSQuestion(t *Tree, m DNS, off int) (int, string) {
	name, next, err := dnsName(t, m, off)
	if err != "" {
		return off, "question name: " + err
	}
	if next+4 > len(m) {
		return off, "question truncated"
	}
	typ := binary.BigEndian.Uint16(m[next:])
	class := binary.BigEndian.Uint16(m[next+2:])
	t.Object("")
	t.StringBytes("name", name)
	t.Enum("type", uint64(typ), dnsTypeName(typ))
	t.Enum("class", uint64(class), dnsClassName(class))
	t.Close()
	return next + 4, ""
}

func fieldsDNSRR(t *Tree, m DNS, off int) (int, string) {
	name, next, err := dnsName(t, m, off)
	if err != "" {
		return off, "record name: " + err
	}
	if next+10 > len(m) {
		return off, "record truncated"
	}
	typ := binary.BigEndian.Uint16(m[next:])
	class := binary.BigEndian.Uint16(m[next+2:])
	ttl := binary.BigEndian.Uint32(m[next+4:])
	rdlen := int(binary.BigEndian.Uint16(m[next+8:]))
	rdOff := next + 10
	if rdOff+rdlen > len(m) {
		return off, "record data truncated"
	}
	rd := m[rdOff : rdOff+rdlen]
	t.Object("")
	t.StringBytes("name", name)
	t.Enum("type", uint64(typ), dnsTypeName(typ))
	if typ == 41 { // OPT pseudo-record (RFC 6891, section 6.1.2)
		t.Uint("udp_size", uint64(class))
		t.Uint("ext_rcode", uint64(ttl>>24))
		t.Uint("version", uint64(ttl>>16&0xff))
		t.Bool("do", ttl&0x8000 != 0)
		t.Uint("rdlength", uint64(rdlen))
		fieldsEDNSOptions(t, rd)
		t.Close()
		return rdOff + rdlen, ""
	}
	t.Enum("class", uint64(class), dnsClassName(class))
	t.Uint("ttl", uint64(ttl))
	t.Uint("rdlength", uint64(rdlen))
	fieldsDNSRData(t, m, typ, rdOff, rdlen)
	t.Close()
	return rdOff + rdlen, ""
}

// fieldsDNSRData writes the record data of type typ at m[off:off+n].
// Names inside it may point anywhere in the message.
func fieldsDNSRData(t *Tree, m DNS, typ uint16, off, n int) {
	rd := m[off : off+n]
	bad := func(why string) {
		t.Bytes("rdata", rd)
		t.String("error", why)
	}
	// nameAt decodes a name that must lie inside the record data.
	nameAt := func(key string, at int) (int, bool) {
		s, next, err := dnsName(t, m[:off+n], at)
		if err != "" {
			bad(err)
			return 0, false
		}
		t.StringBytes(key, s)
		return next, true
	}
	switch typ {
	case 1: // A
		if n != 4 {
			bad("a record length not 4")
			return
		}
		t.IPv4("address", rd)
	case 28: // AAAA
		if n != 16 {
			bad("aaaa record length not 16")
			return
		}
		t.IPv6("address", rd)
	case 2, 5, 12: // NS, CNAME, PTR
		key := "ns"
		if typ == 5 {
			key = "cname"
		} else if typ == 12 {
			key = "ptr"
		}
		if next, ok := nameAt(key, off); ok && next != off+n {
			t.String("error", "bytes after the name")
		}
	case 15: // MX
		if n < 3 {
			bad("mx record too short")
			return
		}
		t.Uint("preference", uint64(binary.BigEndian.Uint16(rd)))
		nameAt("exchange", off+2)
	case 33: // SRV (RFC 2782)
		if n < 7 {
			bad("srv record too short")
			return
		}
		t.Uint("priority", uint64(binary.BigEndian.Uint16(rd)))
		t.Uint("weight", uint64(binary.BigEndian.Uint16(rd[2:])))
		t.Uint("port", uint64(binary.BigEndian.Uint16(rd[4:])))
		nameAt("target", off+6)
	case 6: // SOA
		next, ok := nameAt("mname", off)
		if !ok {
			return
		}
		if next, ok = nameAt("rname", next); !ok {
			return
		}
		if next+20 > off+n {
			t.String("error", "soa record too short")
			return
		}
		for i, k := range [...]string{"serial", "refresh", "retry", "expire", "minimum"} {
			t.Uint(k, uint64(binary.BigEndian.Uint32(m[next+4*i:])))
		}
	case 16: // TXT: one or more <character-string>
		t.Array("txt")
		for i := 0; i < n; {
			k := int(rd[i])
			if i+1+k > n {
				t.Close()
				t.String("error", "txt string beyond the record")
				return
			}
			t.StringBytes("", rd[i+1:i+1+k])
			i += 1 + k
		}
		t.Close()
	default:
		t.Bytes("rdata", rd)
	}
}

// fieldsEDNSOptions lists EDNS options {code, length, data}.
func fieldsEDNSOptions(t *Tree, b []byte) {
	t.Array("options")
	for i := 0; i < len(b); {
		if i+4 > len(b) {
			t.Object("")
			t.String("error", "option header truncated")
			t.Close()
			break
		}
		code := binary.BigEndian.Uint16(b[i:])
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		t.Object("")
		t.Enum("code", uint64(code), ednsOptionName(code))
		t.Uint("length", uint64(n))
		if i+4+n > len(b) {
			t.String("error", "option data beyond the record")
			t.Close()
			break
		}
		t.Bytes("data", b[i+4:i+4+n])
		t.Close()
		i += 4 + n
	}
	t.Close()
}

// dnsName decodes the domain name at m[off:], following compression
// pointers (at most dnsMaxHops) and limiting its wire length to 255 bytes,
// so that a malicious message cannot loop. It returns the name in
// presentation form ("www.example.com", "<Root>" for the root), held in
// t's text (so that a name costs no allocation), the offset after the name
// where it starts (after its first pointer, if any), or an error text.
func dnsName(t *Tree, m []byte, off int) ([]byte, int, string) {
	start := len(t.text)
	name, next, err := appendDNSName(t.text, m, off)
	if err != "" {
		return nil, 0, err
	}
	t.text = name
	return name[start:len(name):len(name)], next, ""
}

// appendDNSName appends the name at m[off:] to out (see dnsName).
func appendDNSName(out, m []byte, off int) ([]byte, int, string) {
	start := len(out)
	next := -1
	wire, hops := 0, 0
	for {
		if off >= len(m) {
			return out, 0, "name beyond the message"
		}
		c := int(m[off])
		switch c & 0xc0 {
		case 0xc0:
			if off+1 >= len(m) {
				return out, 0, "compression pointer truncated"
			}
			if hops++; hops > dnsMaxHops {
				return out, 0, "too many compression pointers"
			}
			if next < 0 {
				next = off + 2
			}
			off = int(binary.BigEndian.Uint16(m[off:]) & 0x3fff)
			continue
		case 0x40, 0x80:
			return out, 0, "unsupported label type 0x" + strconv.FormatUint(uint64(c&0xc0), 16)
		}
		wire += 1 + c
		if wire > dnsMaxNameLen {
			return out, 0, "name longer than 255 bytes"
		}
		if c == 0 {
			if next < 0 {
				next = off + 1
			}
			break
		}
		if off+1+c > len(m) {
			return out, 0, "label beyond the message"
		}
		if len(out) > start {
			out = append(out, '.')
		}
		for _, ch := range m[off+1 : off+1+c] {
			switch {
			case ch == '.' || ch == '\\':
				out = append(out, '\\', ch)
			case ch < 0x21 || ch > 0x7e:
				out = append(out, '\\', '0'+ch/100, '0'+ch/10%10, '0'+ch%10)
			default:
				out = append(out, ch)
			}
		}
		off += 1 + c
	}
	if len(out) == start {
		out = append(out, "<Root>"...)
	}
	return out, next, ""
}

func dnsOpcodeName(op uint8) string {
	switch op {
	case 0:
		return "QUERY"
	case 1:
		return "IQUERY"
	case 2:
		return "STATUS"
	case 4:
		return "NOTIFY"
	case 5:
		return "UPDATE"
	case 6:
		return "DSO"
	}
	return ""
}

func dnsRcodeName(rc uint8) string {
	names := [...]string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI"}
	if int(rc) < len(names) {
		return names[rc]
	}
	return ""
}

func dnsClassName(c uint16) string {
	switch c & 0x7fff { // mDNS uses the top bit (unicast response / cache flush)
	case 1:
		return "IN"
	case 3:
		return "CH"
	case 4:
		return "HS"
	case 254:
		return "NONE"
	case 255:
		return "ANY"
	}
	return ""
}

func dnsTypeName(typ uint16) string {
	switch typ {
	case 1:
		return "A"
	case 2:
		return "NS"
	case 5:
		return "CNAME"
	case 6:
		return "SOA"
	case 12:
		return "PTR"
	case 13:
		return "HINFO"
	case 15:
		return "MX"
	case 16:
		return "TXT"
	case 28:
		return "AAAA"
	case 33:
		return "SRV"
	case 35:
		return "NAPTR"
	case 39:
		return "DNAME"
	case 41:
		return "OPT"
	case 43:
		return "DS"
	case 46:
		return "RRSIG"
	case 47:
		return "NSEC"
	case 48:
		return "DNSKEY"
	case 50:
		return "NSEC3"
	case 52:
		return "TLSA"
	case 64:
		return "SVCB"
	case 65:
		return "HTTPS"
	case 99:
		return "SPF"
	case 251:
		return "IXFR"
	case 252:
		return "AXFR"
	case 255:
		return "ANY"
	case 257:
		return "CAA"
	}
	return ""
}

func ednsOptionName(code uint16) string {
	switch code {
	case 3:
		return "NSID"
	case 8:
		return "Client Subnet"
	case 9:
		return "Expire"
	case 10:
		return "Cookie"
	case 11:
		return "TCP Keepalive"
	case 12:
		return "Padding"
	case 15:
		return "Extended DNS Error"
	}
	return ""
}
