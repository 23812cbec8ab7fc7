package decoder

import "encoding/binary"

// BSD loopback encapsulation: a 4-byte address family before the packet.
//
//	+---------------+---------------+---------------+---------------+
//	|                   Address Family (AF_INET, ...)               |
//	+---------------+---------------+---------------+---------------+
//
// LINKTYPE_NULL (0) writes the family in the capturing host's byte order,
// so both orders are tried; LINKTYPE_LOOP (108) writes it in network byte
// order. AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD, BSD/OS),
// 28 (FreeBSD), 30 (macOS, iOS) or 10 (Linux).
const (
	nullFamily = 0
	nullHdrLen = 4

	afInet         = 2
	afInet6Linux   = 10
	afInet6BSD     = 24
	afInet6FreeBSD = 28
	afInet6Darwin  = 30
)

// Null is a view of a BSD loopback header.
type Null []byte

// Family returns the address family. When host order is true (LINKTYPE_NULL)
// the byte order is detected: families are small numbers, so the order that
// yields a value below 65536 is the host's.
func (h Null) Family(hostOrder bool) uint32 {
	be := binary.BigEndian.Uint32(h[nullFamily:])
	if !hostOrder {
		return be
	}
	if le := binary.LittleEndian.Uint32(h[nullFamily:]); le <= 0xffff {
		return le
	}
	return be
}

func decodeNull(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < nullHdrLen {
		return ProtoNone, truncated(nullHdrLen, len(b))
	}
	l.Hdr = nullHdrLen
	switch Null(b).Family(l.Proto == ProtoNull) {
	case afInet:
		return ProtoIPv4, nil
	case afInet6Linux, afInet6BSD, afInet6FreeBSD, afInet6Darwin:
		return ProtoIPv6, nil
	}
	return ProtoRaw, nil
}

func fieldsNull(t *Tree, p *Packet, l *Layer) {
	f := Null(p.Data[l.Off:l.End]).Family(l.Proto == ProtoNull)
	t.Enum("family", uint64(f), nullFamilyName(f))
}

// nullFamilyName names an address family found in loopback headers.
func nullFamilyName(f uint32) string {
	switch f {
	case afInet:
		return "AF_INET"
	case afInet6Linux, afInet6BSD, afInet6FreeBSD, afInet6Darwin:
		return "AF_INET6"
	case 7:
		return "AF_ISO"
	case 16:
		return "AF_APPLETALK"
	}
	return ""
}
