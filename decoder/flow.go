package decoder

import (
	"encoding/binary"
	"net/netip"
)

// Flow is the 5-tuple of a decoded frame: the addresses of its innermost
// IPv4 or IPv6 header and, when the transport header is present, its ports.
// ICMP and ICMPv6 echo messages use their identifier as both ports, so that
// every ping session is a flow of its own.
type Flow struct {
	IPVersion        uint8 // 4 or 6
	Src, Dst         netip.Addr
	Proto            uint8 // IP protocol number of the transport (after extension headers)
	SrcPort, DstPort uint16
}

// Flow returns the flow of the frame. ok is false when the frame has no
// decodable IPv4 or IPv6 layer. The addresses are copied out of the frame
// (netip.Addr values), so the Flow outlives p.Data; it does not allocate.
//
// A later IP fragment has the flow's addresses and protocol but zero ports
// (its transport header is in the first fragment).
func (p *Packet) Flow() (Flow, bool) {
	var f Flow
	ip := -1
	for i := p.N - 1; i >= 0; i-- {
		l := &p.Layers[i]
		b := p.Data[l.Off:l.End]
		if l.Proto == ProtoIPv4 && len(b) >= ipv4MinLen && b[0]>>4 == 4 {
			h := IPv4(b)
			f.IPVersion = 4
			f.Src = netip.AddrFrom4([4]byte(h.Src()))
			f.Dst = netip.AddrFrom4([4]byte(h.Dst()))
			f.Proto = h.Protocol()
			ip = i
			break
		}
		if l.Proto == ProtoIPv6 && len(b) >= 40 && b[0]>>4 == 6 {
			f.IPVersion = 6
			f.Src = netip.AddrFrom16([16]byte(b[8:24]))
			f.Dst = netip.AddrFrom16([16]byte(b[24:40]))
			f.Proto = b[6] // next header
			ip = i
			break
		}
	}
	if ip < 0 {
		return Flow{}, false
	}
	// Skip the extension headers; each starts with its next header field.
	i := ip + 1
	for ; i < p.N; i++ {
		l := &p.Layers[i]
		switch l.Proto {
		case ProtoHopOpts, ProtoIPv6Route, ProtoIPv6Frag, ProtoIPv6Opts, ProtoAH:
			if l.End > l.Off {
				f.Proto = p.Data[l.Off]
			}
			continue
		}
		break
	}
	if i >= p.N {
		return f, true
	}
	l := &p.Layers[i]
	b := p.Data[l.Off:l.End]
	switch l.Proto {
	case ProtoTCP, ProtoUDP, ProtoSCTP:
		if len(b) >= 4 {
			f.SrcPort = binary.BigEndian.Uint16(b)
			f.DstPort = binary.BigEndian.Uint16(b[2:])
		}
	case ProtoICMP:
		if len(b) >= icmpHdrLen && ICMP(b).IsEcho() {
			f.SrcPort = ICMP(b).ID()
			f.DstPort = f.SrcPort
		}
	case ProtoICMPv6:
		if len(b) >= icmp6HdrLen && ICMPv6(b).IsEcho() {
			f.SrcPort = ICMPv6(b).ID()
			f.DstPort = f.SrcPort
		}
	}
	return f, true
}

// Canonical returns the flow with its endpoints ordered so that (Src,
// SrcPort) <= (Dst, DstPort), and whether they were swapped. Both
// directions of a conversation have the same canonical flow.
func (f Flow) Canonical() (Flow, bool) {
	c := f.Src.Compare(f.Dst)
	if c < 0 || (c == 0 && f.SrcPort <= f.DstPort) {
		return f, false
	}
	f.Src, f.Dst = f.Dst, f.Src
	f.SrcPort, f.DstPort = f.DstPort, f.SrcPort
	return f, true
}

// AddrHash is a symmetric hash of the two addresses only:
// AddrHash(a→b) == AddrHash(b→a), and ports and protocol do not enter it.
// It is the partition key of the stateful stages: every fragment of a
// datagram (later fragments carry no ports) and both directions of every
// stream between two hosts land in the same partition. It does not
// allocate. IPv4 addresses hash as their IPv4-mapped IPv6 form.
func (f Flow) AddrHash() uint32 {
	a, b := f.Src.As16(), f.Dst.As16()
	a0, a1 := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:])
	b0, b1 := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	if a0 > b0 || (a0 == b0 && a1 > b1) {
		a0, a1, b0, b1 = b0, b1, a0, a1
	}
	h := mix64(mix64(mix64(a0^0x9e3779b97f4a7c15)^a1) ^ b0)
	h = mix64(h ^ b1)
	return uint32(h ^ h>>32)
}

// Hash is a symmetric hash of the whole 5-tuple (addresses, ports, IP
// protocol): both directions of a connection give the same value. It does
// not allocate.
func (f Flow) Hash() uint64 {
	c, _ := f.Canonical()
	a, b := c.Src.As16(), c.Dst.As16()
	h := mix64(binary.BigEndian.Uint64(a[:8]) ^ 0x9e3779b97f4a7c15)
	h = mix64(h ^ binary.BigEndian.Uint64(a[8:]))
	h = mix64(h ^ binary.BigEndian.Uint64(b[:8]))
	h = mix64(h ^ binary.BigEndian.Uint64(b[8:]))
	return mix64(h ^ uint64(c.SrcPort)<<32 ^ uint64(c.DstPort)<<16 ^ uint64(c.Proto))
}

// mix64 is the 64-bit finaliser of MurmurHash3 (fmix64): a cheap bijection
// with good avalanche.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
