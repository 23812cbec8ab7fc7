package decoder

import "encoding/binary"

// ARP (RFC 826) and RARP (RFC 903) share one format:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|         Hardware Type         |         Protocol Type         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  HW Addr Len  | Proto Addr Len|           Operation           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Sender Hardware Address (hlen) | Sender Protocol Address (plen)
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Target Hardware Address (hlen) | Target Protocol Address (plen)
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The packet is 8 + 2*(hlen+plen) bytes; Ethernet padding after it is not
// part of the layer.
const (
	arpHType  = 0
	arpPType  = 2
	arpHLen   = 4
	arpPLen   = 5
	arpOper   = 6
	arpAddrs  = 8
	arpMinLen = 8
)

// ARP is a view of an ARP or RARP packet (valid once decodeARP accepted it).
type ARP []byte

func (a ARP) HType() uint16 { return binary.BigEndian.Uint16(a[arpHType:]) }
func (a ARP) PType() uint16 { return binary.BigEndian.Uint16(a[arpPType:]) }
func (a ARP) HLen() int     { return int(a[arpHLen]) }
func (a ARP) PLen() int     { return int(a[arpPLen]) }
func (a ARP) Oper() uint16  { return binary.BigEndian.Uint16(a[arpOper:]) }

// Len returns the packet length the address lengths imply.
func (a ARP) Len() int { return arpAddrs + 2*(a.HLen()+a.PLen()) }

func (a ARP) SHA() []byte { o := arpAddrs; return a[o : o+a.HLen()] }
func (a ARP) SPA() []byte { o := arpAddrs + a.HLen(); return a[o : o+a.PLen()] }
func (a ARP) THA() []byte { o := arpAddrs + a.HLen() + a.PLen(); return a[o : o+a.HLen()] }
func (a ARP) TPA() []byte { o := arpAddrs + 2*a.HLen() + a.PLen(); return a[o : o+a.PLen()] }

func decodeARP(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < arpMinLen {
		return ProtoNone, truncated(arpMinLen, len(b))
	}
	a := ARP(b)
	n := a.Len()
	if n > len(b) {
		return ProtoNone, truncated(n, len(b))
	}
	l.Hdr = uint32(n)
	l.End = l.Off + uint32(n) // drop link-layer padding
	return ProtoNone, nil
}

func fieldsARP(t *Tree, p *Packet, l *Layer) {
	a := ARP(p.Data[l.Off:l.End])
	ht, pt := a.HType(), a.PType()
	t.Enum("htype", uint64(ht), arpHardwareName(ht))
	t.Enum("ptype", uint64(pt), etherTypeName(pt))
	t.Uint("hlen", uint64(a.HLen()))
	t.Uint("plen", uint64(a.PLen()))
	op := a.Oper()
	t.Enum("oper", uint64(op), arpOperName(op))
	arpAddr(t, "sha", a.SHA(), true)
	arpAddr(t, "spa", a.SPA(), false)
	arpAddr(t, "tha", a.THA(), true)
	arpAddr(t, "tpa", a.TPA(), false)
	t.Uint("len", uint64(a.Len()))
}

// arpAddr writes an address with the kind its length suggests.
func arpAddr(t *Tree, key string, v []byte, hw bool) {
	switch {
	case hw && len(v) == 6:
		t.MAC(key, v)
	case !hw && len(v) == 4:
		t.IPv4(key, v)
	case !hw && len(v) == 16:
		t.IPv6(key, v)
	default:
		t.Bytes(key, v)
	}
}

// arpOperName names an ARP operation code (IANA arp-parameters).
func arpOperName(op uint16) string {
	switch op {
	case 1:
		return "request"
	case 2:
		return "reply"
	case 3:
		return "rarp request"
	case 4:
		return "rarp reply"
	case 5:
		return "drarp request"
	case 6:
		return "drarp reply"
	case 7:
		return "drarp error"
	case 8:
		return "inarp request"
	case 9:
		return "inarp reply"
	case 10:
		return "arp nak"
	}
	return ""
}

// arpHardwareName names an ARP hardware type (IANA arp-parameters).
func arpHardwareName(ht uint16) string {
	switch ht {
	case 1:
		return "Ethernet"
	case 6:
		return "IEEE 802"
	case 7:
		return "ARCNET"
	case 15:
		return "Frame Relay"
	case 16:
		return "ATM"
	case 18:
		return "Fibre Channel"
	case 20:
		return "Serial Line"
	case 24:
		return "IEEE 1394"
	case 32:
		return "InfiniBand"
	}
	return ""
}
