package decoder

// STUB: to be implemented (see registry.go).
func decodeHTTP(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsHTTP(t *Tree, p *Packet, l *Layer)       {}
