package decoder

import "encoding/binary"

// PPP (RFC 1661) in HDLC-like framing (RFC 1662), as captured: the FCS and
// flags are gone, the address/control bytes FF 03 may be present or
// compressed away (ACFC), and the protocol field is two bytes or, when
// protocol-field compression applies, one (its value is odd):
//
//	+----------+----------+----------+----------+------------
//	| Address  | Control  |       Protocol      | Information
//	| 0xFF opt | 0x03 opt |   16 (or 8) bits    |
//	+----------+----------+----------+----------+------------
const (
	pppAddress    = 0xff
	pppControl    = 0x03
	pppACLen      = 2
	pppMinProtLen = 1
)

// PPP is a view of a PPP header.
type PPP []byte

// HasAC reports whether the address and control bytes are present.
func (h PPP) HasAC() bool { return len(h) >= 2 && h[0] == pppAddress && h[1] == pppControl }

// protoOff returns where the protocol field starts.
func (h PPP) protoOff() int {
	if h.HasAC() {
		return pppACLen
	}
	return 0
}

// HeaderLen returns the header length (1 to 4 bytes); the caller checks it
// against the data.
func (h PPP) HeaderLen() int {
	o := h.protoOff()
	if o < len(h) && h[o]&1 == 1 {
		return o + 1 // compressed protocol field
	}
	return o + 2
}

// Protocol returns the protocol field (valid when len(h) >= HeaderLen()).
func (h PPP) Protocol() uint16 {
	o := h.protoOff()
	if h[o]&1 == 1 {
		return uint16(h[o])
	}
	return binary.BigEndian.Uint16(h[o:])
}

func decodePPP(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	h := PPP(b)
	hl := h.HeaderLen()
	if len(b) < hl {
		return ProtoNone, truncated(hl, len(b))
	}
	pr := h.Protocol()
	if pr&1 == 0 {
		// RFC 1661: protocol numbers are odd (the last octet's low bit is 1).
		return ProtoNone, malformed("protocol 0x%04x is even", pr)
	}
	l.Hdr = uint32(hl)
	return pppProto(pr), nil
}

// pppProto maps a PPP protocol number to the payload's protocol.
func pppProto(pr uint16) Proto {
	switch pr {
	case 0x0021:
		return ProtoIPv4
	case 0x0057:
		return ProtoIPv6
	case 0x002b:
		return ProtoIPX
	case 0x0281, 0x0283:
		return ProtoMPLS
	}
	return ProtoRaw
}

func fieldsPPP(t *Tree, p *Packet, l *Layer) {
	h := PPP(p.Data[l.Off:l.End])
	if h.HasAC() {
		t.Uint("address", pppAddress)
		t.Uint("control", pppControl)
	}
	pr := h.Protocol()
	t.Enum("protocol", uint64(pr), pppProtoName(pr))
}

// pppProtoName names a PPP protocol number (IANA ppp-numbers).
func pppProtoName(pr uint16) string {
	switch pr {
	case 0x0021:
		return "IPv4"
	case 0x0057:
		return "IPv6"
	case 0x002b:
		return "IPX"
	case 0x002d:
		return "Van Jacobson Compressed TCP/IP"
	case 0x002f:
		return "Van Jacobson Uncompressed TCP/IP"
	case 0x003d:
		return "Multi-Link"
	case 0x00fd:
		return "Compressed Datagram"
	case 0x0281:
		return "MPLS Unicast"
	case 0x0283:
		return "MPLS Multicast"
	case 0x8021:
		return "IPCP"
	case 0x802b:
		return "IPXCP"
	case 0x8057:
		return "IPV6CP"
	case 0x80fd:
		return "CCP"
	case 0x8281:
		return "MPLSCP"
	case 0xc021:
		return "LCP"
	case 0xc023:
		return "PAP"
	case 0xc025:
		return "LQR"
	case 0xc223:
		return "CHAP"
	case 0xc227:
		return "EAP"
	}
	return ""
}

// PPPoE header (RFC 2516):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  VER  | TYPE  |      CODE     |          SESSION_ID           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|            LENGTH             |           payload             ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Session-stage packets (code 0) carry PPP; discovery packets (PADI, PADO,
// PADR, PADS, PADT) carry a list of TLV tags, which is part of this layer:
//
//	|          TAG_TYPE             |        TAG_LENGTH             |
//	|          TAG_VALUE ...
const (
	pppoeVerType  = 0
	pppoeCode     = 1
	pppoeSession  = 2
	pppoeLength   = 4
	pppoeHdrLen   = 6
	pppoeTagHdr   = 4
	pppoeCodeSess = 0x00
)

// PPPoE is a view of a PPPoE header.
type PPPoE []byte

func (h PPPoE) Version() uint8    { return h[pppoeVerType] >> 4 }
func (h PPPoE) Type() uint8       { return h[pppoeVerType] & 0x0f }
func (h PPPoE) Code() uint8       { return h[pppoeCode] }
func (h PPPoE) SessionID() uint16 { return binary.BigEndian.Uint16(h[pppoeSession:]) }
func (h PPPoE) Length() uint16    { return binary.BigEndian.Uint16(h[pppoeLength:]) }
func (h PPPoE) IsDiscovery() bool { return h.Code() != pppoeCodeSess }

func decodePPPoE(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < pppoeHdrLen {
		return ProtoNone, truncated(pppoeHdrLen, len(b))
	}
	h := PPPoE(b)
	if h.Version() != 1 || h.Type() != 1 {
		return ProtoNone, malformed("version %d type %d, want 1 and 1", h.Version(), h.Type())
	}
	// The length covers the payload; bytes after it are link padding. A
	// length beyond the captured bytes is a snap-length cut: keep what is
	// there.
	n := pppoeHdrLen + int(h.Length())
	if n < len(b) {
		l.End = l.Off + uint32(n)
		b = b[:n]
	}
	if !h.IsDiscovery() {
		l.Hdr = pppoeHdrLen
		return ProtoPPP, nil
	}
	// Discovery: the tags are the rest of the header. A tag that runs past
	// the captured bytes of a longer packet is a cut; past the stated
	// length, an error of the sender.
	cut := n > len(b)
	for i := pppoeHdrLen; i < len(b); {
		if len(b)-i < pppoeTagHdr {
			if cut {
				return ProtoNone, truncated(i+pppoeTagHdr, len(b))
			}
			return ProtoNone, malformed("%d stray bytes after the last tag", len(b)-i)
		}
		tn := pppoeTagHdr + int(binary.BigEndian.Uint16(b[i+2:]))
		if tn > len(b)-i {
			if cut {
				return ProtoNone, truncated(i+tn, len(b))
			}
			return ProtoNone, malformed("tag 0x%04x at offset %d: length %d exceeds the %d bytes left", binary.BigEndian.Uint16(b[i:]), i, tn-pppoeTagHdr, len(b)-i-pppoeTagHdr)
		}
		i += tn
	}
	if cut {
		return ProtoNone, truncated(n, len(b))
	}
	l.Hdr = uint32(len(b))
	return ProtoNone, nil
}

func fieldsPPPoE(t *Tree, p *Packet, l *Layer) {
	b := p.Data[l.Off:l.End]
	h := PPPoE(b)
	t.Uint("version", uint64(h.Version()))
	t.Uint("type", uint64(h.Type()))
	t.Enum("code", uint64(h.Code()), pppoeCodeName(h.Code()))
	t.Uint("session_id", uint64(h.SessionID()))
	t.Uint("len", uint64(h.Length()))
	if !h.IsDiscovery() {
		return
	}
	t.Array("tags")
	for i := pppoeHdrLen; i+pppoeTagHdr <= len(b); {
		typ := binary.BigEndian.Uint16(b[i:])
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if i+pppoeTagHdr+n > len(b) {
			break // decodePPPoE rejected this; not reached for decoded layers
		}
		t.Object("")
		t.Enum("type", uint64(typ), pppoeTagName(typ))
		t.Uint("len", uint64(n))
		t.Bytes("value", b[i+pppoeTagHdr:i+pppoeTagHdr+n])
		t.Close()
		i += pppoeTagHdr + n
	}
	t.Close()
}

func pppoeCodeName(c uint8) string {
	switch c {
	case 0x00:
		return "Session Data"
	case 0x09:
		return "PADI"
	case 0x07:
		return "PADO"
	case 0x19:
		return "PADR"
	case 0x65:
		return "PADS"
	case 0xa7:
		return "PADT"
	}
	return ""
}

func pppoeTagName(typ uint16) string {
	switch typ {
	case 0x0000:
		return "End-Of-List"
	case 0x0101:
		return "Service-Name"
	case 0x0102:
		return "AC-Name"
	case 0x0103:
		return "Host-Uniq"
	case 0x0104:
		return "AC-Cookie"
	case 0x0105:
		return "Vendor-Specific"
	case 0x0110:
		return "Relay-Session-Id"
	case 0x0120:
		return "PPP-Max-Payload"
	case 0x0201:
		return "Service-Name-Error"
	case 0x0202:
		return "AC-System-Error"
	case 0x0203:
		return "Generic-Error"
	}
	return ""
}
