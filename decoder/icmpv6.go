package decoder

import "encoding/binary"

// ICMPv6 message (RFC 4443, section 2.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Type      |     Code      |          Checksum             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                         Message Body                          |
//
// Fixed parts by type (the layer's header), after which error messages
// carry as much of the invoking packet as fits (payload) and neighbour
// discovery messages carry options (part of the header):
//
//	1-4  errors (RFC 4443)           8: unused / MTU / pointer
//	128, 129 echo                    8: identifier, sequence; data follows
//	130-132 MLD (RFC 2710)          24: max response delay, multicast address
//	130 MLDv2 query (RFC 3810)      28 + 16 x sources
//	143 MLDv2 report                 8 + multicast address records
//	133 RS (RFC 4861)                8 + options
//	134 RA                          16 + options
//	135 NS, 136 NA                  24 + options (target address)
//	137 Redirect                    40 + options (target, destination)
const (
	icmp6Type     = 0
	icmp6Code     = 1
	icmp6Checksum = 2
	icmp6ID       = 4
	icmp6Seq      = 6
	icmp6HdrLen   = 8
	icmp6MLDLen   = 24
	icmp6MLDv2Len = 28
	icmp6RALen    = 16
	icmp6NSLen    = 24
	icmp6RedirLen = 40
)

// ICMPv6 message types (IANA icmpv6-parameters).
const (
	icmp6Unreachable  = 1
	icmp6TooBig       = 2
	icmp6TimeExceeded = 3
	icmp6ParamProblem = 4
	icmp6EchoRequest  = 128
	icmp6EchoReply    = 129
	icmp6MLDQuery     = 130
	icmp6MLDReport    = 131
	icmp6MLDDone      = 132
	icmp6RS           = 133
	icmp6RA           = 134
	icmp6NS           = 135
	icmp6NA           = 136
	icmp6Redirect     = 137
	icmp6MLDv2Report  = 143
)

// ICMPv6 is a view of an ICMPv6 message (at least 4 bytes once decoded;
// ID and Seq need 8).
type ICMPv6 []byte

func (h ICMPv6) Type() uint8      { return h[icmp6Type] }
func (h ICMPv6) Code() uint8      { return h[icmp6Code] }
func (h ICMPv6) Checksum() uint16 { return binary.BigEndian.Uint16(h[icmp6Checksum:]) }
func (h ICMPv6) ID() uint16       { return binary.BigEndian.Uint16(h[icmp6ID:]) }
func (h ICMPv6) Seq() uint16      { return binary.BigEndian.Uint16(h[icmp6Seq:]) }

// IsEcho reports whether the message is an echo request or reply.
func (h ICMPv6) IsEcho() bool { return h.Type() == icmp6EchoRequest || h.Type() == icmp6EchoReply }

// icmp6FixedLen returns the fixed length of a message of the given type
// and total length n (MLD queries of 28 bytes or more are MLDv2), and
// whether options follow it.
func icmp6FixedLen(typ uint8, n int) (int, bool) {
	switch typ {
	case icmp6MLDQuery:
		if n >= icmp6MLDv2Len {
			return icmp6MLDv2Len, false
		}
		return icmp6MLDLen, false
	case icmp6MLDReport, icmp6MLDDone:
		return icmp6MLDLen, false
	case icmp6RS:
		return icmp6HdrLen, true
	case icmp6RA:
		return icmp6RALen, true
	case icmp6NS, icmp6NA:
		return icmp6NSLen, true
	case icmp6Redirect:
		return icmp6RedirLen, true
	}
	return icmp6HdrLen, false
}

func decodeICMPv6(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < icmp6HdrLen {
		return ProtoNone, truncated(icmp6HdrLen, len(b))
	}
	n, opts := icmp6FixedLen(b[icmp6Type], len(b))
	if n > len(b) {
		return ProtoNone, truncated(n, len(b))
	}
	switch b[icmp6Type] {
	case icmp6MLDQuery:
		if n == icmp6MLDv2Len {
			n += 16 * int(binary.BigEndian.Uint16(b[26:]))
			if n > len(b) {
				return ProtoNone, truncated(n, len(b))
			}
		}
	case icmp6MLDv2Report:
		// The records are the message: keep them in the header.
		n = len(b)
	}
	if opts {
		n = len(b) // neighbour discovery options belong to the message
	}
	l.Hdr = uint32(n)
	if n == len(b) {
		return ProtoNone, nil
	}
	return ProtoRaw, nil
}

func fieldsICMPv6(t *Tree, p *Packet, l *Layer) {
	b := p.Data[l.Off:l.End]
	h := ICMPv6(b)
	typ, code := h.Type(), h.Code()
	t.Enum("type", uint64(typ), icmp6TypeName(typ))
	t.Enum("code", uint64(code), icmp6CodeName(typ, code))
	t.Uint("checksum", uint64(h.Checksum()))
	switch typ {
	case icmp6EchoRequest, icmp6EchoReply:
		t.Uint("id", uint64(h.ID()))
		t.Uint("seq", uint64(h.Seq()))
	case icmp6Unreachable, icmp6TimeExceeded:
		fieldsICMPv6Quote(t, b[icmp6HdrLen:])
	case icmp6TooBig:
		t.Uint("mtu", uint64(binary.BigEndian.Uint32(b[4:])))
		fieldsICMPv6Quote(t, b[icmp6HdrLen:])
	case icmp6ParamProblem:
		t.Uint("pointer", uint64(binary.BigEndian.Uint32(b[4:])))
		fieldsICMPv6Quote(t, b[icmp6HdrLen:])
	case icmp6MLDQuery, icmp6MLDReport, icmp6MLDDone:
		t.Uint("max_resp_delay", uint64(binary.BigEndian.Uint16(b[4:])))
		t.IPv6("multicast_address", b[8:24])
		if typ == icmp6MLDQuery && len(b) >= icmp6MLDv2Len {
			t.Bool("s_flag", b[24]&0x08 != 0)
			t.Uint("qrv", uint64(b[24]&0x07))
			t.Uint("qqic", uint64(b[25]))
			ns := int(binary.BigEndian.Uint16(b[26:]))
			t.Uint("num_sources", uint64(ns))
			t.Array("sources")
			for i := 0; i < ns; i++ {
				t.IPv6("", b[28+16*i:44+16*i])
			}
			t.Close()
		}
	case icmp6MLDv2Report:
		fieldsMLDv2Records(t, b)
	case icmp6RS:
		fieldsNDOptions(t, b[icmp6HdrLen:])
	case icmp6RA:
		t.Uint("cur_hop_limit", uint64(b[4]))
		t.Object("flags")
		t.Bool("m", b[5]&0x80 != 0)
		t.Bool("o", b[5]&0x40 != 0)
		t.Bool("h", b[5]&0x20 != 0)
		t.Uint("prf", uint64(b[5]>>3&0x3))
		t.Close()
		t.Uint("router_lifetime", uint64(binary.BigEndian.Uint16(b[6:])))
		t.Uint("reachable_time", uint64(binary.BigEndian.Uint32(b[8:])))
		t.Uint("retrans_timer", uint64(binary.BigEndian.Uint32(b[12:])))
		fieldsNDOptions(t, b[icmp6RALen:])
	case icmp6NS:
		t.IPv6("target", b[8:24])
		fieldsNDOptions(t, b[icmp6NSLen:])
	case icmp6NA:
		t.Object("flags")
		t.Bool("r", b[4]&0x80 != 0)
		t.Bool("s", b[4]&0x40 != 0)
		t.Bool("o", b[4]&0x20 != 0)
		t.Close()
		t.IPv6("target", b[8:24])
		fieldsNDOptions(t, b[icmp6NSLen:])
	case icmp6Redirect:
		t.IPv6("target", b[8:24])
		t.IPv6("destination", b[24:40])
		fieldsNDOptions(t, b[icmp6RedirLen:])
	}
}

// fieldsICMPv6Quote shows the IPv6 header (and the first ports, when a TCP
// or UDP header follows it directly) of the packet an error message
// quotes; the bytes stay the payload.
func fieldsICMPv6Quote(t *Tree, q []byte) {
	if len(q) < 40 || q[0]>>4 != 6 {
		return
	}
	t.Object("quote")
	t.Uint("version", 6)
	t.Uint("plen", uint64(binary.BigEndian.Uint16(q[4:])))
	t.Enum("nxt", uint64(q[6]), ipProtoName(q[6]))
	t.Uint("hlim", uint64(q[7]))
	t.IPv6("src", q[8:24])
	t.IPv6("dst", q[24:40])
	if (q[6] == 6 || q[6] == 17) && len(q) >= 44 {
		t.Uint("srcport", uint64(binary.BigEndian.Uint16(q[40:])))
		t.Uint("dstport", uint64(binary.BigEndian.Uint16(q[42:])))
	}
	t.Close()
}

// fieldsMLDv2Records lists the multicast address records of an MLDv2
// report (RFC 3810, section 5.2); a record that does not fit ends the list
// with an "error".
func fieldsMLDv2Records(t *Tree, b []byte) {
	n := int(binary.BigEndian.Uint16(b[6:]))
	t.Uint("num_records", uint64(n))
	t.Array("records")
	off := icmp6HdrLen
	for i := 0; i < n; i++ {
		if off+20 > len(b) {
			t.Object("")
			t.String("error", "record truncated")
			t.Close()
			break
		}
		r := b[off:]
		aux, ns := int(r[1])*4, int(binary.BigEndian.Uint16(r[2:]))
		size := 20 + 16*ns + aux
		if off+size > len(b) {
			t.Object("")
			t.String("error", "record sources beyond the message")
			t.Close()
			break
		}
		t.Object("")
		t.Uint("type", uint64(r[0]))
		t.IPv6("multicast_address", r[4:20])
		t.Array("sources")
		for j := 0; j < ns; j++ {
			t.IPv6("", r[20+16*j:36+16*j])
		}
		t.Close()
		if aux > 0 {
			t.Bytes("aux_data", r[20+16*ns:size])
		}
		t.Close()
		off += size
	}
	t.Close()
}

// Neighbour discovery option types (RFC 4861 section 4.6, RFC 8106).
const (
	ndOptSrcLLA   = 1
	ndOptTgtLLA   = 2
	ndOptPrefix   = 3
	ndOptRedirHdr = 4
	ndOptMTU      = 5
	ndOptNonce    = 14
	ndOptRouteInf = 24
	ndOptRDNSS    = 25
	ndOptDNSSL    = 31
)

func ndOptName(typ uint8) string {
	switch typ {
	case ndOptSrcLLA:
		return "Source Link-Layer Address"
	case ndOptTgtLLA:
		return "Target Link-Layer Address"
	case ndOptPrefix:
		return "Prefix Information"
	case ndOptRedirHdr:
		return "Redirected Header"
	case ndOptMTU:
		return "MTU"
	case ndOptNonce:
		return "Nonce"
	case ndOptRouteInf:
		return "Route Information"
	case ndOptRDNSS:
		return "Recursive DNS Server"
	case ndOptDNSSL:
		return "DNS Search List"
	}
	return ""
}

// fieldsNDOptions lists neighbour discovery options: type, length (in
// 8-byte units, as on the wire) and the decoded value. A zero length or an
// option past the end ends the list with an "error".
func fieldsNDOptions(t *Tree, b []byte) {
	if len(b) == 0 {
		return
	}
	t.Array("options")
	for len(b) > 0 {
		if len(b) < 2 {
			t.Object("")
			t.String("error", "option header truncated")
			t.Close()
			break
		}
		typ, units := b[0], int(b[1])
		t.Object("")
		t.Enum("type", uint64(typ), ndOptName(typ))
		t.Uint("length", uint64(units))
		if units == 0 {
			t.String("error", "option length zero")
			t.Close()
			break
		}
		if units*8 > len(b) {
			t.String("error", "option beyond the message")
			t.Close()
			break
		}
		o := b[:units*8]
		switch typ {
		case ndOptSrcLLA, ndOptTgtLLA:
			if units == 1 {
				t.MAC("address", o[2:8]) // Ethernet: 6 bytes
			} else {
				t.Bytes("address", o[2:])
			}
		case ndOptPrefix:
			if len(o) == 32 {
				t.Uint("prefix_length", uint64(o[2]))
				t.Bool("on_link", o[3]&0x80 != 0)
				t.Bool("autonomous", o[3]&0x40 != 0)
				t.Uint("valid_lifetime", uint64(binary.BigEndian.Uint32(o[4:])))
				t.Uint("preferred_lifetime", uint64(binary.BigEndian.Uint32(o[8:])))
				t.IPv6("prefix", o[16:32])
			} else {
				t.Bytes("data", o[2:])
				t.String("error", "prefix information length not 4")
			}
		case ndOptMTU:
			if len(o) == 8 {
				t.Uint("mtu", uint64(binary.BigEndian.Uint32(o[4:])))
			} else {
				t.Bytes("data", o[2:])
				t.String("error", "mtu option length not 1")
			}
		case ndOptRDNSS:
			if len(o) >= 24 && (len(o)-8)%16 == 0 {
				t.Uint("lifetime", uint64(binary.BigEndian.Uint32(o[4:])))
				t.Array("servers")
				for i := 8; i < len(o); i += 16 {
					t.IPv6("", o[i:i+16])
				}
				t.Close()
			} else {
				t.Bytes("data", o[2:])
				t.String("error", "rdns server option length invalid")
			}
		case ndOptRedirHdr:
			t.Bytes("packet", o[8:])
		default:
			t.Bytes("data", o[2:])
		}
		t.Close()
		b = b[units*8:]
	}
	t.Close()
}

func icmp6TypeName(typ uint8) string {
	switch typ {
	case icmp6Unreachable:
		return "Destination Unreachable"
	case icmp6TooBig:
		return "Packet Too Big"
	case icmp6TimeExceeded:
		return "Time Exceeded"
	case icmp6ParamProblem:
		return "Parameter Problem"
	case icmp6EchoRequest:
		return "Echo Request"
	case icmp6EchoReply:
		return "Echo Reply"
	case icmp6MLDQuery:
		return "Multicast Listener Query"
	case icmp6MLDReport:
		return "Multicast Listener Report"
	case icmp6MLDDone:
		return "Multicast Listener Done"
	case icmp6RS:
		return "Router Solicitation"
	case icmp6RA:
		return "Router Advertisement"
	case icmp6NS:
		return "Neighbor Solicitation"
	case icmp6NA:
		return "Neighbor Advertisement"
	case icmp6Redirect:
		return "Redirect"
	case 138:
		return "Router Renumbering"
	case 139:
		return "Node Information Query"
	case 140:
		return "Node Information Response"
	case icmp6MLDv2Report:
		return "Multicast Listener Report v2"
	}
	return ""
}

func icmp6CodeName(typ, code uint8) string {
	switch typ {
	case icmp6Unreachable:
		names := [...]string{"No Route to Destination", "Administratively Prohibited",
			"Beyond Scope of Source Address", "Address Unreachable", "Port Unreachable",
			"Source Address Failed Ingress/Egress Policy", "Reject Route to Destination",
			"Error in Source Routing Header"}
		if int(code) < len(names) {
			return names[code]
		}
	case icmp6TimeExceeded:
		switch code {
		case 0:
			return "Hop Limit Exceeded in Transit"
		case 1:
			return "Fragment Reassembly Time Exceeded"
		}
	case icmp6ParamProblem:
		switch code {
		case 0:
			return "Erroneous Header Field"
		case 1:
			return "Unrecognized Next Header Type"
		case 2:
			return "Unrecognized IPv6 Option"
		}
	default:
		if code == 0 {
			return "No Code"
		}
	}
	return ""
}
