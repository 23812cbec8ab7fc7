package craft

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// MAC is a 48-bit hardware address.
type MAC [6]byte

// ParseMAC parses "aa:bb:cc:dd:ee:ff" (and the other forms net.ParseMAC
// accepts for 48-bit addresses).
func ParseMAC(s string) (MAC, error) {
	hw, err := net.ParseMAC(s)
	if err != nil {
		return MAC{}, err
	}
	if len(hw) != 6 {
		return MAC{}, fmt.Errorf("parse mac %q: %d bytes, want 6", s, len(hw))
	}
	return MAC(hw), nil
}

// MustMAC is ParseMAC for constants; it panics on a malformed address.
func MustMAC(s string) MAC {
	m, err := ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func (m MAC) String() string { return net.HardwareAddr(m[:]).String() }

// Broadcast is ff:ff:ff:ff:ff:ff.
var Broadcast = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// EtherTypes of the layers this package builds.
const (
	EtherTypeIPv4  uint16 = 0x0800
	EtherTypeARP   uint16 = 0x0806
	EtherTypeVLAN  uint16 = 0x8100 // 802.1Q C-tag
	EtherTypeQinQ  uint16 = 0x88a8 // 802.1ad S-tag
	EtherTypeIPv6  uint16 = 0x86dd
	minEthernetLen        = 60 // without the FCS
)

// Ethernet is an Ethernet II header.
type Ethernet struct {
	Dst, Src MAC
	// Type is the EtherType; zero derives it from the next layer.
	Type uint16
	// Pad pads the frame with zeros to the 60-byte Ethernet minimum, as a
	// receiving NIC captures it. Lengths inside (IPv4 total length) exclude
	// the padding.
	Pad bool
}

func (e *Ethernet) appendHeader(b []byte, next Layer) ([]byte, error) {
	t := e.Type
	if t == 0 && next != nil {
		if t = etherTypeOf(next); t == 0 {
			return b, fmt.Errorf("ethernet: cannot derive the EtherType of a %T; set Type", next)
		}
	}
	b = append(b, e.Dst[:]...)
	b = append(b, e.Src[:]...)
	return be.AppendUint16(b, t), nil
}

func (e *Ethernet) finish(f *frame, i int) error {
	if e.Pad {
		for len(f.b)-f.off[i] < minEthernetLen {
			f.b = append(f.b, 0)
		}
	}
	return nil
}

// VLAN is an IEEE 802.1Q tag: the 4 bytes after its TPID (which the
// previous layer carries as its EtherType). Stack several for QinQ.
type VLAN struct {
	// TPID announces this tag in the previous layer: 0 means 0x8100
	// (802.1Q); use EtherTypeQinQ (0x88a8) for an 802.1ad outer tag.
	TPID     uint16
	Priority uint8 // PCP, 0..7
	DEI      bool  // drop eligible
	ID       uint16
	// Type is the inner EtherType; zero derives it from the next layer.
	Type uint16
	noFinish
}

func (v *VLAN) etherType() uint16 {
	if v.TPID == 0 {
		return EtherTypeVLAN
	}
	return v.TPID
}

func (v *VLAN) appendHeader(b []byte, next Layer) ([]byte, error) {
	if v.Priority > 7 {
		return b, fmt.Errorf("vlan: priority %d above 7", v.Priority)
	}
	if v.ID > 0x0fff {
		return b, fmt.Errorf("vlan: id %d above 4095", v.ID)
	}
	tci := uint16(v.Priority)<<13 | v.ID
	if v.DEI {
		tci |= 1 << 12
	}
	t := v.Type
	if t == 0 && next != nil {
		if t = etherTypeOf(next); t == 0 {
			return b, fmt.Errorf("vlan: cannot derive the EtherType of a %T; set Type", next)
		}
	}
	b = be.AppendUint16(b, tci)
	return be.AppendUint16(b, t), nil
}

// ARP operations.
const (
	ARPRequest uint16 = 1
	ARPReply   uint16 = 2
)

// ARP is an ARP packet for IPv4 over Ethernet (RFC 826).
type ARP struct {
	Op                   uint16
	SenderMAC, TargetMAC MAC
	SenderIP, TargetIP   netip.Addr // IPv4
	noFinish
}

func (*ARP) etherType() uint16 { return EtherTypeARP }

func (a *ARP) appendHeader(b []byte, _ Layer) ([]byte, error) {
	if !a.SenderIP.Is4() || !a.TargetIP.Is4() {
		return b, errors.New("arp: sender and target must be IPv4 addresses")
	}
	b = be.AppendUint16(b, 1) // Ethernet
	b = be.AppendUint16(b, EtherTypeIPv4)
	b = append(b, 6, 4)
	b = be.AppendUint16(b, a.Op)
	s, t := a.SenderIP.As4(), a.TargetIP.As4()
	b = append(b, a.SenderMAC[:]...)
	b = append(b, s[:]...)
	b = append(b, a.TargetMAC[:]...)
	return append(b, t[:]...), nil
}
