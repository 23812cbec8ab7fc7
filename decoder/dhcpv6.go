package decoder

import "encoding/binary"

// DHCPv6 (RFC 8415), UDP ports 546 (client) and 547 (server and relay
// agent). A client or server message is a type, a 3-byte transaction ID
// and options; a relay message (RELAY-FORW, RELAY-REPL) a type, a hop
// count, a link address and a peer address, then options (the relayed
// message inside its Relay Message option):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|    msg-type   |               transaction-id                  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|          option-code          |           option-len          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                          option-data ...
//
// The options are checked when the packet is decoded, nested ones too (an
// IA's addresses, a relayed message): one that runs past its container
// fails the layer.
const (
	dhcp6Hdr      = 4
	dhcp6RelayHdr = 34
	dhcp6RelayFw  = 12
	dhcp6RelayRep = 13
	// dhcp6MaxDepth bounds nested options (relay chains are at most 32
	// hops: RFC 8415, section 7.6).
	dhcp6MaxDepth = 40
)

// DHCPv6 is a view of a DHCPv6 message.
type DHCPv6 []byte

func (h DHCPv6) MsgType() uint8 { return h[0] }
func (h DHCPv6) IsRelay() bool  { return h[0] == dhcp6RelayFw || h[0] == dhcp6RelayRep }

// TransactionID is the ID of a client or server message.
func (h DHCPv6) TransactionID() uint32 { return uint32(h[1])<<16 | uint32(h[2])<<8 | uint32(h[3]) }

// HdrLen is the length of the fixed part: 4, or 34 for a relay message.
func (h DHCPv6) HdrLen() int {
	if h.IsRelay() {
		return dhcp6RelayHdr
	}
	return dhcp6Hdr
}

func isDHCPv6(b []byte) bool { return len(b) >= dhcp6Hdr && b[0] >= 1 && b[0] <= 36 }

func decodeDHCPv6(p *Packet, l *Layer) (Proto, error) {
	b := DHCPv6(p.Data[l.Off:l.End])
	if len(b) < dhcp6Hdr {
		return ProtoNone, truncated(dhcp6Hdr, len(b))
	}
	if n := b.HdrLen(); len(b) < n {
		return ProtoNone, truncated(n, len(b))
	}
	if off, code := dhcp6Check(b[b.HdrLen():], 0); off >= 0 {
		return ProtoNone, malformed("dhcpv6 option %d at offset %d runs past its container", code, b.HdrLen()+off)
	}
	l.Hdr = uint32(len(b))
	return ProtoNone, nil
}

// dhcp6Check walks the options in b and those nested in them; it returns
// the offset in b and the code of the first that does not fit, or -1.
func dhcp6Check(b []byte, depth int) (int, uint16) {
	for i := 0; i < len(b); {
		if i+4 > len(b) {
			return i, 0
		}
		code, n := binary.BigEndian.Uint16(b[i:]), int(binary.BigEndian.Uint16(b[i+2:]))
		if i+4+n > len(b) {
			return i, code
		}
		if v := b[i+4 : i+4+n]; depth < dhcp6MaxDepth {
			if off, inner := dhcp6Nested(code, v, depth); off >= 0 {
				return i + 4 + off, inner
			}
		}
		i += 4 + n
	}
	return -1, 0
}

// dhcp6Nested checks the options nested in an option's value v, where its
// code has them; it returns as dhcp6Check, offsets in v.
func dhcp6Nested(code uint16, v []byte, depth int) (int, uint16) {
	skip := dhcp6NestedAt(code, v)
	if skip < 0 {
		return -1, 0
	}
	if code == 9 { // Relay Message: a whole message
		if !isDHCPv6(v) || len(v) < DHCPv6(v).HdrLen() {
			return 0, code
		}
		skip = DHCPv6(v).HdrLen()
	}
	if off, c := dhcp6Check(v[skip:], depth+1); off >= 0 {
		return skip + off, c
	}
	return -1, 0
}

// dhcp6NestedAt returns where the options nested in an option of this
// code start in its value, or -1 if it has none (or is too short to).
func dhcp6NestedAt(code uint16, v []byte) int {
	at := -1
	switch code {
	case 3: // IA_NA: IAID, T1, T2, options
		at = 12
	case 4: // IA_TA: IAID, options
		at = 4
	case 5: // IA Address: address, preferred and valid lifetimes, options
		at = 24
	case 25: // IA_PD: IAID, T1, T2, options
		at = 12
	case 26: // IA Prefix: lifetimes, prefix length, prefix, options
		at = 25
	case 9:
		at = 0
	}
	if at > len(v) {
		return -1
	}
	return at
}

var dhcp6MsgTypes = [...]string{1: "SOLICIT", 2: "ADVERTISE", 3: "REQUEST", 4: "CONFIRM", 5: "RENEW", 6: "REBIND",
	7: "REPLY", 8: "RELEASE", 9: "DECLINE", 10: "RECONFIGURE", 11: "INFORMATION-REQUEST", 12: "RELAY-FORW",
	13: "RELAY-REPL", 14: "LEASEQUERY", 15: "LEASEQUERY-REPLY", 16: "LEASEQUERY-DONE", 17: "LEASEQUERY-DATA"}

var dhcp6OptionNames = [...]string{1: "client_id", 2: "server_id", 3: "ia_na", 4: "ia_ta", 5: "ia_address",
	6: "option_request", 7: "preference", 8: "elapsed_time", 9: "relay_message", 11: "authentication",
	12: "server_unicast", 13: "status_code", 14: "rapid_commit", 15: "user_class", 16: "vendor_class",
	17: "vendor_opts", 18: "interface_id", 19: "reconfigure_message", 20: "reconfigure_accept",
	21: "sip_server_domains", 22: "sip_server_addresses", 23: "dns_servers", 24: "domain_list", 25: "ia_pd",
	26: "ia_prefix", 31: "sntp_servers", 32: "information_refresh_time", 39: "client_fqdn",
	56: "ntp_server", 82: "sol_max_rt", 83: "inf_max_rt"}

var dhcp6StatusCodes = [...]string{0: "Success", 1: "UnspecFail", 2: "NoAddrsAvail", 3: "NoBinding",
	4: "NotOnLink", 5: "UseMulticast", 6: "NoPrefixAvail"}

func fieldsDHCPv6(t *Tree, p *Packet, l *Layer) {
	dhcp6Fields(t, DHCPv6(p.Data[l.Off:l.Off+l.Hdr]), 0)
}

func dhcp6Fields(t *Tree, h DHCPv6, depth int) {
	t.Enum("msg_type", uint64(h.MsgType()), tableName(dhcp6MsgTypes[:], int(h.MsgType())))
	if h.IsRelay() {
		t.Uint("hop_count", uint64(h[1]))
		t.IPv6("link_address", h[2:18])
		t.IPv6("peer_address", h[18:34])
	} else {
		t.Uint("transaction_id", uint64(h.TransactionID()))
	}
	dhcp6Options(t, h[h.HdrLen():], depth)
}

// dhcp6Options writes the options of b (checked by decodeDHCPv6).
func dhcp6Options(t *Tree, b []byte, depth int) {
	t.Array("options")
	for i := 0; i+4 <= len(b); {
		code, n := binary.BigEndian.Uint16(b[i:]), int(binary.BigEndian.Uint16(b[i+2:]))
		if i+4+n > len(b) {
			break
		}
		v := b[i+4 : i+4+n]
		t.Object("")
		t.Enum("code", uint64(code), tableName(dhcp6OptionNames[:], int(code)))
		t.Uint("length", uint64(n))
		dhcp6OptionValue(t, code, v, depth)
		t.Close()
		i += 4 + n
	}
	t.Close()
}

func dhcp6OptionValue(t *Tree, code uint16, v []byte, depth int) {
	switch code {
	case 1, 2: // DUID
		if len(v) >= 2 {
			t.Uint("duid_type", uint64(binary.BigEndian.Uint16(v)))
			// DUID-LLT (1) and DUID-LL (3) of Ethernet end in a MAC address.
			if typ := binary.BigEndian.Uint16(v); (typ == 1 && len(v) == 14 || typ == 3 && len(v) == 10) && binary.BigEndian.Uint16(v[2:]) == 1 {
				t.MAC("link_layer_address", v[len(v)-6:])
			}
		}
		t.Bytes("duid", v)
		return
	case 3, 25: // IA_NA, IA_PD
		if len(v) >= 12 {
			t.Uint("iaid", uint64(binary.BigEndian.Uint32(v)))
			t.Uint("t1", uint64(binary.BigEndian.Uint32(v[4:])))
			t.Uint("t2", uint64(binary.BigEndian.Uint32(v[8:])))
			dhcp6Options(t, v[12:], depth+1)
			return
		}
	case 4: // IA_TA
		if len(v) >= 4 {
			t.Uint("iaid", uint64(binary.BigEndian.Uint32(v)))
			dhcp6Options(t, v[4:], depth+1)
			return
		}
	case 5: // IA Address
		if len(v) >= 24 {
			t.IPv6("address", v[:16])
			t.Uint("preferred_lifetime", uint64(binary.BigEndian.Uint32(v[16:])))
			t.Uint("valid_lifetime", uint64(binary.BigEndian.Uint32(v[20:])))
			dhcp6Options(t, v[24:], depth+1)
			return
		}
	case 26: // IA Prefix
		if len(v) >= 25 {
			t.Uint("preferred_lifetime", uint64(binary.BigEndian.Uint32(v)))
			t.Uint("valid_lifetime", uint64(binary.BigEndian.Uint32(v[4:])))
			t.Uint("prefix_length", uint64(v[8]))
			t.IPv6("prefix", v[9:25])
			dhcp6Options(t, v[25:], depth+1)
			return
		}
	case 6: // Option Request: option codes
		t.Array("value")
		for j := 0; j+1 < len(v); j += 2 {
			t.Uint("", uint64(binary.BigEndian.Uint16(v[j:])))
		}
		t.Close()
		return
	case 7:
		if len(v) == 1 {
			t.Uint("value", uint64(v[0]))
			return
		}
	case 8: // elapsed time, hundredths of a second
		if len(v) == 2 {
			t.Uint("value", uint64(binary.BigEndian.Uint16(v)))
			return
		}
	case 9: // Relay Message
		if depth < dhcp6MaxDepth && isDHCPv6(v) && len(v) >= DHCPv6(v).HdrLen() {
			t.Object("message")
			dhcp6Fields(t, DHCPv6(v), depth+1)
			t.Close()
			return
		}
	case 12: // Server Unicast
		if len(v) == 16 {
			t.IPv6("value", v)
			return
		}
	case 13: // Status Code
		if len(v) >= 2 {
			st := binary.BigEndian.Uint16(v)
			t.Enum("status", uint64(st), tableName(dhcp6StatusCodes[:], int(st)))
			t.StringBytes("message", v[2:])
			return
		}
	case 22, 23, 31, 56: // addresses
		if addrList(t, "value", v, 16) {
			return
		}
	case 32, 82, 83:
		if len(v) == 4 {
			t.Uint("value", uint64(binary.BigEndian.Uint32(v)))
			return
		}
	case 21, 24: // domain names, uncompressed (RFC 8415, section 10)
		if names, ok := dhcp6Names(v); ok {
			t.Array("value")
			for _, n := range names {
				t.String("", n)
			}
			t.Close()
			return
		}
	}
	t.Bytes("value", v)
}

// dhcp6Names reads a list of uncompressed DNS names (RFC 1035 labels).
func dhcp6Names(b []byte) ([]string, bool) {
	var names []string
	for len(b) > 0 {
		var name []byte
		for {
			if len(b) == 0 {
				return nil, false
			}
			n := int(b[0])
			if n == 0 {
				b = b[1:]
				break
			}
			if n > 63 || 1+n > len(b) {
				return nil, false
			}
			if len(name) > 0 {
				name = append(name, '.')
			}
			name = append(name, b[1:1+n]...)
			b = b[1+n:]
		}
		names = append(names, string(name))
	}
	return names, true
}
