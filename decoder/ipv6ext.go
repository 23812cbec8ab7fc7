package decoder

// STUB: to be implemented (see registry.go).
func decodeIPv6Opts(p *Packet, l *Layer) (Proto, error)  { return ProtoRaw, nil }
func fieldsIPv6Opts(t *Tree, p *Packet, l *Layer)        {}
func decodeIPv6Route(p *Packet, l *Layer) (Proto, error) { return ProtoRaw, nil }
func fieldsIPv6Route(t *Tree, p *Packet, l *Layer)       {}
func decodeIPv6Frag(p *Packet, l *Layer) (Proto, error)  { return ProtoRaw, nil }
func fieldsIPv6Frag(t *Tree, p *Packet, l *Layer)        {}
