package decoder

// STUB: to be implemented (see registry.go).
func decodeMH(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsMH(t *Tree, p *Packet, l *Layer)       {}
