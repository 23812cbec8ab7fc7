package decoder

import "encoding/binary"

// Generic Routing Encapsulation (RFC 2784 with the key and sequence number
// of RFC 2890; RFC 1701 routing; enhanced GRE of PPTP, RFC 2637 4.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|      Checksum (optional)      |   Offset / Reserved1 (opt.)   |  C or R
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                         Key (optional)                        |  K
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                 Sequence Number (optional)                    |  S
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|               Acknowledgment Number (optional)                |  A (v1)
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                      Routing (optional)                       |  R (RFC 1701)
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Version 0 is plain GRE. Version 1 is PPTP's enhanced GRE: K is set and
// the key holds the payload length (16 bits) and the call ID (16 bits), C
// and R are clear, A announces an acknowledgment number, and the payload
// is PPP (protocol type 0x880b). The RFC 1701 routing field is a list of
// Source Route Entries (address family 2, SRE offset 1, SRE length 1,
// entries) ending with an entry whose family and length are 0.
const (
	greFlags    = 0
	greProto    = 2
	greOptional = 4
	greMinLen   = 4

	greC       = 0x8000
	greR       = 0x4000
	greK       = 0x2000
	greS       = 0x1000
	greStrict  = 0x0800
	greRecur   = 0x0700
	greA       = 0x0080
	greVerMask = 0x0007

	greProtoTEB = 0x6558 // transparent Ethernet bridging
)

// GRE is a view of a GRE header.
type GRE []byte

func (h GRE) Flags() uint16     { return binary.BigEndian.Uint16(h[greFlags:]) }
func (h GRE) Version() uint8    { return uint8(h.Flags() & greVerMask) }
func (h GRE) Protocol() uint16  { return binary.BigEndian.Uint16(h[greProto:]) }
func (h GRE) HasChecksum() bool { return h.Flags()&greC != 0 }
func (h GRE) HasRouting() bool  { return h.Flags()&greR != 0 }
func (h GRE) HasKey() bool      { return h.Flags()&greK != 0 }
func (h GRE) HasSeq() bool      { return h.Flags()&greS != 0 }
func (h GRE) HasAck() bool      { return h.Version() == 1 && h.Flags()&greA != 0 }

// fieldOffsets returns the offsets of the optional fields (-1 when absent)
// and the end of the fixed part, where the routing list (if any) begins.
func (h GRE) fieldOffsets() (csum, key, seq, ack, end int) {
	csum, key, seq, ack = -1, -1, -1, -1
	end = greOptional
	if h.HasChecksum() || h.HasRouting() {
		csum = end
		end += 4
	}
	if h.HasKey() {
		key = end
		end += 4
	}
	if h.HasSeq() {
		seq = end
		end += 4
	}
	if h.HasAck() {
		ack = end
		end += 4
	}
	return
}

// greRoutingLen returns the length of the RFC 1701 routing list at the
// start of b, including its terminating entry.
func greRoutingLen(b []byte) (int, error) {
	for i := 0; ; {
		if i+4 > len(b) {
			return 0, truncated(i+4, len(b))
		}
		af := binary.BigEndian.Uint16(b[i:])
		n := int(b[i+3])
		if af == 0 && n == 0 {
			return i + 4, nil
		}
		i += 4 + n
	}
}

func decodeGRE(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < greMinLen {
		return ProtoNone, truncated(greMinLen, len(b))
	}
	h := GRE(b)
	f := h.Flags()
	switch h.Version() {
	case 0:
	case 1:
		if f&(greC|greR) != 0 || f&greK == 0 {
			return ProtoNone, malformed("enhanced GRE (version 1) flags %#04x: want K set, C and R clear", f)
		}
	default:
		return ProtoNone, malformed("version %d, want 0 or 1", h.Version())
	}
	_, key, _, _, n := h.fieldOffsets()
	if n > len(b) {
		return ProtoNone, truncated(n, len(b))
	}
	if h.HasRouting() {
		r, err := greRoutingLen(b[n:])
		if err != nil {
			return ProtoNone, err
		}
		n += r
	}
	l.Hdr = uint32(n)
	if h.Version() == 1 {
		// The key's high half is the payload length: trim what follows.
		if end := n + int(binary.BigEndian.Uint16(b[key:])); end < len(b) {
			l.End = l.Off + uint32(end)
		}
	}
	return greProtoProto(h.Protocol()), nil
}

// greProtoProto maps a GRE protocol type (an EtherType) to a protocol.
func greProtoProto(pt uint16) Proto {
	if pt == greProtoTEB {
		return ProtoEthernet
	}
	return etherTypeProto(pt)
}

func fieldsGRE(t *Tree, p *Packet, l *Layer) {
	h := GRE(p.Data[l.Off : l.Off+l.Hdr])
	f := h.Flags()
	t.Object("flags")
	t.Bool("checksum", f&greC != 0)
	t.Bool("routing", f&greR != 0)
	t.Bool("key", f&greK != 0)
	t.Bool("seq", f&greS != 0)
	t.Bool("strict", f&greStrict != 0)
	t.Uint("recursion", uint64(f&greRecur>>8))
	if h.Version() == 1 {
		t.Bool("ack", f&greA != 0)
	}
	t.Close()
	t.Uint("version", uint64(h.Version()))
	pt := h.Protocol()
	name := etherTypeName(pt)
	if pt == greProtoTEB {
		name = "Transparent Ethernet Bridging"
	}
	t.Enum("protocol", uint64(pt), name)
	csum, key, seq, ack, end := h.fieldOffsets()
	if csum >= 0 {
		t.Uint("checksum", uint64(binary.BigEndian.Uint16(h[csum:])))
		t.Uint("offset", uint64(binary.BigEndian.Uint16(h[csum+2:])))
	}
	if key >= 0 {
		if h.Version() == 1 {
			t.Uint("payload_len", uint64(binary.BigEndian.Uint16(h[key:])))
			t.Uint("call_id", uint64(binary.BigEndian.Uint16(h[key+2:])))
		} else {
			t.Uint("key", uint64(binary.BigEndian.Uint32(h[key:])))
		}
	}
	if seq >= 0 {
		t.Uint("seq", uint64(binary.BigEndian.Uint32(h[seq:])))
	}
	if ack >= 0 {
		t.Uint("ack", uint64(binary.BigEndian.Uint32(h[ack:])))
	}
	if h.HasRouting() {
		t.Bytes("routing", h[end:])
	}
}
