package decoder

import "encoding/binary"

// Ethernet II header (IEEE 802.3):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|             Destination MAC (6)       |   Source MAC (6) ...
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	   ...                                  |   EtherType / Length  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// A type field below 0x0600 is an 802.3 length: the payload is LLC.
const (
	ethDst        = 0
	ethSrc        = 6
	ethType       = 12
	ethHdrLen     = 14
	ethMaxLen8023 = 0x05ff
)

// Ethernet is a view of an Ethernet II / 802.3 header.
type Ethernet []byte

func (e Ethernet) Dst() []byte  { return e[ethDst : ethDst+6] }
func (e Ethernet) Src() []byte  { return e[ethSrc : ethSrc+6] }
func (e Ethernet) Type() uint16 { return binary.BigEndian.Uint16(e[ethType:]) }

func decodeEthernet(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < ethHdrLen {
		return ProtoNone, truncated(ethHdrLen, len(b))
	}
	l.Hdr = ethHdrLen
	et := Ethernet(b).Type()
	if et <= ethMaxLen8023 {
		// 802.3 length field: trim the padding, LLC (or raw IPX) follows.
		if n := uint32(ethHdrLen) + uint32(et); n < uint32(len(b)) {
			l.End = l.Off + n
		}
		return ieee8023Proto(p.Data[l.Off+ethHdrLen : l.End]), nil
	}
	return etherTypeProto(et), nil
}

func fieldsEthernet(t *Tree, p *Packet, l *Layer) {
	e := Ethernet(p.Data[l.Off:l.End])
	t.MAC("dst", e.Dst())
	t.MAC("src", e.Src())
	et := e.Type()
	if et <= ethMaxLen8023 {
		t.Uint("len", uint64(et))
		return
	}
	t.Enum("type", uint64(et), etherTypeName(et))
}

// etherTypeName names an EtherType for reports.
func etherTypeName(et uint16) string {
	switch et {
	case 0x0800:
		return "IPv4"
	case 0x86dd:
		return "IPv6"
	case 0x0806:
		return "ARP"
	case 0x8035:
		return "RARP"
	case 0x8100:
		return "802.1Q"
	case 0x88a8:
		return "802.1ad"
	case 0x9100, 0x9200:
		return "QinQ"
	case 0x8137:
		return "IPX"
	case 0x8863:
		return "PPPoE Discovery"
	case 0x8864:
		return "PPPoE Session"
	case 0x8847:
		return "MPLS"
	case 0x8848:
		return "MPLS Multicast"
	case 0x880b:
		return "PPP"
	case 0x88cc:
		return "LLDP"
	case 0x88e5:
		return "MACsec"
	}
	return ""
}
