package decoder

// STUB: to be implemented (see registry.go).
func decodeICMPv6(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsICMPv6(t *Tree, p *Packet, l *Layer)       {}
