package decoder

import (
	"encoding/binary"
	"fmt"
)

// L2TP, version 2 (RFC 2661) over UDP, and version 3 (RFC 3931) over UDP
// or directly over IP (protocol 115). Which framing applies depends on the
// parent layer: UDP (port 1701) or IP.
//
// L2TPv2 header (and L2TPv3 control header over UDP, where Tunnel ID and
// Session ID are one 32-bit Control Connection ID and O, P are unused):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           Tunnel ID           |           Session ID          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|             Ns (opt)          |             Nr (opt)          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|      Offset Size (opt)        |    Offset pad... (opt)
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// L2TPv3 data over UDP: T=0, Ver=3, 16 reserved bits, 32-bit Session ID,
// then the cookie and sublayer. L2TPv3 over IP: a 32-bit Session ID; zero
// means a control message follows (the v3 control header above), otherwise
// data follows. The data cookie length (0, 4 or 8) is signalled only in
// the control connection, so v3 data payload is raw.
//
// Control messages carry AVPs, which are part of this layer:
//
//	|M|H| rsvd  |      Length       |           Vendor ID           |
//	|         Attribute Type        |        Attribute Value ...
const (
	l2tpFlagT    = 0x8000
	l2tpFlagL    = 0x4000
	l2tpFlagS    = 0x0800
	l2tpFlagO    = 0x0200
	l2tpFlagP    = 0x0100
	l2tpVerMask  = 0x000f
	l2tpFlagsLen = 2

	l2tpV3SessionLen  = 4  // session ID before a v3 message over IP
	l2tpV3DataUDPLen  = 8  // flags, reserved, session ID
	l2tpV3CtrlHdrLen  = 12 // flags, length, connection ID, Ns, Nr
	l2tpAVPHdrLen     = 6
	l2tpAVPMandatory  = 0x80
	l2tpAVPHidden     = 0x40
	l2tpAVPLenMask    = 0x03ff
	l2tpMsgTypeAVPLen = 8
)

// L2TPHeader is an L2TP header parsed into fixed fields (no allocation).
type L2TPHeader struct {
	OverIP    bool   // L2TPv3 directly over IP
	Control   bool   // control message (T bit, or session 0 over IP)
	Version   uint8  // 2 or 3
	Flags     uint16 // first 16 bits (not present for v3 data over IP)
	HasFlags  bool
	Length    uint16 // message length (when L is set)
	TunnelID  uint16 // v2
	SessionID uint32 // v2 (16 bits) and v3 data
	ConnID    uint32 // v3 control connection ID
	Ns, Nr    uint16 // when S is set
	OffSize   uint16 // when O is set (v2)
	HdrLen    int    // bytes before the AVPs or the payload
}

func (h *L2TPHeader) HasLength() bool { return h.Flags&l2tpFlagL != 0 }
func (h *L2TPHeader) HasSeq() bool    { return h.Flags&l2tpFlagS != 0 }
func (h *L2TPHeader) HasOffset() bool { return h.Version == 2 && h.Flags&l2tpFlagO != 0 }

// parseL2TP parses the header at the start of b.
func parseL2TP(b []byte, overIP bool) (L2TPHeader, error) {
	h := L2TPHeader{OverIP: overIP}
	base := 0
	if overIP {
		if len(b) < l2tpV3SessionLen {
			return h, truncated(l2tpV3SessionLen, len(b))
		}
		h.Version = 3
		h.SessionID = binary.BigEndian.Uint32(b)
		if h.SessionID != 0 {
			h.HdrLen = l2tpV3SessionLen
			return h, nil
		}
		base = l2tpV3SessionLen
	}
	if len(b) < base+l2tpFlagsLen {
		return h, truncated(base+l2tpFlagsLen, len(b))
	}
	h.HasFlags = true
	h.Flags = binary.BigEndian.Uint16(b[base:])
	h.Control = h.Flags&l2tpFlagT != 0
	v := uint8(h.Flags & l2tpVerMask)
	if overIP && v != 3 {
		return h, malformed("control message version %d over IP, want 3", v)
	}
	h.Version = v
	switch {
	case v == 3 && !h.Control:
		// v3 data over UDP (overIP data returned above).
		if len(b) < l2tpV3DataUDPLen {
			return h, truncated(l2tpV3DataUDPLen, len(b))
		}
		h.SessionID = binary.BigEndian.Uint32(b[4:])
		h.HdrLen = l2tpV3DataUDPLen
		return h, nil
	case v == 3:
		if h.Flags&(l2tpFlagL|l2tpFlagS) != l2tpFlagL|l2tpFlagS {
			return h, malformed("control message without the L and S bits (flags 0x%04x)", h.Flags)
		}
		n := base + l2tpV3CtrlHdrLen
		if len(b) < n {
			return h, truncated(n, len(b))
		}
		h.Length = binary.BigEndian.Uint16(b[base+2:])
		h.ConnID = binary.BigEndian.Uint32(b[base+4:])
		h.Ns = binary.BigEndian.Uint16(b[base+8:])
		h.Nr = binary.BigEndian.Uint16(b[base+10:])
		h.HdrLen = n
		if int(h.Length) < l2tpV3CtrlHdrLen {
			return h, malformed("length %d below the control header length %d", h.Length, l2tpV3CtrlHdrLen)
		}
		return h, nil
	case v != 2:
		return h, fmt.Errorf("%w: version %d", ErrUnsupported, v)
	}
	// L2TPv2. RFC 2661 requires L and S (and forbids O) on control
	// messages; like tshark, the header is read as its flags say.
	n := l2tpFlagsLen
	if h.HasLength() {
		n += 2
	}
	n += 4 // tunnel and session IDs
	if h.HasSeq() {
		n += 4
	}
	if h.HasOffset() {
		n += 2
	}
	if len(b) < n {
		return h, truncated(n, len(b))
	}
	o := l2tpFlagsLen
	if h.HasLength() {
		h.Length = binary.BigEndian.Uint16(b[o:])
		o += 2
	}
	h.TunnelID = binary.BigEndian.Uint16(b[o:])
	h.SessionID = uint32(binary.BigEndian.Uint16(b[o+2:]))
	o += 4
	if h.HasSeq() {
		h.Ns = binary.BigEndian.Uint16(b[o:])
		h.Nr = binary.BigEndian.Uint16(b[o+2:])
		o += 4
	}
	if h.HasOffset() {
		h.OffSize = binary.BigEndian.Uint16(b[o:])
		o += 2 + int(h.OffSize)
		if len(b) < o {
			return h, truncated(o, len(b))
		}
	}
	h.HdrLen = o
	if h.HasLength() && int(h.Length) < o {
		return h, malformed("length %d below the header length %d", h.Length, o)
	}
	return h, nil
}

// l2tpOverIP reports whether layer l sits directly on IP (L2TPv3 over IP)
// rather than on UDP. A layer with no parent (decoding started at L2TP) is
// taken to be UDP-framed.
func l2tpOverIP(p *Packet, l *Layer) bool {
	if i := linkLayerIndex(p, l); i > 0 {
		return p.Layers[i-1].Proto != ProtoUDP
	}
	return false
}

// linkLayerIndex returns the index of l in p.Layers (-1 if l is not one of them).
func linkLayerIndex(p *Packet, l *Layer) int {
	for i := p.N - 1; i >= 0; i-- {
		if &p.Layers[i] == l {
			return i
		}
	}
	return -1
}

func decodeL2TP(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	h, err := parseL2TP(b, l2tpOverIP(p, l))
	if err != nil {
		return ProtoNone, err
	}
	// The length field counts from the flags (after the session ID over IP).
	base := 0
	if h.OverIP {
		base = l2tpV3SessionLen
	}
	cut := false // message longer than the captured bytes
	if h.HasLength() {
		if n := base + int(h.Length); n < len(b) {
			l.End = l.Off + uint32(n)
			b = b[:n]
		} else if n > len(b) {
			cut = true
		}
	}
	if !h.Control {
		l.Hdr = uint32(h.HdrLen)
		if h.Version == 2 {
			return ProtoPPP, nil
		}
		return ProtoRaw, nil // v3: cookie and sublayer are not self-describing
	}
	// Control message: the AVPs are the rest of the header.
	for i := h.HdrLen; i < len(b); {
		if len(b)-i < l2tpAVPHdrLen {
			if cut {
				return ProtoNone, truncated(i+l2tpAVPHdrLen, len(b))
			}
			return ProtoNone, malformed("%d stray bytes after the last AVP", len(b)-i)
		}
		n := int(binary.BigEndian.Uint16(b[i:]) & l2tpAVPLenMask)
		if n < l2tpAVPHdrLen {
			return ProtoNone, malformed("AVP at offset %d: length %d below 6", i, n)
		}
		if n > len(b)-i {
			if cut {
				return ProtoNone, truncated(i+n, len(b))
			}
			return ProtoNone, malformed("AVP at offset %d: length %d exceeds the %d bytes left in the message", i, n, len(b)-i)
		}
		i += n
	}
	if cut {
		return ProtoNone, truncated(base+int(h.Length), len(b))
	}
	l.Hdr = uint32(len(b))
	return ProtoNone, nil
}

func fieldsL2TP(t *Tree, p *Packet, l *Layer) {
	b := p.Data[l.Off:l.End]
	h, err := parseL2TP(b, l2tpOverIP(p, l))
	if err != nil {
		return // not reached for a decoded layer
	}
	if h.OverIP {
		t.Uint("session_id", uint64(h.SessionID))
		if !h.Control {
			return
		}
	}
	if h.HasFlags {
		t.Object("flags")
		typ, name := uint64(0), "data"
		if h.Control {
			typ, name = 1, "control"
		}
		t.Enum("type", typ, name)
		t.Bool("length", h.HasLength())
		t.Bool("sequence", h.HasSeq())
		if h.Version == 2 {
			t.Bool("offset", h.Flags&l2tpFlagO != 0)
			t.Bool("priority", h.Flags&l2tpFlagP != 0)
		}
		t.Close()
		t.Uint("version", uint64(h.Version))
	}
	if h.HasLength() {
		t.Uint("len", uint64(h.Length))
	}
	switch {
	case h.Version == 2:
		t.Uint("tunnel_id", uint64(h.TunnelID))
		t.Uint("session_id", uint64(h.SessionID))
	case h.Control:
		t.Uint("control_connection_id", uint64(h.ConnID))
	default:
		t.Uint("session_id", uint64(h.SessionID))
	}
	if h.HasSeq() {
		t.Uint("ns", uint64(h.Ns))
		t.Uint("nr", uint64(h.Nr))
	}
	if h.HasOffset() {
		t.Uint("offset_size", uint64(h.OffSize))
	}
	if h.Control {
		fieldsL2TPAVPs(t, b[h.HdrLen:l.Hdr])
	}
}

// fieldsL2TPAVPs lists the AVPs of a control message (already validated by
// decodeL2TP).
func fieldsL2TPAVPs(t *Tree, b []byte) {
	t.Array("avps")
	for i := 0; i+l2tpAVPHdrLen <= len(b); {
		n := int(binary.BigEndian.Uint16(b[i:]) & l2tpAVPLenMask)
		if n < l2tpAVPHdrLen || n > len(b)-i {
			break
		}
		a := b[i : i+n]
		vendor := binary.BigEndian.Uint16(a[2:])
		typ := binary.BigEndian.Uint16(a[4:])
		hidden := a[0]&l2tpAVPHidden != 0
		t.Object("")
		t.Bool("mandatory", a[0]&l2tpAVPMandatory != 0)
		t.Bool("hidden", hidden)
		t.Uint("len", uint64(n))
		t.Uint("vendor_id", uint64(vendor))
		name := ""
		if vendor == 0 {
			name = l2tpAVPName(typ)
		}
		t.Enum("type", uint64(typ), name)
		if vendor == 0 && typ == 0 && n == l2tpMsgTypeAVPLen && !hidden {
			mt := binary.BigEndian.Uint16(a[6:])
			t.Enum("message_type", uint64(mt), l2tpMessageName(mt))
		} else {
			t.Bytes("value", a[l2tpAVPHdrLen:])
		}
		t.Close()
		i += n
	}
	t.Close()
}

// l2tpAVPNames names the IETF AVP types (RFC 2661, RFC 3931).
var l2tpAVPNames = [...]string{
	0: "Message Type", 1: "Result Code", 2: "Protocol Version", 3: "Framing Capabilities",
	4: "Bearer Capabilities", 5: "Tie Breaker", 6: "Firmware Revision", 7: "Host Name",
	8: "Vendor Name", 9: "Assigned Tunnel ID", 10: "Receive Window Size", 11: "Challenge",
	12: "Q.931 Cause Code", 13: "Challenge Response", 14: "Assigned Session ID",
	15: "Call Serial Number", 16: "Minimum BPS", 17: "Maximum BPS", 18: "Bearer Type",
	19: "Framing Type", 21: "Called Number", 22: "Calling Number", 23: "Sub-Address",
	24: "Tx Connect Speed", 25: "Physical Channel ID", 26: "Initial Received LCP CONFREQ",
	27: "Last Sent LCP CONFREQ", 28: "Last Received LCP CONFREQ", 29: "Proxy Authen Type",
	30: "Proxy Authen Name", 31: "Proxy Authen Challenge", 32: "Proxy Authen ID",
	33: "Proxy Authen Response", 34: "Call Errors", 35: "ACCM", 36: "Random Vector",
	37: "Private Group ID", 38: "Rx Connect Speed", 39: "Sequencing Required",
	58: "Extended Vendor ID", 59: "Message Digest", 60: "Router ID",
	61: "Assigned Control Connection ID", 62: "Pseudowire Capabilities List",
	63: "Local Session ID", 64: "Remote Session ID", 65: "Assigned Cookie",
	66: "Remote End ID", 68: "Pseudowire Type", 69: "L2-Specific Sublayer",
	70: "Data Sequencing", 71: "Circuit Status", 72: "Preferred Language",
	73: "Control Message Authentication Nonce", 74: "Tx Connect Speed BPS",
	75: "Rx Connect Speed BPS",
}

func l2tpAVPName(typ uint16) string {
	if int(typ) < len(l2tpAVPNames) {
		return l2tpAVPNames[typ]
	}
	return ""
}

// l2tpMessageNames names the control message types.
var l2tpMessageNames = [...]string{
	1: "SCCRQ", 2: "SCCRP", 3: "SCCCN", 4: "StopCCN", 6: "HELLO", 7: "OCRQ", 8: "OCRP",
	9: "OCCN", 10: "ICRQ", 11: "ICRP", 12: "ICCN", 14: "CDN", 15: "WEN", 16: "SLI",
	20: "ACK",
}

func l2tpMessageName(mt uint16) string {
	if int(mt) < len(l2tpMessageNames) {
		return l2tpMessageNames[mt]
	}
	return ""
}
