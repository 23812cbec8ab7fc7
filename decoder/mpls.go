package decoder

// STUB: to be implemented (see registry.go).
func decodeMPLS(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsMPLS(t *Tree, p *Packet, l *Layer)       {}
