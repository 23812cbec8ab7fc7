// Package decoder decodes captured frames layer by layer, from the link
// layer to the application, without allocating: a Decoder fills a
// caller-owned Packet with the spans of each layer (Layer), and view types
// (Ethernet, IPv4, IPv6, TCP, ...) read header fields straight from the
// frame bytes. Report fields are built only on demand, by Packet.Fields,
// into a Tree (pcapflow's report model).
//
// Dispatch is an explicit registry (registry.go): literal tables from link
// type, EtherType, IP protocol and port to protocol, and from protocol to its
// decode and field functions.
//
// A layer that fails to decode does not stop the capture: it ends the chain
// of that frame, Packet.Err says which layer, at which offset and why
// (errors.Is(err, ErrTruncated) etc.), and the rest of the frame is raw
// payload.
package decoder
