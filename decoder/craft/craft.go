package craft

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Layer is one protocol header (or application payload) of a frame to
// build. The layer types of this package implement it; their methods are
// unexported, so a frame is always made of layers this package knows how to
// complete.
type Layer interface {
	// appendHeader appends the layer's bytes to b, with the fields that
	// depend on the payload (lengths, checksums) left zero. next is the
	// following layer (nil for the innermost), which decides derived
	// protocol numbers.
	appendHeader(b []byte, next Layer) ([]byte, error)
	// finish completes layer i once every layer after it is in place and
	// finished. It may append (Ethernet padding).
	finish(f *frame, i int) error
}

// MaxLayers bounds the layers of one frame.
const MaxLayers = 32

// frame is the state of one build: the buffer, the layers and where each
// starts.
type frame struct {
	b      []byte
	base   int // where the frame starts in b (Append appends to dst)
	layers []Layer
	off    [MaxLayers]int // absolute offsets in b
	end    int            // end of the datagram, before any link padding
}

// span returns the bytes of layer i: its header and everything after it up
// to the datagram end.
func (f *frame) span(i int) []byte { return f.b[f.off[i]:f.end] }

// Builder builds frames into a buffer it reuses. The zero value is ready to
// use. A Builder is not safe for concurrent use.
type Builder struct {
	f frame
}

// Build builds a frame from layers, outermost first. The returned slice is
// owned by the Builder and valid until its next call.
func (bl *Builder) Build(layers ...Layer) ([]byte, error) {
	b, err := bl.f.build(bl.f.b[:0], layers)
	bl.f.b = b
	bl.f.layers = nil
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Build builds a frame from layers, outermost first, into a new slice.
func Build(layers ...Layer) ([]byte, error) {
	return Append(nil, layers...)
}

// Append builds a frame from layers and appends it to dst.
func Append(dst []byte, layers ...Layer) ([]byte, error) {
	var f frame
	b, err := f.build(dst, layers)
	if err != nil {
		return dst, err
	}
	return b, nil
}

func (f *frame) build(b []byte, layers []Layer) ([]byte, error) {
	if len(layers) == 0 {
		return b, errors.New("build: no layers")
	}
	if len(layers) > MaxLayers {
		return b, fmt.Errorf("build: %d layers, at most %d", len(layers), MaxLayers)
	}
	f.layers = layers
	f.base = len(b)
	var err error
	for i, l := range layers {
		if l == nil {
			return b, fmt.Errorf("build: layer %d is nil", i)
		}
		var next Layer
		if i+1 < len(layers) {
			next = layers[i+1]
		}
		f.off[i] = len(b)
		if b, err = l.appendHeader(b, next); err != nil {
			return b[:f.base], fmt.Errorf("build layer %d: %w", i, err)
		}
	}
	f.b = b
	f.end = len(b)
	for i := len(layers) - 1; i >= 0; i-- {
		if err := layers[i].finish(f, i); err != nil {
			return f.b[:f.base], fmt.Errorf("build layer %d: %w", i, err)
		}
	}
	return f.b, nil
}

// etherTyper is a layer that an EtherType announces.
type etherTyper interface{ etherType() uint16 }

// ipProtoer is a layer that an IP protocol / next header number announces.
type ipProtoer interface{ ipProto() uint8 }

func etherTypeOf(l Layer) uint16 {
	if t, ok := l.(etherTyper); ok {
		return t.etherType()
	}
	return 0
}

// nextIPProto derives the protocol number announcing next: 59 (no next
// header) when there is none, an error for an opaque payload.
func nextIPProto(what string, next Layer) (uint8, error) {
	if next == nil {
		return 59, nil
	}
	if t, ok := next.(ipProtoer); ok {
		return t.ipProto(), nil
	}
	return 0, fmt.Errorf("%s: cannot derive the protocol of a %T payload; set it explicitly", what, next)
}

// pseudoHeaderSum returns the checksum sum of the pseudo-header of the IP
// layer enclosing layer i, for an upper-layer length n and protocol proto.
// Over IPv6 with a routing header, the destination is the final one
// (RFC 8200, section 8.1).
func (f *frame) pseudoHeaderSum(i int, proto uint8, n int) (uint64, bool, error) {
	for j := i - 1; j >= 0; j-- {
		switch ip := f.layers[j].(type) {
		case *IPv4:
			if !ip.Src.Is4() || !ip.Dst.Is4() {
				return 0, false, errors.New("ipv4 addresses missing")
			}
			s, d := ip.Src.As4(), ip.Dst.As4()
			sum := sumBytes(0, s[:])
			sum = sumBytes(sum, d[:])
			return sum + uint64(proto) + uint64(n), false, nil
		case *IPv6:
			s, d := ip.Src.As16(), ip.Dst.As16()
			for k := j + 1; k < i; k++ {
				if r, ok := f.layers[k].(*IPv6Routing); ok && r.SegmentsLeft > 0 && len(r.Addresses) > 0 {
					d = r.Addresses[len(r.Addresses)-1].As16()
				}
			}
			sum := sumBytes(0, s[:])
			sum = sumBytes(sum, d[:])
			return sum + uint64(proto) + uint64(n), true, nil
		case RawIP, *RawIP:
			return 0, false, errors.New("checksum over a raw IP layer: build the datagram first, then wrap it")
		}
	}
	return 0, false, errors.New("no enclosing IPv4 or IPv6 layer for the pseudo-header")
}

// sumBytes adds b to the one's-complement sum as big-endian 16-bit words
// (a trailing odd byte is padded with zero). The sum is kept unfolded in 64
// bits.
func sumBytes(sum uint64, b []byte) uint64 {
	for len(b) >= 32 {
		sum += uint64(binary.BigEndian.Uint32(b)) + uint64(binary.BigEndian.Uint32(b[4:])) +
			uint64(binary.BigEndian.Uint32(b[8:])) + uint64(binary.BigEndian.Uint32(b[12:])) +
			uint64(binary.BigEndian.Uint32(b[16:])) + uint64(binary.BigEndian.Uint32(b[20:])) +
			uint64(binary.BigEndian.Uint32(b[24:])) + uint64(binary.BigEndian.Uint32(b[28:]))
		b = b[32:]
	}
	for len(b) >= 4 {
		sum += uint64(binary.BigEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		sum += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint64(b[0]) << 8
	}
	return sum
}

// fold folds a sum to 16 bits and complements it: the Internet checksum
// (RFC 1071).
func fold(sum uint64) uint16 {
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// noFinish is embedded by layers with nothing to complete.
type noFinish struct{}

func (noFinish) finish(*frame, int) error { return nil }

var be = binary.BigEndian
