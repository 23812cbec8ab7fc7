package ingest

import (
	"encoding/binary"
	"fmt"
	"io"
)

// PcapWriter writes a classic pcap file (one link type, microsecond or
// nanosecond timestamps, either byte order).
type PcapWriter struct {
	w     io.Writer
	order binary.ByteOrder
	nano  bool
	hdr   [16]byte
}

// PcapWriterOptions configures a PcapWriter. The zero value writes a
// little-endian microsecond pcap with a 262144-byte snap length.
type PcapWriterOptions struct {
	LinkType   uint32
	SnapLen    uint32
	Nanosecond bool
	BigEndian  bool
}

// NewPcapWriter writes the pcap file header to w and returns a writer for
// records.
func NewPcapWriter(w io.Writer, o PcapWriterOptions) (*PcapWriter, error) {
	pw := &PcapWriter{w: w, order: binary.LittleEndian, nano: o.Nanosecond}
	if o.BigEndian {
		pw.order = binary.BigEndian
	}
	if o.SnapLen == 0 {
		o.SnapLen = 262144
	}
	var h [24]byte
	magic := uint32(0xa1b2c3d4)
	if o.Nanosecond {
		magic = 0xa1b23c4d
	}
	pw.order.PutUint32(h[0:], magic)
	pw.order.PutUint16(h[4:], 2)
	pw.order.PutUint16(h[6:], 4)
	pw.order.PutUint32(h[16:], o.SnapLen)
	pw.order.PutUint32(h[20:], o.LinkType)
	if _, err := w.Write(h[:]); err != nil {
		return nil, fmt.Errorf("write pcap header: %w", err)
	}
	return pw, nil
}

// WritePacket writes one record. origLen is the wire length (use len(data)
// when the packet was not cut).
func (pw *PcapWriter) WritePacket(sec int64, nsec uint32, origLen uint32, data []byte) error {
	frac := nsec
	if !pw.nano {
		frac = nsec / 1000
	}
	pw.order.PutUint32(pw.hdr[0:], uint32(sec))
	pw.order.PutUint32(pw.hdr[4:], frac)
	pw.order.PutUint32(pw.hdr[8:], uint32(len(data)))
	pw.order.PutUint32(pw.hdr[12:], origLen)
	if _, err := pw.w.Write(pw.hdr[:]); err != nil {
		return fmt.Errorf("write pcap record: %w", err)
	}
	if _, err := pw.w.Write(data); err != nil {
		return fmt.Errorf("write pcap record: %w", err)
	}
	return nil
}
