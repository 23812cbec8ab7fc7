package decoder

import (
	"bytes"
	"encoding/binary"
)

// DHCP (RFC 2131) and BOOTP (RFC 951), UDP ports 67 (server) and 68
// (client):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+---------------+---------------+---------------+---------------+
//	|     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
//	+---------------+---------------+---------------+---------------+
//	|                            xid (4)                            |
//	+-------------------------------+-------------------------------+
//	|           secs (2)            |           flags (2)           |
//	+-------------------------------+-------------------------------+
//	|  ciaddr, yiaddr, siaddr, giaddr (4 each)                      |
//	+---------------------------------------------------------------+
//	|  chaddr (16), sname (64), file (128)                          |
//	+---------------------------------------------------------------+
//	|  options (variable): the magic cookie 99.130.83.99, then      |
//	|  code-length-value options (RFC 2132) up to the End option    |
//	+---------------------------------------------------------------+
//
// The options are checked when the packet is decoded: one that runs past
// the payload fails the layer. What follows the End option is padding.
// Without the magic cookie (BOOTP) the rest is the vendor area, raw.
const (
	dhcpOp      = 0
	dhcpHType   = 1
	dhcpHLen    = 2
	dhcpHops    = 3
	dhcpXID     = 4
	dhcpSecs    = 8
	dhcpFlags   = 10
	dhcpCIAddr  = 12
	dhcpYIAddr  = 16
	dhcpSIAddr  = 20
	dhcpGIAddr  = 24
	dhcpCHAddr  = 28
	dhcpSName   = 44
	dhcpFile    = 108
	dhcpFixed   = 236
	dhcpOptions = 240 // after the magic cookie

	dhcpBroadcast = 0x8000
)

var dhcpCookie = []byte{99, 130, 83, 99}

// DHCP is a view of a DHCP or BOOTP message.
type DHCP []byte

func (h DHCP) Op() uint8      { return h[dhcpOp] }
func (h DHCP) HType() uint8   { return h[dhcpHType] }
func (h DHCP) HLen() uint8    { return h[dhcpHLen] }
func (h DHCP) Hops() uint8    { return h[dhcpHops] }
func (h DHCP) XID() uint32    { return binary.BigEndian.Uint32(h[dhcpXID:]) }
func (h DHCP) Secs() uint16   { return binary.BigEndian.Uint16(h[dhcpSecs:]) }
func (h DHCP) Flags() uint16  { return binary.BigEndian.Uint16(h[dhcpFlags:]) }
func (h DHCP) CIAddr() []byte { return h[dhcpCIAddr : dhcpCIAddr+4] }
func (h DHCP) YIAddr() []byte { return h[dhcpYIAddr : dhcpYIAddr+4] }
func (h DHCP) SIAddr() []byte { return h[dhcpSIAddr : dhcpSIAddr+4] }
func (h DHCP) GIAddr() []byte { return h[dhcpGIAddr : dhcpGIAddr+4] }
func (h DHCP) CHAddr() []byte { return h[dhcpCHAddr : dhcpCHAddr+16] }
func (h DHCP) SName() []byte  { return cString(h[dhcpSName:dhcpFile]) }
func (h DHCP) File() []byte   { return cString(h[dhcpFile:dhcpFixed]) }
func (h DHCP) HasCookie() bool {
	return len(h) >= dhcpOptions && bytes.Equal(h[dhcpFixed:dhcpOptions], dhcpCookie)
}
func (h DHCP) OptionBytes() []byte {
	if !h.HasCookie() {
		return nil
	}
	return h[dhcpOptions:]
}

// cString returns b up to its first NUL.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// isDHCP reports whether a UDP payload on port 67 or 68 is a BOOTP/DHCP
// message: a request or a reply, with a hardware address length that fits
// chaddr. A message cut short (by the capture's snapshot length) is one:
// its layer then fails as truncated, with the fields its bytes hold.
func isDHCP(b []byte) bool { return len(b) >= 4 && (b[0] == 1 || b[0] == 2) && b[2] <= 16 }

func decodeDHCP(p *Packet, l *Layer) (Proto, error) {
	b := DHCP(p.Data[l.Off:l.End])
	if len(b) < dhcpFixed {
		return ProtoNone, truncated(dhcpFixed, len(b))
	}
	if !b.HasCookie() {
		l.Hdr = dhcpFixed
		if len(b) == dhcpFixed {
			return ProtoNone, nil
		}
		return ProtoRaw, nil // the BOOTP vendor area
	}
	opts := b.OptionBytes()
	for i := 0; i < len(opts); {
		switch code := opts[i]; code {
		case 0: // pad
			i++
		case 255: // end: padding follows
			i = len(opts)
		default:
			if i+2 > len(opts) || i+2+int(opts[i+1]) > len(opts) {
				l.Hdr = 0
				return ProtoNone, malformed("dhcp option %d at offset %d runs past the end of the message", code, dhcpOptions+i)
			}
			i += 2 + int(opts[i+1])
		}
	}
	l.Hdr = uint32(len(b))
	return ProtoNone, nil
}

var dhcpOps = [...]string{1: "request", 2: "reply"}

var dhcpMessageTypes = [...]string{1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
	7: "RELEASE", 8: "INFORM", 9: "FORCERENEW", 10: "LEASEQUERY", 11: "LEASEUNASSIGNED", 12: "LEASEUNKNOWN",
	13: "LEASEACTIVE", 14: "BULKLEASEQUERY", 15: "LEASEQUERYDONE", 16: "ACTIVELEASEQUERY",
	17: "LEASEQUERYSTATUS", 18: "TLS"}

// dhcpOptionNames names the options of RFC 2132 and the common later ones.
var dhcpOptionNames = [256]string{0: "pad", 1: "subnet_mask", 2: "time_offset", 3: "router", 4: "time_server",
	5: "name_server", 6: "domain_name_server", 7: "log_server", 12: "hostname", 13: "boot_file_size",
	15: "domain_name", 17: "root_path", 19: "ip_forwarding", 23: "default_ttl", 26: "interface_mtu",
	28: "broadcast_address", 31: "router_discovery", 33: "static_route", 35: "arp_cache_timeout",
	42: "ntp_servers", 43: "vendor_specific", 44: "netbios_name_server", 46: "netbios_node_type",
	47: "netbios_scope", 50: "requested_ip_address", 51: "ip_address_lease_time", 52: "option_overload",
	53: "dhcp_message_type", 54: "dhcp_server_identifier", 55: "parameter_request_list", 56: "message",
	57: "maximum_dhcp_message_size", 58: "renewal_time", 59: "rebinding_time", 60: "vendor_class_identifier",
	61: "client_identifier", 66: "tftp_server_name", 67: "bootfile_name", 77: "user_class", 80: "rapid_commit",
	81: "client_fqdn", 82: "relay_agent_information", 90: "authentication", 93: "client_system_architecture",
	94: "client_network_interface", 97: "client_machine_identifier", 116: "auto_configure",
	118: "subnet_selection", 119: "domain_search", 121: "classless_static_route", 145: "forcerenew_nonce",
	150: "tftp_server_address", 249: "private_classless_static_route", 252: "private_proxy_autodiscovery",
	255: "end"}

func fieldsDHCP(t *Tree, p *Packet, l *Layer) { dhcpFields(t, DHCP(p.Data[l.Off:l.Off+l.Hdr])) }

// fieldsDHCPPartial writes what a message that failed holds: the fixed
// fields its bytes hold whole, and the options before a bad one.
func fieldsDHCPPartial(t *Tree, b []byte, err error) {
	if len(b) >= dhcpFixed {
		dhcpFields(t, DHCP(b))
		return
	}
	if len(b) >= dhcpCHAddr {
		dhcpHeadFields(t, DHCP(b))
	}
	if len(b) >= dhcpSName {
		dhcpCHAddrField(t, DHCP(b))
	}
}

func dhcpFields(t *Tree, h DHCP) {
	dhcpHeadFields(t, h)
	dhcpCHAddrField(t, h)
	t.StringBytes("sname", h.SName())
	t.StringBytes("file", h.File())
	t.Bool("magic_cookie", h.HasCookie())
	opts := h.OptionBytes()
	if opts == nil {
		return
	}
	pad := 0 // bytes after the End option
	t.Array("options")
	for i := 0; i < len(opts); {
		code := opts[i]
		if code == 0 {
			i++
			continue
		}
		if code != 255 && (i+2 > len(opts) || i+2+int(opts[i+1]) > len(opts)) {
			break // the option that failed the layer
		}
		t.Object("")
		t.Enum("code", uint64(code), tableName(dhcpOptionNames[:], int(code)))
		if code == 255 {
			t.Close()
			pad = len(opts) - i - 1
			break
		}
		n := int(opts[i+1])
		v := opts[i+2 : i+2+n]
		t.Uint("length", uint64(n))
		dhcpOptionValue(t, code, v)
		t.Close()
		i += 2 + n
	}
	t.Close()
	if pad > 0 {
		t.Uint("padding", uint64(pad))
	}
}

// dhcpHeadFields writes the fields before chaddr.
func dhcpHeadFields(t *Tree, h DHCP) {
	t.Enum("op", uint64(h.Op()), tableName(dhcpOps[:], int(h.Op())))
	t.Uint("htype", uint64(h.HType()))
	t.Uint("hlen", uint64(h.HLen()))
	t.Uint("hops", uint64(h.Hops()))
	t.Uint("xid", uint64(h.XID()))
	t.Uint("secs", uint64(h.Secs()))
	t.Object("flags")
	t.Bool("broadcast", h.Flags()&dhcpBroadcast != 0)
	t.Uint("value", uint64(h.Flags()))
	t.Close()
	t.IPv4("ciaddr", h.CIAddr())
	t.IPv4("yiaddr", h.YIAddr())
	t.IPv4("siaddr", h.SIAddr())
	t.IPv4("giaddr", h.GIAddr())
}

func dhcpCHAddrField(t *Tree, h DHCP) {
	if h.HType() == 1 && h.HLen() == 6 {
		t.MAC("chaddr", h.CHAddr()[:6])
	} else {
		t.Bytes("chaddr", h.CHAddr()[:min(int(h.HLen()), 16)])
	}
}

// addrList writes v as a list of addresses of size bytes (4: IPv4, 16:
// IPv6), when it is one: not empty, a whole number of them.
func addrList(t *Tree, key string, v []byte, size int) bool {
	if len(v) == 0 || len(v)%size != 0 {
		return false
	}
	t.Array(key)
	for j := 0; j < len(v); j += size {
		if size == 4 {
			t.IPv4("", v[j:j+4])
		} else {
			t.IPv6("", v[j:j+16])
		}
	}
	t.Close()
	return true
}

// dhcpOptionValue writes an option's value, typed where the option's
// format is known and the length fits it, else as bytes.
func dhcpOptionValue(t *Tree, code uint8, v []byte) {
	switch code {
	case 1, 28, 50, 54, 118: // one address
		if len(v) == 4 {
			t.IPv4("value", v)
			return
		}
	case 3, 4, 5, 6, 7, 42, 44, 150: // addresses
		if addrList(t, "value", v, 4) {
			return
		}
	case 12, 14, 15, 17, 40, 47, 56, 60, 66, 67: // text
		t.StringBytes("value", v)
		return
	case 2, 51, 58, 59, 35: // 32-bit times
		if len(v) == 4 {
			t.Uint("value", uint64(binary.BigEndian.Uint32(v)))
			return
		}
	case 13, 22, 26, 57: // 16-bit values
		if len(v) == 2 {
			t.Uint("value", uint64(binary.BigEndian.Uint16(v)))
			return
		}
	case 19, 23, 31, 46, 116: // 8-bit values
		if len(v) == 1 {
			t.Uint("value", uint64(v[0]))
			return
		}
	case 53:
		if len(v) == 1 {
			t.Enum("value", uint64(v[0]), tableName(dhcpMessageTypes[:], int(v[0])))
			return
		}
	case 55: // parameter request list: option codes
		t.Array("value")
		for _, c := range v {
			t.Uint("", uint64(c))
		}
		t.Close()
		return
	case 61: // client identifier: a hardware type, then its address
		if len(v) == 7 && v[0] == 1 {
			t.Uint("hwtype", 1)
			t.MAC("value", v[1:])
			return
		}
	}
	t.Bytes("value", v)
}
