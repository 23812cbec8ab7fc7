package reporter

import (
	"unicode/utf8"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
)

// HeaderName is the name of the capture header block.
const HeaderName = "Global Header"

// BuildHeader resets t and builds the capture header block (named
// HeaderName) from m: the pcap file header, or the pcapng sections and
// interfaces. Byte values in t alias m. It allocates (option strings); it
// runs once per capture.
func BuildHeader(t *decoder.Tree, m *ingest.Meta) {
	t.Reset()
	if m == nil {
		return
	}
	if m.Format == ingest.FormatPcapNG {
		buildPcapNG(t, m)
		return
	}
	t.Object("magic_number")
	t.Bytes("data", m.Magic[:])
	t.String("byteorder", byteOrder(m.BigEndian))
	t.Bool("nanosecond", m.Nanosecond)
	t.Close()
	t.Object("version")
	t.Uint("major", uint64(m.VersionMajor))
	t.Uint("minor", uint64(m.VersionMinor))
	t.Close()
	t.Int("thiszone", int64(m.ThisZone))
	t.Uint("sigfigs", uint64(m.SigFigs))
	t.Uint("snaplen", uint64(m.SnapLen))
	t.Enum("network", uint64(m.LinkType), LinkTypeName(m.LinkType))
}

func buildPcapNG(t *decoder.Tree, m *ingest.Meta) {
	t.Array("sections")
	for i := range m.Sections {
		s := &m.Sections[i]
		t.Object("")
		t.String("byteorder", byteOrder(s.BigEndian))
		t.Object("version")
		t.Uint("major", uint64(s.VersionMajor))
		t.Uint("minor", uint64(s.VersionMinor))
		t.Close()
		t.Int("length", s.Length)
		buildOptions(t, s.Options, sectionOptionName)
		t.Close()
	}
	t.Close()
	t.Array("interfaces")
	for i := range m.Interfaces {
		f := &m.Interfaces[i]
		t.Object("")
		t.Uint("section", uint64(f.Section))
		t.Uint("id", uint64(f.ID))
		t.Enum("linktype", uint64(f.LinkType), LinkTypeName(f.LinkType))
		t.Uint("snaplen", uint64(f.SnapLen))
		t.Uint("tsresol", uint64(f.TSResol))
		t.Int("tsoffset", f.TSOffset)
		t.String("name", f.Name)
		buildOptions(t, f.Options, interfaceOptionName)
		t.Close()
	}
	t.Close()
}

// buildOptions writes pcapng options as an array of {code, value}; the
// value is a string for the options the specification defines as UTF-8
// text, else raw bytes.
func buildOptions(t *decoder.Tree, opts []ingest.Option, name func(uint16) (string, bool)) {
	t.Array("options")
	for _, o := range opts {
		t.Object("")
		n, text := name(o.Code)
		t.Enum("code", uint64(o.Code), n)
		if text && utf8.Valid(o.Value) {
			t.String("value", string(o.Value))
		} else {
			t.Bytes("value", o.Value)
		}
		t.Close()
	}
	t.Close()
}

func byteOrder(big bool) string {
	if big {
		return "big"
	}
	return "little"
}

// sectionOptionName names a Section Header Block option and says whether
// its value is text (draft-ietf-opsawg-pcapng, section 4.1).
func sectionOptionName(code uint16) (string, bool) {
	switch code {
	case 0:
		return "opt_endofopt", false
	case 1:
		return "opt_comment", true
	case 2:
		return "shb_hardware", true
	case 3:
		return "shb_os", true
	case 4:
		return "shb_userappl", true
	}
	return "", false
}

// interfaceOptionName names an Interface Description Block option
// (section 4.2) and says whether its value is text.
func interfaceOptionName(code uint16) (string, bool) {
	switch code {
	case 0:
		return "opt_endofopt", false
	case 1:
		return "opt_comment", true
	case 2:
		return "if_name", true
	case 3:
		return "if_description", true
	case 4:
		return "if_IPv4addr", false
	case 5:
		return "if_IPv6addr", false
	case 6:
		return "if_MACaddr", false
	case 7:
		return "if_EUIaddr", false
	case 8:
		return "if_speed", false
	case 9:
		return "if_tsresol", false
	case 10:
		return "if_tzone", false
	case 11:
		return "if_filter", false
	case 12:
		return "if_os", true
	case 13:
		return "if_fcslen", false
	case 14:
		return "if_tsoffset", false
	case 15:
		return "if_hardware", true
	case 16:
		return "if_txspeed", false
	case 17:
		return "if_rxspeed", false
	case 18:
		return "if_iana_tzname", true
	}
	return "", false
}

// LinkTypeName returns the LINKTYPE_ name of a link type without its prefix
// ("ETHERNET"), or "" when unknown.
func LinkTypeName(lt uint32) string {
	switch lt {
	case 0:
		return "NULL"
	case 1:
		return "ETHERNET"
	case 6:
		return "IEEE802_5"
	case 8:
		return "SLIP"
	case 9:
		return "PPP"
	case 10:
		return "FDDI"
	case 12, 14, 101:
		return "RAW"
	case 50:
		return "PPP_HDLC"
	case 51:
		return "PPP_ETHER"
	case 104:
		return "C_HDLC"
	case 105:
		return "IEEE802_11"
	case 108:
		return "LOOP"
	case 113:
		return "LINUX_SLL"
	case 119:
		return "IEEE802_11_PRISM"
	case 127:
		return "IEEE802_11_RADIOTAP"
	case 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162:
		return "USER"
	case 192:
		return "PPI"
	case 195:
		return "IEEE802_15_4_WITHFCS"
	case 220:
		return "USB_LINUX_MMAPPED"
	case 228:
		return "IPV4"
	case 229:
		return "IPV6"
	case 276:
		return "LINUX_SLL2"
	}
	return ""
}
