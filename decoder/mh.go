package decoder

import "encoding/binary"

// Mobility Header (RFC 6275, section 6.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Payload Proto |  Header Len   |   MH Type     |   Reserved    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           Checksum            |                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
//	.                       Message Data                            .
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Header Len counts 8-octet units after the first 8. The message data is a
// fixed part that depends on the MH type, then mobility options (TLVs,
// except Pad1, a single zero byte):
//
//	BRR (0)          Reserved(2)
//	HoTI (1), CoTI (2)  Reserved(2) Init Cookie(8)
//	HoT (3), CoT (4)    Nonce Index(2) Init Cookie(8) Keygen Token(8)
//	BU (5)           Sequence(2) A|H|L|K|M|R|P|F|T flags, reserved(2) Lifetime(2)
//	BA (6)           Status(1) K|R|P flags, reserved(1) Sequence(2) Lifetime(2)
//	BE (7)           Status(1) Reserved(1) Home Address(16)
//
// Lifetimes count units of 4 seconds. Payload Proto is 59 (no next header)
// in every message RFC 6275 defines.
const (
	mhPayload  = 0
	mhLen      = 1
	mhType     = 2
	mhReserved = 3
	mhChecksum = 4
	mhData     = 6
	mhMinLen   = 8

	mhBRR  = 0
	mhHoTI = 1
	mhCoTI = 2
	mhHoT  = 3
	mhCoT  = 4
	mhBU   = 5
	mhBA   = 6
	mhBE   = 7
)

// mhFixedLen is the length of the fixed message data of each MH type
// defined by RFC 6275 (other types: 0, the data is shown raw).
var mhFixedLen = [8]int{mhBRR: 2, mhHoTI: 10, mhCoTI: 10, mhHoT: 18, mhCoT: 18, mhBU: 6, mhBA: 6, mhBE: 18}

// MH is a view of a Mobility Header.
type MH []byte

func (h MH) PayloadProto() uint8 { return h[mhPayload] }
func (h MH) HdrLen() int         { return (int(h[mhLen]) + 1) * 8 }
func (h MH) Type() uint8         { return h[mhType] }
func (h MH) Reserved() uint8     { return h[mhReserved] }
func (h MH) Checksum() uint16    { return binary.BigEndian.Uint16(h[mhChecksum:]) }

// Data returns the message data (fixed part and options).
func (h MH) Data() []byte { return h[mhData:h.HdrLen()] }

// fixedLen returns the length of the fixed message data (0 when the type
// is not one RFC 6275 defines).
func (h MH) fixedLen() int {
	if t := h.Type(); int(t) < len(mhFixedLen) {
		return mhFixedLen[t]
	}
	return 0
}

func decodeMH(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < mhMinLen {
		return ProtoNone, truncated(mhMinLen, len(b))
	}
	h := MH(b)
	n := h.HdrLen()
	if n > len(b) {
		return ProtoNone, truncated(n, len(b))
	}
	h = h[:n]
	fixed := h.fixedLen()
	d := h.Data()
	if fixed > len(d) {
		return ProtoNone, malformed("%s message needs %d bytes of data, header length leaves %d",
			mhTypeName(h.Type()), fixed, len(d))
	}
	if int(h.Type()) < len(mhFixedLen) {
		if err := checkMobilityOptions(d[fixed:], mhData+fixed); err != nil {
			return ProtoNone, err
		}
	}
	l.Hdr = uint32(n)
	return ipProtoProto(h.PayloadProto()), nil
}

// checkMobilityOptions checks that every option of b lies inside b; base
// is the offset of b in the header, for the message.
func checkMobilityOptions(b []byte, base int) error {
	for i := 0; i < len(b); {
		if b[i] == 0 { // Pad1
			i++
			continue
		}
		if i+2 > len(b) {
			return malformed("mobility option %d at offset %d: length byte outside the header", b[i], base+i)
		}
		if end := i + 2 + int(b[i+1]); end > len(b) {
			return malformed("mobility option %d at offset %d: %d data bytes overrun the header by %d",
				b[i], base+i, b[i+1], end-len(b))
		}
		i += 2 + int(b[i+1])
	}
	return nil
}

func fieldsMH(t *Tree, p *Packet, l *Layer) {
	h := MH(p.Data[l.Off : l.Off+l.Hdr])
	t.Enum("next", uint64(h.PayloadProto()), ipProtoName(h.PayloadProto()))
	t.Uint("length", uint64(h.HdrLen()))
	t.Enum("type", uint64(h.Type()), mhTypeName(h.Type()))
	t.Uint("reserved", uint64(h.Reserved()))
	t.Uint("checksum", uint64(h.Checksum()))
	d := h.Data()
	t.Object("data")
	switch h.Type() {
	case mhBRR:
		t.Uint("reserved", uint64(binary.BigEndian.Uint16(d)))
	case mhHoTI, mhCoTI:
		t.Uint("reserved", uint64(binary.BigEndian.Uint16(d)))
		t.Bytes(mhCookieKey(h.Type()), d[2:10])
	case mhHoT, mhCoT:
		t.Uint("nonce_index", uint64(binary.BigEndian.Uint16(d)))
		t.Bytes(mhCookieKey(h.Type()), d[2:10])
		t.Bytes("keygen_token", d[10:18])
	case mhBU:
		t.Uint("seq", uint64(binary.BigEndian.Uint16(d)))
		f := binary.BigEndian.Uint16(d[2:])
		t.Object("flags")
		for i, name := range [...]string{"a", "h", "l", "k", "m", "r", "p", "f", "t"} {
			t.Bool(name, f&(0x8000>>i) != 0)
		}
		t.Close()
		t.Uint("lifetime", uint64(binary.BigEndian.Uint16(d[4:]))*4)
	case mhBA:
		t.Enum("status", uint64(d[0]), mhStatusName(d[0]))
		t.Object("flags")
		t.Bool("k", d[1]&0x80 != 0)
		t.Bool("r", d[1]&0x40 != 0)
		t.Bool("p", d[1]&0x20 != 0)
		t.Close()
		t.Uint("seq", uint64(binary.BigEndian.Uint16(d[2:])))
		t.Uint("lifetime", uint64(binary.BigEndian.Uint16(d[4:]))*4)
	case mhBE:
		t.Enum("status", uint64(d[0]), mhBEStatusName(d[0]))
		t.Uint("reserved", uint64(d[1]))
		t.IPv6("home_addr", d[2:18])
	default:
		t.Bytes("raw", d)
		t.Close()
		return
	}
	fieldsMobilityOptions(t, d[h.fixedLen():])
	t.Close()
}

func mhCookieKey(typ uint8) string {
	if typ == mhHoTI || typ == mhHoT {
		return "home_init_cookie"
	}
	return "care_of_init_cookie"
}

// fieldsMobilityOptions lists the mobility options (RFC 6275, 6.2).
func fieldsMobilityOptions(t *Tree, b []byte) {
	t.Array("options")
	for i := 0; i < len(b); {
		typ := b[i]
		t.Object("")
		t.Enum("type", uint64(typ), mhOptName(typ))
		if typ == 0 {
			t.Uint("length", 0)
			t.Close()
			i++
			continue
		}
		d := b[i+2 : i+2+int(b[i+1])] // bounds checked by decodeMH
		t.Uint("length", uint64(len(d)))
		switch {
		case typ == 1: // PadN
		case typ == 2 && len(d) == 2:
			t.Uint("refresh_interval", uint64(binary.BigEndian.Uint16(d))*4)
		case typ == 3 && len(d) == 16:
			t.IPv6("care_of_addr", d)
		case typ == 4 && len(d) == 4:
			t.Uint("home_nonce_index", uint64(binary.BigEndian.Uint16(d)))
			t.Uint("care_of_nonce_index", uint64(binary.BigEndian.Uint16(d[2:])))
		case typ == 5:
			t.Bytes("authenticator", d)
		default:
			t.Bytes("data", d)
		}
		t.Close()
		i += 2 + len(d)
	}
	t.Close()
}

func mhTypeName(typ uint8) string {
	switch typ {
	case mhBRR:
		return "BRR"
	case mhHoTI:
		return "HoTI"
	case mhCoTI:
		return "CoTI"
	case mhHoT:
		return "HoT"
	case mhCoT:
		return "CoT"
	case mhBU:
		return "BU"
	case mhBA:
		return "BA"
	case mhBE:
		return "BE"
	case 8:
		return "FBU"
	case 9:
		return "FBack"
	case 10:
		return "FNA"
	case 11:
		return "Experimental"
	case 12:
		return "HAS"
	case 13:
		return "HB"
	case 14:
		return "HI"
	case 15:
		return "HAck"
	case 16:
		return "BRI"
	case 17:
		return "LRI"
	case 18:
		return "LRA"
	}
	return ""
}

func mhOptName(typ uint8) string {
	switch typ {
	case 0:
		return "Pad1"
	case 1:
		return "PadN"
	case 2:
		return "Binding Refresh Advice"
	case 3:
		return "Alternate Care-of Address"
	case 4:
		return "Nonce Indices"
	case 5:
		return "Binding Authorization Data"
	case 6:
		return "Mobile Network Prefix"
	case 7:
		return "Link-Layer Address"
	case 8:
		return "Mobile Node Identifier"
	case 9:
		return "Mobility Message Authentication"
	case 10:
		return "Mobility Message Replay Protection"
	case 11:
		return "CGA Parameters Request"
	case 12:
		return "CGA Parameters"
	case 13:
		return "Signature"
	case 14:
		return "Permanent Home Keygen Token"
	case 15:
		return "Care-of Test Init"
	case 16:
		return "Care-of Test"
	}
	return ""
}

// mhStatusName names a Binding Acknowledgement status (RFC 6275, 6.1.8):
// below 128 the binding was accepted.
func mhStatusName(s uint8) string {
	switch s {
	case 0:
		return "Binding Update accepted"
	case 1:
		return "Accepted but prefix discovery necessary"
	case 128:
		return "Reason unspecified"
	case 129:
		return "Administratively prohibited"
	case 130:
		return "Insufficient resources"
	case 131:
		return "Home registration not supported"
	case 132:
		return "Not home subnet"
	case 133:
		return "Not home agent for this mobile node"
	case 134:
		return "Duplicate Address Detection failed"
	case 135:
		return "Sequence number out of window"
	case 136:
		return "Expired home nonce index"
	case 137:
		return "Expired care-of nonce index"
	case 138:
		return "Expired nonces"
	case 139:
		return "Registration type change disallowed"
	}
	return ""
}

// mhBEStatusName names a Binding Error status (RFC 6275, 6.1.9).
func mhBEStatusName(s uint8) string {
	switch s {
	case 1:
		return "Unknown binding for Home Address destination option"
	case 2:
		return "Unrecognized MH Type value"
	}
	return ""
}
