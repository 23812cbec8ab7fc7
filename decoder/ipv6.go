package decoder

// STUB: to be implemented (see registry.go).
func decodeIPv6(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsIPv6(t *Tree, p *Packet, l *Layer)       {}
