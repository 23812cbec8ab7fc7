package ingest

import "io"

// Classic pcap (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/).
//
// File header, 24 bytes, in the writer's byte order:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                 Magic Number (a1b2c3d4 / a1b23c4d)            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|         Major Version         |         Minor Version         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                 Reserved1 (thiszone)                          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                 Reserved2 (sigfigs)                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                            SnapLen                            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| FCS |f|r|      Reserved3      |        Link-layer Type        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Record header, 16 bytes, followed by CapLen bytes of packet data:
//
//	+---------------------------------------------------------------+
//	|                      Timestamp (Seconds)                      |
//	|        Timestamp (Microseconds or nanoseconds, by magic)      |
//	|                    Captured Packet Length                     |
//	|                    Original Packet Length                     |
//	+---------------------------------------------------------------+
const (
	pcapHeaderLen = 24
	pcapRecordLen = 16

	pcapMagicMicro = 0xa1b2c3d4
	pcapMagicNano  = 0xa1b23c4d

	pcapVersionOff  = 4
	pcapThisZoneOff = 8
	pcapSigFigsOff  = 12
	pcapSnapLenOff  = 16
	pcapLinkTypeOff = 20

	pcapTsSecOff   = 0
	pcapTsFracOff  = 4
	pcapCapLenOff  = 8
	pcapOrigLenOff = 12

	// Link-type field: the low 16 bits are the LINKTYPE_ value; bits
	// 16..25 are reserved and must be zero; bits 26..31 carry the FCS
	// length and its flag, which readers ignore.
	pcapLinkTypeMask     = 0x0000ffff
	pcapLinkTypeReserved = 0x03ff0000
)

// openPcap reads the pcap file header; head holds the first 4 bytes.
func (r *Reader) openPcap(head []byte) error {
	switch {
	case head[0] == 0xd4 && head[1] == 0xc3 && head[2] == 0xb2 && head[3] == 0xa1:
	case head[0] == 0x4d && head[1] == 0x3c && head[2] == 0xb2 && head[3] == 0xa1:
		r.nano = true
	case head[0] == 0xa1 && head[1] == 0xb2 && head[2] == 0xc3 && head[3] == 0xd4:
		r.be = true
	case head[0] == 0xa1 && head[1] == 0xb2 && head[2] == 0x3c && head[3] == 0x4d:
		r.be, r.nano = true, true
	default:
		return r.fail(0, 0, notCapture(head))
	}
	h, err := r.peek(pcapHeaderLen)
	if err != nil {
		return r.fail(0, 0, short("pcap file header", pcapHeaderLen, int64(len(h)), err))
	}
	m := &r.meta
	m.Format = FormatPcap
	m.BigEndian = r.be
	m.Nanosecond = r.nano
	copy(m.Magic[:], h[:4])
	m.VersionMajor = r.u16(h[pcapVersionOff:])
	m.VersionMinor = r.u16(h[pcapVersionOff+2:])
	m.ThisZone = int32(r.u32(h[pcapThisZoneOff:]))
	m.SigFigs = r.u32(h[pcapSigFigsOff:])
	m.SnapLen = r.u32(h[pcapSnapLenOff:])
	m.LinkTypeRaw = r.u32(h[pcapLinkTypeOff:])
	m.LinkType = m.LinkTypeRaw & pcapLinkTypeMask
	if m.VersionMajor != 2 {
		return r.fail(0, 0, because(ErrBadVersion, "unsupported pcap version %d.%d (want 2.x)", m.VersionMajor, m.VersionMinor))
	}
	if m.LinkTypeRaw&pcapLinkTypeReserved != 0 {
		return r.fail(0, 0, because(ErrBadHeader, "bad pcap file header: reserved bits set in link-type field 0x%08x", m.LinkTypeRaw))
	}
	r.skip(pcapHeaderLen)
	r.linkType = m.LinkType
	if m.SnapLen <= r.max {
		r.snapLen = m.SnapLen
	}
	return nil
}

// nextRecord reads one pcap record into f.
func (r *Reader) nextRecord(f *Frame) error {
	start := r.off
	h, err := r.peek(pcapRecordLen)
	if err != nil {
		if len(h) == 0 && err == io.EOF {
			return err
		}
		return r.failAt(start, short("record header", pcapRecordLen, int64(len(h)), err))
	}
	sec := r.u32(h[pcapTsSecOff:])
	frac := r.u32(h[pcapTsFracOff:])
	capLen := r.u32(h[pcapCapLenOff:])
	origLen := r.u32(h[pcapOrigLenOff:])
	if capLen > r.max {
		return r.failAt(start, because(ErrRecordTooLarge, "record too large: captured length %d exceeds the limit of %d bytes", capLen, r.max))
	}
	if r.strict && r.snapLen != 0 && capLen > r.snapLen {
		return r.failAt(start, because(ErrRecordTooLarge, "record too large: captured length %d exceeds the snap length %d", capLen, r.snapLen))
	}
	var data []byte
	if n := pcapRecordLen + int(capLen); n <= bufSize {
		// Header and data in place, in one step.
		rec, err := r.peek(n)
		if err != nil {
			return r.failAt(start, short("record", int64(capLen), int64(len(rec)-pcapRecordLen), err))
		}
		r.skip(n)
		data = rec[pcapRecordLen:n:n]
	} else {
		r.skip(pcapRecordLen)
		d, k, err := r.readCopy(int(capLen))
		if err != nil {
			return r.failAt(start, short("record", int64(capLen), int64(k), err))
		}
		data = d
	}
	r.index++
	f.Index = r.index
	f.Sec = int64(sec)
	if r.nano {
		if frac >= 1e9 { // invalid, but keep Nsec in range
			f.Sec += int64(frac / 1e9)
			frac %= 1e9
		}
		f.Nsec = frac
		f.Digits = 9
	} else {
		if frac >= 1e6 {
			f.Sec += int64(frac / 1e6)
			frac %= 1e6
		}
		f.Nsec = frac * 1000
		f.Digits = 6
	}
	f.CapLen = capLen
	f.OrigLen = origLen
	f.LinkType = r.linkType
	f.Interface = 0
	f.Data = data
	return nil
}
