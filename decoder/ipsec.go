package decoder

// STUB: to be implemented (see registry.go).
func decodeAH(p *Packet, l *Layer) (Proto, error)  { return ProtoRaw, nil }
func fieldsAH(t *Tree, p *Packet, l *Layer)        {}
func decodeESP(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsESP(t *Tree, p *Packet, l *Layer)       {}
