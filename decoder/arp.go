package decoder

// STUB: to be implemented (see registry.go).
func decodeARP(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsARP(t *Tree, p *Packet, l *Layer)       {}
