package decoder

import "encoding/binary"

// Network Time Protocol (RFC 5905, section 7.3), UDP port 123:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|LI | VN  |Mode |    Stratum     |     Poll      |  Precision   |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                         Root Delay                            |
//	|                         Root Dispersion                       |
//	|                          Reference ID                         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|   Reference, Origin, Receive, Transmit Timestamps (64 bits each)
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|   extension fields, key identifier and digest (optional)
//
// Modes 1 to 5 (symmetric, client, server, broadcast) have this 48-byte
// header; what follows it (extension fields, a MAC) is raw. Modes 6 and 7
// (control and private messages, ntpq and ntpdc) have formats of their
// own: their 12 and 8 first bytes are decoded, the rest is raw. Root
// delay and dispersion are 16.16 fixed-point seconds, reported in
// microseconds; timestamps are seconds since 1900 with a 32-bit fraction,
// reported as their Unix time (null when 0: unset).
const (
	ntpHdrLen     = 48
	ntpControlLen = 12
	ntpPrivateLen = 8
	// ntpUnixOffset is 1970-01-01 in NTP seconds (era 0).
	ntpUnixOffset = 2208988800
)

// NTP is a view of an NTP message.
type NTP []byte

func (h NTP) LI() uint8         { return h[0] >> 6 }
func (h NTP) Version() uint8    { return h[0] >> 3 & 7 }
func (h NTP) Mode() uint8       { return h[0] & 7 }
func (h NTP) Stratum() uint8    { return h[1] }
func (h NTP) Poll() int8        { return int8(h[2]) }
func (h NTP) Precision() int8   { return int8(h[3]) }
func (h NTP) RootDelay() uint32 { return binary.BigEndian.Uint32(h[4:]) }
func (h NTP) RootDisp() uint32  { return binary.BigEndian.Uint32(h[8:]) }
func (h NTP) RefID() []byte     { return h[12:16] }

// Timestamp returns the 64-bit timestamp at byte offset off.
func (h NTP) Timestamp(off int) uint64 { return binary.BigEndian.Uint64(h[off:]) }

// ntpHdr returns the length of the part of an NTP message decoded for its
// mode.
func ntpHdr(mode uint8) int {
	switch mode {
	case 6:
		return ntpControlLen
	case 7:
		return ntpPrivateLen
	}
	return ntpHdrLen
}

// isNTP reports whether a UDP payload on port 123 is NTP: version 1 to 4
// and a mode, with the bytes that mode's header takes.
func isNTP(b []byte) bool {
	if len(b) < ntpPrivateLen {
		return false
	}
	v, mode := b[0]>>3&7, b[0]&7
	return v >= 1 && v <= 4 && mode != 0 && len(b) >= ntpHdr(mode)
}

func decodeNTP(p *Packet, l *Layer) (Proto, error) {
	b := NTP(p.Data[l.Off:l.End])
	if len(b) < 1 {
		return ProtoNone, truncated(1, 0)
	}
	n := ntpHdr(b.Mode())
	if len(b) < n {
		return ProtoNone, truncated(n, len(b))
	}
	l.Hdr = uint32(n)
	if n == len(b) {
		return ProtoNone, nil
	}
	return ProtoRaw, nil
}

var ntpModes = [...]string{0: "reserved", 1: "symmetric_active", 2: "symmetric_passive", 3: "client", 4: "server",
	5: "broadcast", 6: "control", 7: "private"}

// ntpMicros converts a 16.16 fixed-point number of seconds to microseconds.
func ntpMicros(v uint32) uint64 { return uint64(v) * 1_000_000 >> 16 }

func fieldsNTP(t *Tree, p *Packet, l *Layer) {
	h := NTP(p.Data[l.Off : l.Off+l.Hdr])
	t.Uint("li", uint64(h.LI()))
	t.Uint("version", uint64(h.Version()))
	t.Enum("mode", uint64(h.Mode()), ntpModes[h.Mode()])
	switch h.Mode() {
	case 6: // control: R E M, opcode, sequence, status, association, offset, count
		t.Bool("response", h[1]&0x80 != 0)
		t.Bool("error", h[1]&0x40 != 0)
		t.Bool("more", h[1]&0x20 != 0)
		t.Uint("opcode", uint64(h[1]&0x1f))
		t.Uint("sequence", uint64(binary.BigEndian.Uint16(h[2:])))
		t.Uint("status", uint64(binary.BigEndian.Uint16(h[4:])))
		t.Uint("association_id", uint64(binary.BigEndian.Uint16(h[6:])))
		t.Uint("offset", uint64(binary.BigEndian.Uint16(h[8:])))
		t.Uint("count", uint64(binary.BigEndian.Uint16(h[10:])))
		return
	case 7: // private: R M, version, mode, auth, sequence, implementation, request code
		t.Bool("response", h[0]&0x80 != 0)
		t.Bool("more", h[0]&0x40 != 0)
		t.Bool("auth", h[1]&0x80 != 0)
		t.Uint("sequence", uint64(h[1]&0x7f))
		t.Uint("implementation", uint64(h[2]))
		t.Uint("request_code", uint64(h[3]))
		return
	}
	t.Uint("stratum", uint64(h.Stratum()))
	t.Int("poll", int64(h.Poll()))
	t.Int("precision", int64(h.Precision()))
	t.Uint("root_delay_us", ntpMicros(h.RootDelay()))
	t.Uint("root_dispersion_us", ntpMicros(h.RootDisp()))
	if h.Stratum() <= 1 {
		t.StringBytes("reference_id", cString(h.RefID())) // a source code ("GPS", "LOCL") or a kiss code
	} else {
		t.IPv4("reference_id", h.RefID()) // the server's address (IPv4), or an IPv6 address hash
	}
	for _, ts := range [...]struct {
		key string
		off int
	}{{"reference_time", 16}, {"origin_time", 24}, {"receive_time", 32}, {"transmit_time", 40}} {
		v := h.Timestamp(ts.off)
		if v == 0 {
			t.Null(ts.key) // unset
			continue
		}
		sec := int64(v>>32) - ntpUnixOffset
		nsec := uint32((v & 0xffffffff) * 1_000_000_000 >> 32)
		t.Time(ts.key, sec, nsec, 9)
	}
}
