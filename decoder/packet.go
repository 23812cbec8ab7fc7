package decoder

// MaxLayers bounds the layers decoded from one frame (tunnels, extension
// header chains); deeper nesting ends the chain with an error.
const MaxLayers = 128

// Layer is one decoded protocol layer: a span of the frame.
//
//	Data[Off : Off+Hdr]  the layer's header
//	Data[Off+Hdr : End]  its payload (what the next layer decodes)
//
// A decoder may lower End below its parent's End when the header states a
// shorter length (e.g. IPv4 total length with Ethernet padding after it).
type Layer struct {
	Proto Proto
	Off   uint32
	Hdr   uint32
	End   uint32
}

// Packet is a decoded frame. It is caller-owned, reusable storage: Decode
// overwrites it completely, and Data aliases the frame bytes passed in, so a
// Packet is valid only as long as those bytes are.
type Packet struct {
	Data     []byte
	LinkType uint32
	Layers   [MaxLayers]Layer
	N        int // number of valid entries in Layers
	// Err is set (Err.Err != nil) when the layer Layers[N-1] failed to
	// decode; that layer then has Hdr == 0 and the rest of the frame from its
	// Off is raw payload.
	Err Error
	// Fragment is set when an IP layer of the frame is a fragment (first or
	// later). Application decoders then see only part of their data.
	Fragment bool
	// Stopped is set when a layer or protocol threshold ended decoding.
	Stopped bool
}

// Failed reports whether a layer failed to decode.
func (p *Packet) Failed() bool { return p.Err.Err != nil }

// Last returns the innermost layer (nil for an empty packet).
func (p *Packet) Last() *Layer {
	if p.N == 0 {
		return nil
	}
	return &p.Layers[p.N-1]
}

// Payload returns the bytes after the innermost decoded header: the raw
// payload that no layer decoded (empty if every byte was decoded).
func (p *Packet) Payload() []byte {
	if p.N == 0 {
		return p.Data
	}
	l := &p.Layers[p.N-1]
	return p.Data[l.Off+l.Hdr : l.End]
}

// Bytes returns the bytes of layer i (header and payload).
func (p *Packet) Bytes(i int) []byte {
	l := &p.Layers[i]
	return p.Data[l.Off:l.End]
}

// Find returns the index of the first layer with the given protocol, or -1.
func (p *Packet) Find(proto Proto) int {
	for i := 0; i < p.N; i++ {
		if p.Layers[i].Proto == proto {
			return i
		}
	}
	return -1
}

// FindLast returns the index of the innermost layer with the given
// protocol, or -1.
func (p *Packet) FindLast(proto Proto) int {
	for i := p.N - 1; i >= 0; i-- {
		if p.Layers[i].Proto == proto {
			return i
		}
	}
	return -1
}

// AppendChain appends the protocol chain ("Ethernet:IPv4:TCP") to b.
// A layer that failed to decode is included: the chain names what the
// frame holds, the Err field says how far decoding got.
func (p *Packet) AppendChain(b []byte) []byte {
	for i := 0; i < p.N; i++ {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, p.Layers[i].Proto.String()...)
	}
	return b
}

// Chain returns the protocol chain as a string (allocates).
func (p *Packet) Chain() string { return string(p.AppendChain(nil)) }
