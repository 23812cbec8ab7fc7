package decoder

import "encoding/binary"

// Linux "cooked" capture headers (LINKTYPE_LINUX_SLL 113, LINKTYPE_LINUX_SLL2
// 276), written by libpcap for captures on the "any" device.
//
// SLL, 16 bytes:
//
//	+---------------+---------------+---------------+---------------+
//	|          Packet Type          |        ARPHRD_ Type           |
//	+---------------+---------------+---------------+---------------+
//	|    Link-layer Address Length  |  Link-layer Address (8) ...   |
//	+---------------+---------------+---------------+---------------+
//	|   ... Address                 |          Protocol Type        |
//	+---------------+---------------+---------------+---------------+
//
// SLL2, 20 bytes:
//
//	+---------------+---------------+---------------+---------------+
//	|         Protocol Type         |         Reserved (MBZ)        |
//	+---------------+---------------+---------------+---------------+
//	|                        Interface Index                        |
//	+---------------+---------------+---------------+---------------+
//	|          ARPHRD_ Type         |  Packet Type  | Address Length|
//	+---------------+---------------+---------------+---------------+
//	|                  Link-layer Address (8) ...                   |
//	+---------------+---------------+---------------+---------------+
//
// The address field is always 8 bytes; a longer stated address length
// (e.g. InfiniBand, 20) means the address was cut to its first 8 bytes.
// The protocol type is an EtherType, except small values that Linux uses
// for frames without one (1: Novell raw 802.3, 4: 802.2 LLC, 0x0c: CAN, ...),
// and except for Netlink captures (ARPHRD_NETLINK), where it is a Netlink
// protocol.
const (
	sllPktType  = 0
	sllHAType   = 2
	sllHALen    = 4
	sllAddr     = 6
	sllProtocol = 14
	sllHdrLen   = 16

	sll2Protocol = 0
	sll2Reserved = 2
	sll2IfIndex  = 4
	sll2HAType   = 8
	sll2PktType  = 10
	sll2HALen    = 11
	sll2Addr     = 12
	sll2HdrLen   = 20

	sllAddrSize   = 8
	arphrdNetlink = 824
)

// SLL is a view of a Linux cooked (v1) header.
type SLL []byte

func (h SLL) PktType() uint16  { return binary.BigEndian.Uint16(h[sllPktType:]) }
func (h SLL) HAType() uint16   { return binary.BigEndian.Uint16(h[sllHAType:]) }
func (h SLL) HALen() uint16    { return binary.BigEndian.Uint16(h[sllHALen:]) }
func (h SLL) Addr() []byte     { return sllAddrBytes(h[sllAddr:sllAddr+sllAddrSize], int(h.HALen())) }
func (h SLL) Protocol() uint16 { return binary.BigEndian.Uint16(h[sllProtocol:]) }

// SLL2 is a view of a Linux cooked v2 header.
type SLL2 []byte

func (h SLL2) Protocol() uint16 { return binary.BigEndian.Uint16(h[sll2Protocol:]) }
func (h SLL2) Reserved() uint16 { return binary.BigEndian.Uint16(h[sll2Reserved:]) }
func (h SLL2) IfIndex() uint32  { return binary.BigEndian.Uint32(h[sll2IfIndex:]) }
func (h SLL2) HAType() uint16   { return binary.BigEndian.Uint16(h[sll2HAType:]) }
func (h SLL2) PktType() uint8   { return h[sll2PktType] }
func (h SLL2) HALen() uint8     { return h[sll2HALen] }
func (h SLL2) Addr() []byte     { return sllAddrBytes(h[sll2Addr:sll2Addr+sllAddrSize], int(h.HALen())) }

// sllAddrBytes returns the stated part of the 8-byte address field (all of
// it when the stated length exceeds 8).
func sllAddrBytes(field []byte, n int) []byte {
	if n < len(field) {
		return field[:n]
	}
	return field
}

// sllProto maps the protocol field of a cooked header to the payload's
// protocol.
func sllProto(haType, proto uint16) Proto {
	if haType == arphrdNetlink {
		return ProtoRaw
	}
	switch proto {
	case 0x0001: // ETH_P_802_3: Novell raw 802.3
		return ProtoIPX
	case 0x0004: // ETH_P_802_2: 802.2 LLC frame
		return ProtoLLC
	}
	if proto <= ethMaxLen8023 {
		return ProtoRaw // AX.25, CAN, CAN FD, PPP-MP, ... (not decoded)
	}
	return etherTypeProto(proto)
}

func decodeSLL(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < sllHdrLen {
		return ProtoNone, truncated(sllHdrLen, len(b))
	}
	h := SLL(b)
	l.Hdr = sllHdrLen
	return sllProto(h.HAType(), h.Protocol()), nil
}

func decodeSLL2(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < sll2HdrLen {
		return ProtoNone, truncated(sll2HdrLen, len(b))
	}
	h := SLL2(b)
	l.Hdr = sll2HdrLen
	return sllProto(h.HAType(), h.Protocol()), nil
}

func fieldsSLL(t *Tree, p *Packet, l *Layer) {
	h := SLL(p.Data[l.Off:l.End])
	pt, ht := h.PktType(), h.HAType()
	t.Enum("pkttype", uint64(pt), sllPktTypeName(pt))
	t.Enum("hatype", uint64(ht), arphrdName(ht))
	t.Uint("halen", uint64(h.HALen()))
	sllAddrField(t, h.Addr())
	sllProtoField(t, ht, h.Protocol())
}

func fieldsSLL2(t *Tree, p *Packet, l *Layer) {
	h := SLL2(p.Data[l.Off:l.End])
	sllProtoField(t, h.HAType(), h.Protocol())
	t.Uint("reserved", uint64(h.Reserved()))
	t.Uint("ifindex", uint64(h.IfIndex()))
	ht := h.HAType()
	t.Enum("hatype", uint64(ht), arphrdName(ht))
	pt := uint16(h.PktType())
	t.Enum("pkttype", uint64(pt), sllPktTypeName(pt))
	t.Uint("halen", uint64(h.HALen()))
	sllAddrField(t, h.Addr())
}

func sllAddrField(t *Tree, a []byte) {
	if len(a) == 6 {
		t.MAC("addr", a)
	} else {
		t.Bytes("addr", a)
	}
}

func sllProtoField(t *Tree, haType, proto uint16) {
	var name string
	switch {
	case haType == arphrdNetlink:
		name = "Netlink"
	case proto <= ethMaxLen8023:
		name = sllSpecialName(proto)
	default:
		name = etherTypeName(proto)
	}
	t.Enum("protocol", uint64(proto), name)
}

// sllSpecialName names the Linux ETH_P_ values below 0x0600.
func sllSpecialName(proto uint16) string {
	switch proto {
	case 0x0001:
		return "Novell 802.3"
	case 0x0002:
		return "AX.25"
	case 0x0003:
		return "All"
	case 0x0004:
		return "802.2 LLC"
	case 0x0005:
		return "SNAP"
	case 0x0007:
		return "WAN PPP"
	case 0x0008:
		return "PPP MP"
	case 0x000c:
		return "CAN"
	case 0x000d:
		return "CAN FD"
	case 0x000e:
		return "CAN XL"
	case 0x0010:
		return "IEEE 802.15.4"
	}
	return ""
}

// sllPktTypeName names a Linux packet type (PACKET_HOST, ...).
func sllPktTypeName(pt uint16) string {
	switch pt {
	case 0:
		return "unicast to us"
	case 1:
		return "broadcast"
	case 2:
		return "multicast"
	case 3:
		return "unicast to another host"
	case 4:
		return "sent by us"
	}
	return ""
}

// arphrdName names a Linux ARPHRD_ device type.
func arphrdName(ht uint16) string {
	switch ht {
	case 1:
		return "Ethernet"
	case 24:
		return "IEEE 1394"
	case 32:
		return "InfiniBand"
	case 280:
		return "CAN"
	case 512:
		return "PPP"
	case 768:
		return "IPIP tunnel"
	case 769:
		return "IPv6 tunnel"
	case 772:
		return "Loopback"
	case 776:
		return "SIT"
	case 778:
		return "IP GRE"
	case 801:
		return "IEEE 802.11"
	case 803:
		return "IEEE 802.11 radiotap"
	case 823:
		return "IP6 GRE"
	case arphrdNetlink:
		return "Netlink"
	case 65534:
		return "None"
	}
	return ""
}
