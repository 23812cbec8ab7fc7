package craft

import (
	"errors"
	"fmt"
	"net/netip"
)

// ICMP message types used by the generator and tests.
const (
	ICMPEchoReply   uint8 = 0
	ICMPEchoRequest uint8 = 8

	ICMPv6EchoRequest          uint8 = 128
	ICMPv6EchoReply            uint8 = 129
	ICMPv6NeighborSolicitation uint8 = 135
	ICMPv6NeighborAdvert       uint8 = 136
)

// ICMP is an ICMPv4 header (RFC 792). ID and Seq fill the second word
// (echo, timestamp, information messages); the checksum is computed over the
// message.
type ICMP struct {
	Type, Code uint8
	ID, Seq    uint16
}

func (*ICMP) ipProto() uint8 { return ProtoICMP }

func (h *ICMP) appendHeader(b []byte, _ Layer) ([]byte, error) {
	b = append(b, h.Type, h.Code, 0, 0)
	b = be.AppendUint16(b, h.ID)
	return be.AppendUint16(b, h.Seq), nil
}

func (h *ICMP) finish(f *frame, i int) error {
	p := f.span(i)
	be.PutUint16(p[2:], fold(sumBytes(0, p)))
	return nil
}

// icmpv6Finish writes the ICMPv6 checksum (pseudo-header included).
func icmpv6Finish(f *frame, i int) error {
	p := f.span(i)
	sum, v6, err := f.pseudoHeaderSum(i, ProtoICMPv6, len(p))
	if err != nil {
		return fmt.Errorf("icmpv6: %w", err)
	}
	if !v6 {
		return errors.New("icmpv6: enclosing IP layer is IPv4")
	}
	be.PutUint16(p[2:], fold(sumBytes(sum, p)))
	return nil
}

// ICMPv6 is an ICMPv6 header (RFC 4443) whose second word is ID and Seq
// (echo request and reply).
type ICMPv6 struct {
	Type, Code uint8
	ID, Seq    uint16
}

func (*ICMPv6) ipProto() uint8 { return ProtoICMPv6 }

func (h *ICMPv6) appendHeader(b []byte, _ Layer) ([]byte, error) {
	b = append(b, h.Type, h.Code, 0, 0)
	b = be.AppendUint16(b, h.ID)
	return be.AppendUint16(b, h.Seq), nil
}

func (h *ICMPv6) finish(f *frame, i int) error { return icmpv6Finish(f, i) }

// NeighborSolicitation is an ICMPv6 Neighbor Solicitation (RFC 4861,
// section 4.3), with a Source Link-Layer Address option unless SourceMAC
// is zero.
type NeighborSolicitation struct {
	Target    netip.Addr
	SourceMAC MAC
}

func (*NeighborSolicitation) ipProto() uint8 { return ProtoICMPv6 }

func (h *NeighborSolicitation) appendHeader(b []byte, _ Layer) ([]byte, error) {
	if !h.Target.Is6() {
		return b, errors.New("neighbor solicitation: target must be IPv6")
	}
	b = append(b, ICMPv6NeighborSolicitation, 0, 0, 0, 0, 0, 0, 0)
	t := h.Target.As16()
	b = append(b, t[:]...)
	if h.SourceMAC != (MAC{}) {
		b = append(b, 1, 1) // source link-layer address, 8 bytes
		b = append(b, h.SourceMAC[:]...)
	}
	return b, nil
}

func (h *NeighborSolicitation) finish(f *frame, i int) error { return icmpv6Finish(f, i) }

// NeighborAdvertisement is an ICMPv6 Neighbor Advertisement (RFC 4861,
// section 4.4), with a Target Link-Layer Address option unless TargetMAC
// is zero.
type NeighborAdvertisement struct {
	Router, Solicited, Override bool
	Target                      netip.Addr
	TargetMAC                   MAC
}

func (*NeighborAdvertisement) ipProto() uint8 { return ProtoICMPv6 }

func (h *NeighborAdvertisement) appendHeader(b []byte, _ Layer) ([]byte, error) {
	if !h.Target.Is6() {
		return b, errors.New("neighbor advertisement: target must be IPv6")
	}
	var fl uint8
	if h.Router {
		fl |= 0x80
	}
	if h.Solicited {
		fl |= 0x40
	}
	if h.Override {
		fl |= 0x20
	}
	b = append(b, ICMPv6NeighborAdvert, 0, 0, 0, fl, 0, 0, 0)
	t := h.Target.As16()
	b = append(b, t[:]...)
	if h.TargetMAC != (MAC{}) {
		b = append(b, 2, 1) // target link-layer address, 8 bytes
		b = append(b, h.TargetMAC[:]...)
	}
	return b, nil
}

func (h *NeighborAdvertisement) finish(f *frame, i int) error { return icmpv6Finish(f, i) }
