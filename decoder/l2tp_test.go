package decoder

import (
	"encoding/binary"
	"testing"
)

// linkUDPWith returns a UDP header (checksum 0) for the ports and payload,
// followed by the payload.
func linkUDPWith(sport, dport uint16, payload []byte) []byte {
	h := make([]byte, 8)
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(payload)))
	return append(h, payload...)
}

func TestL2TP(t *testing.T) {
	ip := linkIPv4
	ctrl := "c802 001f 0000 0000 0000 0000 8008 0000 0000 0001 000b 0000 0007 686f73742e"
	v3ctrl := "00000000 c803 0014 00000007 0001 0002 8008 0000 0000 0001"
	runLinkCases(t, []linkCase{
		{
			name: "v2 data with length, PPP LCP, padding trimmed", first: ProtoL2TP,
			data:  lhex(t, "4002 0010 0001 0002 ff03 c021 01010004 eeee"),
			chain: "L2TP:PPP",
			fields: map[string]string{
				"l2tp.flags.type": "data [0]", "l2tp.flags.length": "true", "l2tp.flags.sequence": "false",
				"l2tp.flags.offset": "false", "l2tp.flags.priority": "false", "l2tp.version": "2",
				"l2tp.len": "16", "l2tp.tunnel_id": "1", "l2tp.session_id": "2", "l2tp.ns": "<absent>",
				"l2tp.ppp.raw": "01010004",
			},
		},
		{
			name: "v2 data with sequence and offset", first: ProtoL2TP,
			data:  lhex(t, "4a02 0028 0001 0002 0003 0004 0002 aaaa ff03 0021"+ip),
			chain: "L2TP:PPP:IPv4",
			fields: map[string]string{
				"l2tp.flags.sequence": "true", "l2tp.flags.offset": "true", "l2tp.ns": "3", "l2tp.nr": "4",
				"l2tp.offset_size": "2", "l2tp.ppp.ipv4.src": "10.0.0.1",
			},
		},
		{
			name: "v2 data without length", first: ProtoL2TP,
			data:   lhex(t, "0102 0001 0002 ff03 c021 01010004"),
			chain:  "L2TP:PPP",
			fields: map[string]string{"l2tp.len": "<absent>", "l2tp.flags.priority": "true", "l2tp.ppp.raw": "01010004"},
		},
		{
			name: "v2 control SCCRQ", first: ProtoL2TP,
			data:  lhex(t, ctrl),
			chain: "L2TP",
			fields: map[string]string{
				"l2tp.flags.type": "control [1]", "l2tp.len": "31", "l2tp.ns": "0", "l2tp.avps#": "2",
				"l2tp.avps..mandatory": "true", "l2tp.avps..hidden": "false", "l2tp.avps..len": "8",
				"l2tp.avps..vendor_id": "0", "l2tp.avps..type": "Message Type [0]",
				"l2tp.avps..message_type": "SCCRQ [1]", "l2tp.raw": "<absent>",
			},
		},
		{
			name: "v2 over UDP 1701", first: ProtoIPv4,
			data:   linkIPv4With(17, linkUDPWith(1701, 1701, lhex(t, ctrl))),
			chain:  "IPv4:UDP:L2TP",
			fields: map[string]string{"ipv4.udp.l2tp.avps..message_type": "SCCRQ [1]", "ipv4.udp.l2tp.tunnel_id": "0"},
		},
		{
			name: "v3 data over UDP", first: ProtoL2TP,
			data:  lhex(t, "0003 0000 00001234 0102"),
			chain: "L2TP",
			fields: map[string]string{
				"l2tp.flags.type": "data [0]", "l2tp.version": "3", "l2tp.session_id": "4660",
				"l2tp.flags.offset": "<absent>", "l2tp.raw": "0102",
			},
		},
		{
			name: "v3 control over UDP, ZLB", first: ProtoL2TP,
			data:   lhex(t, "c803 000c 00000007 0000 0000"),
			chain:  "L2TP",
			fields: map[string]string{"l2tp.control_connection_id": "7", "l2tp.avps#": "0", "l2tp.tunnel_id": "<absent>"},
		},
		{
			name: "v3 data over IP", first: ProtoIPv4,
			data:   linkIPv4With(115, lhex(t, "00001234 0102")),
			chain:  "IPv4:L2TP",
			fields: map[string]string{"ipv4.l2tp.session_id": "4660", "ipv4.l2tp.flags": "<absent>", "ipv4.l2tp.raw": "0102"},
		},
		{
			name: "v3 control over IP", first: ProtoIPv4,
			data:  linkIPv4With(115, lhex(t, v3ctrl+"ffff")),
			chain: "IPv4:L2TP",
			fields: map[string]string{
				"ipv4.l2tp.session_id": "0", "ipv4.l2tp.flags.type": "control [1]", "ipv4.l2tp.len": "20",
				"ipv4.l2tp.control_connection_id": "7", "ipv4.l2tp.ns": "1", "ipv4.l2tp.nr": "2",
				"ipv4.l2tp.avps..message_type": "SCCRQ [1]", "ipv4.l2tp.raw": "<absent>",
			},
		},
		{
			name: "v2 control over IP", first: ProtoIPv4,
			data:  linkIPv4With(115, lhex(t, "00000000 c802 000c 00000007 0000 0000")),
			chain: "IPv4:L2TP", err: ErrMalformed, errAt: ProtoL2TP,
			fields: map[string]string{"ipv4.l2tp.error.reason": "malformed: control message version 2 over IP, want 3"},
		},
		{
			name: "v3 control without L and S", first: ProtoL2TP,
			data:  lhex(t, "8003 000c 00000007 0000 0000"),
			chain: "L2TP", err: ErrMalformed, errAt: ProtoL2TP,
		},
		{
			name: "AVP shorter than its header", first: ProtoL2TP,
			data:  lhex(t, "c802 0012 0000 0000 0000 0000 8004 0000 0000"),
			chain: "L2TP", err: ErrMalformed, errAt: ProtoL2TP,
			fields: map[string]string{"l2tp.error.reason": "malformed: AVP at offset 12: length 4 below 6"},
		},
		{
			name: "AVP overruns the message", first: ProtoL2TP,
			data:  lhex(t, "c802 0014 0000 0000 0000 0000 8010 0000 0000 0001"),
			chain: "L2TP", err: ErrMalformed, errAt: ProtoL2TP,
			fields: map[string]string{"l2tp.error.reason": "malformed: AVP at offset 12: length 16 exceeds the 8 bytes left in the message"},
		},
		{
			name: "stray bytes after the AVPs", first: ProtoL2TP,
			data:  lhex(t, "c802 000f 0000 0000 0000 0000 800800"),
			chain: "L2TP", err: ErrMalformed, errAt: ProtoL2TP,
		},
		{
			name: "control message cut", first: ProtoL2TP,
			data:  lhex(t, "c802 0040 0000 0000 0000 0000 8008 0000 0000 0001"),
			chain: "L2TP", err: ErrTruncated, errAt: ProtoL2TP,
			fields: map[string]string{"l2tp.error.reason": "truncated: need 64 bytes, have 20"},
		},
		{
			name: "length below the header", first: ProtoL2TP,
			data:  lhex(t, "4002 0004 0001 0002"),
			chain: "L2TP", err: ErrMalformed, errAt: ProtoL2TP,
		},
		{
			name: "offset pad beyond the data", first: ProtoL2TP,
			data:  lhex(t, "0202 0001 0002 0010 aa"),
			chain: "L2TP", err: ErrTruncated, errAt: ProtoL2TP,
		},
		{
			name: "L2F version 1", first: ProtoL2TP,
			data:  lhex(t, "0001 0000 0000"),
			chain: "L2TP", err: ErrUnsupported, errAt: ProtoL2TP,
		},
	})
	linkAllocs(t, ProtoL2TP, lhex(t, ctrl))
	linkAllocs(t, ProtoL2TP, lhex(t, "4a02 0028 0001 0002 0003 0004 0002 aaaa ff03 0021"+ip))
	linkAllocs(t, ProtoIPv4, linkIPv4With(115, lhex(t, v3ctrl)))
}
