package decoder

// STUB: to be implemented (see registry.go).
func decodeTCP(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsTCP(t *Tree, p *Packet, l *Layer)       {}
