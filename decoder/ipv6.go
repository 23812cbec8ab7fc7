package decoder

import "encoding/binary"

// IPv6 fixed header (RFC 8200, section 3):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version| Traffic Class |           Flow Label                  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|         Payload Length        |  Next Header  |   Hop Limit   |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                                                               |
//	+                         Source Address (16)                   +
//	|                                                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                                                               |
//	+                      Destination Address (16)                 +
//	|                                                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// A payload length of 0 announces a jumbogram (RFC 2675) when a Hop-by-Hop
// header with a Jumbo Payload option follows; without one, it is what
// segmentation-offload captures carry, and the frame decides the length.
const (
	ipv6VerTCFL   = 0
	ipv6PayLen    = 4
	ipv6NextHdr   = 6
	ipv6HopLimit  = 7
	ipv6Src       = 8
	ipv6Dst       = 24
	ipv6HdrLen    = 40
	ipv6NoNextHdr = 59
	ipv6NHHopOpts = 0
)

// IPv6 is a view of an IPv6 fixed header (valid once decodeIPv6 accepted
// it). Src and Dst alias the frame.
type IPv6 []byte

func (h IPv6) Version() uint8 { return h[ipv6VerTCFL] >> 4 }
func (h IPv6) TrafficClass() uint8 {
	return uint8(binary.BigEndian.Uint16(h[ipv6VerTCFL:]) >> 4)
}
func (h IPv6) FlowLabel() uint32  { return binary.BigEndian.Uint32(h[ipv6VerTCFL:]) & 0x000fffff }
func (h IPv6) PayloadLen() uint16 { return binary.BigEndian.Uint16(h[ipv6PayLen:]) }
func (h IPv6) NextHeader() uint8  { return h[ipv6NextHdr] }
func (h IPv6) HopLimit() uint8    { return h[ipv6HopLimit] }
func (h IPv6) Src() []byte        { return h[ipv6Src : ipv6Src+16] }
func (h IPv6) Dst() []byte        { return h[ipv6Dst : ipv6Dst+16] }

func decodeIPv6(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < ipv6HdrLen {
		return ProtoNone, truncated(ipv6HdrLen, len(b))
	}
	h := IPv6(b)
	if v := h.Version(); v != 6 {
		return ProtoNone, malformed("version %d, want 6", v)
	}
	l.Hdr = ipv6HdrLen
	n := int(h.PayloadLen())
	if n == 0 {
		switch h.NextHeader() {
		case ipv6NoNextHdr:
			// Nothing follows: n stays 0.
		case ipv6NHHopOpts:
			n = len(b) - ipv6HdrLen
			// A jumbo length shorter than the Hop-by-Hop header itself
			// cannot be right: the frame decides then too.
			if j, ok := ipv6Jumbo(b[ipv6HdrLen:]); ok && int64(j) < int64(n) && int(j) >= ipv6ExtHdrLen(b[ipv6HdrLen:]) {
				n = int(j)
			}
		default:
			n = len(b) - ipv6HdrLen
		}
	}
	if end := ipv6HdrLen + n; end < len(b) {
		l.End = l.Off + uint32(end) // drop link-layer padding
	}
	return ipProtoProto(h.NextHeader()), nil
}

// ipv6Jumbo finds the Jumbo Payload option (RFC 2675) in the Hop-by-Hop
// header at the start of b and returns its payload length.
func ipv6Jumbo(b []byte) (uint32, bool) {
	if len(b) < 2 {
		return 0, false
	}
	n := min((int(b[1])+1)*8, len(b))
	for i := 2; i < n; {
		typ := b[i]
		if typ == ipv6OptPad1 {
			i++
			continue
		}
		if i+1 >= n {
			break
		}
		ol := int(b[i+1])
		if typ == ipv6OptJumbo && ol == 4 && i+6 <= n {
			return binary.BigEndian.Uint32(b[i+2:]), true
		}
		i += 2 + ol
	}
	return 0, false
}

func fieldsIPv6(t *Tree, p *Packet, l *Layer) {
	h := IPv6(p.Data[l.Off:l.End])
	t.Uint("version", uint64(h.Version()))
	t.Uint("class", uint64(h.TrafficClass()))
	t.Uint("label", uint64(h.FlowLabel()))
	t.Uint("payload", uint64(h.PayloadLen()))
	t.Enum("next", uint64(h.NextHeader()), ipProtoName(h.NextHeader()))
	t.Uint("limit", uint64(h.HopLimit()))
	t.IPv6("src", h.Src())
	t.IPv6("dst", h.Dst())
}
