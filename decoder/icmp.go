package decoder

// STUB: to be implemented (see registry.go).
func decodeICMP(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsICMP(t *Tree, p *Packet, l *Layer)       {}
