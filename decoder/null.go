package decoder

// STUB: to be implemented (see registry.go).
func decodeNull(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsNull(t *Tree, p *Packet, l *Layer)       {}
