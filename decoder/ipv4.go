package decoder

import "encoding/binary"

// IPv4 header (RFC 791, section 3.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version|  IHL  |Type of Service|          Total Length         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|         Identification        |Flags|      Fragment Offset    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Time to Live |    Protocol   |         Header Checksum       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                       Source Address                          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Destination Address                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Options                    |    Padding    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const (
	ipv4VerIHL    = 0
	ipv4TOS       = 1
	ipv4TotalLen  = 2
	ipv4ID        = 4
	ipv4FlagsFrag = 6
	ipv4TTL       = 8
	ipv4Protocol  = 9
	ipv4Checksum  = 10
	ipv4Src       = 12
	ipv4Dst       = 16
	ipv4MinLen    = 20
)

// IPv4 is a view of an IPv4 header (valid once decodeIPv4 accepted it).
type IPv4 []byte

func (h IPv4) Version() uint8     { return h[ipv4VerIHL] >> 4 }
func (h IPv4) HeaderLen() int     { return int(h[ipv4VerIHL]&0x0f) * 4 }
func (h IPv4) TOS() uint8         { return h[ipv4TOS] }
func (h IPv4) TotalLen() uint16   { return binary.BigEndian.Uint16(h[ipv4TotalLen:]) }
func (h IPv4) ID() uint16         { return binary.BigEndian.Uint16(h[ipv4ID:]) }
func (h IPv4) Flags() uint8       { return h[ipv4FlagsFrag] >> 5 }
func (h IPv4) DF() bool           { return h[ipv4FlagsFrag]&0x40 != 0 }
func (h IPv4) MF() bool           { return h[ipv4FlagsFrag]&0x20 != 0 }
func (h IPv4) FragOffset() uint16 { return binary.BigEndian.Uint16(h[ipv4FlagsFrag:]) & 0x1fff } // in 8-byte units
func (h IPv4) TTL() uint8         { return h[ipv4TTL] }
func (h IPv4) Protocol() uint8    { return h[ipv4Protocol] }
func (h IPv4) Checksum() uint16   { return binary.BigEndian.Uint16(h[ipv4Checksum:]) }
func (h IPv4) Src() []byte        { return h[ipv4Src : ipv4Src+4] }
func (h IPv4) Dst() []byte        { return h[ipv4Dst : ipv4Dst+4] }
func (h IPv4) Options() []byte    { return h[ipv4MinLen:h.HeaderLen()] }

// IsFragment reports whether the header belongs to a fragmented datagram.
func (h IPv4) IsFragment() bool { return h.MF() || h.FragOffset() != 0 }

func decodeIPv4(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < ipv4MinLen {
		return ProtoNone, truncated(ipv4MinLen, len(b))
	}
	h := IPv4(b)
	if v := h.Version(); v != 4 {
		return ProtoNone, malformed("version %d, want 4", v)
	}
	hl := h.HeaderLen()
	if hl < ipv4MinLen {
		return ProtoNone, malformed("header length %d below 20", hl)
	}
	if hl > len(b) {
		return ProtoNone, truncated(hl, len(b))
	}
	tl := int(h.TotalLen())
	if tl < hl {
		// TSO/offloaded captures carry 0 here; Linux cooked captures too.
		if tl != 0 {
			return ProtoNone, malformed("total length %d below header length %d", tl, hl)
		}
		tl = len(b)
	}
	if tl < len(b) {
		l.End = l.Off + uint32(tl) // drop link-layer padding
	}
	l.Hdr = uint32(hl)
	if h.IsFragment() {
		p.Fragment = true
		if h.FragOffset() != 0 {
			return ProtoRaw, nil // later fragment: payload only
		}
	}
	return ipProtoProto(h.Protocol()), nil
}

func fieldsIPv4(t *Tree, p *Packet, l *Layer) {
	h := IPv4(p.Data[l.Off:l.End])
	t.Uint("version", uint64(h.Version()))
	t.Uint("hdr_len", uint64(h.HeaderLen()))
	t.Object("dsfield")
	t.Uint("dscp", uint64(h.TOS()>>2))
	t.Uint("ecn", uint64(h.TOS()&3))
	t.Close()
	t.Uint("len", uint64(h.TotalLen()))
	t.Uint("id", uint64(h.ID()))
	t.Object("flags")
	t.Bool("rb", h.Flags()&4 != 0)
	t.Bool("df", h.DF())
	t.Bool("mf", h.MF())
	t.Close()
	t.Uint("offset", uint64(h.FragOffset())*8)
	t.Uint("ttl", uint64(h.TTL()))
	t.Enum("protocol", uint64(h.Protocol()), ipProtoName(h.Protocol()))
	t.Uint("checksum", uint64(h.Checksum()))
	t.IPv4("src", h.Src())
	t.IPv4("dst", h.Dst())
	if opts := h.Options(); len(opts) > 0 {
		fieldsIPv4Options(t, opts)
	}
}

// IPv4 option types (RFC 791, IANA ip-parameters).
var ipv4OptNames = map[uint8]string{
	0: "EOOL", 1: "NOP", 7: "RR", 68: "TS", 130: "SEC", 131: "LSR", 133: "E-SEC",
	134: "CIPSO", 136: "SID", 137: "SSR", 148: "RTRALT", 82: "TR", 25: "QS",
}

// fieldsIPv4Options lists the options: type, length, and the value bytes.
// A malformed option list is reported in place and ends the list.
func fieldsIPv4Options(t *Tree, b []byte) {
	t.Array("options")
	for i := 0; i < len(b); {
		typ := b[i]
		t.Object("")
		t.Enum("type", uint64(typ), ipv4OptNames[typ])
		if typ == 0 || typ == 1 {
			t.Close()
			i++
			if typ == 0 {
				break
			}
			continue
		}
		if i+1 >= len(b) {
			t.String("error", "option length missing")
			t.Close()
			break
		}
		n := int(b[i+1])
		if n < 2 || i+n > len(b) {
			t.Uint("length", uint64(n))
			t.String("error", "option length out of range")
			t.Close()
			break
		}
		t.Uint("length", uint64(n))
		t.Bytes("data", b[i+2:i+n])
		t.Close()
		i += n
	}
	t.Close()
}

// ipProtoName names an IP protocol number for reports.
func ipProtoName(n uint8) string {
	if pr := ipProtoProto(n); pr != ProtoRaw && pr != ProtoNone {
		return pr.String()
	}
	switch n {
	case 59:
		return "IPv6-NoNxt"
	case 103:
		return "PIM"
	case 108:
		return "IPComp"
	case 112:
		return "VRRP"
	case 132:
		return "SCTP"
	}
	return ""
}
