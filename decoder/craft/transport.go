package craft

import (
	"fmt"
)

// TCP flags (the low 9 bits of the header's 13th and 14th bytes).
const (
	FIN uint16 = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
	NS
)

// TCP is a TCP header (RFC 9293). The data offset and the checksum are
// computed; the options are padded with zeros to a multiple of 4 bytes.
type TCP struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            uint16
	Window           uint16
	Urgent           uint16
	Options          []TCPOption
}

// TCPOption is one TCP option, made by the TCP* constructors. It holds its
// bytes inline, so building options does not allocate.
type TCPOption struct {
	kind uint8
	n    uint8 // data length; 0xff: invalid (too long)
	data [38]byte
}

// Kind returns the option kind.
func (o TCPOption) Kind() uint8 { return o.kind }

// Data returns the option's value bytes (after kind and length).
func (o TCPOption) Data() []byte {
	if o.n == 0xff {
		return nil
	}
	return o.data[:o.n]
}

// TCP option kinds.
const (
	TCPOptEnd        uint8 = 0
	TCPOptNop        uint8 = 1
	TCPOptMSS        uint8 = 2
	TCPOptWScale     uint8 = 3
	TCPOptSACKPerm   uint8 = 4
	TCPOptSACK       uint8 = 5
	TCPOptTimestamps uint8 = 8
)

// TCPNop is the no-operation option (one byte).
func TCPNop() TCPOption { return TCPOption{kind: TCPOptNop} }

// TCPEnd is the end-of-options option (one byte).
func TCPEnd() TCPOption { return TCPOption{kind: TCPOptEnd} }

// TCPMSS is the maximum segment size option.
func TCPMSS(mss uint16) TCPOption {
	o := TCPOption{kind: TCPOptMSS, n: 2}
	be.PutUint16(o.data[:], mss)
	return o
}

// TCPWindowScale is the window scale option (RFC 7323) with a shift count.
func TCPWindowScale(shift uint8) TCPOption {
	o := TCPOption{kind: TCPOptWScale, n: 1}
	o.data[0] = shift
	return o
}

// TCPSACKPermitted is the SACK-permitted option (RFC 2018).
func TCPSACKPermitted() TCPOption { return TCPOption{kind: TCPOptSACKPerm} }

// SACKBlock is one selective acknowledgement block: [Left, Right).
type SACKBlock struct{ Left, Right uint32 }

// TCPSACK is the SACK option with up to 4 blocks; more make Build fail.
func TCPSACK(blocks ...SACKBlock) TCPOption {
	o := TCPOption{kind: TCPOptSACK}
	if len(blocks) > 4 {
		o.n = 0xff
		return o
	}
	for i, bl := range blocks {
		be.PutUint32(o.data[8*i:], bl.Left)
		be.PutUint32(o.data[8*i+4:], bl.Right)
	}
	o.n = uint8(8 * len(blocks))
	return o
}

// TCPTimestamps is the timestamps option (RFC 7323).
func TCPTimestamps(val, echo uint32) TCPOption {
	o := TCPOption{kind: TCPOptTimestamps, n: 8}
	be.PutUint32(o.data[:], val)
	be.PutUint32(o.data[4:], echo)
	return o
}

// TCPOptionRaw is an option of any kind with the given value bytes (at
// most 38; more make Build fail).
func TCPOptionRaw(kind uint8, data []byte) TCPOption {
	o := TCPOption{kind: kind}
	if len(data) > len(o.data) {
		o.n = 0xff
		return o
	}
	o.n = uint8(copy(o.data[:], data))
	return o
}

func (*TCP) ipProto() uint8 { return ProtoTCP }

func (h *TCP) appendHeader(b []byte, _ Layer) ([]byte, error) {
	if h.Flags > 0x1ff {
		return b, fmt.Errorf("tcp: flags %#x above 9 bits", h.Flags)
	}
	start := len(b)
	b = be.AppendUint16(b, h.SrcPort)
	b = be.AppendUint16(b, h.DstPort)
	b = be.AppendUint32(b, h.Seq)
	b = be.AppendUint32(b, h.Ack)
	b = be.AppendUint16(b, h.Flags) // data offset set below
	b = be.AppendUint16(b, h.Window)
	b = append(b, 0, 0)
	b = be.AppendUint16(b, h.Urgent)
	for _, o := range h.Options {
		if o.kind == TCPOptEnd || o.kind == TCPOptNop {
			b = append(b, o.kind)
			continue
		}
		if o.n == 0xff {
			return b, fmt.Errorf("tcp: option %d too long", o.kind)
		}
		b = append(b, o.kind, 2+o.n)
		b = append(b, o.data[:o.n]...)
	}
	for (len(b)-start)%4 != 0 {
		b = append(b, 0)
	}
	hl := len(b) - start
	if hl > 60 {
		return b, fmt.Errorf("tcp: header with options is %d bytes, at most 60", hl)
	}
	b[start+12] |= uint8(hl/4) << 4
	return b, nil
}

func (h *TCP) finish(f *frame, i int) error {
	p := f.span(i)
	sum, _, err := f.pseudoHeaderSum(i, ProtoTCP, len(p))
	if err != nil {
		return fmt.Errorf("tcp: %w", err)
	}
	be.PutUint16(p[16:], fold(sumBytes(sum, p)))
	return nil
}

// UDP is a UDP header (RFC 768). Length and checksum are computed.
type UDP struct {
	SrcPort, DstPort uint16
	// NoChecksum leaves the checksum zero (allowed over IPv4 only).
	NoChecksum bool
}

func (*UDP) ipProto() uint8 { return ProtoUDP }

func (h *UDP) appendHeader(b []byte, _ Layer) ([]byte, error) {
	b = be.AppendUint16(b, h.SrcPort)
	b = be.AppendUint16(b, h.DstPort)
	return append(b, 0, 0, 0, 0), nil
}

func (h *UDP) finish(f *frame, i int) error {
	p := f.span(i)
	if len(p) > 0xffff {
		return fmt.Errorf("udp: datagram of %d bytes", len(p))
	}
	be.PutUint16(p[4:], uint16(len(p)))
	sum, v6, err := f.pseudoHeaderSum(i, ProtoUDP, len(p))
	if err != nil {
		return fmt.Errorf("udp: %w", err)
	}
	if h.NoChecksum {
		if v6 {
			return fmt.Errorf("udp: a zero checksum is not allowed over IPv6")
		}
		return nil
	}
	c := fold(sumBytes(sum, p))
	if c == 0 {
		c = 0xffff // zero means "no checksum"
	}
	be.PutUint16(p[6:], c)
	return nil
}
