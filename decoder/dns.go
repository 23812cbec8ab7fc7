package decoder

// STUB: to be implemented (see registry.go).
func decodeDNS(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsDNS(t *Tree, p *Packet, l *Layer)       {}
