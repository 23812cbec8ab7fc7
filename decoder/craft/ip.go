package craft

import (
	"errors"
	"fmt"
	"net/netip"
)

// IP protocol numbers of the layers this package builds.
const (
	ProtoHopByHop    uint8 = 0
	ProtoICMP        uint8 = 1
	ProtoIPIP        uint8 = 4
	ProtoTCP         uint8 = 6
	ProtoUDP         uint8 = 17
	ProtoIPv6        uint8 = 41
	ProtoRouting     uint8 = 43
	ProtoFragment    uint8 = 44
	ProtoICMPv6      uint8 = 58
	ProtoNoNext      uint8 = 59
	ProtoDestination uint8 = 60
)

// IPv4 is an IPv4 header (RFC 791). Total length and header checksum are
// computed.
type IPv4 struct {
	TOS uint8
	ID  uint16
	// Evil is the reserved flag bit (RFC 3514).
	Evil, DF, MF bool
	// FragOffset is the fragment offset in bytes (a multiple of 8).
	FragOffset uint16
	TTL        uint8
	// Protocol zero derives it from the next layer. A fragment whose payload
	// is opaque bytes must set it.
	Protocol uint8
	Src, Dst netip.Addr
	Options  []IPv4Option
}

// IPv4Option is one IPv4 option. Types 0 (end of list) and 1 (no
// operation) are a single byte; Data is ignored for them.
type IPv4Option struct {
	Type uint8
	Data []byte
}

// IPv4RouterAlert is the Router Alert option (RFC 2113) with value 0.
func IPv4RouterAlert() IPv4Option { return IPv4Option{Type: 148, Data: []byte{0, 0}} }

func (*IPv4) etherType() uint16 { return EtherTypeIPv4 }
func (*IPv4) ipProto() uint8    { return ProtoIPIP }

func (h *IPv4) appendHeader(b []byte, next Layer) ([]byte, error) {
	if !h.Src.Is4() || !h.Dst.Is4() {
		return b, errors.New("ipv4: source and destination must be IPv4 addresses")
	}
	if h.FragOffset%8 != 0 || h.FragOffset > 0x1fff*8 {
		return b, fmt.Errorf("ipv4: fragment offset %d is not a multiple of 8 below 65536", h.FragOffset)
	}
	proto := h.Protocol
	if proto == 0 {
		var err error
		if proto, err = nextIPProto("ipv4", next); err != nil {
			return b, err
		}
	}
	start := len(b)
	b = append(b, 0x45, h.TOS, 0, 0)
	b = be.AppendUint16(b, h.ID)
	ff := h.FragOffset / 8
	if h.Evil {
		ff |= 0x8000
	}
	if h.DF {
		ff |= 0x4000
	}
	if h.MF {
		ff |= 0x2000
	}
	b = be.AppendUint16(b, ff)
	b = append(b, h.TTL, proto, 0, 0)
	s, d := h.Src.As4(), h.Dst.As4()
	b = append(b, s[:]...)
	b = append(b, d[:]...)
	for _, o := range h.Options {
		if o.Type == 0 || o.Type == 1 {
			b = append(b, o.Type)
			continue
		}
		if len(o.Data) > 38 {
			return b, fmt.Errorf("ipv4: option %d: %d data bytes", o.Type, len(o.Data))
		}
		b = append(b, o.Type, uint8(2+len(o.Data)))
		b = append(b, o.Data...)
	}
	for (len(b)-start)%4 != 0 {
		b = append(b, 0) // end of option list, then padding
	}
	if hl := len(b) - start; hl > 60 {
		return b, fmt.Errorf("ipv4: header with options is %d bytes, at most 60", hl)
	}
	b[start] = 0x40 | uint8((len(b)-start)/4)
	return b, nil
}

func (h *IPv4) finish(f *frame, i int) error {
	p := f.span(i)
	if len(p) > 0xffff {
		return fmt.Errorf("ipv4: datagram of %d bytes", len(p))
	}
	be.PutUint16(p[2:], uint16(len(p)))
	hl := int(p[0]&0x0f) * 4
	be.PutUint16(p[10:], fold(sumBytes(0, p[:hl])))
	return nil
}

// IPv6 is an IPv6 header (RFC 8200). The payload length is computed.
type IPv6 struct {
	TrafficClass uint8
	FlowLabel    uint32
	// NextHeader zero derives it from the next layer.
	NextHeader uint8
	HopLimit   uint8
	Src, Dst   netip.Addr
}

func (*IPv6) etherType() uint16 { return EtherTypeIPv6 }
func (*IPv6) ipProto() uint8    { return ProtoIPv6 }

func (h *IPv6) appendHeader(b []byte, next Layer) ([]byte, error) {
	if !h.Src.Is6() || !h.Dst.Is6() {
		return b, errors.New("ipv6: source and destination must be IPv6 addresses")
	}
	if h.FlowLabel > 0xfffff {
		return b, fmt.Errorf("ipv6: flow label %#x above 20 bits", h.FlowLabel)
	}
	nh, err := derive6("ipv6", h.NextHeader, next)
	if err != nil {
		return b, err
	}
	b = be.AppendUint32(b, 6<<28|uint32(h.TrafficClass)<<20|h.FlowLabel)
	b = append(b, 0, 0, nh, h.HopLimit)
	s, d := h.Src.As16(), h.Dst.As16()
	b = append(b, s[:]...)
	return append(b, d[:]...), nil
}

func (h *IPv6) finish(f *frame, i int) error {
	p := f.span(i)
	if len(p)-40 > 0xffff {
		return fmt.Errorf("ipv6: payload of %d bytes (jumbograms are not built)", len(p)-40)
	}
	be.PutUint16(p[4:], uint16(len(p)-40))
	return nil
}

func derive6(what string, nh uint8, next Layer) (uint8, error) {
	if nh != 0 {
		return nh, nil
	}
	return nextIPProto(what, next)
}

// IPv6Option is one option of a Hop-by-Hop or Destination Options header.
// Padding (Pad1 / PadN) to a multiple of 8 bytes is added automatically.
type IPv6Option struct {
	Type uint8
	Data []byte
}

// IPv6RouterAlert is the Router Alert option (RFC 2711) with value v.
func IPv6RouterAlert(v uint16) IPv6Option {
	return IPv6Option{Type: 5, Data: []byte{byte(v >> 8), byte(v)}}
}

func appendIPv6Options(b []byte, what string, nh uint8, opts []IPv6Option) ([]byte, error) {
	start := len(b)
	b = append(b, nh, 0)
	for _, o := range opts {
		if o.Type == 0 { // Pad1
			b = append(b, 0)
			continue
		}
		if len(o.Data) > 255 {
			return b, fmt.Errorf("%s: option %d: %d data bytes", what, o.Type, len(o.Data))
		}
		b = append(b, o.Type, uint8(len(o.Data)))
		b = append(b, o.Data...)
	}
	switch pad := (8 - (len(b)-start)%8) % 8; pad {
	case 0:
	case 1:
		b = append(b, 0)
	default:
		b = append(b, 1, uint8(pad-2))
		for k := 2; k < pad; k++ {
			b = append(b, 0)
		}
	}
	n := (len(b) - start) / 8
	if n > 256 {
		return b, fmt.Errorf("%s: header of %d bytes", what, n*8)
	}
	b[start+1] = uint8(n - 1)
	return b, nil
}

// IPv6HopByHop is a Hop-by-Hop Options header.
type IPv6HopByHop struct {
	NextHeader uint8 // zero derives it from the next layer
	Options    []IPv6Option
	noFinish
}

func (*IPv6HopByHop) ipProto() uint8 { return ProtoHopByHop }

func (h *IPv6HopByHop) appendHeader(b []byte, next Layer) ([]byte, error) {
	nh, err := derive6("hop-by-hop", h.NextHeader, next)
	if err != nil {
		return b, err
	}
	return appendIPv6Options(b, "hop-by-hop", nh, h.Options)
}

// IPv6Destination is a Destination Options header.
type IPv6Destination struct {
	NextHeader uint8 // zero derives it from the next layer
	Options    []IPv6Option
	noFinish
}

func (*IPv6Destination) ipProto() uint8 { return ProtoDestination }

func (h *IPv6Destination) appendHeader(b []byte, next Layer) ([]byte, error) {
	nh, err := derive6("destination options", h.NextHeader, next)
	if err != nil {
		return b, err
	}
	return appendIPv6Options(b, "destination options", nh, h.Options)
}

// IPv6Routing is a Routing header with the layout of types 0 and 2 (four
// reserved bytes, then addresses). With SegmentsLeft above zero, the last
// address is the final destination used in upper-layer checksums.
type IPv6Routing struct {
	NextHeader   uint8 // zero derives it from the next layer
	Type         uint8
	SegmentsLeft uint8
	Addresses    []netip.Addr
	noFinish
}

func (*IPv6Routing) ipProto() uint8 { return ProtoRouting }

func (h *IPv6Routing) appendHeader(b []byte, next Layer) ([]byte, error) {
	nh, err := derive6("routing", h.NextHeader, next)
	if err != nil {
		return b, err
	}
	if len(h.Addresses) > 127 {
		return b, fmt.Errorf("routing: %d addresses, at most 127", len(h.Addresses))
	}
	b = append(b, nh, uint8(2*len(h.Addresses)), h.Type, h.SegmentsLeft, 0, 0, 0, 0)
	for _, a := range h.Addresses {
		if !a.Is6() {
			return b, fmt.Errorf("routing: address %v is not IPv6", a)
		}
		s := a.As16()
		b = append(b, s[:]...)
	}
	return b, nil
}

// IPv6Fragment is a Fragment header.
type IPv6Fragment struct {
	// NextHeader zero derives it from the next layer; a fragment whose
	// payload is opaque bytes must set it.
	NextHeader uint8
	Offset     uint16 // in bytes, a multiple of 8
	More       bool
	ID         uint32
	noFinish
}

func (*IPv6Fragment) ipProto() uint8 { return ProtoFragment }

func (h *IPv6Fragment) appendHeader(b []byte, next Layer) ([]byte, error) {
	nh, err := derive6("fragment", h.NextHeader, next)
	if err != nil {
		return b, err
	}
	if h.Offset%8 != 0 {
		return b, fmt.Errorf("fragment: offset %d is not a multiple of 8", h.Offset)
	}
	om := h.Offset
	if h.More {
		om |= 1
	}
	b = append(b, nh, 0)
	b = be.AppendUint16(b, om)
	return be.AppendUint32(b, h.ID), nil
}

// RawIP is a prebuilt IPv4 or IPv6 packet (a fragment from FragmentIPv4 or
// FragmentIPv6, for instance) used as a layer: its bytes are copied as they
// are, and the version nibble announces it to the layer before.
type RawIP []byte

func (r RawIP) etherType() uint16 {
	if len(r) > 0 && r[0]>>4 == 6 {
		return EtherTypeIPv6
	}
	return EtherTypeIPv4
}

func (r RawIP) ipProto() uint8 {
	if len(r) > 0 && r[0]>>4 == 6 {
		return ProtoIPv6
	}
	return ProtoIPIP
}

func (r RawIP) appendHeader(b []byte, _ Layer) ([]byte, error) {
	if len(r) == 0 || (r[0]>>4 != 4 && r[0]>>4 != 6) {
		return b, errors.New("raw ip: not an IPv4 or IPv6 packet")
	}
	return append(b, r...), nil
}

func (RawIP) finish(*frame, int) error { return nil }
