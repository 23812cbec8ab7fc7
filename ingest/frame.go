package ingest

import "time"

// Frame is one captured packet record.
type Frame struct {
	// Index numbers frames from 1 in capture order.
	Index uint64
	// Sec and Nsec are the capture timestamp (seconds since the Unix epoch and
	// nanoseconds within the second, 0 <= Nsec < 1e9).
	Sec  int64
	Nsec uint32
	// Digits is the precision of the timestamp as stored in the capture, in
	// decimal fraction digits (6 for microsecond pcap, 9 for nanosecond pcap,
	// derived from if_tsresol for pcapng).
	Digits uint8
	// CapLen is the number of bytes captured (len(Data)); OrigLen is the
	// length of the packet on the wire.
	CapLen  uint32
	OrigLen uint32
	// LinkType is the LINKTYPE_ value of the frame's interface.
	LinkType uint32
	// Interface is the pcapng interface id (0 for pcap).
	Interface uint32
	// Data holds the captured bytes. Owned by whoever produced the Frame
	// (for a Reader: valid until the next call to Next, or, when
	// Reader.Stable reports true, until its memory is released).
	Data []byte
}

// Time returns the frame timestamp as a time.Time in UTC.
func (f *Frame) Time() time.Time { return time.Unix(f.Sec, int64(f.Nsec)).UTC() }

// Link types (LINKTYPE_ values from https://www.tcpdump.org/linktypes.html).
const (
	LinkNull     uint32 = 0   // BSD loopback, host byte order AF
	LinkEthernet uint32 = 1   // IEEE 802.3 Ethernet
	LinkRawBSD12 uint32 = 12  // raw IP (DLT_RAW on some BSDs)
	LinkRawBSD14 uint32 = 14  // raw IP (DLT_RAW on OpenBSD)
	LinkRaw      uint32 = 101 // raw IPv4 or IPv6
	LinkLoop     uint32 = 108 // OpenBSD loopback, network byte order AF
	LinkSLL      uint32 = 113 // Linux cooked capture v1
	LinkIPv4     uint32 = 228 // raw IPv4
	LinkIPv6     uint32 = 229 // raw IPv6
	LinkSLL2     uint32 = 276 // Linux cooked capture v2
)
