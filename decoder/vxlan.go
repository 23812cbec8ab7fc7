package decoder

import "encoding/binary"

// Virtual eXtensible Local Area Network header (RFC 7348, section 5; UDP
// port 4789):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|R|R|R|R|I|R|R|R|            Reserved                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                VXLAN Network Identifier (VNI) |   Reserved    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The I flag says the VNI is valid; the payload is an Ethernet frame.
const (
	vxlanFlags  = 0
	vxlanVNI    = 4
	vxlanHdrLen = 8

	vxlanI = 0x08
)

// VXLAN is a view of a VXLAN header.
type VXLAN []byte

func (h VXLAN) Flags() uint8    { return h[vxlanFlags] }
func (h VXLAN) ValidVNI() bool  { return h[vxlanFlags]&vxlanI != 0 }
func (h VXLAN) VNI() uint32     { return binary.BigEndian.Uint32(h[vxlanVNI:]) >> 8 }
func (h VXLAN) Reserved() uint8 { return h[vxlanVNI+3] }

func decodeVXLAN(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < vxlanHdrLen {
		return ProtoNone, truncated(vxlanHdrLen, len(b))
	}
	l.Hdr = vxlanHdrLen
	return ProtoEthernet, nil
}

func fieldsVXLAN(t *Tree, p *Packet, l *Layer) {
	h := VXLAN(p.Data[l.Off : l.Off+l.Hdr])
	t.Object("flags")
	t.Bool("i", h.ValidVNI())
	t.Uint("value", uint64(h.Flags()))
	t.Close()
	t.Uint("vni", uint64(h.VNI()))
}
