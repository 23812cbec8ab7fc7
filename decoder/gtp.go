package decoder

// STUB: to be implemented (see registry.go).
func decodeGTP(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsGTP(t *Tree, p *Packet, l *Layer)       {}
