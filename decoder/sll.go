package decoder

// STUB: to be implemented (see registry.go).
func decodeSLL(p *Packet, l *Layer) (Proto, error)  { return ProtoRaw, nil }
func fieldsSLL(t *Tree, p *Packet, l *Layer)        {}
func decodeSLL2(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsSLL2(t *Tree, p *Packet, l *Layer)       {}
