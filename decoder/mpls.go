package decoder

import "encoding/binary"

// MPLS label stack (RFC 3032): one 4-byte entry per label, the last with
// the bottom-of-stack bit S set. The whole stack is one layer.
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                Label                  | TC  |S|      TTL      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// MPLS does not say what follows the stack; an IP version nibble of 4 or 6
// is taken as IPv4 or IPv6 (as tshark does), anything else (pseudowires,
// Ethernet over MPLS with a control word) is raw payload.
const mplsEntryLen = 4

// MPLSEntry is one label stack entry.
type MPLSEntry uint32

func (e MPLSEntry) Label() uint32 { return uint32(e) >> 12 }
func (e MPLSEntry) TC() uint8     { return uint8(e>>9) & 7 }
func (e MPLSEntry) Bottom() bool  { return e&0x100 != 0 }
func (e MPLSEntry) TTL() uint8    { return uint8(e) }

// MPLS is a view of a label stack (valid once decodeMPLS accepted it).
type MPLS []byte

// Len returns the number of entries in the stack.
func (m MPLS) Len() int { return len(m) / mplsEntryLen }

// Entry returns entry i.
func (m MPLS) Entry(i int) MPLSEntry {
	return MPLSEntry(binary.BigEndian.Uint32(m[i*mplsEntryLen:]))
}

func decodeMPLS(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	for i := 0; ; i += mplsEntryLen {
		if len(b)-i < mplsEntryLen {
			// No bottom-of-stack entry before the end of the data.
			return ProtoNone, truncated(i+mplsEntryLen, len(b))
		}
		if MPLSEntry(binary.BigEndian.Uint32(b[i:])).Bottom() {
			l.Hdr = uint32(i + mplsEntryLen)
			return ipByVersion(b[l.Hdr:]), nil
		}
	}
}

func fieldsMPLS(t *Tree, p *Packet, l *Layer) {
	m := MPLS(p.Data[l.Off : l.Off+l.Hdr])
	t.Array("labels")
	for i := 0; i < m.Len(); i++ {
		e := m.Entry(i)
		t.Object("")
		t.Uint("label", uint64(e.Label()))
		if name := mplsLabelName(e.Label()); name != "" {
			t.String("reserved", name) // special-purpose label
		}
		t.Uint("tc", uint64(e.TC()))
		t.Bool("s", e.Bottom())
		t.Uint("ttl", uint64(e.TTL()))
		t.Close()
	}
	t.Close()
}

// mplsLabelName names the reserved labels (RFC 3032, RFC 7274).
func mplsLabelName(v uint32) string {
	switch v {
	case 0:
		return "IPv4 Explicit NULL"
	case 1:
		return "Router Alert"
	case 2:
		return "IPv6 Explicit NULL"
	case 3:
		return "Implicit NULL"
	case 7:
		return "Entropy Label Indicator"
	case 13:
		return "GAL"
	case 14:
		return "OAM Alert"
	case 15:
		return "Extension"
	}
	return ""
}
