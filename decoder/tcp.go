package decoder

import (
	"encoding/binary"
	"errors"
)

// TCP header (RFC 9293, section 3.1; NS bit RFC 3540, CWR/ECE RFC 3168):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|          Source Port          |       Destination Port        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                        Sequence Number                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Acknowledgment Number                      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Data |     |N|C|E|U|A|P|R|S|F|                               |
//	| Offset| Rsv |S|W|C|R|C|S|S|Y|I|            Window             |
//	|       |     | |R|E|G|K|H|T|N|N|                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           Checksum            |         Urgent Pointer        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Options                    |    Padding    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const (
	tcpSrcPort  = 0
	tcpDstPort  = 2
	tcpSeq      = 4
	tcpAck      = 8
	tcpOffFlags = 12 // data offset (4 bits), reserved (3), NS, then 8 flag bits
	tcpWindow   = 14
	tcpChecksum = 16
	tcpUrgent   = 18
	tcpMinLen   = 20
)

// TCP flag bits as they sit in the low 9 bits of the 16-bit word at offset 12.
const (
	TCPFin uint16 = 1 << iota
	TCPSyn
	TCPRst
	TCPPsh
	TCPAck
	TCPUrg
	TCPEce
	TCPCwr
	TCPNs
)

// TCP is a view of a TCP header. Accessors other than Options need 20
// bytes; Options needs the whole header (valid once decodeTCP accepted it).
type TCP []byte

func (h TCP) SrcPort() uint16  { return binary.BigEndian.Uint16(h[tcpSrcPort:]) }
func (h TCP) DstPort() uint16  { return binary.BigEndian.Uint16(h[tcpDstPort:]) }
func (h TCP) Seq() uint32      { return binary.BigEndian.Uint32(h[tcpSeq:]) }
func (h TCP) Ack() uint32      { return binary.BigEndian.Uint32(h[tcpAck:]) }
func (h TCP) DataOffset() int  { return int(h[tcpOffFlags]>>4) * 4 } // header length in bytes
func (h TCP) Flags() uint16    { return binary.BigEndian.Uint16(h[tcpOffFlags:]) & 0x01ff }
func (h TCP) Window() uint16   { return binary.BigEndian.Uint16(h[tcpWindow:]) }
func (h TCP) Checksum() uint16 { return binary.BigEndian.Uint16(h[tcpChecksum:]) }
func (h TCP) Urgent() uint16   { return binary.BigEndian.Uint16(h[tcpUrgent:]) }
func (h TCP) Options() []byte  { return h[tcpMinLen:h.DataOffset()] }

func decodeTCP(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < tcpMinLen {
		return ProtoNone, truncated(tcpMinLen, len(b))
	}
	h := TCP(b)
	off := h.DataOffset()
	if off < tcpMinLen {
		return ProtoNone, malformed("data offset %d below 20", off)
	}
	if off > len(b) {
		return ProtoNone, truncated(off, len(b))
	}
	l.Hdr = uint32(off)
	if off == len(b) {
		return ProtoNone, nil
	}
	return portProto(ProtoTCP, h.SrcPort(), h.DstPort(), b[off:]), nil
}

func fieldsTCP(t *Tree, p *Packet, l *Layer) {
	h := TCP(p.Data[l.Off:l.End])
	t.Uint("srcport", uint64(h.SrcPort()))
	t.Uint("dstport", uint64(h.DstPort()))
	t.Uint("seq", uint64(h.Seq()))
	t.Uint("ack", uint64(h.Ack()))
	t.Uint("hdr_len", uint64(h.DataOffset()))
	fieldsTCPFlags(t, h.Flags())
	t.Uint("window_size", uint64(h.Window()))
	t.Uint("checksum", uint64(h.Checksum()))
	t.Uint("urgent_pointer", uint64(h.Urgent()))
	if !inIPFragment(p, l) {
		// In a first fragment the segment's length is unknown (tshark
		// omits tcp.len there too).
		t.Uint("len", uint64(tcpSegmentLen(p, l)))
	}
	if opts := h.Options(); len(opts) > 0 {
		fieldsTCPOptions(t, opts)
	}
}

// fieldsTCPPartial writes what a TCP header that failed to decode still
// shows, as tshark does: the ports of a header cut short (a tiny first
// fragment), the fixed fields when only the options are cut, and the
// sequence number next to a bad data offset.
func fieldsTCPPartial(t *Tree, b []byte, err error) {
	h := TCP(b)
	if len(b) < tcpDstPort+2 {
		return
	}
	t.Uint("srcport", uint64(h.SrcPort()))
	t.Uint("dstport", uint64(h.DstPort()))
	if len(b) < tcpMinLen {
		return
	}
	t.Uint("seq", uint64(h.Seq()))
	if !errors.Is(err, ErrTruncated) {
		t.Uint("hdr_len", uint64(h.DataOffset()))
		return
	}
	t.Uint("ack", uint64(h.Ack()))
	t.Uint("hdr_len", uint64(h.DataOffset()))
	fieldsTCPFlags(t, h.Flags())
	t.Uint("window_size", uint64(h.Window()))
}

func fieldsTCPFlags(t *Tree, f uint16) {
	t.Object("flags")
	t.Bool("ns", f&TCPNs != 0)
	t.Bool("cwr", f&TCPCwr != 0)
	t.Bool("ece", f&TCPEce != 0)
	t.Bool("urg", f&TCPUrg != 0)
	t.Bool("ack", f&TCPAck != 0)
	t.Bool("psh", f&TCPPsh != 0)
	t.Bool("rst", f&TCPRst != 0)
	t.Bool("syn", f&TCPSyn != 0)
	t.Bool("fin", f&TCPFin != 0)
	t.Close()
}

// tcpSegmentLen returns the length of the segment's data as the enclosing
// IP header states it (as tshark's tcp.len does), which exceeds the bytes
// captured when the frame was cut by the snap length. Without a usable IP
// length it is the bytes present.
func tcpSegmentLen(p *Packet, l *Layer) int {
	have := int(l.End - l.Off - l.Hdr)
	if end, ok := ipClaimedEnd(p, l); ok {
		if n := end - int(l.Off) - int(l.Hdr); n >= have {
			return n
		}
	}
	return have
}

// TCP option kinds (IANA tcp-parameters).
const (
	tcpOptEOL       = 0
	tcpOptNOP       = 1
	tcpOptMSS       = 2
	tcpOptWScale    = 3
	tcpOptSACKPerm  = 4
	tcpOptSACK      = 5
	tcpOptTimestamp = 8
	tcpOptMD5       = 19
	tcpOptUTO       = 28
	tcpOptAO        = 29
	tcpOptMPTCP     = 30
	tcpOptFastOpen  = 34
)

func tcpOptName(kind uint8) string {
	switch kind {
	case tcpOptEOL:
		return "EOL"
	case tcpOptNOP:
		return "NOP"
	case tcpOptMSS:
		return "MSS"
	case tcpOptWScale:
		return "WS"
	case tcpOptSACKPerm:
		return "SACK_PERM"
	case tcpOptSACK:
		return "SACK"
	case tcpOptTimestamp:
		return "TS"
	case tcpOptMD5:
		return "MD5"
	case tcpOptUTO:
		return "UTO"
	case tcpOptAO:
		return "TCP-AO"
	case tcpOptMPTCP:
		return "MPTCP"
	case tcpOptFastOpen:
		return "TFO"
	case 253, 254:
		return "EXP"
	}
	return ""
}

// mptcpSubtypeName names an MPTCP option subtype (RFC 8684, section 3).
func mptcpSubtypeName(st uint8) string {
	switch st {
	case 0:
		return "MP_CAPABLE"
	case 1:
		return "MP_JOIN"
	case 2:
		return "DSS"
	case 3:
		return "ADD_ADDR"
	case 4:
		return "REMOVE_ADDR"
	case 5:
		return "MP_PRIO"
	case 6:
		return "MP_FAIL"
	case 7:
		return "MP_FASTCLOSE"
	case 8:
		return "MP_TCPRST"
	case 15:
		return "MP_EXPERIMENTAL"
	}
	return ""
}

// fieldsTCPOptions lists the options in order. An option whose length does
// not fit the list ends it with an "error" entry; an option whose length is
// wrong for its kind keeps its raw data and an "error" inside it. The frame
// itself stays decoded either way.
func fieldsTCPOptions(t *Tree, b []byte) {
	t.Array("options")
	for i := 0; i < len(b); {
		kind := b[i]
		if kind == tcpOptEOL || kind == tcpOptNOP {
			t.Object("")
			t.Enum("kind", uint64(kind), tcpOptName(kind))
			t.Close()
			i++
			if kind == tcpOptEOL {
				break // the rest is padding
			}
			continue
		}
		if i+1 >= len(b) {
			t.Object("")
			t.Enum("kind", uint64(kind), tcpOptName(kind))
			t.String("error", "option length missing")
			t.Close()
			break
		}
		n := int(b[i+1])
		if n < 2 || i+n > len(b) {
			t.Object("")
			t.Enum("kind", uint64(kind), tcpOptName(kind))
			t.Uint("length", uint64(n))
			if n < 2 {
				t.String("error", "option length below 2")
			} else {
				t.String("error", "option length beyond the header")
			}
			t.Close()
			break
		}
		t.Object("")
		t.Enum("kind", uint64(kind), tcpOptName(kind))
		t.Uint("length", uint64(n))
		fieldsTCPOption(t, kind, b[i+2:i+n])
		t.Close()
		i += n
	}
	t.Close()
}

// fieldsTCPOption writes the value of one option (its bytes after kind and
// length).
func fieldsTCPOption(t *Tree, kind uint8, v []byte) {
	switch kind {
	case tcpOptMSS:
		if len(v) == 2 {
			t.Uint("mss", uint64(binary.BigEndian.Uint16(v)))
			return
		}
	case tcpOptWScale:
		if len(v) == 1 {
			t.Uint("shift", uint64(v[0]))
			t.Uint("multiplier", 1<<min(v[0], 14))
			return
		}
	case tcpOptSACKPerm:
		if len(v) == 0 {
			return
		}
	case tcpOptSACK:
		if len(v) > 0 && len(v)%8 == 0 {
			t.Array("blocks")
			for j := 0; j < len(v); j += 8 {
				t.Object("")
				t.Uint("left", uint64(binary.BigEndian.Uint32(v[j:])))
				t.Uint("right", uint64(binary.BigEndian.Uint32(v[j+4:])))
				t.Close()
			}
			t.Close()
			return
		}
	case tcpOptTimestamp:
		if len(v) == 8 {
			t.Uint("tsval", uint64(binary.BigEndian.Uint32(v)))
			t.Uint("tsecr", uint64(binary.BigEndian.Uint32(v[4:])))
			return
		}
	case tcpOptMD5:
		if len(v) == 16 {
			t.Bytes("digest", v)
			return
		}
	case tcpOptUTO:
		if len(v) == 2 {
			u := binary.BigEndian.Uint16(v)
			t.Bool("granularity", u&0x8000 != 0) // set: minutes, clear: seconds
			t.Uint("timeout", uint64(u&0x7fff))
			return
		}
	case tcpOptAO: // RFC 5925, section 2.2
		if len(v) >= 2 {
			t.Uint("keyid", uint64(v[0]))
			t.Uint("rnextkeyid", uint64(v[1]))
			t.Bytes("mac", v[2:])
			return
		}
	case tcpOptMPTCP: // RFC 8684, section 3
		if len(v) >= 1 {
			st := v[0] >> 4
			t.Enum("subtype", uint64(st), mptcpSubtypeName(st))
			if st == 0 {
				t.Uint("version", uint64(v[0]&0x0f))
			}
			t.Bytes("data", v)
			return
		}
	case tcpOptFastOpen: // RFC 7413, section 4.1.1: empty (request) or 4..16 bytes
		if len(v) == 0 || (len(v) >= 4 && len(v) <= 16) {
			t.Bytes("cookie", v)
			return
		}
	default:
		t.Bytes("data", v)
		return
	}
	// A known kind with a length its format does not allow.
	t.Bytes("data", v)
	t.String("error", "invalid length for option kind")
}
