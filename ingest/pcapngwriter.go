package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// PcapNGWriterOptions configures a PcapNGWriter. The zero value writes a
// little-endian file with no section options.
type PcapNGWriterOptions struct {
	BigEndian bool
	// Application, when set, is written as the shb_userappl option of
	// every section header.
	Application string
}

// PcapNGWriter writes a pcapng file: section headers, interface
// descriptions and Enhanced Packet Blocks. It is meant for tests and the
// packet builder; it does not buffer (wrap w in a bufio.Writer for speed).
type PcapNGWriter struct {
	w      io.Writer
	order  byteOrder
	app    string
	ifaces []iface
	hdr    [epbDataOff]byte
	tail   [3 + blockTrailerLen]byte
}

const optShbUserAppl = 4

type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// NewPcapNGWriter writes a Section Header Block to w and returns a writer
// for the section's interfaces and packets.
func NewPcapNGWriter(w io.Writer, o PcapNGWriterOptions) (*PcapNGWriter, error) {
	pw := &PcapNGWriter{w: w, app: o.Application}
	if err := pw.NewSection(o.BigEndian); err != nil {
		return nil, err
	}
	return pw, nil
}

// NewSection starts a new section (a new Section Header Block, in the
// given byte order). Interface ids start again from 0.
func (pw *PcapNGWriter) NewSection(bigEndian bool) error {
	pw.order = binary.LittleEndian
	if bigEndian {
		pw.order = binary.BigEndian
	}
	pw.ifaces = pw.ifaces[:0]
	var opts []byte
	if pw.app != "" {
		opts = pw.appendOption(opts, optShbUserAppl, []byte(pw.app))
		opts = pw.appendOption(opts, optEndOfOpt, nil)
	}
	b := make([]byte, shbOptionsOff, shbMinLen+len(opts))
	pw.order.PutUint32(b[0:], blockSHB)
	pw.order.PutUint32(b[shbMagicOff:], 0x1a2b3c4d)
	pw.order.PutUint16(b[shbMajorOff:], 1)
	pw.order.PutUint16(b[shbMinorOff:], 0)
	pw.order.PutUint64(b[shbSecLenOff:], ^uint64(0)) // length not specified
	b = append(b, opts...)
	return pw.writeBlock(b, "section header block")
}

// AddInterface writes an Interface Description Block and returns its id.
// tsResol is the if_tsresol byte: 6 for microseconds (written as no
// option), 9 for nanoseconds, n for 10^-n s, 0x80|n for 2^-n s.
func (pw *PcapNGWriter) AddInterface(linkType uint32, snapLen uint32, tsResol uint8) (uint32, error) {
	if linkType > 0xffff {
		return 0, fmt.Errorf("write interface description block: link type %d does not fit in 16 bits", linkType)
	}
	c := iface{linkType: linkType, snapLen: snapLen}
	c.setResol(tsResol)
	if (c.binary && c.exp > 63) || (!c.binary && c.exp > 19) {
		return 0, fmt.Errorf("write interface description block: if_tsresol 0x%02x not supported by the writer", tsResol)
	}
	b := make([]byte, idbOptionsOff, idbMinLen+12)
	pw.order.PutUint32(b[0:], blockIDB)
	pw.order.PutUint16(b[idbLinkTypeOff:], uint16(linkType))
	pw.order.PutUint32(b[idbSnapLenOff:], snapLen)
	if tsResol != defaultTsResol {
		b = pw.appendOption(b, optIfTsResol, []byte{tsResol})
		b = pw.appendOption(b, optEndOfOpt, nil)
	}
	if err := pw.writeBlock(b, "interface description block"); err != nil {
		return 0, err
	}
	pw.ifaces = append(pw.ifaces, c)
	return uint32(len(pw.ifaces) - 1), nil
}

// WritePacket writes an Enhanced Packet Block for interface iface of the
// current section. The timestamp is converted to the interface's
// resolution (truncated). origLen is the wire length (len(data) when the
// packet was not cut).
func (pw *PcapNGWriter) WritePacket(iface uint32, sec int64, nsec uint32, origLen uint32, data []byte) error {
	if iface >= uint32(len(pw.ifaces)) {
		return fmt.Errorf("write enhanced packet block: no interface %d in this section", iface)
	}
	if sec < 0 || nsec >= 1e9 {
		return fmt.Errorf("write enhanced packet block: timestamp %d.%09d out of range", sec, nsec)
	}
	if uint64(len(data)) > 0xffffffff-epbMinLen-3 {
		return errors.New("write enhanced packet block: packet too large")
	}
	ts, ok := pw.ifaces[iface].ticks(uint64(sec), nsec)
	if !ok {
		return fmt.Errorf("write enhanced packet block: timestamp %d.%09d overflows the interface's resolution", sec, nsec)
	}
	pad := (4 - len(data)%4) % 4
	length := uint32(epbMinLen + len(data) + pad)
	h := pw.hdr[:]
	pw.order.PutUint32(h[0:], blockEPB)
	pw.order.PutUint32(h[4:], length)
	pw.order.PutUint32(h[epbIfaceOff:], iface)
	pw.order.PutUint32(h[epbTsHighOff:], uint32(ts>>32))
	pw.order.PutUint32(h[epbTsLowOff:], uint32(ts))
	pw.order.PutUint32(h[epbCapLenOff:], uint32(len(data)))
	pw.order.PutUint32(h[epbOrigLenOff:], origLen)
	t := pw.tail[:pad+blockTrailerLen]
	clear(t[:pad])
	pw.order.PutUint32(t[pad:], length)
	if _, err := pw.w.Write(h); err != nil {
		return fmt.Errorf("write enhanced packet block: %w", err)
	}
	if _, err := pw.w.Write(data); err != nil {
		return fmt.Errorf("write enhanced packet block: %w", err)
	}
	if _, err := pw.w.Write(t); err != nil {
		return fmt.Errorf("write enhanced packet block: %w", err)
	}
	return nil
}

// ticks converts a timestamp into the interface's units; ok is false on
// overflow.
func (c *iface) ticks(sec uint64, nsec uint32) (uint64, bool) {
	e := uint(c.exp)
	var whole, frac uint64
	if c.binary {
		if e > 0 && sec>>(64-e) != 0 {
			return 0, false
		}
		whole = sec << e
		hi, lo := bits.Mul64(uint64(nsec), 1<<e)
		frac, _ = bits.Div64(hi, lo, 1e9)
	} else {
		u := pow10[e]
		hi, lo := bits.Mul64(sec, u)
		if hi != 0 {
			return 0, false
		}
		whole = lo
		if e <= 9 {
			frac = uint64(nsec) / pow10[9-e]
		} else {
			frac = uint64(nsec) * pow10[e-9]
		}
	}
	t, carry := bits.Add64(whole, frac, 0)
	return t, carry == 0
}

// appendOption appends one option (code, length, value padded to 4).
func (pw *PcapNGWriter) appendOption(b []byte, code uint16, v []byte) []byte {
	b = pw.order.AppendUint16(b, code)
	b = pw.order.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return append(b, make([]byte, (4-len(v)%4)%4)...)
}

// writeBlock fills in the lengths of block b (header and body, without
// trailer) and writes it with its trailer.
func (pw *PcapNGWriter) writeBlock(b []byte, what string) error {
	length := uint32(len(b) + blockTrailerLen)
	pw.order.PutUint32(b[4:], length)
	b = pw.order.AppendUint32(b, length)
	if _, err := pw.w.Write(b); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}
