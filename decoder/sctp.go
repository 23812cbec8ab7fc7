package decoder

import "encoding/binary"

// SCTP packet (RFC 9260, section 3; IP protocol 132): a common header, then
// chunks.
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Source Port Number        |     Destination Port Number   |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                      Verification Tag                         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                           Checksum                            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|   Chunk Type  | Chunk  Flags  |        Chunk Length           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	\                          Chunk Value                          \
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// A chunk's length counts its 4-byte header and value, not the padding
// to a multiple of 4 that follows it. The chunks are the layer's header:
// the user data of DATA and I-DATA chunks (several may share a packet,
// each its own stream) is reported inside its chunk, not as a next layer.
const (
	sctpSrcPort  = 0
	sctpDstPort  = 2
	sctpVTag     = 4
	sctpChecksum = 8
	sctpHdrLen   = 12
	sctpChunkHdr = 4
)

// SCTP is a view of an SCTP packet (common header and chunks).
type SCTP []byte

func (h SCTP) SrcPort() uint16  { return binary.BigEndian.Uint16(h[sctpSrcPort:]) }
func (h SCTP) DstPort() uint16  { return binary.BigEndian.Uint16(h[sctpDstPort:]) }
func (h SCTP) VTag() uint32     { return binary.BigEndian.Uint32(h[sctpVTag:]) }
func (h SCTP) Checksum() uint32 { return binary.BigEndian.Uint32(h[sctpChecksum:]) }

// sctpChunkNames names the chunk types (IANA "Chunk Types"; "" unassigned).
var sctpChunkNames = [256]string{
	0: "DATA", 1: "INIT", 2: "INIT_ACK", 3: "SACK", 4: "HEARTBEAT", 5: "HEARTBEAT_ACK", 6: "ABORT",
	7: "SHUTDOWN", 8: "SHUTDOWN_ACK", 9: "ERROR", 10: "COOKIE_ECHO", 11: "COOKIE_ACK", 12: "ECNE",
	13: "CWR", 14: "SHUTDOWN_COMPLETE", 15: "AUTH", 16: "NR_SACK", 64: "I_DATA", 128: "ASCONF_ACK",
	130: "RE_CONFIG", 132: "PAD", 192: "FORWARD_TSN", 193: "ASCONF", 194: "I_FORWARD_TSN",
}

// sctpChunks walks the chunks of b (after the common header), calling fn
// with each chunk's bytes (header and value, without padding). It returns
// the bytes the chunks and their padding span, and an error for a chunk
// whose length is below 4 or runs past b.
func sctpChunks(b []byte, fn func(c []byte)) (int, error) {
	off := 0
	for off < len(b) {
		if len(b)-off < sctpChunkHdr {
			return off, truncated(off+sctpChunkHdr, len(b))
		}
		n := int(binary.BigEndian.Uint16(b[off+2:]))
		if n < sctpChunkHdr {
			return off, malformed("chunk at offset %d: length %d below 4", sctpHdrLen+off, n)
		}
		if off+n > len(b) {
			return off, truncated(off+n, len(b))
		}
		if fn != nil {
			fn(b[off : off+n])
		}
		// The padding (absent after a last chunk cut by the snap length).
		off = min(off+(n+3)&^3, len(b))
	}
	return off, nil
}

func decodeSCTP(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < sctpHdrLen {
		return ProtoNone, truncated(sctpHdrLen, len(b))
	}
	n, err := sctpChunks(b[sctpHdrLen:], nil)
	if err != nil {
		return ProtoNone, err
	}
	l.Hdr = uint32(sctpHdrLen + n)
	return ProtoNone, nil
}

func fieldsSCTP(t *Tree, p *Packet, l *Layer) {
	b := SCTP(p.Data[l.Off : l.Off+l.Hdr])
	sctpCommon(t, b)
	t.Array("chunks")
	sctpChunks(b[sctpHdrLen:], func(c []byte) {
		t.Object("")
		sctpChunkFields(t, c)
		t.Close()
	})
	t.Close()
}

// fieldsSCTPPartial writes the common header of a packet whose chunks
// failed to decode.
func fieldsSCTPPartial(t *Tree, b []byte, _ error) {
	if len(b) >= sctpHdrLen {
		sctpCommon(t, SCTP(b))
	}
}

func sctpCommon(t *Tree, h SCTP) {
	t.Uint("srcport", uint64(h.SrcPort()))
	t.Uint("dstport", uint64(h.DstPort()))
	t.Uint("vtag", uint64(h.VTag()))
	t.Uint("checksum", uint64(h.Checksum()))
}

// sctpChunkFields writes one chunk: its header, then what its type holds.
// A value too short for its type's fixed fields is reported raw with an
// error.
func sctpChunkFields(t *Tree, c []byte) {
	typ, flags := c[0], c[1]
	t.Uint("type", uint64(typ))
	name := sctpChunkNames[typ]
	if name == "" {
		name = "unknown"
	}
	t.String("name", name)
	t.Uint("flags", uint64(flags))
	t.Uint("length", uint64(len(c)))
	v := c[sctpChunkHdr:]
	if len(v) < sctpFixed(typ) {
		t.String("error", "chunk value shorter than its fixed fields")
		t.Bytes("value", v)
		return
	}
	u16 := func(i int) uint64 { return uint64(binary.BigEndian.Uint16(v[i:])) }
	u32 := func(i int) uint64 { return uint64(binary.BigEndian.Uint32(v[i:])) }
	switch typ {
	case 0: // DATA
		sctpDataHead(t, flags, v)
		t.Uint("stream_seq", u16(6))
		t.Uint("ppid", u32(8))
		t.Bytes("data", v[12:])
	case 64: // I-DATA (RFC 8260)
		sctpDataHead(t, flags, v)
		t.Uint("mid", u32(8))
		if flags&0x2 != 0 {
			t.Uint("ppid", u32(12))
		} else {
			t.Uint("fsn", u32(12))
		}
		t.Bytes("data", v[16:])
	case 1, 2: // INIT, INIT_ACK
		t.Uint("init_tag", u32(0))
		t.Uint("a_rwnd", u32(4))
		t.Uint("outbound_streams", u16(8))
		t.Uint("inbound_streams", u16(10))
		t.Uint("initial_tsn", u32(12))
		sctpTLVs(t, "params", v[16:])
	case 3: // SACK
		t.Uint("cum_tsn_ack", u32(0))
		t.Uint("a_rwnd", u32(4))
		gaps, dups := int(u16(8)), int(u16(10))
		rest := v[12:]
		t.Array("gap_blocks")
		for i := 0; i < gaps && len(rest) >= 4; i++ {
			t.Object("")
			t.Uint("start", uint64(binary.BigEndian.Uint16(rest)))
			t.Uint("end", uint64(binary.BigEndian.Uint16(rest[2:])))
			t.Close()
			rest = rest[4:]
		}
		t.Close()
		t.Array("dup_tsns")
		for i := 0; i < dups && len(rest) >= 4; i++ {
			t.Uint("", uint64(binary.BigEndian.Uint32(rest)))
			rest = rest[4:]
		}
		t.Close()
		if len(rest) != 0 || gaps*4+dups*4 > len(v)-12 {
			t.String("error", "gap blocks and duplicate TSNs do not match the chunk length")
		}
	case 4, 5: // HEARTBEAT, HEARTBEAT_ACK
		sctpTLVs(t, "params", v)
	case 6, 9: // ABORT, ERROR
		if typ == 6 {
			t.Bool("t", flags&0x1 != 0)
		}
		sctpTLVs(t, "causes", v)
	case 7: // SHUTDOWN
		t.Uint("cum_tsn_ack", u32(0))
	case 10: // COOKIE_ECHO
		t.Bytes("cookie", v)
	case 12, 13: // ECNE, CWR
		t.Uint("lowest_tsn", u32(0))
	case 14: // SHUTDOWN_COMPLETE
		t.Bool("t", flags&0x1 != 0)
	case 192: // FORWARD_TSN
		t.Uint("new_cum_tsn", u32(0))
		t.Array("streams")
		for rest := v[4:]; len(rest) >= 4; rest = rest[4:] {
			t.Object("")
			t.Uint("stream_id", uint64(binary.BigEndian.Uint16(rest)))
			t.Uint("stream_seq", uint64(binary.BigEndian.Uint16(rest[2:])))
			t.Close()
		}
		t.Close()
	case 8, 11: // SHUTDOWN_ACK, COOKIE_ACK: no value
		if len(v) != 0 {
			t.Bytes("value", v)
		}
	default:
		t.Bytes("value", v)
	}
}

// sctpDataHead writes what DATA and I-DATA chunks share: the flags, the
// TSN and the stream.
func sctpDataHead(t *Tree, flags uint8, v []byte) {
	t.Bool("immediate", flags&0x8 != 0)
	t.Bool("unordered", flags&0x4 != 0)
	t.Bool("beginning", flags&0x2 != 0)
	t.Bool("ending", flags&0x1 != 0)
	t.Uint("tsn", uint64(binary.BigEndian.Uint32(v)))
	t.Uint("stream_id", uint64(binary.BigEndian.Uint16(v[4:])))
}

// sctpFixed returns the bytes of a chunk type's fixed fields.
func sctpFixed(typ uint8) int {
	switch typ {
	case 0, 3: // DATA, SACK
		return 12
	case 1, 2, 64: // INIT, INIT_ACK, I-DATA
		return 16
	case 7, 12, 13, 192: // SHUTDOWN, ECNE, CWR, FORWARD_TSN
		return 4
	}
	return 0
}

// sctpTLVs writes the parameters or error causes of a chunk (type, length,
// value; each padded to 4 bytes).
func sctpTLVs(t *Tree, key string, b []byte) {
	t.Array(key)
	for len(b) >= 4 {
		typ, n := binary.BigEndian.Uint16(b), int(binary.BigEndian.Uint16(b[2:]))
		t.Object("")
		t.Uint("type", uint64(typ))
		t.Uint("length", uint64(n))
		if n < 4 || n > len(b) {
			t.String("error", "length outside the chunk")
			t.Bytes("value", b[4:])
			t.Close()
			b = nil
			break
		}
		t.Bytes("value", b[4:n])
		t.Close()
		b = b[min((n+3)&^3, len(b)):]
	}
	t.Close()
}
