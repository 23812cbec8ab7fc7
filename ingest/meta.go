package ingest

// Format is the container format of a capture.
type Format uint8

const (
	FormatPcap Format = iota + 1
	FormatPcapNG
)

func (f Format) String() string {
	switch f {
	case FormatPcap:
		return "pcap"
	case FormatPcapNG:
		return "pcapng"
	}
	return "unknown"
}

// Meta describes a capture: the pcap file header, or the pcapng section
// header and interface description blocks seen so far.
type Meta struct {
	Format Format
	// Name is the file name the capture was read from ("-" for stdin).
	Name string
	// BigEndian reports the byte order of the (first) section.
	BigEndian bool
	// Magic is the magic number as it appears in the file (4 bytes).
	Magic        [4]byte
	VersionMajor uint16
	VersionMinor uint16
	// pcap only.
	Nanosecond bool
	ThisZone   int32
	SigFigs    uint32
	SnapLen    uint32
	LinkType   uint32
	// LinkTypeRaw is the whole link-type field of the pcap header,
	// including the FCS-length bits that LinkType masks off.
	LinkTypeRaw uint32
	// pcapng only: every section header and interface block, in file order.
	Sections   []Section
	Interfaces []Interface
}

// Section is a pcapng Section Header Block.
type Section struct {
	BigEndian    bool
	VersionMajor uint16
	VersionMinor uint16
	// Length is the section length field (-1 when not specified).
	Length  int64
	Options []Option
}

// Interface is a pcapng Interface Description Block.
type Interface struct {
	// Section is the index into Meta.Sections of the section it belongs to;
	// ID is its interface id inside that section.
	Section  int
	ID       uint32
	LinkType uint32
	SnapLen  uint32
	// Digits is the timestamp precision in decimal digits (from if_tsresol).
	Digits uint8
	// TSResol is the raw if_tsresol byte (6 when absent); TSOffset is
	// if_tsoffset in seconds.
	TSResol  uint8
	TSOffset int64
	Name     string
	Options  []Option
}

// Option is one pcapng option, kept raw (Value is a copy, not an alias).
type Option struct {
	Code  uint16
	Value []byte
}
