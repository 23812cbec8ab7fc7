package decoder

import "encoding/binary"

// IEEE 802.2 LLC header, with the SNAP extension (RFC 1042) when both SAPs
// are 0xAA and the control field is UI (0x03):
//
//	+--------+--------+--------+--------+--------+--------+--------+--------+
//	|  DSAP  |  SSAP  | Control (1 or 2)|   SNAP OUI (3)           | PID (2)
//	+--------+--------+--------+--------+--------+--------+--------+--------+
//
// The control field is one byte for unnumbered (U) frames (low bits 11) and
// two bytes for information (I) and supervisory (S) frames. The low bit of
// the DSAP is the individual/group bit, that of the SSAP the command/response
// bit.
//
// 802.3 frames whose payload starts with FF FF carry IPX directly, without
// an 802.2 header ("raw 802.3", Novell); ieee8023Proto tells them apart.
const (
	llcDSAP    = 0
	llcSSAP    = 1
	llcControl = 2
	llcSNAPOUI = 3
	llcSNAPPID = 6
	llcMinLen  = 3
	llcSNAPLen = 8

	sapSNAP = 0xaa
	sapIPX  = 0xe0
	sapSTP  = 0x42
	sapIP   = 0x06
)

// LLC is a view of an 802.2 LLC header (and its SNAP extension).
type LLC []byte

func (h LLC) DSAP() uint8 { return h[llcDSAP] }
func (h LLC) SSAP() uint8 { return h[llcSSAP] }

// ControlLen is 1 for U-format control fields, 2 for I and S formats.
func (h LLC) ControlLen() int {
	if h[llcControl]&3 == 3 {
		return 1
	}
	return 2
}

// Control returns the control field (one or two bytes, first byte high).
func (h LLC) Control() uint16 {
	if h.ControlLen() == 1 {
		return uint16(h[llcControl])
	}
	return binary.BigEndian.Uint16(h[llcControl:])
}

// IsSNAP reports whether a SNAP header follows (AA AA 03).
func (h LLC) IsSNAP() bool {
	return h[llcDSAP] == sapSNAP && h[llcSSAP] == sapSNAP && h[llcControl] == 0x03
}

// OUI and PID are the SNAP fields (valid when IsSNAP and len >= 8).
func (h LLC) OUI() uint32 {
	return uint32(h[llcSNAPOUI])<<16 | uint32(h[llcSNAPOUI+1])<<8 | uint32(h[llcSNAPOUI+2])
}
func (h LLC) PID() uint16 { return binary.BigEndian.Uint16(h[llcSNAPPID:]) }

// HeaderLen returns the header length: 3 or 4, or 8 with SNAP.
func (h LLC) HeaderLen() int {
	if h.IsSNAP() {
		return llcSNAPLen
	}
	return 2 + h.ControlLen()
}

// ieee8023Proto returns the protocol of an 802.3 (length-field) payload:
// raw IPX when it starts with the FF FF IPX checksum (or, cut after one
// byte, with FF), else 802.2 LLC.
func ieee8023Proto(b []byte) Proto {
	if len(b) >= 1 && b[0] == 0xff && (len(b) == 1 || b[1] == 0xff) {
		return ProtoIPX
	}
	return ProtoLLC
}

func decodeLLC(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < llcMinLen {
		return ProtoNone, truncated(llcMinLen, len(b))
	}
	h := LLC(b)
	hl := h.HeaderLen()
	if hl > len(b) {
		return ProtoNone, truncated(hl, len(b))
	}
	l.Hdr = uint32(hl)
	if h.IsSNAP() {
		switch h.OUI() {
		case 0x000000, 0x0000f8: // RFC 1042 and 802.1H: the PID is an EtherType
			return etherTypeProto(h.PID()), nil
		}
		return ProtoRaw, nil
	}
	switch h.DSAP() &^ 1 {
	case sapIPX:
		return ProtoIPX, nil
	case sapIP:
		return ProtoIPv4, nil
	}
	return ProtoRaw, nil // STP (0x42), NetBIOS (0xF0), OSI (0xFE), ...
}

func fieldsLLC(t *Tree, p *Packet, l *Layer) {
	h := LLC(p.Data[l.Off:l.End])
	t.Enum("dsap", uint64(h.DSAP()&^1), sapName(h.DSAP()&^1))
	t.Bool("ig", h.DSAP()&1 != 0)
	t.Enum("ssap", uint64(h.SSAP()&^1), sapName(h.SSAP()&^1))
	t.Bool("cr", h.SSAP()&1 != 0)
	t.Uint("control", uint64(h.Control()))
	if h.IsSNAP() {
		t.Object("snap")
		oui := h.OUI()
		t.Uint("oui", uint64(oui))
		if pid := h.PID(); oui == 0 || oui == 0xf8 {
			t.Enum("type", uint64(pid), etherTypeName(pid))
		} else {
			t.Uint("pid", uint64(pid))
		}
		t.Close()
	}
}

// sapName names an 802.2 SAP (with the I/G or C/R bit cleared).
func sapName(s uint8) string {
	switch s {
	case 0x00:
		return "Null"
	case 0x04, 0x08, 0x0c:
		return "SNA"
	case sapIP:
		return "IP"
	case 0x0e:
		return "PROWAY"
	case sapSTP:
		return "Spanning Tree"
	case 0x7e:
		return "X.25 PLP"
	case 0x98:
		return "ARP"
	case sapSNAP:
		return "SNAP"
	case sapIPX:
		return "NetWare"
	case 0xf0:
		return "NetBIOS"
	case 0xf4:
		return "LAN Management"
	case 0xfe:
		return "ISO Network Layer"
	}
	return ""
}
