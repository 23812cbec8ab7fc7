package decoder

// STUB: to be implemented (see registry.go).
func decodeUDP(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsUDP(t *Tree, p *Packet, l *Layer)       {}
