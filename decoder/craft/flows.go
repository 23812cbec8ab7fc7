package craft

import (
	"fmt"
	"net/netip"
	"time"
)

// flowKind is what a flow does.
type flowKind uint8

const (
	kindHTTP flowKind = iota
	kindDNS
	kindUDP
	kindPing
	kindND
	kindARP
	kindFragUDP
	kindFragPing
	numKinds
)

// kinds lists the flow kinds with the traffic bit that enables them and
// their weight in the mix of new flows.
var kinds = [numKinds]struct {
	traffic Traffic
	weight  int
}{
	kindHTTP:     {TrafficHTTP, 46},
	kindDNS:      {TrafficDNS, 22},
	kindUDP:      {TrafficUDP, 9},
	kindPing:     {TrafficICMP, 6},
	kindND:       {TrafficICMP, 2},
	kindARP:      {TrafficARP, 4},
	kindFragUDP:  {TrafficFragments, 7},
	kindFragPing: {TrafficFragments, 4},
}

// Operations a queued action performs.
const (
	opTCP uint8 = iota
	opDNSQuery
	opDNSAnswer
	opUDP
	opPing
	opNS
	opNA
	opARPRequest
	opARPReply
	opFrag
	opMLD
)

// action is one frame a flow will send.
type action struct {
	op         uint8
	fromClient bool
	flags      uint16
	seq, ack   uint32
	off, n     int // TCP: range of the current message; UDP/ping: payload size
	sack       bool
	sl, sr     uint32
	i          int // sequence number, fragment index
}

// flow is one conversation. Slots are reused: the byte slices keep their
// storage from one flow to the next, so memory stays constant.
type flow struct {
	kind       flowKind
	v6, raw    bool
	ntags      int
	tags       [2]VLAN
	cmac, smac MAC
	cip, sip   netip.Addr
	cport      uint16
	sport      uint16
	sttl       uint8
	cid, sid   uint16 // IPv4 identification counters
	label      uint32 // IPv6 flow label
	state      int
	left       int // requests, pings or datagrams still to do

	q      [12]action
	qi, qn int

	// TCP
	ciss, siss   uint32
	cnext, snext uint32 // sequence number of the current message's first byte
	ts           bool
	tsOff        uint32
	mss          int
	cwin, swin   uint16
	unacked      int
	msg          []byte // current message: header, then a body of bodyLen bytes
	bodyLen      int
	bodyOff      int
	bodyBin      bool
	sent         int

	// DNS, ping
	dnsID  uint16
	name   int
	qtype  uint16
	pingID uint16

	frags [][]byte
}

// The local network: the router every remote flow goes through, and the
// resolvers.
var (
	gatewayMAC = MAC{0x00, 0x00, 0x5e, 0x00, 0x01, 0x01}
	gateway4   = netip.AddrFrom4([4]byte{10, 0, 0, 254})
	resolver4  = netip.AddrFrom4([4]byte{10, 0, 0, 53})
	resolver6  = netip.MustParseAddr("2001:db8:0:1::53")
)

// Host names used in HTTP and DNS.
var names = [...]string{
	"www.example.com", "api.example.com", "static.example.net", "cdn.example.org",
	"mail.example.com", "news.example.net", "shop.example.org", "img.example.com",
	"login.example.net", "video.example.org", "docs.example.com", "blog.example.net",
	"update.example.org", "maps.example.com", "search.example.net", "ads.example.org",
	"ntp.example.com", "git.example.net", "wiki.example.org", "status.example.com",
}

// Request paths, user agents and response content types.
var paths = [...]string{
	"/", "/index.html", "/api/v1/items", "/api/v1/users/42", "/static/app.js",
	"/static/style.css", "/images/logo.png", "/favicon.ico", "/search?q=packet+capture",
	"/download/file.bin", "/news/2024/03/01/story.html", "/login", "/api/v2/events?since=1700000000",
}

var agents = [...]string{
	"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36",
	"curl/8.5.0",
	"Wget/1.21.4",
	"python-requests/2.31.0",
}

var contentTypes = [...]string{
	"text/html; charset=utf-8", "application/json", "text/css", "application/javascript",
	"application/octet-stream", "application/vnd.example.blob",
}

// words make the text bodies.
var words = [...]string{
	"packet", "capture", "frame", "flow", "stream", "header", "payload", "layer",
	"network", "protocol", "decode", "segment", "window", "address", "route", "the",
	"a", "of", "and", "to", "in", "is", "for", "with", "on", "data", "time", "<p>", "</p>\n",
}

// push queues a frame for f to send.
func (f *flow) push(a action) {
	f.q[f.qn] = a
	f.qn++
}

// newFlow starts a new flow of a random enabled kind in slot f.
func (g *generator) newFlow(f *flow) {
	r := g.r
	g.count++
	pick := r.intn(g.total)
	k := flowKind(0)
	for ; k < numKinds; k++ {
		if g.o.Traffic&kinds[k].traffic == 0 {
			continue
		}
		if pick < kinds[k].weight {
			break
		}
		pick -= kinds[k].weight
	}
	msg, frags := f.msg[:0], f.frags[:0]
	*f = flow{kind: k, msg: msg, frags: frags}
	c := r.intn(500)
	f.cmac = MAC{0x02, 0x00, 0x0a, 0x00, byte(c >> 8), byte(c)}
	f.smac = gatewayMAC
	s := r.intn(len(names))
	f.name = s
	switch k {
	case kindHTTP, kindUDP, kindPing, kindFragUDP:
		f.v6 = r.chance(250)
	case kindDNS:
		f.v6 = r.chance(300)
	case kindND:
		f.v6 = true
	case kindFragPing:
		f.v6 = r.chance(300)
	}
	if f.v6 {
		f.cip = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, byte(c >> 8), byte(c + 1)})
		f.sip = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(s + 1)})
		f.label = uint32(r.intn(1 << 20))
	} else {
		f.cip = netip.AddrFrom4([4]byte{10, 0, byte(c / 250), byte(c%250 + 1)})
		f.sip = netip.AddrFrom4([4]byte{203, 0, 113, byte(s + 1)})
		if s >= 10 {
			f.sip = netip.AddrFrom4([4]byte{198, 51, 100, byte(s*7 + 1)})
		}
	}
	f.cport = uint16(32768 + g.count%28000)
	f.sttl = uint8(r.between(44, 60))
	f.cid, f.sid = uint16(r.next()), uint16(r.next())
	if k != kindARP && k != kindND {
		f.raw = g.o.PcapNG && r.chance(150)
	}
	if !f.raw && (g.o.TagAll || r.chance(125)) {
		f.ntags = 1
		if r.chance(200) {
			f.ntags = 2
			f.tags[0] = VLAN{TPID: EtherTypeQinQ, ID: uint16(r.between(100, 200))}
		}
		f.tags[f.ntags-1] = VLAN{Priority: uint8(r.intn(8)), ID: uint16(r.between(2, 4094))}
	}
	switch k {
	case kindHTTP:
		f.sport = 80
		if r.chance(150) {
			f.sport = 8080
		}
		f.ciss, f.siss = uint32(r.next()), uint32(r.next())
		f.ts = r.chance(700)
		f.tsOff = uint32(r.next())
		f.mss = 1460
		if f.v6 {
			f.mss = 1440
		}
		if f.ts {
			f.mss -= 12
		}
		f.cwin, f.swin = uint16(r.between(200, 2048)), uint16(r.between(200, 1024))
		f.left = 1
		if r.chance(300) {
			f.left = r.between(2, 4)
		}
	case kindDNS:
		f.sport = 53
		f.cport = uint16(r.between(1024, 65535))
		f.dnsID = uint16(r.next())
		f.qtype = DNSTypeA
		if r.chance(300) {
			f.qtype = DNSTypeAAAA
		}
		if f.v6 {
			f.sip = resolver6
		} else {
			f.sip = resolver4
		}
		f.left = 1
		if r.chance(200) {
			f.left = 2 // the same question again (a retry)
		}
	case kindUDP:
		f.sport = 443
		if r.chance(300) {
			f.sport = 123
		}
		f.left = r.between(2, 12)
	case kindPing, kindFragPing:
		f.pingID = uint16(r.next())
		f.left = r.between(1, 4)
		if k == kindFragPing {
			f.left = 1
		}
	case kindND:
		f.cip = linkLocal(f.cmac)
		f.sip = linkLocal(gatewayMAC)
	case kindARP:
		f.cip = netip.AddrFrom4([4]byte{10, 0, byte(c / 250), byte(c%250 + 1)})
		f.sip = gateway4
		if r.chance(400) {
			o := r.intn(500)
			f.sip = netip.AddrFrom4([4]byte{10, 0, byte(o / 250), byte(o%250 + 1)})
			f.smac = MAC{0x02, 0x00, 0x0a, 0x00, byte(o >> 8), byte(o)}
		}
	case kindFragUDP:
		f.sport = 41000 // no dissector claims it: the payload stays data
	}
}

// linkLocal returns the EUI-64 link-local address of a MAC.
func linkLocal(m MAC) netip.Addr {
	return netip.AddrFrom16([16]byte{0xfe, 0x80, 0, 0, 0, 0, 0, 0,
		m[0] ^ 2, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]})
}

// plan queues the next frames of f; none when the flow is over.
func (g *generator) plan(f *flow) {
	switch f.kind {
	case kindHTTP:
		g.planTCP(f)
	case kindDNS:
		if f.left > 0 {
			f.left--
			f.push(action{op: opDNSQuery, fromClient: true})
			if f.left == 0 || g.r.chance(500) {
				f.left = 0
				f.push(action{op: opDNSAnswer})
			}
		}
	case kindUDP:
		if f.left > 0 {
			f.left--
			n := g.r.between(40, 1350)
			if f.sport == 123 {
				n = 48
			}
			f.push(action{op: opUDP, fromClient: f.state%2 == 0, n: n})
			f.state++
		}
	case kindPing:
		if f.left > 0 {
			f.left--
			f.state++
			f.push(action{op: opPing, fromClient: true, i: f.state, n: 56})
			if !g.r.chance(50) { // a few requests go unanswered
				f.push(action{op: opPing, i: f.state, n: 56})
			}
		}
	case kindND:
		if f.state == 0 {
			f.state = 1
			if g.r.chance(400) { // joining its solicited-node group first
				f.push(action{op: opMLD, fromClient: true})
			}
			f.push(action{op: opNS, fromClient: true})
			f.push(action{op: opNA})
		}
	case kindARP:
		if f.state == 0 {
			f.state = 1
			f.push(action{op: opARPRequest, fromClient: true})
			f.push(action{op: opARPReply})
		}
	case kindFragUDP, kindFragPing:
		g.planFrag(f)
	}
}

// planTCP advances an HTTP connection by one burst of segments.
func (g *generator) planTCP(f *flow) {
	r := g.r
	switch f.state {
	case 0:
		f.push(action{op: opTCP, fromClient: true, flags: SYN, seq: f.ciss})
		f.cnext = f.ciss + 1
		f.state = 1
	case 1:
		if r.chance(20) { // the SYN is retransmitted once
			f.push(action{op: opTCP, fromClient: true, flags: SYN, seq: f.ciss})
		}
		f.push(action{op: opTCP, flags: SYN | ACK, seq: f.siss, ack: f.cnext})
		f.snext = f.siss + 1
		f.push(action{op: opTCP, fromClient: true, flags: ACK, seq: f.cnext, ack: f.snext})
		f.state = 2
		g.startRequest(f)
	case 2: // request segments
		n := min(f.mss, len(f.msg)+f.bodyLen-f.sent)
		total := len(f.msg) + f.bodyLen
		fl := ACK
		if f.sent+n == total {
			fl |= PSH
		}
		f.push(action{op: opTCP, fromClient: true, flags: fl, seq: f.cnext + uint32(f.sent), ack: f.snext, off: f.sent, n: n})
		f.sent += n
		if f.sent == total {
			f.cnext += uint32(total)
			if total > f.mss {
				f.push(action{op: opTCP, flags: ACK, seq: f.snext, ack: f.cnext})
			}
			// The queued segments still read f.msg: the response starts
			// once they are sent.
			f.state = 6
		}
	case 3: // response segments
		total := len(f.msg) + f.bodyLen
		n := min(f.mss, total-f.sent)
		seq := f.snext + uint32(f.sent)
		if n2 := min(f.mss, total-f.sent-n); n2 > 0 && r.chance(15) {
			// Out of order: the next segment overtakes this one; the client
			// sends a duplicate ACK with a SACK block, then acks both.
			s2 := seq + uint32(n)
			f.push(action{op: opTCP, flags: ACK, seq: s2, ack: f.cnext, off: f.sent + n, n: n2})
			f.push(action{op: opTCP, fromClient: true, flags: ACK, seq: f.cnext, ack: seq, sack: true, sl: s2, sr: s2 + uint32(n2)})
			f.push(action{op: opTCP, flags: ACK, seq: seq, ack: f.cnext, off: f.sent, n: n})
			f.sent += n + n2
			f.push(action{op: opTCP, fromClient: true, flags: ACK, seq: f.cnext, ack: f.snext + uint32(f.sent)})
			f.unacked = 0
		} else {
			fl := ACK
			if f.sent+n == total {
				fl |= PSH
			}
			a := action{op: opTCP, flags: fl, seq: seq, ack: f.cnext, off: f.sent, n: n}
			f.push(a)
			if r.chance(10) { // retransmission
				f.push(a)
			}
			f.sent += n
			f.unacked++
			if f.unacked == 2 || f.sent == total {
				f.push(action{op: opTCP, fromClient: true, flags: ACK, seq: f.cnext, ack: f.snext + uint32(f.sent)})
				f.unacked = 0
			}
		}
		if f.sent == total {
			f.snext += uint32(total)
			f.left--
			if f.left > 0 {
				f.state = 7
			} else {
				f.state = 4
			}
		}
	case 6:
		g.startResponse(f)
		f.state = 3
		g.planTCP(f)
	case 7:
		g.startRequest(f)
		f.state = 2
		g.planTCP(f)
	case 4: // close
		switch p := r.intn(100); {
		case p < 88:
			f.push(action{op: opTCP, fromClient: true, flags: FIN | ACK, seq: f.cnext, ack: f.snext})
			f.push(action{op: opTCP, flags: FIN | ACK, seq: f.snext, ack: f.cnext + 1})
			f.push(action{op: opTCP, fromClient: true, flags: ACK, seq: f.cnext + 1, ack: f.snext + 1})
		case p < 95:
			f.push(action{op: opTCP, flags: RST | ACK, seq: f.snext, ack: f.cnext})
		default:
			f.push(action{op: opTCP, fromClient: true, flags: RST | ACK, seq: f.cnext, ack: f.snext})
		}
		f.state = 5
	}
}

// startRequest builds the next HTTP request of f into f.msg.
func (g *generator) startRequest(f *flow) {
	r := g.r
	f.sent = 0
	f.bodyLen, f.bodyBin = 0, false
	method := "GET"
	if r.chance(150) {
		method = "POST"
		f.bodyLen = r.between(20, 6000)
		if g.o.MaxBody > 0 && f.bodyLen > g.o.MaxBody {
			f.bodyLen = g.o.MaxBody
		}
		f.bodyBin = r.chance(300)
		f.bodyOff = r.intn(len(g.text))
	}
	b := f.msg[:0]
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, paths[r.intn(len(paths))]...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, names[f.name]...)
	b = append(b, "\r\nUser-Agent: "...)
	b = append(b, agents[r.intn(len(agents))]...)
	b = append(b, "\r\nAccept: */*\r\nAccept-Encoding: identity\r\nConnection: keep-alive\r\n"...)
	if f.bodyLen > 0 {
		b = append(b, "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "...)
		b = appendInt(b, f.bodyLen)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	f.msg = b
}

// startResponse builds the response header into f.msg and picks its body.
func (g *generator) startResponse(f *flow) {
	r := g.r
	f.sent = 0
	code := 200
	switch p := r.intn(100); {
	case p < 5:
		code = 304
	case p < 10:
		code = 404
	case p < 13:
		code = 301
	case p < 15:
		code = 500
	}
	ct := r.intn(len(contentTypes))
	switch {
	case code == 304:
		f.bodyLen = 0
	case code != 200:
		f.bodyLen = r.between(100, 600)
		ct = 0
	default:
		switch p := r.intn(100); {
		case p < 40:
			f.bodyLen = r.between(0, 2000)
		case p < 75:
			f.bodyLen = r.between(2000, 20000)
		case p < 95:
			f.bodyLen = r.between(20000, 100000)
		default:
			f.bodyLen = r.between(100000, 400000)
		}
	}
	if g.o.MaxBody > 0 && f.bodyLen > g.o.MaxBody {
		f.bodyLen = g.o.MaxBody
	}
	f.bodyBin = ct >= 4
	f.bodyOff = r.intn(len(g.text))
	b := f.msg[:0]
	b = append(b, "HTTP/1.1 "...)
	b = appendInt(b, code)
	b = append(b, ' ')
	b = append(b, StatusText(code)...)
	b = append(b, "\r\nServer: nginx/1.24.0\r\nDate: "...)
	b = g.o.Start.Add(time.Duration(g.now)).UTC().AppendFormat(b, "Mon, 02 Jan 2006 15:04:05 GMT")
	if code != 304 {
		b = append(b, "\r\nContent-Type: "...)
		b = append(b, contentTypes[ct]...)
		b = append(b, "\r\nContent-Length: "...)
		b = appendInt(b, f.bodyLen)
	}
	if code == 301 {
		b = append(b, "\r\nLocation: https://"...)
		b = append(b, names[f.name]...)
		b = append(b, '/')
	}
	b = append(b, "\r\nConnection: keep-alive\r\n\r\n"...)
	f.msg = b
}

// appendInt appends the decimal form of v (v >= 0).
func appendInt(b []byte, v int) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

// planFrag builds a large datagram once (and, for a ping, its reply),
// splits it into fragments, and queues one fragment per step.
func (g *generator) planFrag(f *flow) {
	r := g.r
	if f.state == 0 {
		f.state = 1
		n := r.between(1600, 8000)
		mtu := 1500
		if r.chance(150) {
			mtu = 576
			if f.v6 {
				mtu = 1280
			}
		}
		g.pl = g.fill(n, f.kind == kindFragUDP)
		f.frags = f.frags[:0]
		g.fragment(f, true, mtu)
		f.left = len(f.frags) // fragments from the client
		if f.kind == kindFragPing && !r.chance(50) {
			g.fragment(f, false, mtu)
		}
	}
	if i := f.state - 1; i < len(f.frags) {
		f.push(action{op: opFrag, fromClient: i < f.left, i: i})
		f.state++
	}
}

// fragment builds the datagram of f in one direction around the payload
// in g.pl, and appends its fragments (sometimes shuffled, now and then one
// duplicated) to f.frags.
func (g *generator) fragment(f *flow, fromClient bool, mtu int) {
	if g.err != nil {
		return
	}
	r := g.r
	g.ls[0] = g.ipLayer(f, fromClient)
	switch {
	case f.kind == kindFragUDP:
		g.udp = UDP{SrcPort: f.cport, DstPort: f.sport}
		g.ls[1] = &g.udp
	case f.v6:
		g.icmp6 = ICMPv6{Type: ICMPv6EchoRequest, ID: f.pingID, Seq: 1}
		if !fromClient {
			g.icmp6.Type = ICMPv6EchoReply
		}
		g.ls[1] = &g.icmp6
	default:
		g.icmp = ICMP{Type: ICMPEchoRequest, ID: f.pingID, Seq: 1}
		if !fromClient {
			g.icmp.Type = ICMPEchoReply
		}
		g.ls[1] = &g.icmp
	}
	g.ls[2] = &g.pl
	dg, err := g.bl.Build(g.ls[:3]...)
	if err != nil {
		g.err = fmt.Errorf("build datagram to fragment: %w", err)
		return
	}
	var frags [][]byte
	if f.v6 {
		frags, err = FragmentIPv6(dg, mtu, r.next32())
	} else {
		frags, err = FragmentIPv4(dg, mtu)
	}
	if err != nil {
		g.err = err
		return
	}
	if r.chance(250) {
		Shuffle(frags, r.next())
	}
	if r.chance(60) { // one fragment arrives twice
		frags = append(frags, frags[r.intn(len(frags))])
	}
	f.frags = append(f.frags, frags...)
}
