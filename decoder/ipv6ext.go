package decoder

import "encoding/binary"

// IPv6 extension headers (RFC 8200, section 4): Hop-by-Hop Options,
// Destination Options, Routing and Fragment. Each names the protocol after
// it in its first byte, as the fixed header does.

// Hop-by-Hop and Destination Options headers (RFC 8200, 4.3 and 4.6):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Next Header  |  Hdr Ext Len  |                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//	.                            Options                            .
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Hdr Ext Len counts 8-octet units after the first 8 octets. Options are
// TLVs (type, data length, data) except Pad1, a single zero byte. The two
// high bits of the type say what a node that does not know the option does
// (action); the third says whether the data may change en route. Option
// data that overruns the header makes the header malformed.
const (
	ipv6ExtNext   = 0
	ipv6ExtLen    = 1
	ipv6ExtMinLen = 8

	ipv6OptPad1     = 0x00
	ipv6OptPadN     = 0x01
	ipv6OptTunLimit = 0x04
	ipv6OptRtrAlert = 0x05
	ipv6OptCALIPSO  = 0x07
	ipv6OptJumbo    = 0xc2
	ipv6OptHomeAddr = 0xc9
)

// IPv6Opts is a view of a Hop-by-Hop or Destination Options header.
type IPv6Opts []byte

func (h IPv6Opts) NextHeader() uint8 { return h[ipv6ExtNext] }
func (h IPv6Opts) HdrLen() int       { return ipv6ExtHdrLen(h) }
func (h IPv6Opts) Options() []byte   { return h[2:h.HdrLen()] }

// ipv6ExtHdrLen is the byte length of an extension header whose length
// field counts 8-octet units beyond the first 8.
func ipv6ExtHdrLen(b []byte) int { return (int(b[ipv6ExtLen]) + 1) * 8 }

// ipv6ExtHeader checks that the extension header at the start of b is
// whole and returns its length.
func ipv6ExtHeader(b []byte) (int, error) {
	if len(b) < ipv6ExtMinLen {
		return 0, truncated(ipv6ExtMinLen, len(b))
	}
	n := ipv6ExtHdrLen(b)
	if n > len(b) {
		return 0, truncated(n, len(b))
	}
	return n, nil
}

func decodeIPv6Opts(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	n, err := ipv6ExtHeader(b)
	if err != nil {
		return ProtoNone, err
	}
	if err := checkIPv6Options(b[2:n], 2); err != nil {
		return ProtoNone, err
	}
	l.Hdr = uint32(n)
	return ipProtoProto(b[ipv6ExtNext]), nil
}

// checkIPv6Options checks that the data of every option of b lies inside
// b; base is the offset of b in its header, for the message. A last option
// whose length byte would lie outside b is let through (fieldsIPv6Opts
// reports it): it claims nothing beyond the header, and tshark decodes what
// follows such a header too.
func checkIPv6Options(b []byte, base int) error {
	for i := 0; i+1 < len(b); {
		if b[i] == ipv6OptPad1 {
			i++
			continue
		}
		if end := i + 2 + int(b[i+1]); end > len(b) {
			return malformed("option %#02x at offset %d: %d data bytes overrun the header by %d",
				b[i], base+i, b[i+1], end-len(b))
		}
		i += 2 + int(b[i+1])
	}
	return nil
}

func fieldsIPv6Opts(t *Tree, p *Packet, l *Layer) {
	h := IPv6Opts(p.Data[l.Off : l.Off+l.Hdr])
	t.Enum("next", uint64(h.NextHeader()), ipProtoName(h.NextHeader()))
	t.Uint("length", uint64(h.HdrLen()))
	t.Array("options")
	b := h.Options()
	for i := 0; i < len(b); {
		typ := b[i]
		t.Object("")
		t.Enum("type", uint64(typ), ipv6OptName(typ))
		t.Enum("action", uint64(typ>>6), ipv6OptActions[typ>>6])
		t.Bool("change", typ&0x20 != 0)
		if typ == ipv6OptPad1 {
			t.Uint("length", 0)
			t.Close()
			i++
			continue
		}
		if i+2 > len(b) {
			t.String("error", "option length outside the header")
			t.Close()
			break
		}
		n := int(b[i+1]) // the data fits: checked by decodeIPv6Opts
		t.Uint("length", uint64(n))
		fieldsIPv6Option(t, typ, b[i+2:i+2+n])
		t.Close()
		i += 2 + n
	}
	t.Close()
}

// ipv6OptActions names the action bits of an option type (RFC 8200, 4.2).
var ipv6OptActions = [4]string{"skip", "discard", "discard and send ICMP", "discard and send ICMP unless multicast"}

// fieldsIPv6Option writes the value of one option. Known options whose
// length is wrong are shown as raw data.
func fieldsIPv6Option(t *Tree, typ uint8, d []byte) {
	switch {
	case typ == ipv6OptPadN:
		return
	case typ == ipv6OptRtrAlert && len(d) == 2:
		v := binary.BigEndian.Uint16(d)
		name := ""
		switch v {
		case 0:
			name = "MLD"
		case 1:
			name = "RSVP"
		case 2:
			name = "Active Networks"
		}
		t.Enum("value", uint64(v), name)
		return
	case typ == ipv6OptJumbo && len(d) == 4:
		t.Uint("payload_len", uint64(binary.BigEndian.Uint32(d)))
		return
	case typ == ipv6OptHomeAddr && len(d) == 16:
		t.IPv6("addr", d)
		return
	case typ == ipv6OptTunLimit && len(d) == 1:
		t.Uint("limit", uint64(d[0]))
		return
	case typ == ipv6OptCALIPSO && len(d) >= 8 && len(d) >= 8+int(d[4])*4:
		// RFC 5570: DOI, compartment length (32-bit words), sensitivity
		// level, checksum, compartment bitmap.
		t.Uint("domain", uint64(binary.BigEndian.Uint32(d)))
		t.Uint("cmpt_len", uint64(d[4])*4)
		t.Uint("level", uint64(d[5]))
		t.Uint("checksum", uint64(binary.BigEndian.Uint16(d[6:])))
		t.Bytes("bitmap", d[8:8+int(d[4])*4])
		return
	}
	t.Bytes("data", d)
}

// ipv6OptName names an option type (IANA ipv6-parameters, Destination
// Options and Hop-by-Hop Options).
func ipv6OptName(typ uint8) string {
	switch typ {
	case ipv6OptPad1:
		return "Pad1"
	case ipv6OptPadN:
		return "PadN"
	case ipv6OptTunLimit:
		return "Tunnel Encapsulation Limit"
	case ipv6OptRtrAlert:
		return "Router Alert"
	case ipv6OptCALIPSO:
		return "CALIPSO"
	case 0x08:
		return "SMF_DPD"
	case 0x26:
		return "Quick-Start"
	case 0x30:
		return "Minimum Path MTU"
	case 0x31:
		return "IOAM"
	case 0x63:
		return "RPL Option"
	case 0x6d:
		return "MPL Option"
	case 0x8b:
		return "ILNP Nonce"
	case 0x8c:
		return "Line-Identification"
	case ipv6OptJumbo:
		return "Jumbo Payload"
	case ipv6OptHomeAddr:
		return "Home Address"
	case 0xee:
		return "IP_DFF"
	}
	return ""
}

// Routing header (RFC 8200, 4.4):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Next Header  |  Hdr Ext Len  |  Routing Type | Segments Left |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	.                       type-specific data                      .
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Type 0 (source route, RFC 5095 deprecated) and type 2 (Mobile IPv6, RFC
// 6275 6.4) carry 4 reserved bytes and then addresses; type 3 (RPL, RFC
// 6554) carries CmprI/CmprE/Pad and compressed addresses; type 4 (Segment
// Routing, RFC 8754) is
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Last Entry   |     Flags     |              Tag              |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|            Segment List[0] ... [Last Entry] (16 each)         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	//         Optional Type Length Value objects (variable)       //
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const (
	ipv6RtType    = 2
	ipv6RtSegLeft = 3
	ipv6RtData    = 4

	ipv6RtSource = 0
	ipv6RtMIPv6  = 2
	ipv6RtRPL    = 3
	ipv6RtSRH    = 4

	srhLastEntry = 4
	srhFlags     = 5
	srhTag       = 6
	srhSegments  = 8
)

// IPv6Routing is a view of a Routing header.
type IPv6Routing []byte

func (h IPv6Routing) NextHeader() uint8   { return h[ipv6ExtNext] }
func (h IPv6Routing) HdrLen() int         { return ipv6ExtHdrLen(h) }
func (h IPv6Routing) Type() uint8         { return h[ipv6RtType] }
func (h IPv6Routing) SegmentsLeft() uint8 { return h[ipv6RtSegLeft] }

// Data returns the type-specific data after the first four bytes.
func (h IPv6Routing) Data() []byte { return h[ipv6RtData:h.HdrLen()] }

func decodeIPv6Route(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	n, err := ipv6ExtHeader(b)
	if err != nil {
		return ProtoNone, err
	}
	h := IPv6Routing(b[:n])
	switch h.Type() {
	case ipv6RtMIPv6:
		if n != 24 {
			return ProtoNone, malformed("type 2 routing header of %d bytes, want 24", n)
		}
	case ipv6RtRPL:
		if pad := int(b[5] >> 4); 8+pad > n {
			return ProtoNone, malformed("RPL routing header: %d pad bytes in a %d-byte header", pad, n)
		}
	case ipv6RtSRH:
		if segs := (int(b[srhLastEntry]) + 1) * 16; srhSegments+segs > n {
			return ProtoNone, malformed("segment routing header: last entry %d needs %d bytes, header has %d",
				b[srhLastEntry], srhSegments+segs, n)
		}
	}
	l.Hdr = uint32(n)
	return ipProtoProto(h.NextHeader()), nil
}

func fieldsIPv6Route(t *Tree, p *Packet, l *Layer) {
	h := IPv6Routing(p.Data[l.Off : l.Off+l.Hdr])
	t.Enum("next", uint64(h.NextHeader()), ipProtoName(h.NextHeader()))
	t.Uint("length", uint64(h.HdrLen()))
	t.Enum("type", uint64(h.Type()), ipv6RouteTypeName(h.Type()))
	t.Uint("seg_left", uint64(h.SegmentsLeft()))
	d := h.Data()
	switch h.Type() {
	case ipv6RtSource:
		t.Array("ip")
		for a := d[4:]; len(a) >= 16; a = a[16:] {
			t.IPv6("", a[:16])
		}
		t.Close()
	case ipv6RtMIPv6:
		t.IPv6("ip", d[4:20])
	case ipv6RtRPL:
		t.Uint("cmpr_i", uint64(d[0]>>4))
		t.Uint("cmpr_e", uint64(d[0]&0x0f))
		t.Uint("pad", uint64(d[1]>>4))
		t.Bytes("addresses", d[4:len(d)-int(d[1]>>4)])
	case ipv6RtSRH:
		segs := (int(d[0]) + 1) * 16
		t.Uint("last_entry", uint64(d[0]))
		t.Uint("flags", uint64(d[1]))
		t.Uint("tag", uint64(binary.BigEndian.Uint16(d[2:])))
		t.Array("segments")
		for a := d[4 : 4+segs]; len(a) >= 16; a = a[16:] {
			t.IPv6("", a[:16])
		}
		t.Close()
		if tlv := d[4+segs:]; len(tlv) > 0 {
			t.Bytes("tlvs", tlv)
		}
	default:
		t.Bytes("data", d)
	}
}

func ipv6RouteTypeName(typ uint8) string {
	switch typ {
	case ipv6RtSource:
		return "Source Route"
	case 1:
		return "Nimrod"
	case ipv6RtMIPv6:
		return "Type 2 Routing Header"
	case ipv6RtRPL:
		return "RPL Source Route Header"
	case ipv6RtSRH:
		return "Segment Routing Header"
	case 5:
		return "CRH-16"
	case 6:
		return "CRH-32"
	}
	return ""
}

// Fragment header (RFC 8200, 4.5):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                         Identification                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// An atomic fragment (offset 0, M 0; RFC 6946) is a whole datagram.
const (
	ipv6FragNext   = 0
	ipv6FragOffM   = 2
	ipv6FragID     = 4
	ipv6FragHdrLen = 8
)

// IPv6Fragment is a view of a Fragment header.
type IPv6Fragment []byte

func (h IPv6Fragment) NextHeader() uint8 { return h[ipv6FragNext] }

// FragOffset returns the fragment's offset in the datagram, in bytes.
func (h IPv6Fragment) FragOffset() uint16 { return binary.BigEndian.Uint16(h[ipv6FragOffM:]) &^ 7 }
func (h IPv6Fragment) MF() bool           { return h[ipv6FragOffM+1]&1 != 0 }
func (h IPv6Fragment) ID() uint32         { return binary.BigEndian.Uint32(h[ipv6FragID:]) }

// IsFragment reports whether the header belongs to a fragmented datagram
// (false for an atomic fragment).
func (h IPv6Fragment) IsFragment() bool { return h.MF() || h.FragOffset() != 0 }

func decodeIPv6Frag(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < ipv6FragHdrLen {
		return ProtoNone, truncated(ipv6FragHdrLen, len(b))
	}
	l.Hdr = ipv6FragHdrLen
	h := IPv6Fragment(b)
	if h.IsFragment() {
		p.Fragment = true
		if h.FragOffset() != 0 {
			return ProtoRaw, nil // later fragment: payload only
		}
	}
	return ipProtoProto(h.NextHeader()), nil
}

func fieldsIPv6Frag(t *Tree, p *Packet, l *Layer) {
	h := IPv6Fragment(p.Data[l.Off : l.Off+l.Hdr])
	t.Enum("next", uint64(h.NextHeader()), ipProtoName(h.NextHeader()))
	t.Uint("length", ipv6FragHdrLen)
	t.Uint("offset", uint64(h.FragOffset()))
	t.Bool("mf", h.MF())
	t.Uint("id", uint64(h.ID()))
}
