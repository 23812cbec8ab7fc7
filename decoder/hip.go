package decoder

// STUB: to be implemented (see registry.go).
func decodeHIP(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsHIP(t *Tree, p *Packet, l *Layer)       {}
