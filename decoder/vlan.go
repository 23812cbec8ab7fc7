package decoder

import "encoding/binary"

// IEEE 802.1Q tag (also 802.1ad S-tag and the pre-standard 0x9100/0x9200
// QinQ tags). The layer is the four bytes after the TPID, which the parent
// layer already read as its EtherType:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| PCP |D|         VLAN ID       |     EtherType / Length        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Stacked tags (QinQ) are one VLAN layer each: the inner EtherType of an
// outer tag is again a VLAN TPID.
const (
	vlanTCI    = 0
	vlanType   = 2
	vlanHdrLen = 4
)

// VLAN is a view of an 802.1Q tag (TCI and inner EtherType).
type VLAN []byte

func (v VLAN) TCI() uint16  { return binary.BigEndian.Uint16(v[vlanTCI:]) }
func (v VLAN) PCP() uint8   { return v[vlanTCI] >> 5 }
func (v VLAN) DEI() bool    { return v[vlanTCI]&0x10 != 0 }
func (v VLAN) VID() uint16  { return v.TCI() & 0x0fff }
func (v VLAN) Type() uint16 { return binary.BigEndian.Uint16(v[vlanType:]) }

func decodeVLAN(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < vlanHdrLen {
		return ProtoNone, truncated(vlanHdrLen, len(b))
	}
	l.Hdr = vlanHdrLen
	et := VLAN(b).Type()
	if et <= ethMaxLen8023 {
		// 802.3 length after the tag: trim the padding; LLC or raw IPX follows.
		if n := uint32(vlanHdrLen) + uint32(et); n < uint32(len(b)) {
			l.End = l.Off + n
		}
		return ieee8023Proto(p.Data[l.Off+vlanHdrLen : l.End]), nil
	}
	return etherTypeProto(et), nil
}

func fieldsVLAN(t *Tree, p *Packet, l *Layer) {
	v := VLAN(p.Data[l.Off:l.End])
	t.Object("tci")
	t.Uint("pcp", uint64(v.PCP()))
	t.Bool("dei", v.DEI())
	t.Uint("vid", uint64(v.VID()))
	t.Close()
	et := v.Type()
	if et <= ethMaxLen8023 {
		t.Uint("len", uint64(et))
		return
	}
	t.Enum("type", uint64(et), etherTypeName(et))
}
