package decoder

// STUB: to be implemented (see registry.go).
func decodeVLAN(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsVLAN(t *Tree, p *Packet, l *Layer)       {}
