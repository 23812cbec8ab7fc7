package decoder

// The dispatch registry: literal tables from protocol to decode and field
// functions, and from numbers on the wire (EtherType, IP protocol, port) to
// protocols. Nothing registers itself at run time.

// decoders is the dispatch table, indexed by Proto. A nil entry means the
// protocol is recognised but not decoded: its bytes are raw payload.
var decoders = [numProtos]decodeFunc{
	ProtoEthernet:  decodeEthernet,
	ProtoVLAN:      decodeVLAN,
	ProtoARP:       decodeARP,
	ProtoRARP:      decodeARP,
	ProtoSLL:       decodeSLL,
	ProtoSLL2:      decodeSLL2,
	ProtoNull:      decodeNull,
	ProtoLoop:      decodeNull,
	ProtoLLC:       decodeLLC,
	ProtoPPP:       decodePPP,
	ProtoPPPoE:     decodePPPoE,
	ProtoMPLS:      decodeMPLS,
	ProtoL2TP:      decodeL2TP,
	ProtoOSPF:      decodeOSPF,
	ProtoIPv4:      decodeIPv4,
	ProtoIPv6:      decodeIPv6,
	ProtoHopOpts:   decodeIPv6Opts,
	ProtoIPv6Opts:  decodeIPv6Opts,
	ProtoIPv6Route: decodeIPv6Route,
	ProtoIPv6Frag:  decodeIPv6Frag,
	ProtoAH:        decodeAH,
	ProtoESP:       decodeESP,
	ProtoHIP:       decodeHIP,
	ProtoMH:        decodeMH,
	ProtoIPX:       decodeIPX,
	ProtoICMP:      decodeICMP,
	ProtoICMPv6:    decodeICMPv6,
	ProtoIGMP:      decodeIGMP,
	ProtoGRE:       decodeGRE,
	ProtoTCP:       decodeTCP,
	ProtoUDP:       decodeUDP,
	ProtoDNS:       decodeDNS,
	ProtoHTTP:      decodeHTTP,
	ProtoGTP:       decodeGTP,
	ProtoVXLAN:     decodeVXLAN,
	ProtoSCTP:      decodeSCTP,
	ProtoFTP:       decodeFTP,
	ProtoTLS:       decodeTLS,
	ProtoDHCP:      decodeDHCP,
	ProtoIPComp:    decodeIPComp,
	ProtoDHCPv6:    decodeDHCPv6,
	ProtoNTP:       decodeNTP,
	ProtoSSH:       decodeSSH,
	ProtoQUIC:      decodeQUIC,
}

// fieldsFunc writes the report fields of layer l (header fields only; the
// nesting of layers and the payload are handled by Packet.Fields).
type fieldsFunc func(t *Tree, p *Packet, l *Layer)

var fielders = [numProtos]fieldsFunc{
	ProtoEthernet:  fieldsEthernet,
	ProtoVLAN:      fieldsVLAN,
	ProtoARP:       fieldsARP,
	ProtoRARP:      fieldsARP,
	ProtoSLL:       fieldsSLL,
	ProtoSLL2:      fieldsSLL2,
	ProtoNull:      fieldsNull,
	ProtoLoop:      fieldsNull,
	ProtoLLC:       fieldsLLC,
	ProtoPPP:       fieldsPPP,
	ProtoPPPoE:     fieldsPPPoE,
	ProtoMPLS:      fieldsMPLS,
	ProtoL2TP:      fieldsL2TP,
	ProtoOSPF:      fieldsOSPF,
	ProtoIPv4:      fieldsIPv4,
	ProtoIPv6:      fieldsIPv6,
	ProtoHopOpts:   fieldsIPv6Opts,
	ProtoIPv6Opts:  fieldsIPv6Opts,
	ProtoIPv6Route: fieldsIPv6Route,
	ProtoIPv6Frag:  fieldsIPv6Frag,
	ProtoAH:        fieldsAH,
	ProtoESP:       fieldsESP,
	ProtoHIP:       fieldsHIP,
	ProtoMH:        fieldsMH,
	ProtoIPX:       fieldsIPX,
	ProtoICMP:      fieldsICMP,
	ProtoICMPv6:    fieldsICMPv6,
	ProtoIGMP:      fieldsIGMP,
	ProtoGRE:       fieldsGRE,
	ProtoTCP:       fieldsTCP,
	ProtoUDP:       fieldsUDP,
	ProtoDNS:       fieldsDNS,
	ProtoHTTP:      fieldsHTTP,
	ProtoGTP:       fieldsGTP,
	ProtoVXLAN:     fieldsVXLAN,
	ProtoSCTP:      fieldsSCTP,
	ProtoFTP:       fieldsFTP,
	ProtoTLS:       fieldsTLS,
	ProtoDHCP:      fieldsDHCP,
	ProtoDHCPv6:    fieldsDHCPv6,
	ProtoNTP:       fieldsNTP,
	ProtoSSH:       fieldsSSH,
	ProtoQUIC:      fieldsQUIC,
	// ProtoIPComp: set in ipsec.go's init (its fields decode a packet:
	// the table would refer to itself).
}

// protoRawIP is a marker for raw-IP link types: the version nibble decides.
const protoRawIP = numProtos + 1

// ipByVersion picks IPv4 or IPv6 from the version nibble of b.
func ipByVersion(b []byte) Proto {
	if len(b) == 0 {
		return ProtoNone
	}
	switch b[0] >> 4 {
	case 4:
		return ProtoIPv4
	case 6:
		return ProtoIPv6
	}
	return ProtoRaw
}

// etherTypeProto maps an EtherType to the protocol of the payload.
func etherTypeProto(et uint16) Proto {
	switch et {
	case 0x0800:
		return ProtoIPv4
	case 0x86dd:
		return ProtoIPv6
	case 0x0806:
		return ProtoARP
	case 0x8035:
		return ProtoRARP
	case 0x8100, 0x88a8, 0x9100, 0x9200:
		return ProtoVLAN
	case 0x8137:
		return ProtoIPX
	case 0x8863, 0x8864:
		return ProtoPPPoE
	case 0x8847, 0x8848:
		return ProtoMPLS
	case 0x880b:
		return ProtoPPP
	}
	return ProtoRaw
}

// ipProtoProto maps an IP protocol number (IPv4 protocol, IPv6 next header)
// to a protocol: one load from a table (small enough to inline; a switch
// of this size is not).
func ipProtoProto(n uint8) Proto { return ipProtos[n] }

var ipProtos = func() (t [256]Proto) {
	for i := range t {
		t[i] = ProtoRaw
	}
	t[0] = ProtoHopOpts
	t[1] = ProtoICMP
	t[2] = ProtoIGMP
	t[4] = ProtoIPv4
	t[6] = ProtoTCP
	t[17] = ProtoUDP
	t[41] = ProtoIPv6
	t[43] = ProtoIPv6Route
	t[44] = ProtoIPv6Frag
	t[47] = ProtoGRE
	t[50] = ProtoESP
	t[51] = ProtoAH
	t[58] = ProtoICMPv6
	t[59] = ProtoNone // IPv6 No Next Header
	t[60] = ProtoIPv6Opts
	t[89] = ProtoOSPF
	t[108] = ProtoIPComp
	t[115] = ProtoL2TP
	t[132] = ProtoSCTP
	t[135] = ProtoMH
	t[139] = ProtoHIP
	return t
}()
