package craft

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// message copies bytes [off, off+n) of f's current message (header, then
// body material) into g.seg.
func (g *generator) message(f *flow, off, n int) []byte {
	b := g.seg[:0]
	if off < len(f.msg) {
		k := min(n, len(f.msg)-off)
		b = append(b, f.msg[off:off+k]...)
		off, n = off+k, n-k
	}
	src := g.text
	if f.bodyBin {
		src = g.bin
	}
	p := (f.bodyOff + off - len(f.msg)) % len(src)
	for n > 0 {
		k := min(n, len(src)-p)
		b = append(b, src[p:p+k]...)
		n -= k
		p = 0
	}
	g.seg = b
	return b
}

// fill copies n bytes of body material at a random place into g.seg.
func (g *generator) fill(n int, bin bool) []byte {
	src := g.text
	if bin {
		src = g.bin
	}
	b := g.seg[:0]
	p := g.r.intn(len(src))
	for n > 0 {
		k := min(n, len(src)-p)
		b = append(b, src[p:p+k]...)
		n -= k
		p = 0
	}
	g.seg = b
	return b
}

// ipLayer sets up the generator's IPv4 or IPv6 layer for a frame of f.
func (g *generator) ipLayer(f *flow, fromClient bool) Layer {
	src, dst, ttl := f.cip, f.sip, uint8(64)
	if !fromClient {
		src, dst, ttl = f.sip, f.cip, f.sttl
	}
	if f.v6 {
		g.ip6 = IPv6{FlowLabel: f.label, HopLimit: ttl, Src: src, Dst: dst}
		if f.kind == kindND {
			g.ip6.HopLimit = 255
		}
		return &g.ip6
	}
	var id uint16
	if fromClient {
		f.cid++
		id = f.cid
	} else {
		f.sid++
		id = f.sid
	}
	g.ip4 = IPv4{ID: id, DF: f.kind == kindHTTP, TTL: ttl, Src: src, Dst: dst}
	return &g.ip4
}

// link puts the link layers of a frame of f into g.ls and returns their
// number.
func (g *generator) link(f *flow, fromClient bool, dst MAC) int {
	if f.raw {
		return 0
	}
	g.eth = Ethernet{Src: f.cmac, Dst: dst, Pad: !fromClient}
	if !fromClient {
		g.eth.Src, g.eth.Dst = f.smac, f.cmac
	}
	g.ls[0] = &g.eth
	for t := 0; t < f.ntags; t++ {
		g.vlan[t] = f.tags[t]
		g.ls[1+t] = &g.vlan[t]
	}
	return 1 + f.ntags
}

// emit builds and writes the frame of action a.
func (g *generator) emit(f *flow, a *action) error {
	n := g.link(f, a.fromClient, f.smac)
	switch a.op {
	case opTCP, opDNSQuery, opDNSAnswer, opUDP, opPing:
		g.ls[n] = g.ipLayer(f, a.fromClient)
		n++
	}
	sport, dport := f.cport, f.sport
	if !a.fromClient {
		sport, dport = dport, sport
	}
	switch a.op {
	case opTCP:
		n = g.tcpSegment(f, a, n, sport, dport)
	case opDNSQuery, opDNSAnswer:
		g.udp = UDP{SrcPort: sport, DstPort: dport}
		g.ls[n] = &g.udp
		g.ls[n+1] = g.dnsMessage(f, a.op == opDNSAnswer)
		n += 2
	case opUDP:
		g.udp = UDP{SrcPort: sport, DstPort: dport}
		g.pl = g.fill(a.n, true)
		if f.sport == 123 && len(g.pl) >= 48 {
			g.ntp(a.fromClient)
		} else {
			g.pl[0] = 0x40 | g.pl[0]&0x3f // a QUIC short header's first byte
		}
		g.ls[n], g.ls[n+1] = &g.udp, &g.pl
		n += 2
	case opPing:
		g.pl = g.fill(a.n, true)
		if f.v6 {
			g.icmp6 = ICMPv6{Type: ICMPv6EchoRequest, ID: f.pingID, Seq: uint16(a.i)}
			if !a.fromClient {
				g.icmp6.Type = ICMPv6EchoReply
			}
			g.ls[n] = &g.icmp6
		} else {
			g.icmp = ICMP{Type: ICMPEchoRequest, ID: f.pingID, Seq: uint16(a.i)}
			if !a.fromClient {
				g.icmp.Type = ICMPEchoReply
			}
			g.ls[n] = &g.icmp
		}
		g.ls[n+1] = &g.pl
		n += 2
	case opNS:
		// To the solicited-node multicast group of the target.
		t := f.sip.As16()
		g.eth.Dst = MAC{0x33, 0x33, 0xff, t[13], t[14], t[15]}
		g.ip6 = IPv6{HopLimit: 255, Src: f.cip, Dst: netip.AddrFrom16([16]byte{0xff, 0x02, 10: 0, 11: 1, 12: 0xff, 13: t[13], 14: t[14], 15: t[15]})}
		g.ns = NeighborSolicitation{Target: f.sip, SourceMAC: f.cmac}
		g.ls[n], g.ls[n+1] = &g.ip6, &g.ns
		n += 2
	case opMLD:
		// An MLDv2 report (RFC 3810) behind a Hop-by-Hop router alert.
		c := f.cip.As16()
		g.eth.Dst = MAC{0x33, 0x33, 0, 0, 0, 0x16}
		g.ip6 = IPv6{HopLimit: 1, Src: f.cip, Dst: netip.AddrFrom16([16]byte{0xff, 0x02, 15: 0x16})}
		g.hbh = IPv6HopByHop{Options: g.alert[:]}
		g.icmp6 = ICMPv6{Type: 143, Seq: 1} // reserved, then the number of records
		group := [16]byte{0xff, 0x02, 11: 1, 12: 0xff, 13: c[13], 14: c[14], 15: c[15]}
		rec := append(g.seg[:0], 4, 0, 0, 0) // change to exclude mode, no sources
		rec = append(rec, group[:]...)
		g.seg = rec
		g.pl = rec
		g.ls[n], g.ls[n+1], g.ls[n+2], g.ls[n+3] = &g.ip6, &g.hbh, &g.icmp6, &g.pl
		n += 4
	case opNA:
		g.ip6 = IPv6{HopLimit: 255, Src: f.sip, Dst: f.cip}
		g.na = NeighborAdvertisement{Router: true, Solicited: true, Override: true, Target: f.sip, TargetMAC: f.smac}
		g.ls[n], g.ls[n+1] = &g.ip6, &g.na
		n += 2
	case opARPRequest:
		g.eth.Dst = Broadcast
		g.arp = ARP{Op: ARPRequest, SenderMAC: f.cmac, SenderIP: f.cip, TargetIP: f.sip}
		g.ls[n] = &g.arp
		n++
	case opARPReply:
		g.arp = ARP{Op: ARPReply, SenderMAC: f.smac, SenderIP: f.sip, TargetMAC: f.cmac, TargetIP: f.cip}
		g.ls[n] = &g.arp
		n++
	case opFrag:
		g.raw = f.frags[a.i]
		g.ls[n] = &g.raw
		n++
	default:
		return errors.New("unknown generator action")
	}
	b, err := g.bl.Build(g.ls[:n]...)
	if err != nil {
		return err
	}
	t := g.o.Start.Add(time.Duration(g.now))
	var iface uint32
	if f.raw {
		iface = 1
	}
	return g.write(iface, t.Unix(), uint32(t.Nanosecond()), b)
}

// tcpSegment adds the TCP layer (and payload) of action a at g.ls[n].
func (g *generator) tcpSegment(f *flow, a *action, n int, sport, dport uint16) int {
	win := f.cwin
	if !a.fromClient {
		win = f.swin
	}
	if a.flags&SYN != 0 {
		win = 64240
		if !a.fromClient {
			win = 65160
		}
	}
	g.tcp = TCP{SrcPort: sport, DstPort: dport, Seq: a.seq, Ack: a.ack, Flags: a.flags, Window: win}
	opts := g.opts[:0]
	tsval := uint32(g.now/1e6) + f.tsOff
	tsecr := tsval - 3
	if a.flags&ACK == 0 {
		tsecr = 0
	}
	switch {
	case a.flags&SYN != 0:
		opts = append(opts, TCPMSS(uint16(f.mss+12*b2i(f.ts))), TCPSACKPermitted())
		if f.ts {
			opts = append(opts, TCPTimestamps(tsval, tsecr))
		}
		opts = append(opts, TCPNop(), TCPWindowScale(7))
	case a.flags&RST != 0:
	case a.sack:
		opts = append(opts, TCPNop(), TCPNop())
		if f.ts {
			opts = append(opts, TCPTimestamps(tsval, tsecr), TCPNop(), TCPNop())
		}
		opts = append(opts, TCPSACK(SACKBlock{a.sl, a.sr}))
	case f.ts:
		opts = append(opts, TCPNop(), TCPNop(), TCPTimestamps(tsval, tsecr))
	}
	g.tcp.Options = opts
	g.ls[n] = &g.tcp
	n++
	if a.n > 0 {
		g.pl = g.message(f, a.off, a.n)
		g.ls[n] = &g.pl
		n++
	}
	return n
}

// b2i is 1 for true, 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// dnsMessage sets up the generator's DNS layer for a query or its answer.
func (g *generator) dnsMessage(f *flow, answer bool) Layer {
	name := names[f.name]
	g.dq[0] = DNSQuestion{Name: name, Type: f.qtype}
	g.dns = DNS{ID: f.dnsID, RecursionDesired: true, Questions: g.dq[:]}
	if !answer {
		return &g.dns
	}
	g.dns.Response, g.dns.RecursionAvailable = true, true
	r := g.r
	if r.chance(50) {
		g.dns.RCode = 3 // NXDOMAIN
		return &g.dns
	}
	owner := name
	rr := g.da[:0]
	if r.chance(200) {
		if g.cname == nil {
			for i := range names {
				c, _ := DNSName("edge-" + fmt.Sprint(i) + ".cdn.example.net")
				g.cname = append(g.cname, c)
			}
		}
		rr = append(rr, DNSRecord{Name: owner, Type: DNSTypeCNAME, TTL: 300, Data: g.cname[f.name]})
		owner = "edge-" + fmt.Sprint(f.name) + ".cdn.example.net"
	}
	for k := r.between(1, 3); k > 0; k-- {
		d := &g.rdata[len(rr)]
		n := 4
		if f.qtype == DNSTypeAAAA {
			n = 16
			copy(d[:], []byte{0x20, 0x01, 0x0d, 0xb8, 0xab, 0xcd})
			d[15] = byte(r.intn(250) + 1)
		} else {
			d[0], d[1], d[2], d[3] = 192, 0, 2, byte(r.intn(250)+1)
		}
		rr = append(rr, DNSRecord{Name: owner, Type: f.qtype, TTL: uint32(r.between(30, 86400)), Data: d[:n]})
	}
	g.dns.Answers = rr
	return &g.dns
}

// ntp turns the 48 bytes in g.pl into an NTPv4 client or server message.
func (g *generator) ntp(client bool) {
	b := g.pl
	clear(b[:16])
	b[0], b[2], b[3] = 0x23, 6, 0xe9 // version 4, mode 3 (client); poll 6; precision
	if !client {
		b[0], b[1] = 0x24, 2 // mode 4 (server), stratum 2
		copy(b[12:16], []byte{192, 0, 2, 123})
	}
	// Timestamps in NTP era 0 (seconds since 1900).
	sec := uint32(g.o.Start.Unix()+g.now/1e9) + 2208988800
	for off := 16; off < 48; off += 8 {
		be.PutUint32(b[off:], sec)
	}
}

// next32 returns 32 random bits.
func (r *rng) next32() uint32 { return uint32(r.next() >> 32) }
