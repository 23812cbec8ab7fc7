// Package craft builds packets from field values: it is the inverse of
// package decoder, the other half of what pypacker does. It also generates
// deterministic synthetic captures (Generate) for the project's testdata and
// benchmarks.
//
// A frame is a list of layers, outermost first, each a pointer to a struct
// holding the header's field values:
//
//	frame, err := craft.Build(
//		&craft.Ethernet{Src: src, Dst: dst},
//		&craft.IPv4{TTL: 64, Src: a, Dst: b},
//		&craft.TCP{SrcPort: 40000, DstPort: 80, Flags: craft.SYN},
//	)
//
// Fields that follow from the layers around them are computed: EtherTypes,
// IP protocol and next-header numbers (when left zero), lengths (IPv4 total
// length, IPv6 payload length, UDP length, extension header lengths, header
// lengths with options), and checksums (IPv4 header; TCP, UDP, ICMP and
// ICMPv6 with the IPv4 or IPv6 pseudo-header). Payload, HTTPRequest,
// HTTPResponse and DNS build application data.
//
// Build allocates its result. A Builder reuses one buffer for every frame, so
// building millions of frames does not allocate per frame; the returned slice
// is owned by the Builder and valid until its next call.
//
// FragmentIPv4 and FragmentIPv6 split a built datagram into fragments at an
// MTU (Shuffle reorders them deterministically); RawIP wraps a fragment, or
// any prebuilt IP packet, as a layer.
package craft
