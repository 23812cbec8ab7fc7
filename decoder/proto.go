package decoder

import "strings"

// Proto identifies a protocol layer.
type Proto uint8

// Protocols pcapflow decodes. ProtoRaw marks undecoded payload.
const (
	ProtoNone Proto = iota
	ProtoRaw
	// link
	ProtoEthernet
	ProtoVLAN
	ProtoARP
	ProtoRARP
	ProtoSLL
	ProtoSLL2
	ProtoNull
	ProtoLoop
	ProtoLLC
	ProtoPPP
	ProtoPPPoE
	ProtoMPLS
	ProtoL2TP
	ProtoOSPF
	// internet
	ProtoIPv4
	ProtoIPv6
	ProtoHopOpts
	ProtoIPv6Route
	ProtoIPv6Frag
	ProtoIPv6Opts
	ProtoAH
	ProtoESP
	ProtoHIP
	ProtoMH
	ProtoIPX
	ProtoICMP
	ProtoICMPv6
	ProtoIGMP
	ProtoGRE
	// transport
	ProtoTCP
	ProtoUDP
	// application
	ProtoDNS
	ProtoHTTP
	ProtoGTP
	ProtoVXLAN
	ProtoSCTP // transport, after the others: protocol numbers are on the bus
	ProtoFTP
	ProtoTLS
	ProtoDHCP
	ProtoIPComp // internet, after the others: protocol numbers are on the bus
	ProtoDHCPv6
	ProtoNTP
	ProtoSSH
	ProtoQUIC
	numProtos
)

// Layer levels, as PyPCAPKit's layer thresholds name them.
type Level uint8

const (
	LevelNone Level = iota
	LevelLink
	LevelInternet
	LevelTransport
	LevelApplication
)

var levelNames = [...]string{LevelNone: "", LevelLink: "link", LevelInternet: "internet",
	LevelTransport: "transport", LevelApplication: "application"}

func (l Level) String() string { return levelNames[l] }

// ParseLevel parses a layer name (case-insensitive).
func ParseLevel(s string) (Level, bool) {
	for i, n := range levelNames {
		if i > 0 && strings.EqualFold(n, s) {
			return Level(i), true
		}
	}
	return LevelNone, false
}

type protoInfo struct {
	name  string // in the protocol chain: "Ethernet", "IPv4", ...
	key   string // report object key: "ethernet", "ipv4", ...
	level Level
}

var protos = [numProtos]protoInfo{
	ProtoNone:      {"", "", LevelNone},
	ProtoRaw:       {"Raw", "raw", LevelNone},
	ProtoEthernet:  {"Ethernet", "ethernet", LevelLink},
	ProtoVLAN:      {"VLAN", "vlan", LevelLink},
	ProtoARP:       {"ARP", "arp", LevelLink},
	ProtoRARP:      {"RARP", "rarp", LevelLink},
	ProtoSLL:       {"SLL", "sll", LevelLink},
	ProtoSLL2:      {"SLL2", "sll2", LevelLink},
	ProtoNull:      {"Null", "null", LevelLink},
	ProtoLoop:      {"Loopback", "loopback", LevelLink},
	ProtoLLC:       {"LLC", "llc", LevelLink},
	ProtoPPP:       {"PPP", "ppp", LevelLink},
	ProtoPPPoE:     {"PPPoE", "pppoe", LevelLink},
	ProtoMPLS:      {"MPLS", "mpls", LevelLink},
	ProtoL2TP:      {"L2TP", "l2tp", LevelLink},
	ProtoOSPF:      {"OSPF", "ospf", LevelLink},
	ProtoIPv4:      {"IPv4", "ipv4", LevelInternet},
	ProtoIPv6:      {"IPv6", "ipv6", LevelInternet},
	ProtoHopOpts:   {"HOPOPT", "hopopt", LevelInternet},
	ProtoIPv6Route: {"IPv6_Route", "ipv6_route", LevelInternet},
	ProtoIPv6Frag:  {"IPv6_Frag", "ipv6_frag", LevelInternet},
	ProtoIPv6Opts:  {"IPv6_Opts", "ipv6_opts", LevelInternet},
	ProtoAH:        {"AH", "ah", LevelInternet},
	ProtoESP:       {"ESP", "esp", LevelInternet},
	ProtoHIP:       {"HIP", "hip", LevelInternet},
	ProtoMH:        {"MH", "mh", LevelInternet},
	ProtoIPX:       {"IPX", "ipx", LevelInternet},
	ProtoICMP:      {"ICMP", "icmp", LevelInternet},
	ProtoICMPv6:    {"ICMPv6", "icmpv6", LevelInternet},
	ProtoIGMP:      {"IGMP", "igmp", LevelInternet},
	ProtoGRE:       {"GRE", "gre", LevelInternet},
	ProtoTCP:       {"TCP", "tcp", LevelTransport},
	ProtoUDP:       {"UDP", "udp", LevelTransport},
	ProtoDNS:       {"DNS", "dns", LevelApplication},
	ProtoHTTP:      {"HTTP", "http", LevelApplication},
	ProtoGTP:       {"GTP", "gtp", LevelApplication},
	ProtoVXLAN:     {"VXLAN", "vxlan", LevelApplication},
	ProtoSCTP:      {"SCTP", "sctp", LevelTransport},
	ProtoFTP:       {"FTP", "ftp", LevelApplication},
	ProtoTLS:       {"TLS", "tls", LevelApplication},
	ProtoDHCP:      {"DHCP", "dhcp", LevelApplication},
	ProtoIPComp:    {"IPComp", "ipcomp", LevelInternet},
	ProtoDHCPv6:    {"DHCPv6", "dhcpv6", LevelApplication},
	ProtoNTP:       {"NTP", "ntp", LevelApplication},
	ProtoSSH:       {"SSH", "ssh", LevelApplication},
	ProtoQUIC:      {"QUIC", "quic", LevelApplication},
}

// String returns the protocol's name as it appears in protocol chains.
func (p Proto) String() string {
	if p >= numProtos {
		return "Unknown"
	}
	return protos[p].name
}

// Key returns the protocol's object key in reports ("ipv4").
func (p Proto) Key() string {
	if p >= numProtos {
		return "unknown"
	}
	return protos[p].key
}

// Level returns the layer level the protocol belongs to.
func (p Proto) Level() Level {
	if p >= numProtos {
		return LevelNone
	}
	return protos[p].level
}

// ParseProto finds a protocol by chain name or report key, case-insensitively.
func ParseProto(s string) (Proto, bool) {
	for i := ProtoRaw; i < numProtos; i++ {
		if strings.EqualFold(protos[i].name, s) || strings.EqualFold(protos[i].key, s) {
			return i, true
		}
	}
	return ProtoNone, false
}

// Protos lists every protocol the decoder knows, in enum order.
func Protos() []Proto {
	out := make([]Proto, 0, numProtos-ProtoRaw)
	for i := ProtoRaw; i < numProtos; i++ {
		out = append(out, i)
	}
	return out
}
