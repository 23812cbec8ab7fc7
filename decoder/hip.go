package decoder

import "encoding/binary"

// Host Identity Protocol header (RFC 7401, section 5.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Next Header   | Header Length |0| Packet Type |Version| RES.|1|
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|          Checksum             |           Controls            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                Sender's Host Identity Tag (HIT)  (16)         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|               Receiver's Host Identity Tag (HIT) (16)         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	/                        HIP Parameters                         /
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Header Length counts 8-octet units after the first 8. The two fixed bits
// (0 before the packet type, 1 at the end of the fourth byte) tell HIP apart
// from SHIM6, which shares IP protocol 139. Parameters (5.2.1) are TLVs with
// a 16-bit type and a 16-bit length of the contents, padded so that each
// parameter is a multiple of 8 bytes long.
const (
	hipNext     = 0
	hipLen      = 1
	hipType     = 2
	hipVersion  = 3
	hipChecksum = 4
	hipControls = 6
	hipSender   = 8
	hipReceiver = 24
	hipParams   = 40
	hipMinLen   = 40
)

// HIP is a view of a HIP header.
type HIP []byte

func (h HIP) NextHeader() uint8 { return h[hipNext] }
func (h HIP) HdrLen() int       { return (int(h[hipLen]) + 1) * 8 }
func (h HIP) PacketType() uint8 { return h[hipType] & 0x7f }
func (h HIP) Version() uint8    { return h[hipVersion] >> 4 }
func (h HIP) Checksum() uint16  { return binary.BigEndian.Uint16(h[hipChecksum:]) }
func (h HIP) Controls() uint16  { return binary.BigEndian.Uint16(h[hipControls:]) }
func (h HIP) SenderHIT() []byte { return h[hipSender : hipSender+16] }
func (h HIP) ReceiverHIT() []byte {
	return h[hipReceiver : hipReceiver+16]
}

// Params returns the parameter area.
func (h HIP) Params() []byte { return h[hipParams:h.HdrLen()] }

// hipParamLen returns the padded length of a parameter whose contents are
// n bytes long: 4 bytes of type and length, the contents, padding to 8.
func hipParamLen(n int) int { return (4 + n + 7) &^ 7 }

func decodeHIP(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < hipMinLen {
		return ProtoNone, truncated(hipMinLen, len(b))
	}
	h := HIP(b)
	if b[hipType]&0x80 != 0 || b[hipVersion]&1 != 1 {
		return ProtoNone, malformed("fixed bits %d and %d, want 0 and 1 (SHIM6 or not HIP)", b[hipType]>>7, b[hipVersion]&1)
	}
	n := h.HdrLen()
	if n < hipMinLen {
		return ProtoNone, malformed("header length %d below %d", n, hipMinLen)
	}
	if n > len(b) {
		return ProtoNone, truncated(n, len(b))
	}
	params := b[hipParams:n]
	for i := 0; i < len(params); {
		if i+4 > len(params) {
			return ProtoNone, malformed("parameter at offset %d: %d bytes left, need 4", hipParams+i, len(params)-i)
		}
		pl := int(binary.BigEndian.Uint16(params[i+2:]))
		if i+4+pl > len(params) {
			return ProtoNone, malformed("parameter %d at offset %d: length %d overruns the header by %d",
				binary.BigEndian.Uint16(params[i:]), hipParams+i, pl, i+4+pl-len(params))
		}
		i += hipParamLen(pl)
	}
	l.Hdr = uint32(n)
	return ipProtoProto(h.NextHeader()), nil
}

func fieldsHIP(t *Tree, p *Packet, l *Layer) {
	h := HIP(p.Data[l.Off : l.Off+l.Hdr])
	t.Enum("next", uint64(h.NextHeader()), ipProtoName(h.NextHeader()))
	t.Uint("length", uint64(h.HdrLen()))
	t.Enum("type", uint64(h.PacketType()), hipPacketName(h.PacketType()))
	t.Uint("version", uint64(h.Version()))
	t.Uint("checksum", uint64(h.Checksum()))
	t.Object("control")
	t.Bool("anonymous", h.Controls()&1 != 0)
	t.Uint("value", uint64(h.Controls()))
	t.Close()
	t.IPv6("shit", h.SenderHIT())
	t.IPv6("rhit", h.ReceiverHIT())
	t.Array("parameters")
	params := h.Params()
	for i := 0; i+4 <= len(params); {
		typ := binary.BigEndian.Uint16(params[i:])
		pl := int(binary.BigEndian.Uint16(params[i+2:]))
		t.Object("")
		t.Enum("type", uint64(typ), hipParamName(typ))
		t.Bool("critical", typ&1 != 0)
		t.Uint("length", uint64(pl))
		t.Bytes("value", params[i+4:i+4+pl]) // bounds checked by decodeHIP
		t.Close()
		i += hipParamLen(pl)
	}
	t.Close()
}

func hipPacketName(typ uint8) string {
	switch typ {
	case 1:
		return "I1"
	case 2:
		return "R1"
	case 3:
		return "I2"
	case 4:
		return "R2"
	case 16:
		return "UPDATE"
	case 17:
		return "NOTIFY"
	case 18:
		return "CLOSE"
	case 19:
		return "CLOSE_ACK"
	case 20:
		return "HDRR"
	case 32:
		return "HIP_DATA"
	}
	return ""
}

// hipParamName names a HIP parameter type (IANA hip-parameters).
func hipParamName(typ uint16) string {
	switch typ {
	case 65:
		return "ESP_INFO"
	case 128:
		return "R1_COUNTER (v1)"
	case 129:
		return "R1_COUNTER"
	case 193:
		return "LOCATOR_SET"
	case 257:
		return "PUZZLE"
	case 321:
		return "SOLUTION"
	case 385:
		return "SEQ"
	case 449:
		return "ACK"
	case 511:
		return "DH_GROUP_LIST"
	case 513:
		return "DIFFIE_HELLMAN"
	case 579:
		return "HIP_CIPHER"
	case 641:
		return "ENCRYPTED"
	case 705:
		return "HOST_ID"
	case 715:
		return "HIT_SUITE_LIST"
	case 768:
		return "CERT"
	case 832:
		return "NOTIFICATION"
	case 897:
		return "ECHO_REQUEST_SIGNED"
	case 930:
		return "REG_INFO"
	case 932:
		return "REG_REQUEST"
	case 934:
		return "REG_RESPONSE"
	case 936:
		return "REG_FAILED"
	case 950:
		return "REG_FROM"
	case 961:
		return "ECHO_RESPONSE_SIGNED"
	case 2049:
		return "TRANSPORT_FORMAT_LIST"
	case 4095:
		return "ESP_TRANSFORM"
	case 4481:
		return "SEQ_DATA"
	case 4545:
		return "ACK_DATA"
	case 4577:
		return "PAYLOAD_MIC"
	case 4580:
		return "TRANSACTION_ID"
	case 4592:
		return "OVERLAY_ID"
	case 4601:
		return "ROUTE_DST"
	case 7680:
		return "HIP_TRANSPORT_MODE"
	case 61505:
		return "HIP_MAC"
	case 61569:
		return "HIP_MAC_2"
	case 61633:
		return "HIP_SIGNATURE_2"
	case 61697:
		return "HIP_SIGNATURE"
	case 63425:
		return "ECHO_RESPONSE_UNSIGNED"
	case 63661:
		return "ECHO_REQUEST_UNSIGNED"
	case 63998:
		return "RELAY_FROM"
	case 64002:
		return "RELAY_TO"
	case 64011:
		return "OVERLAY_TTL"
	case 64017:
		return "ROUTE_VIA"
	case 65498:
		return "FROM"
	case 65500:
		return "RVS_HMAC"
	case 65502:
		return "VIA_RVS"
	case 65520:
		return "RELAY_HMAC"
	}
	return ""
}
