package decoder

import "encoding/binary"

// GPRS Tunnelling Protocol, version 1 (3GPP TS 29.281 5.1 for GTP-U on UDP
// port 2152, TS 29.060 6 for GTP-C on 2123):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Ver=1|P|*|E|S|N| Message Type  |            Length             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|            Tunnel Endpoint Identifier (TEID)                  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|        Sequence Number        | N-PDU Number  |Next Ext. Type |  if E, S or N
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Ext. Length   |   contents ...                | Next Ext. Type|  while type != 0
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// P (protocol type) is 1 for GTP and 0 for GTP'. Length counts the bytes
// after the first 8, optional fields and extension headers included.
// Extension header lengths count 4-octet units, the length byte and the
// next-type byte included. The payload of a G-PDU (message type 255) is a
// user IP packet; other messages are signalling, shown raw.
//
// Version 2 (GTPv2-C, TS 29.274 5.1, port 2123) has flags P (piggyback) and
// T (TEID present), a message type, a length that counts the bytes after
// the first 4, an optional TEID, a 24-bit sequence number and a spare byte:
// its header is decoded, its information elements are left raw.
const (
	gtpFlags   = 0
	gtpType    = 1
	gtpLength  = 2
	gtpTEID    = 4
	gtpSeq     = 8
	gtpNPDU    = 10
	gtpNextExt = 11
	gtpMinLen  = 8
	gtpOptLen  = 12

	gtpPT = 0x10
	gtpE  = 0x04
	gtpS  = 0x02
	gtpPN = 0x01

	gtpGPDU = 255

	gtp2P      = 0x10
	gtp2T      = 0x08
	gtp2MinLen = 8
)

// GTP is a view of a GTPv1 (or GTPv2-C) header.
type GTP []byte

func (h GTP) Version() uint8     { return h[gtpFlags] >> 5 }
func (h GTP) ProtoType() uint8   { return h[gtpFlags] >> 4 & 1 }
func (h GTP) HasExt() bool       { return h[gtpFlags]&gtpE != 0 }
func (h GTP) HasSeq() bool       { return h[gtpFlags]&gtpS != 0 }
func (h GTP) HasNPDU() bool      { return h[gtpFlags]&gtpPN != 0 }
func (h GTP) MessageType() uint8 { return h[gtpType] }
func (h GTP) Length() uint16     { return binary.BigEndian.Uint16(h[gtpLength:]) }

// TEID returns the tunnel endpoint identifier of a GTPv1 header.
func (h GTP) TEID() uint32 { return binary.BigEndian.Uint32(h[gtpTEID:]) }

// hasOptional reports whether a GTPv1 header carries the sequence number,
// N-PDU number and next extension type fields (any of E, S, PN set).
func (h GTP) hasOptional() bool { return h[gtpFlags]&(gtpE|gtpS|gtpPN) != 0 }

func decodeGTP(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < gtpMinLen {
		return ProtoNone, truncated(gtpMinLen, len(b))
	}
	h := GTP(b)
	switch h.Version() {
	case 1:
	case 2:
		return decodeGTPv2(p, l, b)
	default:
		return ProtoNone, malformed("version %d, want 1 or 2", h.Version())
	}
	total := gtpMinLen + int(h.Length())
	if total < len(b) {
		l.End = l.Off + uint32(total)
		b = b[:total]
	}
	n := gtpMinLen
	if h.hasOptional() {
		n = gtpOptLen
		if total < n {
			return ProtoNone, malformed("length %d leaves no room for the optional fields the flags announce", h.Length())
		}
		if n > len(b) {
			return ProtoNone, truncated(n, len(b))
		}
		next := b[gtpNextExt]
		if !h.HasExt() {
			next = 0 // without E the field is not interpreted
		}
		for next != 0 {
			if n >= len(b) {
				return ProtoNone, truncated(n+1, len(b))
			}
			el := int(b[n]) * 4
			if el == 0 {
				return ProtoNone, malformed("extension header type %#02x at offset %d has length 0", next, n)
			}
			if n+el > len(b) {
				return ProtoNone, truncated(n+el, len(b))
			}
			next = b[n+el-1]
			n += el
		}
	}
	l.Hdr = uint32(n)
	if h.ProtoType() == 1 && h.MessageType() == gtpGPDU {
		if pr := ipByVersion(b[n:]); pr != ProtoNone {
			return pr, nil
		}
		return ProtoNone, nil
	}
	return ProtoRaw, nil
}

// decodeGTPv2 decodes a GTPv2-C header; its information elements are raw.
func decodeGTPv2(p *Packet, l *Layer, b []byte) (Proto, error) {
	h := GTP(b)
	n := gtp2MinLen
	if b[gtpFlags]&gtp2T != 0 {
		n += 4
	}
	if n > len(b) {
		return ProtoNone, truncated(n, len(b))
	}
	total := 4 + int(h.Length())
	if total < n {
		return ProtoNone, malformed("length %d shorter than the %d-byte header", h.Length(), n)
	}
	if total < len(b) {
		l.End = l.Off + uint32(total)
	}
	l.Hdr = uint32(n)
	return ProtoRaw, nil
}

func fieldsGTP(t *Tree, p *Packet, l *Layer) {
	h := GTP(p.Data[l.Off : l.Off+l.Hdr])
	f := h[gtpFlags]
	t.Object("flags")
	t.Uint("version", uint64(h.Version()))
	if h.Version() == 2 {
		t.Bool("p", f&gtp2P != 0)
		t.Bool("t", f&gtp2T != 0)
		t.Close()
		t.Enum("type", uint64(h.MessageType()), gtpv2MessageName(h.MessageType()))
		t.Uint("length", uint64(h.Length()))
		o := 4
		if f&gtp2T != 0 {
			t.Uint("teid", uint64(binary.BigEndian.Uint32(h[4:])))
			o = 8
		}
		t.Uint("seq", uint64(binary.BigEndian.Uint32(h[o:])>>8))
		return
	}
	t.Uint("pt", uint64(h.ProtoType()))
	t.Bool("e", h.HasExt())
	t.Bool("s", h.HasSeq())
	t.Bool("pn", h.HasNPDU())
	t.Close()
	t.Enum("type", uint64(h.MessageType()), gtpMessageName(h.MessageType()))
	t.Uint("length", uint64(h.Length()))
	t.Uint("teid", uint64(h.TEID()))
	if !h.hasOptional() {
		return
	}
	t.Uint("seq", uint64(binary.BigEndian.Uint16(h[gtpSeq:])))
	t.Uint("npdu", uint64(h[gtpNPDU]))
	next := h[gtpNextExt]
	t.Enum("next_ext", uint64(next), gtpExtName(next))
	if !h.HasExt() {
		return
	}
	t.Array("extensions")
	for n := gtpOptLen; next != 0 && n < len(h); {
		el := int(h[n]) * 4 // bounds checked by decodeGTP
		t.Object("")
		t.Enum("type", uint64(next), gtpExtName(next))
		t.Uint("length", uint64(el))
		t.Bytes("content", h[n+1:n+el-1])
		next = h[n+el-1]
		t.Close()
		n += el
	}
	t.Close()
}

func gtpMessageName(typ uint8) string {
	switch typ {
	case 1:
		return "Echo Request"
	case 2:
		return "Echo Response"
	case 3:
		return "Version Not Supported"
	case 16:
		return "Create PDP Context Request"
	case 17:
		return "Create PDP Context Response"
	case 18:
		return "Update PDP Context Request"
	case 19:
		return "Update PDP Context Response"
	case 20:
		return "Delete PDP Context Request"
	case 21:
		return "Delete PDP Context Response"
	case 26:
		return "Error Indication"
	case 31:
		return "Supported Extension Headers Notification"
	case 253:
		return "Tunnel Status"
	case 254:
		return "End Marker"
	case gtpGPDU:
		return "G-PDU"
	}
	return ""
}

func gtpv2MessageName(typ uint8) string {
	switch typ {
	case 1:
		return "Echo Request"
	case 2:
		return "Echo Response"
	case 3:
		return "Version Not Supported Indication"
	case 32:
		return "Create Session Request"
	case 33:
		return "Create Session Response"
	case 34:
		return "Modify Bearer Request"
	case 35:
		return "Modify Bearer Response"
	case 36:
		return "Delete Session Request"
	case 37:
		return "Delete Session Response"
	}
	return ""
}

func gtpExtName(typ uint8) string {
	switch typ {
	case 0:
		return "No more extension headers"
	case 0x01:
		return "MBMS support indication"
	case 0x02:
		return "MS Info Change Reporting support indication"
	case 0x20:
		return "Service Class Indicator"
	case 0x40:
		return "UDP Port"
	case 0x81:
		return "RAN Container"
	case 0x82:
		return "Long PDCP PDU Number"
	case 0x83:
		return "Xw RAN Container"
	case 0x84:
		return "NR RAN Container"
	case 0x85:
		return "PDU Session Container"
	case 0xc0:
		return "PDCP PDU Number"
	case 0xc1:
		return "Suspend Request"
	case 0xc2:
		return "Suspend Response"
	}
	return ""
}
