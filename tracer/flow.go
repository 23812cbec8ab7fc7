package tracer

import (
	"net/netip"
	"strconv"

	"github.com/pcapflow/pcapflow/decoder"
)

// Flow is the record of one traced flow, after Zeek's conn.log: the
// originator (Src) is the side that sent the first packet, or the SYN
// sender when the first packet seen is a SYN+ACK (History then starts with
// '^').
type Flow struct {
	// At is the frame index at which the flow ended (see package doc);
	// First its first frame, unique in the capture.
	At    uint64 `msgpack:"at"`
	First uint64 `msgpack:"first"`

	Version uint8  `msgpack:"version"`
	Proto   uint8  `msgpack:"proto"` // 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6
	Src     []byte `msgpack:"src"`
	Dst     []byte `msgpack:"dst"`
	// SrcPort and DstPort are the ports; for ICMP echo both hold the
	// echo identifier.
	SrcPort uint16 `msgpack:"srcport"`
	DstPort uint16 `msgpack:"dstport"`
	// Service lists the application protocols decoded in the flow's
	// packets, by their report keys in the order first seen ("dns",
	// "http", "tls", "ftp", "dhcp"; "" for none), as Zeek's conn.log
	// service field does.
	Service string `msgpack:"service"`

	FirstSec  int64  `msgpack:"first_sec"`
	FirstNsec uint32 `msgpack:"first_nsec"`
	LastSec   int64  `msgpack:"last_sec"`
	LastNsec  uint32 `msgpack:"last_nsec"`
	Digits    uint8  `msgpack:"digits"`

	// Per direction: packets, wire bytes (frame lengths, as tshark's
	// conversation table counts), and transport payload bytes.
	OrigPkts    uint64 `msgpack:"orig_pkts"`
	OrigBytes   uint64 `msgpack:"orig_bytes"`
	OrigPayload uint64 `msgpack:"orig_payload"`
	RespPkts    uint64 `msgpack:"resp_pkts"`
	RespBytes   uint64 `msgpack:"resp_bytes"`
	RespPayload uint64 `msgpack:"resp_payload"`

	// State is Zeek's conn_state (S0, S1, SF, REJ, S2, S3, RSTO, RSTR,
	// RSTOS0, RSTRH, SH, SHR, OTH); History its history letters.
	State   string `msgpack:"conn_state"`
	History string `msgpack:"history"`
	// End says why the flow ended: "fin" (FIN both ways), "rst",
	// "timeout", "reused" (new SYN on the 5-tuple), "evicted" or
	// "end of capture".
	End string `msgpack:"end"`

	Frames          []uint64 `msgpack:"frames"`
	FramesTruncated bool     `msgpack:"frames_truncated"`
}

// Less orders flows by (At, First).
func Less(a, b *Flow) bool {
	if a.At != b.At {
		return a.At < b.At
	}
	return a.First < b.First
}

// ProtoName names the flow's protocol.
func (f *Flow) ProtoName() string {
	switch f.Proto {
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 1:
		return "ICMP"
	case 58:
		return "ICMPv6"
	}
	return strconv.Itoa(int(f.Proto))
}

// Name is the report block name: "Flow 12" (its first frame).
func (f *Flow) Name() string { return "Flow " + strconv.FormatUint(f.First, 10) }

// Fields writes the flow report block.
func (f *Flow) Fields(t *decoder.Tree) {
	t.String("proto", f.ProtoName())
	addr := func(k string, a []byte) {
		if len(a) == 4 {
			t.IPv4(k, a)
		} else {
			t.IPv6(k, a)
		}
	}
	addr("src", f.Src)
	t.Uint("srcport", uint64(f.SrcPort))
	addr("dst", f.Dst)
	t.Uint("dstport", uint64(f.DstPort))
	t.String("service", f.Service)
	t.Time("first", f.FirstSec, f.FirstNsec, f.Digits)
	t.Time("last", f.LastSec, f.LastNsec, f.Digits)
	t.Object("orig")
	t.Uint("packets", f.OrigPkts)
	t.Uint("bytes", f.OrigBytes)
	t.Uint("payload", f.OrigPayload)
	t.Close()
	t.Object("resp")
	t.Uint("packets", f.RespPkts)
	t.Uint("bytes", f.RespBytes)
	t.Uint("payload", f.RespPayload)
	t.Close()
	t.String("conn_state", f.State)
	t.String("history", f.History)
	t.String("end", f.End)
	t.Array("frames")
	for _, n := range f.Frames {
		t.Uint("", n)
	}
	t.Close()
	if f.FramesTruncated {
		t.Bool("frames_truncated", true)
	}
}

// FileName is PyPCAPKit's per-flow file name, without extension:
// {src}_{sport}-{dst}_{dport}-{first timestamp}, the timestamp with the
// capture's fraction digits. As in PyPCAPKit, the ':' of IPv6 addresses
// become '_' so that the name is valid on every file system.
func (f *Flow) FileName() string {
	b := appendAddr(nil, f.Src)
	b = append(b, '_')
	b = strconv.AppendUint(b, uint64(f.SrcPort), 10)
	b = append(b, '-')
	b = appendAddr(b, f.Dst)
	b = append(b, '_')
	b = strconv.AppendUint(b, uint64(f.DstPort), 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, f.FirstSec, 10)
	d := int(f.Digits)
	if d > 9 {
		d = 9
	}
	if d > 0 {
		b = append(b, '.')
		frac := strconv.AppendUint(nil, uint64(f.FirstNsec)+1e9, 10)[1:] // 9 digits
		b = append(b, frac[:d]...)
	}
	return string(b)
}

func appendAddr(b []byte, a []byte) []byte {
	var ip netip.Addr
	switch len(a) {
	case 4:
		ip = netip.AddrFrom4([4]byte(a))
	case 16:
		ip = netip.AddrFrom16([16]byte(a))
	default:
		return append(b, "unknown"...)
	}
	s := ip.String()
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			b = append(b, '_')
		} else {
			b = append(b, s[i])
		}
	}
	return b
}
