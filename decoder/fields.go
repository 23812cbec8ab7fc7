package decoder

// partialFielders write the fields of a header that was cut short, as far
// as its bytes go.
var partialFielders = [numProtos]func(t *Tree, b []byte, err error){
	ProtoTCP:  fieldsTCPPartial,
	ProtoSCTP: fieldsSCTPPartial,
	ProtoDHCP: fieldsDHCPPartial,
}

// Fields writes the decoded layers of p into t as PyPCAPKit nests them: one
// object per layer, keyed by the protocol's report key, each inside its
// parent (ethernet > ipv4 > tcp). The innermost object also holds the
// undecoded bytes ("raw", omitted when empty; PyPCAPKit also calls them raw) and, when a layer
// failed, an "error" object with the layer, offset and reason.
func (p *Packet) Fields(t *Tree) {
	for i := 0; i < p.N; i++ {
		l := &p.Layers[i]
		t.Object(l.Proto.Key())
		switch {
		case i < p.N-1 || !p.Failed():
			if f := fielders[l.Proto]; f != nil {
				f(t, p, l)
			}
		default:
			// The failing layer: what its bytes hold, where that is defined.
			if f := partialFielders[l.Proto]; f != nil {
				f(t, p.Data[l.Off:l.End], p.Err.Err)
			}
		}
	}
	if p.Failed() {
		t.Object("error")
		t.String("layer", p.Err.Proto.Key())
		t.Uint("offset", uint64(p.Err.Offset))
		t.String("reason", p.Err.Err.Error())
		t.Close()
	}
	if pl := p.Payload(); len(pl) > 0 {
		t.Bytes("raw", pl)
	}
	for i := 0; i < p.N; i++ {
		t.Close()
	}
}
