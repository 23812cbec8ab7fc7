package decoder

import "encoding/binary"

// Novell IPX header (IPX Router Specification, 30 bytes):
//
//	+--------+--------+--------+--------+--------+--------+
//	|    Checksum     |     Length      | TC     | Type   |
//	+--------+--------+--------+--------+--------+--------+
//	|     Destination Network (4)       | Destination
//	+--------+--------+--------+--------+
//	        Node (6)                    | Dst Socket (2)  |
//	+--------+--------+--------+--------+--------+--------+
//	|       Source Network (4)          | Source
//	        Node (6)                    | Src Socket (2)  |
//	+--------+--------+--------+--------+--------+--------+
//
// The length covers header and data; bytes after it are link padding. The
// checksum is normally FFFF (not used).
const (
	ipxChecksum = 0
	ipxLength   = 2
	ipxTC       = 4
	ipxType     = 5
	ipxDst      = 6
	ipxSrc      = 18
	ipxNetLen   = 4
	ipxNodeLen  = 6
	ipxAddrLen  = 12
	ipxHdrLen   = 30
)

// IPX is a view of an IPX header.
type IPX []byte

func (h IPX) Checksum() uint16 { return binary.BigEndian.Uint16(h[ipxChecksum:]) }
func (h IPX) Length() uint16   { return binary.BigEndian.Uint16(h[ipxLength:]) }
func (h IPX) TC() uint8        { return h[ipxTC] }
func (h IPX) Type() uint8      { return h[ipxType] }

// Dst and Src return the 12-byte addresses: network (4), node (6), socket (2).
func (h IPX) Dst() IPXAddr { return IPXAddr(h[ipxDst : ipxDst+ipxAddrLen]) }
func (h IPX) Src() IPXAddr { return IPXAddr(h[ipxSrc : ipxSrc+ipxAddrLen]) }

// IPXAddr is a view of an IPX address.
type IPXAddr []byte

func (a IPXAddr) Network() []byte { return a[:ipxNetLen] }
func (a IPXAddr) Node() []byte    { return a[ipxNetLen : ipxNetLen+ipxNodeLen] }
func (a IPXAddr) Socket() uint16  { return binary.BigEndian.Uint16(a[ipxNetLen+ipxNodeLen:]) }

func decodeIPX(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < ipxHdrLen {
		return ProtoNone, truncated(ipxHdrLen, len(b))
	}
	h := IPX(b)
	n := int(h.Length())
	if n < ipxHdrLen {
		return ProtoNone, malformed("length %d below the header length 30", n)
	}
	if n < len(b) {
		l.End = l.Off + uint32(n) // drop link padding
	}
	// A length beyond the captured bytes is a snap-length cut: keep them.
	l.Hdr = ipxHdrLen
	return ProtoRaw, nil // SPX, NCP, SAP, RIP, NetBIOS: not decoded
}

func fieldsIPX(t *Tree, p *Packet, l *Layer) {
	h := IPX(p.Data[l.Off:l.End])
	t.Uint("checksum", uint64(h.Checksum()))
	t.Uint("len", uint64(h.Length()))
	t.Uint("tc", uint64(h.TC()))
	t.Enum("type", uint64(h.Type()), ipxTypeName(h.Type()))
	fieldsIPXAddr(t, "dst", h.Dst())
	fieldsIPXAddr(t, "src", h.Src())
}

func fieldsIPXAddr(t *Tree, key string, a IPXAddr) {
	t.Object(key)
	t.Bytes("network", a.Network())
	t.MAC("node", a.Node())
	s := a.Socket()
	t.Enum("socket", uint64(s), ipxSocketName(s))
	t.Close()
}

// ipxTypeName names an IPX packet type.
func ipxTypeName(v uint8) string {
	switch v {
	case 0:
		return "Unknown"
	case 1:
		return "RIP"
	case 2:
		return "Echo"
	case 3:
		return "Error"
	case 4:
		return "PEP"
	case 5:
		return "SPX"
	case 17:
		return "NCP"
	case 20:
		return "NetBIOS Broadcast"
	}
	return ""
}

// ipxSocketName names a well-known IPX socket.
func ipxSocketName(s uint16) string {
	switch s {
	case 0x0451:
		return "NCP"
	case 0x0452:
		return "SAP"
	case 0x0453:
		return "RIP"
	case 0x0455:
		return "NetBIOS"
	case 0x0456:
		return "Diagnostic"
	case 0x0457:
		return "Serialization"
	case 0x0553:
		return "NWLink SMB Name Query"
	case 0x0550:
		return "NWLink SMB Server"
	case 0x0551:
		return "NWLink SMB Name"
	case 0x0552:
		return "NWLink SMB Redirector"
	case 0x0554:
		return "NWLink SMB Datagram"
	case 0x9001:
		return "NLSP"
	case 0x9004:
		return "IPXWAN"
	}
	return ""
}
