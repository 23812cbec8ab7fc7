package decoder

import "fmt"

// Options are the decoding thresholds, as PyPCAPKit's layer and protocol
// options: decoding stops after the last layer of level Layer, or after the
// first layer of protocol Protocol; what follows is raw payload. The zero
// value decodes everything.
type Options struct {
	Layer    Level
	Protocol Proto
}

// Decoder decodes frames. It holds no per-frame state, so one Decoder may be
// shared by goroutines as long as each uses its own Packet.
type Decoder struct {
	opts Options
}

// New returns a Decoder with the given thresholds.
func New(opts Options) *Decoder { return &Decoder{opts: opts} }

// decodeFunc decodes the layer l of p: it validates p.Data[l.Off:l.End],
// sets l.Hdr (and may lower l.End), and returns the protocol of the payload
// (ProtoRaw when the payload is opaque or unknown, ProtoNone when there is no
// next layer at all). On error it leaves l.Hdr at 0.
type decodeFunc func(p *Packet, l *Layer) (Proto, error)

// Decode decodes one frame of the given link type into p. It never fails:
// a layer that cannot be decoded is recorded in p.Err and ends the chain.
// p.Data aliases data.
func (d *Decoder) Decode(data []byte, linkType uint32, p *Packet) {
	next := linkProto(linkType)
	if next == protoRawIP {
		next = ipByVersion(data)
	}
	d.DecodeFrom(data, next, p)
	p.LinkType = linkType
}

// DecodeFrom decodes data starting with a layer of protocol first (for
// example a reassembled IP payload starting at its transport header, or a
// fuzz input for one protocol). p.LinkType is left 0.
func (d *Decoder) DecodeFrom(data []byte, first Proto, p *Packet) {
	p.Data = data
	p.LinkType = 0
	p.N = 0
	p.Err = Error{}
	p.Fragment = false
	p.Stopped = false
	next := first
	off, end := uint32(0), uint32(len(data))
	for next != ProtoNone && next != ProtoRaw {
		if off >= end && next != ProtoNone {
			// Nothing left for the next layer: an empty payload is not a layer.
			break
		}
		if d.stopBefore(next, p) {
			p.Stopped = true
			break
		}
		if p.N == MaxLayers {
			p.Err = Error{Proto: next, Offset: int(off), Err: fmt.Errorf("%w: more than %d layers", ErrUnsupported, MaxLayers)}
			break
		}
		l := &p.Layers[p.N]
		*l = Layer{Proto: next, Off: off, End: end}
		p.N++
		f := decoders[next]
		if f == nil {
			next = ProtoRaw
			break
		}
		n, err := f(p, l)
		if err != nil {
			l.Hdr = 0
			p.Err = Error{Proto: l.Proto, Offset: int(l.Off), Err: err}
			break
		}
		if l.End > end || l.Off+l.Hdr > l.End {
			// A decoder bug would be a panic later; report it as data instead.
			p.Err = Error{Proto: l.Proto, Offset: int(l.Off), Err: fmt.Errorf("%w: layer span out of bounds", ErrMalformed)}
			l.Hdr, l.End = 0, end
			break
		}
		off, end = l.Off+l.Hdr, l.End
		next = n
		if d.opts.Protocol != ProtoNone && l.Proto == d.opts.Protocol {
			p.Stopped = next != ProtoNone && off < end
			break
		}
	}
}

// stopBefore reports whether the layer threshold ends decoding before a
// layer of protocol next.
func (d *Decoder) stopBefore(next Proto, p *Packet) bool {
	if d.opts.Layer == LevelNone {
		return false
	}
	lv := next.Level()
	return lv != LevelNone && lv > d.opts.Layer
}

// linkProto maps a LINKTYPE_ value to the first layer's protocol.
func linkProto(lt uint32) Proto {
	switch lt & 0x0fffffff { // upper bits: FCS length flags (pcap), ignored
	case 0:
		return ProtoNull
	case 1:
		return ProtoEthernet
	case 12, 14, 101:
		return protoRawIP
	case 108:
		return ProtoLoop
	case 113:
		return ProtoSLL
	case 228:
		return ProtoIPv4
	case 229:
		return ProtoIPv6
	case 276:
		return ProtoSLL2
	case 9:
		return ProtoPPP
	}
	return ProtoRaw
}
