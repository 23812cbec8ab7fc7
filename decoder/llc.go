package decoder

// STUB: to be implemented (see registry.go).
func decodeLLC(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsLLC(t *Tree, p *Packet, l *Layer)       {}
