package craft

import (
	"errors"
	"fmt"
)

// FragmentIPv4 splits an IPv4 datagram (as Build makes it, starting with
// its IPv4 header) into fragments that fit mtu bytes, in order. Each
// fragment is a complete IPv4 packet with its own total length, flags,
// offset and checksum; options are kept in the first fragment and, after
// it, only those with the copy flag. A datagram that is itself a fragment
// is split further (offsets and the last MF flag carry over). A datagram
// that fits mtu comes back as the only fragment, unchanged; one with DF set
// is an error.
func FragmentIPv4(datagram []byte, mtu int) ([][]byte, error) {
	if len(datagram) < 20 || datagram[0]>>4 != 4 {
		return nil, errors.New("fragment ipv4: not an IPv4 packet")
	}
	hl := int(datagram[0]&0x0f) * 4
	tl := int(be.Uint16(datagram[2:]))
	if hl < 20 || tl < hl || tl > len(datagram) {
		return nil, errors.New("fragment ipv4: inconsistent header or total length")
	}
	if tl <= mtu {
		return [][]byte{append([]byte(nil), datagram[:tl]...)}, nil
	}
	ff := be.Uint16(datagram[6:])
	if ff&0x4000 != 0 {
		return nil, errors.New("fragment ipv4: don't fragment flag is set")
	}
	// The header of later fragments: only options with the copy flag.
	later := append([]byte(nil), datagram[:20]...)
	opts := datagram[20:hl]
	for i := 0; i < len(opts); {
		t := opts[i]
		if t == 0 {
			break
		}
		if t == 1 {
			i++
			continue
		}
		if i+1 >= len(opts) || int(opts[i+1]) < 2 || i+int(opts[i+1]) > len(opts) {
			return nil, errors.New("fragment ipv4: malformed options")
		}
		n := int(opts[i+1])
		if t&0x80 != 0 {
			later = append(later, opts[i:i+n]...)
		}
		i += n
	}
	for len(later)%4 != 0 {
		later = append(later, 0)
	}
	later[0] = 0x40 | uint8(len(later)/4)
	if (mtu-hl)&^7 < 8 || (mtu-len(later))&^7 < 8 {
		return nil, fmt.Errorf("fragment ipv4: mtu %d leaves no room for 8 data bytes", mtu)
	}

	base := int(ff&0x1fff) * 8
	lastMF := ff&0x2000 != 0
	data := datagram[hl:tl]
	var frags [][]byte
	for off := 0; off < len(data); {
		hdr := datagram[:hl]
		if off > 0 {
			hdr = later
		}
		n := min((mtu-len(hdr))&^7, len(data)-off)
		more := off+n < len(data) || lastMF
		if base+off > 0x1fff*8 {
			return nil, errors.New("fragment ipv4: offset beyond 65528")
		}
		fr := make([]byte, len(hdr)+n)
		copy(fr, hdr)
		copy(fr[len(hdr):], data[off:off+n])
		be.PutUint16(fr[2:], uint16(len(fr)))
		v := uint16((base+off)/8) | ff&0x8000
		if more {
			v |= 0x2000
		}
		be.PutUint16(fr[6:], v)
		be.PutUint16(fr[10:], 0)
		be.PutUint16(fr[10:], fold(sumBytes(0, fr[:len(hdr)])))
		frags = append(frags, fr)
		off += n
	}
	return frags, nil
}

// FragmentIPv6 splits an IPv6 packet into fragments that fit mtu bytes, in
// order (RFC 8200, section 4.5): the unfragmentable part (the IPv6 header
// and any Hop-by-Hop and Routing headers, with Destination Options before a
// Routing header) is repeated in every fragment, followed by a Fragment
// header with identification id and a piece of the rest. A packet that fits
// mtu comes back unchanged as the only fragment.
func FragmentIPv6(packet []byte, mtu int, id uint32) ([][]byte, error) {
	if len(packet) < 40 || packet[0]>>4 != 6 {
		return nil, errors.New("fragment ipv6: not an IPv6 packet")
	}
	end := 40 + int(be.Uint16(packet[4:]))
	if end > len(packet) {
		return nil, errors.New("fragment ipv6: payload length beyond the packet")
	}
	if end <= mtu {
		return [][]byte{append([]byte(nil), packet[:end]...)}, nil
	}
	nhPos, unfrag := 6, 40
	nh := packet[6]
	for off := 40; nh == ProtoHopByHop || nh == ProtoRouting || nh == ProtoDestination; {
		if off+2 > end {
			return nil, errors.New("fragment ipv6: truncated extension header")
		}
		n := (int(packet[off+1]) + 1) * 8
		if off+n > end {
			return nil, errors.New("fragment ipv6: truncated extension header")
		}
		if nh != ProtoDestination {
			nhPos, unfrag = off, off+n
		}
		nh = packet[off]
		off += n
	}
	room := (mtu - unfrag - 8) &^ 7
	if room < 8 {
		return nil, fmt.Errorf("fragment ipv6: mtu %d leaves no room for 8 data bytes", mtu)
	}
	next := packet[nhPos]
	data := packet[unfrag:end]
	var frags [][]byte
	for off := 0; off < len(data); {
		n := min(room, len(data)-off)
		if off > 0xfff8 {
			return nil, errors.New("fragment ipv6: offset beyond 65528")
		}
		fr := make([]byte, unfrag+8+n)
		copy(fr, packet[:unfrag])
		fr[nhPos] = ProtoFragment
		be.PutUint16(fr[4:], uint16(len(fr)-40))
		fh := fr[unfrag:]
		fh[0], fh[1] = next, 0
		om := uint16(off)
		if off+n < len(data) {
			om |= 1
		}
		be.PutUint16(fh[2:], om)
		be.PutUint32(fh[4:], id)
		copy(fh[8:], data[off:off+n])
		frags = append(frags, fr)
		off += n
	}
	return frags, nil
}

// Shuffle reorders fragments (or any slices) pseudo-randomly; the order
// depends only on seed and len(frags).
func Shuffle(frags [][]byte, seed uint64) {
	r := newRNG(seed)
	for i := len(frags) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		frags[i], frags[j] = frags[j], frags[i]
	}
}
