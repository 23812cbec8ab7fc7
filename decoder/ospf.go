package decoder

import "encoding/binary"

// OSPF common header, version 2 (RFC 2328, A.3.1) and version 3 (RFC 5340,
// A.3.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|   Version #   |     Type      |         Packet length         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                          Router ID                            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                           Area ID                             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           Checksum            |  v2: AuType   | v3: Inst ID, 0|
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|          v2 only: Authentication (8 bytes)                    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The packet length covers header and body; what follows it (the
// cryptographic authentication trailer, LLS data) is not part of the layer.
// The whole packet, body included, is this layer's header: the body is
// listed by fieldsOSPF (Hello in full, LSA headers for the others).
//
// LSA header (v2; in v3 the Options byte and LS type byte are one 16-bit
// LS type):
//
//	|            LS age             |    Options    |    LS type    |
//	|                        Link State ID                          |
//	|                     Advertising Router                        |
//	|                     LS sequence number                        |
//	|         LS checksum           |             length            |
const (
	ospfVersion  = 0
	ospfType     = 1
	ospfLength   = 2
	ospfRouterID = 4
	ospfAreaID   = 8
	ospfChecksum = 12
	ospfAuType   = 14 // v2
	ospfAuth     = 16 // v2
	ospfInstance = 14 // v3
	ospfV2HdrLen = 24
	ospfV3HdrLen = 16

	ospfHello  = 1
	ospfDBDesc = 2
	ospfLSR    = 3
	ospfLSU    = 4
	ospfLSAck  = 5

	ospfLSAHdrLen = 20
	ospfLSALength = 18
	ospfV2LSRLen  = 12
	ospfV3LSRLen  = 12

	ospfV2HelloLen  = 20 // fixed part before the neighbours
	ospfV3HelloLen  = 20
	ospfV2DBDescLen = 8
	ospfV3DBDescLen = 12
	ospfLSUCountLen = 4
)

// OSPF is a view of an OSPF packet (valid once decodeOSPF accepted it).
type OSPF []byte

func (o OSPF) Version() uint8    { return o[ospfVersion] }
func (o OSPF) Type() uint8       { return o[ospfType] }
func (o OSPF) Length() uint16    { return binary.BigEndian.Uint16(o[ospfLength:]) }
func (o OSPF) RouterID() []byte  { return o[ospfRouterID : ospfRouterID+4] }
func (o OSPF) AreaID() []byte    { return o[ospfAreaID : ospfAreaID+4] }
func (o OSPF) Checksum() uint16  { return binary.BigEndian.Uint16(o[ospfChecksum:]) }
func (o OSPF) AuType() uint16    { return binary.BigEndian.Uint16(o[ospfAuType:]) } // v2
func (o OSPF) Auth() []byte      { return o[ospfAuth : ospfAuth+8] }                // v2
func (o OSPF) InstanceID() uint8 { return o[ospfInstance] }                         // v3

// HeaderLen returns the common header length of the packet's version.
func (o OSPF) HeaderLen() int {
	if o.Version() == 3 {
		return ospfV3HdrLen
	}
	return ospfV2HdrLen
}

// Body returns the bytes after the common header, up to the packet length.
func (o OSPF) Body() []byte { return o[o.HeaderLen():o.Length()] }

func decodeOSPF(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < ospfV3HdrLen {
		return ProtoNone, truncated(ospfV3HdrLen, len(b))
	}
	o := OSPF(b)
	v := o.Version()
	if v != 2 && v != 3 {
		return ProtoNone, malformed("version %d, want 2 or 3", v)
	}
	hl := o.HeaderLen()
	if len(b) < hl {
		return ProtoNone, truncated(hl, len(b))
	}
	n := int(o.Length())
	if n < hl {
		return ProtoNone, malformed("packet length %d below the header length %d", n, hl)
	}
	if n > len(b) {
		return ProtoNone, truncated(n, len(b))
	}
	if err := checkOSPFBody(v, o.Type(), b[hl:n]); err != nil {
		return ProtoNone, err
	}
	l.End = l.Off + uint32(n)
	l.Hdr = uint32(n)
	return ProtoNone, nil
}

// checkOSPFBody validates the body of a packet of the given type, so that
// fieldsOSPF can walk it without checks.
func checkOSPFBody(v, typ uint8, body []byte) error {
	switch typ {
	case ospfHello:
		fixed := ospfV2HelloLen
		if v == 3 {
			fixed = ospfV3HelloLen
		}
		if len(body) < fixed {
			return malformed("hello body of %d bytes, need %d", len(body), fixed)
		}
		if (len(body)-fixed)%4 != 0 {
			return malformed("hello neighbour list of %d bytes is not a multiple of 4", len(body)-fixed)
		}
	case ospfDBDesc:
		fixed := ospfV2DBDescLen
		if v == 3 {
			fixed = ospfV3DBDescLen
		}
		if len(body) < fixed {
			return malformed("database description body of %d bytes, need %d", len(body), fixed)
		}
		if (len(body)-fixed)%ospfLSAHdrLen != 0 {
			return malformed("database description LSA headers of %d bytes are not a multiple of 20", len(body)-fixed)
		}
	case ospfLSR:
		if len(body)%ospfV2LSRLen != 0 {
			return malformed("link state request body of %d bytes is not a multiple of 12", len(body))
		}
	case ospfLSU:
		if len(body) < ospfLSUCountLen {
			return malformed("link state update body of %d bytes, need 4", len(body))
		}
		count := binary.BigEndian.Uint32(body)
		i := ospfLSUCountLen
		for k := uint32(0); k < count; k++ {
			if len(body)-i < ospfLSAHdrLen {
				return malformed("link state update announces %d LSAs, LSA %d has %d of 20 header bytes", count, k+1, len(body)-i)
			}
			n := int(binary.BigEndian.Uint16(body[i+ospfLSALength:]))
			if n < ospfLSAHdrLen || n > len(body)-i {
				return malformed("LSA %d: length %d outside 20..%d", k+1, n, len(body)-i)
			}
			i += n
		}
	case ospfLSAck:
		if len(body)%ospfLSAHdrLen != 0 {
			return malformed("link state acknowledgment body of %d bytes is not a multiple of 20", len(body))
		}
	default:
		return malformed("packet type %d, want 1 to 5", typ)
	}
	return nil
}

func fieldsOSPF(t *Tree, p *Packet, l *Layer) {
	o := OSPF(p.Data[l.Off:l.End])
	v, typ := o.Version(), o.Type()
	t.Uint("version", uint64(v))
	t.Enum("type", uint64(typ), ospfTypeName(typ))
	t.Uint("len", uint64(o.Length()))
	t.IPv4("router_id", o.RouterID())
	t.IPv4("area_id", o.AreaID())
	t.Uint("checksum", uint64(o.Checksum()))
	if v == 2 {
		at := o.AuType()
		t.Enum("autype", uint64(at), ospfAuTypeName(at))
		if a := o.Auth(); at == 2 {
			t.Object("auth")
			t.Uint("key_id", uint64(a[2]))
			t.Uint("auth_data_len", uint64(a[3]))
			t.Uint("crypto_seq", uint64(binary.BigEndian.Uint32(a[4:])))
			t.Close()
		} else {
			t.Bytes("auth", a)
		}
	} else {
		t.Uint("instance_id", uint64(o.InstanceID()))
	}
	if tr := ospfTrailer(p, l); len(tr) > 0 {
		// Bytes after the packet length inside the IP payload: the
		// cryptographic digest (RFC 2328 D.4.3) and/or LLS data (RFC 5613).
		t.Bytes("trailer", tr)
	}
	body := o.Body()
	switch typ {
	case ospfHello:
		fieldsOSPFHello(t, v, body)
	case ospfDBDesc:
		t.Object("db_desc")
		var flags uint8
		if v == 2 {
			t.Uint("mtu", uint64(binary.BigEndian.Uint16(body)))
			t.Uint("options", uint64(body[2]))
			flags = body[3]
			t.Uint("seq", uint64(binary.BigEndian.Uint32(body[4:])))
		} else {
			t.Uint("options", uint64(binary.BigEndian.Uint32(body)&0xffffff))
			t.Uint("mtu", uint64(binary.BigEndian.Uint16(body[4:])))
			flags = body[7]
			t.Uint("seq", uint64(binary.BigEndian.Uint32(body[8:])))
		}
		t.Object("flags")
		t.Bool("i", flags&4 != 0)
		t.Bool("m", flags&2 != 0)
		t.Bool("ms", flags&1 != 0)
		t.Close()
		fixed := ospfV2DBDescLen
		if v == 3 {
			fixed = ospfV3DBDescLen
		}
		fieldsOSPFLSAHeaders(t, "lsa_headers", v, body[fixed:], false, 0)
		t.Close()
	case ospfLSR:
		t.Array("requests")
		for i := 0; i+ospfV2LSRLen <= len(body); i += ospfV2LSRLen {
			r := body[i : i+ospfV2LSRLen]
			t.Object("")
			lt := uint32(binary.BigEndian.Uint16(r[2:]))
			if v == 2 {
				lt = binary.BigEndian.Uint32(r)
			}
			t.Enum("ls_type", uint64(lt), ospfLSATypeName(v, lt))
			t.IPv4("ls_id", r[4:8])
			t.IPv4("adv_router", r[8:12])
			t.Close()
		}
		t.Close()
	case ospfLSU:
		t.Object("ls_update")
		count := binary.BigEndian.Uint32(body)
		t.Uint("num_lsas", uint64(count))
		fieldsOSPFLSAHeaders(t, "lsas", v, body[ospfLSUCountLen:], true, count)
		t.Close()
	case ospfLSAck:
		fieldsOSPFLSAHeaders(t, "lsa_headers", v, body, false, 0)
	}
}

// ospfTrailer returns the bytes between the end of the OSPF packet and the
// end of its parent's payload (nil when decoding started at OSPF).
func ospfTrailer(p *Packet, l *Layer) []byte {
	if i := linkLayerIndex(p, l); i > 0 {
		if end := p.Layers[i-1].End; end > l.End {
			return p.Data[l.End:end]
		}
	}
	return nil
}

func fieldsOSPFHello(t *Tree, v uint8, b []byte) {
	t.Object("hello")
	if v == 2 {
		t.IPv4("network_mask", b[0:4])
		t.Uint("hello_interval", uint64(binary.BigEndian.Uint16(b[4:])))
		t.Uint("options", uint64(b[6]))
		t.Uint("priority", uint64(b[7]))
		t.Uint("dead_interval", uint64(binary.BigEndian.Uint32(b[8:])))
	} else {
		t.Uint("interface_id", uint64(binary.BigEndian.Uint32(b)))
		t.Uint("priority", uint64(b[4]))
		t.Uint("options", uint64(binary.BigEndian.Uint32(b[4:])&0xffffff))
		t.Uint("hello_interval", uint64(binary.BigEndian.Uint16(b[8:])))
		t.Uint("dead_interval", uint64(binary.BigEndian.Uint16(b[10:])))
	}
	t.IPv4("dr", b[12:16])
	t.IPv4("bdr", b[16:20])
	t.Array("neighbors")
	for i := ospfV2HelloLen; i+4 <= len(b); i += 4 {
		t.IPv4("", b[i:i+4])
	}
	t.Close()
	t.Close()
}

// fieldsOSPFLSAHeaders lists LSA headers: back to back (update false), or,
// in a link state update, count whole LSAs of which only the header is
// listed.
func fieldsOSPFLSAHeaders(t *Tree, key string, v uint8, b []byte, update bool, count uint32) {
	t.Array(key)
	for i, k := 0, uint32(0); i+ospfLSAHdrLen <= len(b); k++ {
		if update && k == count {
			break
		}
		h := b[i : i+ospfLSAHdrLen]
		n := int(binary.BigEndian.Uint16(h[ospfLSALength:]))
		t.Object("")
		t.Uint("age", uint64(binary.BigEndian.Uint16(h)))
		var lt uint32
		if v == 2 {
			t.Uint("options", uint64(h[2]))
			lt = uint32(h[3])
		} else {
			lt = uint32(binary.BigEndian.Uint16(h[2:]))
		}
		t.Enum("type", uint64(lt), ospfLSATypeName(v, lt))
		t.IPv4("id", h[4:8])
		t.IPv4("adv_router", h[8:12])
		t.Uint("seq", uint64(binary.BigEndian.Uint32(h[12:])))
		t.Uint("checksum", uint64(binary.BigEndian.Uint16(h[16:])))
		t.Uint("len", uint64(n))
		t.Close()
		if !update {
			i += ospfLSAHdrLen
		} else {
			if n < ospfLSAHdrLen {
				break // decodeOSPF rejected this; not reached
			}
			i += n
		}
	}
	t.Close()
}

func ospfTypeName(typ uint8) string {
	switch typ {
	case ospfHello:
		return "Hello"
	case ospfDBDesc:
		return "Database Description"
	case ospfLSR:
		return "Link State Request"
	case ospfLSU:
		return "Link State Update"
	case ospfLSAck:
		return "Link State Acknowledgment"
	}
	return ""
}

func ospfAuTypeName(at uint16) string {
	switch at {
	case 0:
		return "Null"
	case 1:
		return "Simple Password"
	case 2:
		return "Cryptographic"
	}
	return ""
}

// ospfLSATypeName names an LSA type (v2: RFC 2328, RFC 5250; v3: RFC 5340,
// the full 16-bit LS type with its U and S bits).
func ospfLSATypeName(v uint8, lt uint32) string {
	if v == 2 {
		switch lt {
		case 1:
			return "Router"
		case 2:
			return "Network"
		case 3:
			return "Summary-Network"
		case 4:
			return "Summary-ASBR"
		case 5:
			return "AS-External"
		case 7:
			return "NSSA"
		case 9:
			return "Opaque Link-Local"
		case 10:
			return "Opaque Area"
		case 11:
			return "Opaque AS"
		}
		return ""
	}
	switch lt {
	case 0x2001:
		return "Router"
	case 0x2002:
		return "Network"
	case 0x2003:
		return "Inter-Area-Prefix"
	case 0x2004:
		return "Inter-Area-Router"
	case 0x4005:
		return "AS-External"
	case 0x2007:
		return "NSSA"
	case 0x0008:
		return "Link"
	case 0x2009:
		return "Intra-Area-Prefix"
	}
	return ""
}
