package decoder

import "encoding/binary"

// Internet Group Management Protocol, versions 1 (RFC 1112), 2 (RFC 2236)
// and 3 (RFC 3376). Versions 1 and 2, and every message but the v3 ones:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|      Type     | Max Resp Time |           Checksum            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                         Group Address                         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// A v3 Membership Query (type 0x11, 12 bytes or more; RFC 3376 4.1) goes on:
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Resv  |S| QRV |     QQIC      |     Number of Sources (N)     |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                   Source Address [1..N] (4 each)              |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// A v3 Membership Report (type 0x22; RFC 3376 4.2) is
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Type = 0x22  |    Reserved   |           Checksum            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           Reserved            |  Number of Group Records (M)  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Record Type  |  Aux Data Len |     Number of Sources (N)     |  x M
//	|                       Multicast Address                       |
//	|                   Source Address [1..N] (4 each)              |
//	|                 Auxiliary Data (Aux Data Len words)           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// A query of 8 bytes is v1 (max resp time 0) or v2; 9 to 11 bytes is
// invalid (RFC 3376 7.1). Max Resp Code and QQIC of v3 use a floating-point
// form from 128 up (4.1.1, 4.1.7).
const (
	igmpType      = 0
	igmpMaxResp   = 1
	igmpChecksum  = 2
	igmpGroup     = 4
	igmpMinLen    = 8
	igmpQRV       = 8
	igmpQQIC      = 9
	igmpNumSrc    = 10
	igmpV3QLen    = 12
	igmpNumRec    = 6
	igmpRecHdrLen = 8

	igmpQuery    = 0x11
	igmpV1Report = 0x12
	igmpV2Report = 0x16
	igmpLeave    = 0x17
	igmpV3Report = 0x22
)

// IGMP is a view of an IGMP message.
type IGMP []byte

func (h IGMP) Type() uint8        { return h[igmpType] }
func (h IGMP) MaxRespCode() uint8 { return h[igmpMaxResp] }
func (h IGMP) Checksum() uint16   { return binary.BigEndian.Uint16(h[igmpChecksum:]) }

// Group returns the group address (not present in v3 reports).
func (h IGMP) Group() []byte { return h[igmpGroup : igmpGroup+4] }

// Version returns the IGMP version the message belongs to (0 for types
// outside IGMP proper, such as DVMRP or mtrace).
func (h IGMP) Version() uint8 {
	switch h.Type() {
	case igmpQuery:
		switch {
		case len(h) >= igmpV3QLen:
			return 3
		case h.MaxRespCode() == 0:
			return 1
		}
		return 2
	case igmpV1Report:
		return 1
	case igmpV2Report, igmpLeave:
		return 2
	case igmpV3Report:
		return 3
	}
	return 0
}

// igmpTime decodes a v3 Max Resp Code or QQIC (RFC 3376 4.1.1).
func igmpTime(c uint8) uint64 {
	if c < 128 {
		return uint64(c)
	}
	return uint64(c&0x0f|0x10) << ((c>>4)&7 + 3)
}

func decodeIGMP(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < igmpMinLen {
		return ProtoNone, truncated(igmpMinLen, len(b))
	}
	n := igmpMinLen
	switch b[igmpType] {
	case igmpQuery:
		if len(b) > igmpMinLen {
			if len(b) < igmpV3QLen {
				return ProtoNone, malformed("membership query of %d bytes: want 8 (v1, v2) or 12 and more (v3)", len(b))
			}
			n = igmpV3QLen + 4*int(binary.BigEndian.Uint16(b[igmpNumSrc:]))
			if n > len(b) {
				return ProtoNone, truncated(n, len(b))
			}
		}
	case igmpV3Report:
		m := int(binary.BigEndian.Uint16(b[igmpNumRec:]))
		for i := 0; i < m; i++ {
			if n+igmpRecHdrLen > len(b) {
				return ProtoNone, truncated(n+igmpRecHdrLen, len(b))
			}
			n += igmpRecHdrLen + 4*int(b[n+1]) + 4*int(binary.BigEndian.Uint16(b[n+2:]))
			if n > len(b) {
				return ProtoNone, truncated(n, len(b))
			}
		}
	}
	l.Hdr = uint32(n)
	return ProtoNone, nil
}

func fieldsIGMP(t *Tree, p *Packet, l *Layer) {
	h := IGMP(p.Data[l.Off : l.Off+l.Hdr])
	t.Enum("type", uint64(h.Type()), igmpTypeName(h.Type()))
	t.Uint("version", uint64(h.Version()))
	switch {
	case h.Type() == igmpV3Report:
		t.Uint("reserved", uint64(h[igmpMaxResp]))
		t.Uint("checksum", uint64(h.Checksum()))
		m := binary.BigEndian.Uint16(h[igmpNumRec:])
		t.Uint("num_records", uint64(m))
		t.Array("records")
		for i, o := 0, igmpMinLen; i < int(m); i++ { // bounds checked by decodeIGMP
			aux, ns := int(h[o+1])*4, int(binary.BigEndian.Uint16(h[o+2:]))
			t.Object("")
			t.Enum("type", uint64(h[o]), igmpRecordName(h[o]))
			t.Uint("aux_len", uint64(aux))
			t.Uint("num_src", uint64(ns))
			t.IPv4("group", h[o+4:o+8])
			o += igmpRecHdrLen
			t.Array("sources")
			for j := 0; j < ns; j++ {
				t.IPv4("", h[o:o+4])
				o += 4
			}
			t.Close()
			if aux > 0 {
				t.Bytes("aux_data", h[o:o+aux])
			}
			o += aux
			t.Close()
		}
		t.Close()
	case h.Type() == igmpQuery && len(h) >= igmpV3QLen:
		t.Uint("max_resp_code", uint64(h.MaxRespCode()))
		t.Uint("max_resp_ms", igmpTime(h.MaxRespCode())*100)
		t.Uint("checksum", uint64(h.Checksum()))
		t.IPv4("group", h.Group())
		t.Bool("s", h[igmpQRV]&0x08 != 0)
		t.Uint("qrv", uint64(h[igmpQRV]&0x07))
		t.Uint("qqic", uint64(h[igmpQQIC]))
		t.Uint("qqi", igmpTime(h[igmpQQIC]))
		ns := int(binary.BigEndian.Uint16(h[igmpNumSrc:]))
		t.Uint("num_src", uint64(ns))
		t.Array("sources")
		for j, o := 0, igmpV3QLen; j < ns; j, o = j+1, o+4 {
			t.IPv4("", h[o:o+4])
		}
		t.Close()
	default:
		t.Uint("max_resp_code", uint64(h.MaxRespCode()))
		t.Uint("max_resp_ms", uint64(h.MaxRespCode())*100)
		t.Uint("checksum", uint64(h.Checksum()))
		t.IPv4("group", h.Group())
	}
}

func igmpTypeName(typ uint8) string {
	switch typ {
	case igmpQuery:
		return "Membership Query"
	case igmpV1Report:
		return "Version 1 Membership Report"
	case 0x13:
		return "DVMRP"
	case 0x14:
		return "PIM version 1"
	case 0x15:
		return "Cisco Trace Messages"
	case igmpV2Report:
		return "Version 2 Membership Report"
	case igmpLeave:
		return "Leave Group"
	case 0x1e:
		return "Multicast Traceroute Response"
	case 0x1f:
		return "Multicast Traceroute"
	case igmpV3Report:
		return "Version 3 Membership Report"
	case 0x30:
		return "Multicast Router Advertisement"
	case 0x31:
		return "Multicast Router Solicitation"
	case 0x32:
		return "Multicast Router Termination"
	}
	return ""
}

func igmpRecordName(typ uint8) string {
	switch typ {
	case 1:
		return "MODE_IS_INCLUDE"
	case 2:
		return "MODE_IS_EXCLUDE"
	case 3:
		return "CHANGE_TO_INCLUDE_MODE"
	case 4:
		return "CHANGE_TO_EXCLUDE_MODE"
	case 5:
		return "ALLOW_NEW_SOURCES"
	case 6:
		return "BLOCK_OLD_SOURCES"
	}
	return ""
}
