package decoder

// Application dispatch: which protocol a TCP or UDP payload holds, from its
// ports and, where ports say little, a cheap look at its first bytes.
//
//	DNS    TCP/UDP 53 (DNS), 5353 (mDNS), 5355 (LLMNR); over TCP with the
//	       2-byte length prefix of RFC 1035, section 4.2.2
//	HTTP   TCP, any port, when the payload starts with an HTTP/1.x request
//	       line ("GET / HTTP/1.1") or status line ("HTTP/1.1 200 OK").
//	       tshark decides by port (80, 8080, ...) and then only calls a
//	       segment http when it parses; with no TCP reassembly the start
//	       line is what makes a segment HTTP, so the heuristic alone is used.
//	FTP    TCP 21 (the control channel), when the payload starts with a
//	       command or a reply line
//	TLS    TCP, when the payload starts with a record header and holds a
//	       hello, or on a TLS port (443, 993, ...: see tls.go)
//	SSH    TCP, a version banner on any port, a binary packet on port 22,
//	       or a whole KEXINIT on any port (see ssh.go)
//	L2TP   UDP 1701
//	GTP    UDP 2152 (GTP-U), 2123 (GTP-C)
//	VXLAN  UDP 4789
//	DHCP   UDP 67, 68, when the payload holds BOOTP's fixed part and is a
//	       request or a reply
//	DHCPv6 UDP 546, 547, when the first byte is a message type
//	NTP    UDP 123, version 1 to 4 with the header its mode has
//	QUIC   UDP 443, a long header of a known version (see quic.go)
//	ESP    UDP 4500 (RFC 3948) unless the first 4 bytes are zero (IKE
//	       behind the non-ESP marker) or the payload is a 1-byte NAT
//	       keepalive
//
// Everything else is raw payload.

// portProto returns the protocol of a transport payload (non-empty).
func portProto(transport Proto, src, dst uint16, payload []byte) Proto {
	if len(payload) == 0 {
		return ProtoNone
	}
	if isDNSPort(src) || isDNSPort(dst) {
		return ProtoDNS
	}
	switch transport {
	case ProtoTCP:
		if isHTTPStart(payload) {
			return ProtoHTTP
		}
		if (src == 21 || dst == 21) && IsFTPStart(payload) {
			return ProtoFTP
		}
		// The first byte first, here, where it inlines: most payloads
		// start neither.
		switch tcpFirst[payload[0]] {
		case firstTLS:
			if isTLSStart(src, dst, payload) {
				return ProtoTLS
			}
		case firstSSH:
			if isSSHStart(src, dst, payload) {
				return ProtoSSH
			}
		}
	case ProtoUDP:
		if pr := udpPortProto(dst, payload); pr != ProtoRaw {
			return pr
		}
		return udpPortProto(src, payload)
	}
	return ProtoRaw
}

// What the first byte of a TCP payload may start: a TLS record (its
// content type, 20 to 24), SSH (a banner's 'S'; a packet's length, below
// 16 MiB, starts with 0).
const (
	firstTLS = 1 + iota
	firstSSH
)

var tcpFirst = func() (t [256]uint8) {
	for c := 20; c <= 24; c++ {
		t[c] = firstTLS
	}
	t['S'], t[0] = firstSSH, firstSSH
	return t
}()

func isDNSPort(port uint16) bool { return port == 53 || port == 5353 || port == 5355 }

func udpPortProto(port uint16, payload []byte) Proto {
	switch port {
	case 1701:
		return ProtoL2TP
	case 2152, 2123:
		return ProtoGTP
	case 4789:
		return ProtoVXLAN
	case 67, 68:
		if isDHCP(payload) {
			return ProtoDHCP
		}
	case 546, 547:
		if isDHCPv6(payload) {
			return ProtoDHCPv6
		}
	case 123:
		if isNTP(payload) {
			return ProtoNTP
		}
	case 443:
		if isQUIC(payload) {
			return ProtoQUIC
		}
	case 4500:
		if len(payload) >= 4 && (payload[0]|payload[1]|payload[2]|payload[3]) != 0 {
			return ProtoESP
		}
	}
	return ProtoRaw
}
