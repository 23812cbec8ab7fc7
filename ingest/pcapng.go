package ingest

import (
	"fmt"
	"io"
	"math"
	"math/bits"
)

// pcapng (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/).
//
// Every block has the same frame; lengths are in the byte order of the
// section, given by the byte-order magic of its Section Header Block:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                          Block Type                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                      Block Total Length                       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	/                          Block Body                           /
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                      Block Total Length                       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Bodies (offsets from the start of the block):
//
//	SHB  8 byte-order magic 1a2b3c4d, 12 major, 14 minor, 16 section length (8), 24 options
//	IDB  8 link type (2), 10 reserved, 12 snap length, 16 options
//	EPB  8 interface id, 12 ts high, 16 ts low, 20 captured len, 24 original len, 28 data, options
//	PB   8 interface id (2), 10 drops (2), then as EPB (obsolete)
//	SPB  8 original len, 12 data
//
// Options are {code (2), length (2), value padded to 4 bytes}, ended by
// code 0 or by the end of the block.
const (
	blockSHB      = 0x0a0d0d0a
	blockIDB      = 0x00000001
	blockPB       = 0x00000002
	blockSPB      = 0x00000003
	blockNRB      = 0x00000004
	blockISB      = 0x00000005
	blockEPB      = 0x00000006
	blockDSB      = 0x0000000a
	blockCB       = 0x00000bad
	blockCBNoCopy = 0x40000bad

	blockHeaderLen  = 8
	blockTrailerLen = 4
	minBlockLen     = blockHeaderLen + blockTrailerLen

	shbMagicOff   = 8
	shbMajorOff   = 12
	shbMinorOff   = 14
	shbSecLenOff  = 16
	shbOptionsOff = 24
	shbMinLen     = shbOptionsOff + blockTrailerLen

	idbLinkTypeOff = 8
	idbSnapLenOff  = 12
	idbOptionsOff  = 16
	idbMinLen      = idbOptionsOff + blockTrailerLen

	epbIfaceOff   = 8
	epbTsHighOff  = 12
	epbTsLowOff   = 16
	epbCapLenOff  = 20
	epbOrigLenOff = 24
	epbDataOff    = 28
	epbMinLen     = epbDataOff + blockTrailerLen

	spbOrigLenOff = 8
	spbDataOff    = 12
	spbMinLen     = spbDataOff + blockTrailerLen

	optEndOfOpt   = 0
	optIfName     = 2
	optIfTsResol  = 9
	optIfTsOffset = 14

	defaultTsResol = 6
)

func blockName(typ uint32) string {
	switch typ {
	case blockSHB:
		return "section header block"
	case blockIDB:
		return "interface description block"
	case blockPB:
		return "packet block"
	case blockSPB:
		return "simple packet block"
	case blockNRB:
		return "name resolution block"
	case blockISB:
		return "interface statistics block"
	case blockEPB:
		return "enhanced packet block"
	case blockDSB:
		return "decryption secrets block"
	case blockCB, blockCBNoCopy:
		return "custom block"
	}
	return fmt.Sprintf("block of type 0x%08x", typ)
}

// iface is the reading state of one interface of the current section.
type iface struct {
	linkType uint32
	snapLen  uint32
	offset   int64 // if_tsoffset, seconds
	binary   bool  // if_tsresol is a power of 2
	exp      uint8 // if_tsresol exponent
	digits   uint8
}

func (c *iface) setResol(v uint8) {
	c.binary = v&0x80 != 0
	c.exp = v & 0x7f
	c.digits = c.exp
	if c.binary {
		c.digits = uint8(math.Ceil(float64(c.exp) * math.Log10(2)))
	}
}

var pow10 = [20]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// split converts a timestamp in the interface's units into seconds and
// nanoseconds (truncated, as Wireshark does), without overflow for any
// 64-bit value and any resolution.
func (c *iface) split(ts uint64) (uint64, uint32) {
	e := uint(c.exp)
	if c.binary {
		switch {
		case e == 0:
			return ts, 0
		case e < 64:
			// (ts mod 2^e) * 1e9 / 2^e, in 128 bits.
			hi, lo := bits.Mul64(ts&(1<<e-1), 1e9)
			return ts >> e, uint32(hi<<(64-e) | lo>>e)
		default:
			hi, _ := bits.Mul64(ts, 1e9)
			return 0, uint32(hi >> (e - 64))
		}
	}
	switch {
	case e == 6:
		return ts / 1e6, uint32(ts%1e6) * 1e3
	case e == 9:
		return ts / 1e9, uint32(ts % 1e9)
	case e < 9:
		u := pow10[e]
		return ts / u, uint32(ts % u * pow10[9-e])
	case e <= 19:
		u := pow10[e]
		return ts / u, uint32(ts % u / pow10[e-9])
	case e-9 <= 19:
		// 10^e exceeds any 64-bit value: no whole seconds.
		return 0, uint32(ts / pow10[e-9])
	}
	return 0, 0
}

// openPcapNG reads the first Section Header Block, then blocks up to the
// first packet, which it keeps for the first call to Next.
func (r *Reader) openPcapNG() error {
	r.ng = true
	r.meta.Format = FormatPcapNG
	if err := r.readSHB(0, true); err != nil {
		return err
	}
	if err := r.nextBlock(&r.first); err != nil {
		r.err = err
	} else {
		r.pending = true
	}
	return nil
}

// nextBlock reads blocks until a packet block, which it puts into f.
func (r *Reader) nextBlock(f *Frame) error {
	for {
		start := r.off
		h, err := r.peek(blockHeaderLen)
		if err != nil {
			if len(h) == 0 && err == io.EOF {
				return err
			}
			return r.failAt(start, short("block header", blockHeaderLen, int64(len(h)), err))
		}
		typ := r.u32(h)
		length := r.u32(h[4:])
		switch typ {
		case blockEPB, blockPB:
			return r.readPacket(f, start, typ, length)
		case blockSPB:
			return r.readSimple(f, start, length)
		case blockSHB:
			err = r.readSHB(start, false)
		case blockIDB:
			err = r.readIDB(start, length)
		default:
			err = r.skipBlock(start, typ, length)
		}
		if err != nil {
			return err
		}
	}
}

// checkLen validates a block's total length against the block frame and
// the minimum for its type.
func checkLen(typ, length, min uint32) error {
	if length%4 != 0 || length < min {
		return because(ErrBadBlock, "bad block length %d for %s: must be a multiple of 4 and at least %d", length, blockName(typ), min)
	}
	return nil
}

// readMeta reads a whole header block (SHB or IDB), in place or into the
// record buffer (see read), and checks its trailing length.
func (r *Reader) readMeta(start int64, typ, length uint32, frame uint64) ([]byte, error) {
	if length > uint32(r.bufLimit()) {
		return nil, r.fail(frame, start, because(ErrBadBlock, "%s of %d bytes exceeds the %d-byte limit for header blocks", blockName(typ), length, r.bufLimit()))
	}
	b, k, err := r.read(int(length))
	if err != nil {
		return nil, r.fail(frame, start, short(blockName(typ), int64(length), int64(k), err))
	}
	if tl := r.u32(b[length-blockTrailerLen:]); tl != length {
		return nil, r.fail(frame, start, because(ErrBadBlock, "bad %s: trailing length %d does not match leading length %d", blockName(typ), tl, length))
	}
	return b, nil
}

// readSHB reads a Section Header Block at start; first marks the one at
// the start of the input, which decides whether the input is pcapng.
func (r *Reader) readSHB(start int64, first bool) error {
	frame := r.index + 1
	if first {
		frame = 0
	}
	h, err := r.peek(shbMagicOff + 4)
	if err != nil {
		return r.fail(frame, start, short("section header block", shbMinLen, int64(len(h)), err))
	}
	switch m := h[shbMagicOff : shbMagicOff+4]; {
	case m[0] == 0x4d && m[1] == 0x3c && m[2] == 0x2b && m[3] == 0x1a:
		r.be = false
	case m[0] == 0x1a && m[1] == 0x2b && m[2] == 0x3c && m[3] == 0x4d:
		r.be = true
	case first:
		return r.fail(0, 0, notCapture(h))
	default:
		return r.fail(frame, start, because(ErrBadBlock, "bad section header block: byte-order magic % x", m))
	}
	length := r.u32(h[4:])
	if err := checkLen(blockSHB, length, shbMinLen); err != nil {
		return r.fail(frame, start, err)
	}
	b, err := r.readMeta(start, blockSHB, length, frame)
	if err != nil {
		return err
	}
	major, minor := r.u16(b[shbMajorOff:]), r.u16(b[shbMinorOff:])
	if major != 1 || (minor != 0 && minor != 2) {
		return r.fail(frame, start, because(ErrBadVersion, "unsupported pcapng version %d.%d (want 1.0)", major, minor))
	}
	if len(r.meta.Sections) >= maxSections {
		return r.fail(frame, start, because(ErrBadBlock, "more than %d sections", maxSections))
	}
	opts, err := r.options(b[shbOptionsOff:length-blockTrailerLen], blockSHB)
	if err != nil {
		return r.fail(frame, start, err)
	}
	r.meta.Sections = append(r.meta.Sections, Section{
		BigEndian:    r.be,
		VersionMajor: major,
		VersionMinor: minor,
		Length:       int64(r.u64(b[shbSecLenOff:])),
		Options:      opts,
	})
	if first {
		copy(r.meta.Magic[:], b[:4])
		r.meta.BigEndian = r.be
		r.meta.VersionMajor, r.meta.VersionMinor = major, minor
	}
	r.ifaces = r.ifaces[:0]
	return nil
}

// readIDB reads an Interface Description Block at start.
func (r *Reader) readIDB(start int64, length uint32) error {
	if err := checkLen(blockIDB, length, idbMinLen); err != nil {
		return r.failAt(start, err)
	}
	b, err := r.readMeta(start, blockIDB, length, r.index+1)
	if err != nil {
		return err
	}
	if len(r.meta.Interfaces) >= maxInterfaces {
		return r.failAt(start, because(ErrBadBlock, "more than %d interface description blocks", maxInterfaces))
	}
	opts, err := r.options(b[idbOptionsOff:length-blockTrailerLen], blockIDB)
	if err != nil {
		return r.failAt(start, err)
	}
	c := iface{
		linkType: uint32(r.u16(b[idbLinkTypeOff:])),
		snapLen:  r.u32(b[idbSnapLenOff:]),
	}
	resol := uint8(defaultTsResol)
	name := ""
	for _, o := range opts {
		switch o.Code {
		case optIfTsResol:
			if len(o.Value) != 1 {
				return r.failAt(start, because(ErrBadBlock, "bad interface description block: if_tsresol option of %d bytes, want 1", len(o.Value)))
			}
			resol = o.Value[0]
		case optIfTsOffset:
			if len(o.Value) != 8 {
				return r.failAt(start, because(ErrBadBlock, "bad interface description block: if_tsoffset option of %d bytes, want 8", len(o.Value)))
			}
			c.offset = int64(r.u64(o.Value))
		case optIfName:
			name = string(o.Value)
		}
	}
	c.setResol(resol)
	r.meta.Interfaces = append(r.meta.Interfaces, Interface{
		Section:  len(r.meta.Sections) - 1,
		ID:       uint32(len(r.ifaces)),
		LinkType: c.linkType,
		SnapLen:  c.snapLen,
		Digits:   c.digits,
		TSResol:  resol,
		TSOffset: c.offset,
		Name:     name,
		Options:  opts,
	})
	r.ifaces = append(r.ifaces, c)
	return nil
}

// options validates the options area b of a header block and returns a
// copy of its options (all values share one allocation).
func (r *Reader) options(b []byte, typ uint32) ([]Option, error) {
	n, total := 0, 0
	for p := b; len(p) >= 4; {
		code, ln := r.u16(p), int(r.u16(p[2:]))
		if code == optEndOfOpt {
			break
		}
		if ln > len(p)-4 {
			return nil, because(ErrBadBlock, "bad %s: option %d is %d bytes long, only %d bytes left in the block", blockName(typ), code, ln, len(p)-4)
		}
		n++
		total += ln
		p = p[min(4+(ln+3)&^3, len(p)):]
	}
	if n == 0 {
		return nil, nil
	}
	if r.optBytes+total > maxOptionBytes {
		return nil, because(ErrBadBlock, "bad %s: capture metadata options exceed %d bytes", blockName(typ), maxOptionBytes)
	}
	r.optBytes += total
	store := make([]byte, total)
	opts := make([]Option, 0, n)
	for p := b; len(opts) < n; {
		code, ln := r.u16(p), int(r.u16(p[2:]))
		v := store[:ln:ln]
		copy(v, p[4:4+ln])
		store = store[ln:]
		opts = append(opts, Option{Code: code, Value: v})
		p = p[min(4+(ln+3)&^3, len(p)):]
	}
	return opts, nil
}

// skipBlock consumes a block this reader does not use (NRB, ISB, DSB,
// custom and unknown blocks), checking only its frame.
func (r *Reader) skipBlock(start int64, typ, length uint32) error {
	if err := checkLen(typ, length, minBlockLen); err != nil {
		return r.failAt(start, err)
	}
	return r.endBlock(start, typ, length)
}

// endBlock consumes the rest of the block that began at start, and checks
// its trailing length.
func (r *Reader) endBlock(start int64, typ, length uint32) error {
	end := start + int64(length) - blockTrailerLen
	if _, err := r.discard(end - r.off); err != nil {
		return r.failAt(start, short(blockName(typ), int64(length), r.off-start, err))
	}
	t, err := r.peek(blockTrailerLen)
	if err != nil {
		return r.failAt(start, short(blockName(typ), int64(length), r.off-start+int64(len(t)), err))
	}
	if tl := r.u32(t); tl != length {
		return r.failAt(start, because(ErrBadBlock, "bad %s: trailing length %d does not match leading length %d", blockName(typ), tl, length))
	}
	r.skip(blockTrailerLen)
	return nil
}

// readPacket reads an Enhanced Packet Block or an obsolete Packet Block.
func (r *Reader) readPacket(f *Frame, start int64, typ, length uint32) error {
	if err := checkLen(typ, length, epbMinLen); err != nil {
		return r.failAt(start, err)
	}
	h, err := r.peek(epbDataOff)
	if err != nil {
		return r.failAt(start, short(blockName(typ), int64(length), int64(len(h)), err))
	}
	var id uint32
	if typ == blockEPB {
		id = r.u32(h[epbIfaceOff:])
	} else {
		id = uint32(r.u16(h[epbIfaceOff:]))
	}
	ts := uint64(r.u32(h[epbTsHighOff:]))<<32 | uint64(r.u32(h[epbTsLowOff:]))
	capLen := r.u32(h[epbCapLenOff:])
	origLen := r.u32(h[epbOrigLenOff:])
	if id >= uint32(len(r.ifaces)) {
		return r.failAt(start, because(ErrBadBlock, "bad %s: interface %d, but the section has %d interface description blocks", blockName(typ), id, len(r.ifaces)))
	}
	c := &r.ifaces[id]
	if room := length - epbMinLen; capLen > room {
		return r.failAt(start, because(ErrBadBlock, "bad %s: captured length %d exceeds the %d bytes the block holds", blockName(typ), capLen, room))
	}
	if err := r.checkCapLen(start, capLen, c); err != nil {
		return err
	}
	data, err := r.packetData(start, typ, length, epbDataOff, capLen)
	if err != nil {
		return err
	}
	sec, nsec := c.split(ts)
	r.index++
	f.Index = r.index
	f.Sec = int64(sec) + c.offset
	f.Nsec = nsec
	f.Digits = c.digits
	f.CapLen = capLen
	f.OrigLen = origLen
	f.LinkType = c.linkType
	f.Interface = id
	f.Data = data
	return nil
}

// readSimple reads a Simple Packet Block: interface 0 of the section, no
// timestamp, captured length min(original length, snap length, room in
// the block).
func (r *Reader) readSimple(f *Frame, start int64, length uint32) error {
	if err := checkLen(blockSPB, length, spbMinLen); err != nil {
		return r.failAt(start, err)
	}
	if len(r.ifaces) == 0 {
		return r.failAt(start, because(ErrBadBlock, "bad simple packet block: the section has no interface description block"))
	}
	h, err := r.peek(spbDataOff)
	if err != nil {
		return r.failAt(start, short(blockName(blockSPB), int64(length), int64(len(h)), err))
	}
	c := &r.ifaces[0]
	origLen := r.u32(h[spbOrigLenOff:])
	capLen := min(origLen, length-spbMinLen)
	if c.snapLen != 0 {
		capLen = min(capLen, c.snapLen)
	}
	if err := r.checkCapLen(start, capLen, c); err != nil {
		return err
	}
	data, err := r.packetData(start, blockSPB, length, spbDataOff, capLen)
	if err != nil {
		return err
	}
	r.index++
	f.Index = r.index
	f.Sec = 0
	f.Nsec = 0
	f.Digits = c.digits
	f.CapLen = capLen
	f.OrigLen = origLen
	f.LinkType = c.linkType
	f.Interface = 0
	f.Data = data
	return nil
}

// packetData consumes the packet block of the given type and length that
// begins at start (nothing of it consumed yet) and returns the capLen
// bytes of packet data found at dataOff. A block that fits in the bufio
// buffer is checked and returned in place; a larger one has its data
// copied to the record buffer and the rest discarded.
func (r *Reader) packetData(start int64, typ, length, dataOff, capLen uint32) ([]byte, error) {
	if length <= bufSize {
		blk, err := r.peek(int(length))
		if err != nil {
			return nil, r.failAt(start, short(blockName(typ), int64(length), int64(len(blk)), err))
		}
		if tl := r.u32(blk[length-blockTrailerLen:]); tl != length {
			return nil, r.failAt(start, because(ErrBadBlock, "bad %s: trailing length %d does not match leading length %d", blockName(typ), tl, length))
		}
		r.skip(int(length))
		end := dataOff + capLen
		return blk[dataOff:end:end], nil
	}
	r.skip(int(dataOff))
	data, k, err := r.readCopy(int(capLen))
	if err != nil {
		return nil, r.failAt(start, short(blockName(typ), int64(length), int64(dataOff)+int64(k), err))
	}
	if err := r.endBlock(start, typ, length); err != nil {
		return nil, err
	}
	return data, nil
}

// checkCapLen applies MaxRecord and, with StrictSnapLen, the interface's
// snap length.
func (r *Reader) checkCapLen(start int64, capLen uint32, c *iface) error {
	if capLen > r.max {
		return r.failAt(start, because(ErrRecordTooLarge, "record too large: captured length %d exceeds the limit of %d bytes", capLen, r.max))
	}
	if r.strict && c.snapLen != 0 && c.snapLen <= r.max && capLen > c.snapLen {
		return r.failAt(start, because(ErrRecordTooLarge, "record too large: captured length %d exceeds the snap length %d", capLen, c.snapLen))
	}
	return nil
}
