package decoder

// STUB: to be implemented (see registry.go).
func decodeIGMP(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsIGMP(t *Tree, p *Packet, l *Layer)       {}
