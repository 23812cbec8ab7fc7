package decoder

// STUB: to be implemented (see registry.go).
func decodeGRE(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsGRE(t *Tree, p *Packet, l *Layer)       {}
