package decoder

// STUB: to be implemented (see registry.go).
func decodeL2TP(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsL2TP(t *Tree, p *Packet, l *Layer)       {}
