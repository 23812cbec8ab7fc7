package decoder

// STUB: to be implemented (see registry.go).
func decodeVXLAN(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsVXLAN(t *Tree, p *Packet, l *Layer)       {}
