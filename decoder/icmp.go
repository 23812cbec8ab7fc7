package decoder

import "encoding/binary"

// ICMP message (RFC 792):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Type      |     Code      |          Checksum             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Identifier / unused / gateway / pointer  |  Sequence Number  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Data: echo data, timestamps, or the Internet Header +    |
//	|     64 bits of the datagram that caused an error ...         |
//
// The second word depends on the type: echo / timestamp / information /
// address mask carry identifier and sequence number, redirect the gateway
// address, parameter problem a pointer, destination unreachable with code
// 4 the next-hop MTU (RFC 1191). Timestamp messages add three 32-bit
// timestamps (header of 20 bytes), address mask messages a mask (12).
//
// The IP header quoted by error messages is payload: the decoder does not
// recurse into it (the protocol chain ends at ICMP); fieldsICMP shows its
// main fields under "quote".
const (
	icmpType     = 0
	icmpCode     = 1
	icmpChecksum = 2
	icmpID       = 4
	icmpSeq      = 6
	icmpHdrLen   = 8

	icmpOriginate = 8 // timestamp messages
	icmpReceive   = 12
	icmpTransmit  = 16
	icmpTSLen     = 20
	icmpMask      = 8 // address mask messages
	icmpMaskLen   = 12
)

// ICMP message types (IANA icmp-parameters).
const (
	icmpEchoReply      = 0
	icmpUnreachable    = 3
	icmpSourceQuench   = 4
	icmpRedirect       = 5
	icmpEcho           = 8
	icmpRouterAdvert   = 9
	icmpRouterSolicit  = 10
	icmpTimeExceeded   = 11
	icmpParamProblem   = 12
	icmpTimestamp      = 13
	icmpTimestampReply = 14
	icmpInfoRequest    = 15
	icmpInfoReply      = 16
	icmpMaskRequest    = 17
	icmpMaskReply      = 18
)

// ICMP is a view of an ICMP message (at least 8 bytes once decoded).
type ICMP []byte

func (h ICMP) Type() uint8      { return h[icmpType] }
func (h ICMP) Code() uint8      { return h[icmpCode] }
func (h ICMP) Checksum() uint16 { return binary.BigEndian.Uint16(h[icmpChecksum:]) }
func (h ICMP) ID() uint16       { return binary.BigEndian.Uint16(h[icmpID:]) }
func (h ICMP) Seq() uint16      { return binary.BigEndian.Uint16(h[icmpSeq:]) }

// IsEcho reports whether the message is an echo request or reply.
func (h ICMP) IsEcho() bool { return h.Type() == icmpEcho || h.Type() == icmpEchoReply }

// icmpHeaderLen returns the length of the fixed part of a message of type
// typ, given its bytes (router advertisements size by their entry count).
func icmpHeaderLen(b []byte) int {
	switch b[icmpType] {
	case icmpTimestamp, icmpTimestampReply:
		return icmpTSLen
	case icmpMaskRequest, icmpMaskReply:
		return icmpMaskLen
	case icmpRouterAdvert:
		return icmpHdrLen + int(b[4])*int(b[5])*4 // entries x entry size (words)
	}
	return icmpHdrLen
}

func decodeICMP(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < icmpHdrLen {
		return ProtoNone, truncated(icmpHdrLen, len(b))
	}
	n := icmpHeaderLen(b)
	if n > len(b) {
		return ProtoNone, truncated(n, len(b))
	}
	l.Hdr = uint32(n)
	if n == len(b) {
		return ProtoNone, nil
	}
	return ProtoRaw, nil
}

func fieldsICMP(t *Tree, p *Packet, l *Layer) {
	b := p.Data[l.Off:l.End]
	h := ICMP(b)
	typ, code := h.Type(), h.Code()
	t.Enum("type", uint64(typ), icmpTypeName(typ))
	t.Enum("code", uint64(code), icmpCodeName(typ, code))
	t.Uint("checksum", uint64(h.Checksum()))
	switch typ {
	case icmpEcho, icmpEchoReply, icmpInfoRequest, icmpInfoReply:
		t.Uint("id", uint64(h.ID()))
		t.Uint("seq", uint64(h.Seq()))
	case icmpTimestamp, icmpTimestampReply:
		t.Uint("id", uint64(h.ID()))
		t.Uint("seq", uint64(h.Seq()))
		t.Uint("originate", uint64(binary.BigEndian.Uint32(b[icmpOriginate:])))
		t.Uint("receive", uint64(binary.BigEndian.Uint32(b[icmpReceive:])))
		t.Uint("transmit", uint64(binary.BigEndian.Uint32(b[icmpTransmit:])))
	case icmpMaskRequest, icmpMaskReply:
		t.Uint("id", uint64(h.ID()))
		t.Uint("seq", uint64(h.Seq()))
		t.IPv4("mask", b[icmpMask:icmpMask+4])
	case icmpRedirect:
		t.IPv4("gateway", b[4:8])
		fieldsICMPQuote(t, b[icmpHdrLen:])
	case icmpUnreachable:
		if code == 4 {
			t.Uint("mtu", uint64(binary.BigEndian.Uint16(b[6:])))
		}
		fieldsICMPQuote(t, b[icmpHdrLen:])
	case icmpParamProblem:
		t.Uint("pointer", uint64(b[4]))
		fieldsICMPQuote(t, b[icmpHdrLen:])
	case icmpTimeExceeded, icmpSourceQuench:
		fieldsICMPQuote(t, b[icmpHdrLen:])
	case icmpRouterAdvert:
		n, size := int(b[4]), int(b[5])
		t.Uint("num_addrs", uint64(n))
		t.Uint("addr_entry_size", uint64(size))
		t.Uint("lifetime", uint64(binary.BigEndian.Uint16(b[6:])))
		if size >= 2 {
			t.Array("entries")
			for i := 0; i < n; i++ {
				e := b[icmpHdrLen+i*size*4:]
				t.Object("")
				t.IPv4("address", e[:4])
				t.Int("preference", int64(int32(binary.BigEndian.Uint32(e[4:]))))
				t.Close()
			}
			t.Close()
		}
	}
}

// fieldsICMPQuote shows the IP header (and the first ports) that an error
// message quotes, when it is an IPv4 header; the bytes stay the payload.
func fieldsICMPQuote(t *Tree, q []byte) {
	if len(q) < ipv4MinLen || q[0]>>4 != 4 {
		return
	}
	h := IPv4(q)
	hl := h.HeaderLen()
	t.Object("quote")
	t.Uint("version", 4)
	t.Uint("hdr_len", uint64(hl))
	t.Uint("len", uint64(h.TotalLen()))
	t.Uint("id", uint64(h.ID()))
	t.Uint("offset", uint64(h.FragOffset())*8)
	t.Uint("ttl", uint64(h.TTL()))
	t.Enum("protocol", uint64(h.Protocol()), ipProtoName(h.Protocol()))
	t.IPv4("src", h.Src())
	t.IPv4("dst", h.Dst())
	if pr := h.Protocol(); (pr == 6 || pr == 17) && hl >= ipv4MinLen && len(q) >= hl+4 && h.FragOffset() == 0 {
		t.Uint("srcport", uint64(binary.BigEndian.Uint16(q[hl:])))
		t.Uint("dstport", uint64(binary.BigEndian.Uint16(q[hl+2:])))
	}
	t.Close()
}

func icmpTypeName(typ uint8) string {
	switch typ {
	case icmpEchoReply:
		return "Echo Reply"
	case icmpUnreachable:
		return "Destination Unreachable"
	case icmpSourceQuench:
		return "Source Quench"
	case icmpRedirect:
		return "Redirect"
	case icmpEcho:
		return "Echo Request"
	case icmpRouterAdvert:
		return "Router Advertisement"
	case icmpRouterSolicit:
		return "Router Solicitation"
	case icmpTimeExceeded:
		return "Time Exceeded"
	case icmpParamProblem:
		return "Parameter Problem"
	case icmpTimestamp:
		return "Timestamp"
	case icmpTimestampReply:
		return "Timestamp Reply"
	case icmpInfoRequest:
		return "Information Request"
	case icmpInfoReply:
		return "Information Reply"
	case icmpMaskRequest:
		return "Address Mask Request"
	case icmpMaskReply:
		return "Address Mask Reply"
	case 30:
		return "Traceroute"
	case 42:
		return "Extended Echo Request"
	case 43:
		return "Extended Echo Reply"
	}
	return ""
}

var icmpUnreachCodes = [...]string{
	"Net Unreachable", "Host Unreachable", "Protocol Unreachable", "Port Unreachable",
	"Fragmentation Needed", "Source Route Failed", "Destination Network Unknown",
	"Destination Host Unknown", "Source Host Isolated", "Network Administratively Prohibited",
	"Host Administratively Prohibited", "Network Unreachable for TOS",
	"Host Unreachable for TOS", "Communication Administratively Prohibited",
	"Host Precedence Violation", "Precedence Cutoff in Effect",
}

func icmpCodeName(typ, code uint8) string {
	switch typ {
	case icmpUnreachable:
		if int(code) < len(icmpUnreachCodes) {
			return icmpUnreachCodes[code]
		}
	case icmpRedirect:
		switch code {
		case 0:
			return "Redirect for Network"
		case 1:
			return "Redirect for Host"
		case 2:
			return "Redirect for TOS and Network"
		case 3:
			return "Redirect for TOS and Host"
		}
	case icmpTimeExceeded:
		switch code {
		case 0:
			return "TTL Exceeded in Transit"
		case 1:
			return "Fragment Reassembly Time Exceeded"
		}
	case icmpParamProblem:
		switch code {
		case 0:
			return "Pointer Indicates the Error"
		case 1:
			return "Missing a Required Option"
		case 2:
			return "Bad Length"
		}
	case icmpRouterAdvert:
		switch code {
		case 0:
			return "Normal Router Advertisement"
		case 16:
			return "Does Not Route Common Traffic"
		}
	default:
		if code == 0 {
			return "No Code"
		}
	}
	return ""
}
