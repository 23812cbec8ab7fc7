package decoder

import "encoding/binary"

// UDP header (RFC 768):
//
//	 0      7 8     15 16    23 24    31
//	+--------+--------+--------+--------+
//	|     Source      |   Destination   |
//	|      Port       |      Port       |
//	+--------+--------+--------+--------+
//	|                 |                 |
//	|     Length      |    Checksum     |
//	+--------+--------+--------+--------+
//
// Length counts the header and the data. Over IPv6 a length of 0 means a
// jumbogram (RFC 2675): the length is the IPv6 payload's.
const (
	udpSrcPort  = 0
	udpDstPort  = 2
	udpLength   = 4
	udpChecksum = 6
	udpHdrLen   = 8
)

// UDP is a view of a UDP header (8 bytes).
type UDP []byte

func (h UDP) SrcPort() uint16  { return binary.BigEndian.Uint16(h[udpSrcPort:]) }
func (h UDP) DstPort() uint16  { return binary.BigEndian.Uint16(h[udpDstPort:]) }
func (h UDP) Length() uint16   { return binary.BigEndian.Uint16(h[udpLength:]) }
func (h UDP) Checksum() uint16 { return binary.BigEndian.Uint16(h[udpChecksum:]) }

// decodeUDP trims the layer to the UDP length when the bytes run longer
// (link padding). A length beyond the bytes is accepted: the datagram is a
// first fragment or was cut by the snap length, and what is there is
// decoded (fieldsUDP says when the length also exceeds the IP payload).
func decodeUDP(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < udpHdrLen {
		return ProtoNone, truncated(udpHdrLen, len(b))
	}
	h := UDP(b)
	n := int(h.Length())
	if n < udpHdrLen && !(n == 0 && underIPv6(p, l)) {
		return ProtoNone, malformed("length %d below 8", n)
	}
	if n >= udpHdrLen && n < len(b) {
		l.End = l.Off + uint32(n)
		b = b[:n]
	}
	l.Hdr = udpHdrLen
	if len(b) == udpHdrLen {
		return ProtoNone, nil
	}
	return portProto(ProtoUDP, h.SrcPort(), h.DstPort(), b[udpHdrLen:]), nil
}

func fieldsUDP(t *Tree, p *Packet, l *Layer) {
	h := UDP(p.Data[l.Off:l.End])
	t.Uint("srcport", uint64(h.SrcPort()))
	t.Uint("dstport", uint64(h.DstPort()))
	t.Uint("len", uint64(h.Length()))
	t.Uint("checksum", uint64(h.Checksum()))
	if n := int(h.Length()); !p.Fragment && n > len(h) {
		if end, ok := ipClaimedEnd(p, l); ok && int(l.Off)+n > end {
			t.String("error", "length exceeds the ip payload")
		}
	}
}

// underIPv6 reports whether the innermost IP layer enclosing l is IPv6.
func underIPv6(p *Packet, l *Layer) bool {
	for i := layerIndex(p, l) - 1; i >= 0; i-- {
		switch p.Layers[i].Proto {
		case ProtoIPv6:
			return true
		case ProtoIPv4:
			return false
		}
	}
	return false
}

// ipClaimedEnd returns the frame offset where the datagram enclosing l
// ends by the length fields of its IP headers (not by the bytes captured):
// the smallest end any enclosing IPv4 or IPv6 header states, since an
// outer header (a tunnel's first fragment) can end before an inner one.
// ok is false when no enclosing header states a length.
func ipClaimedEnd(p *Packet, l *Layer) (end int, ok bool) {
	for i := layerIndex(p, l) - 1; i >= 0; i-- {
		ip := &p.Layers[i]
		b := p.Data[ip.Off:ip.End]
		e := -1
		switch ip.Proto {
		case ProtoIPv4:
			if len(b) >= ipv4MinLen && IPv4(b).TotalLen() != 0 {
				e = int(ip.Off) + int(IPv4(b).TotalLen())
			}
		case ProtoIPv6:
			if len(b) >= 40 {
				if pl := int(binary.BigEndian.Uint16(b[4:])); pl != 0 { // 0: jumbogram
					e = int(ip.Off) + 40 + pl
				}
			}
		}
		if e >= 0 && (!ok || e < end) {
			end, ok = e, true
		}
	}
	return end, ok
}

// inIPFragment reports whether l is carried by a fragment: the innermost
// IP datagram enclosing it is an IPv4 fragment or has an IPv6 Fragment
// header.
func inIPFragment(p *Packet, l *Layer) bool {
	for i := layerIndex(p, l) - 1; i >= 0; i-- {
		ip := &p.Layers[i]
		switch ip.Proto {
		case ProtoIPv6Frag:
			// An atomic fragment (offset 0, no more fragments; RFC 6946)
			// is a whole datagram.
			b := p.Data[ip.Off:ip.End]
			return len(b) >= 4 && binary.BigEndian.Uint16(b[2:])&0xfff9 != 0
		case ProtoIPv6:
			return false
		case ProtoIPv4:
			b := p.Data[ip.Off:ip.End]
			return len(b) >= ipv4MinLen && IPv4(b).IsFragment()
		}
	}
	return false
}

// tcpPorts returns the ports of the TCP header right before layer l (ok
// false if l is not carried by TCP).
func tcpPorts(p *Packet, l *Layer) (src, dst uint16, ok bool) {
	i := layerIndex(p, l)
	if i <= 0 || p.Layers[i-1].Proto != ProtoTCP {
		return 0, 0, false
	}
	tl := &p.Layers[i-1]
	tcp := p.Data[tl.Off:tl.End]
	if len(tcp) < 4 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint16(tcp), binary.BigEndian.Uint16(tcp[2:]), true
}

// layerIndex returns the index of l in p.Layers (-1 if l is not one of them).
func layerIndex(p *Packet, l *Layer) int {
	for i := 0; i < p.N && i < len(p.Layers); i++ {
		if &p.Layers[i] == l {
			return i
		}
	}
	return -1
}
