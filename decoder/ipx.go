package decoder

// STUB: to be implemented (see registry.go).
func decodeIPX(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsIPX(t *Tree, p *Packet, l *Layer)       {}
