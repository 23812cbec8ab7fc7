package decoder

// STUB: to be implemented (see registry.go).
func decodePPP(p *Packet, l *Layer) (Proto, error)   { return ProtoRaw, nil }
func fieldsPPP(t *Tree, p *Packet, l *Layer)         {}
func decodePPPoE(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsPPPoE(t *Tree, p *Packet, l *Layer)       {}
