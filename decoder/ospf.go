package decoder

// STUB: to be implemented (see registry.go).
func decodeOSPF(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsOSPF(t *Tree, p *Packet, l *Layer)       {}
