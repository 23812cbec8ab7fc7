package services

import (
	"encoding/binary"
	"math"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/decoder"
)

// msgWriter encodes one outgoing message into a reusable buffer, by hand
// on the hot path (the field names and order are those of the bus types'
// msgpack tags, so msgpack.Unmarshal into them reads it back). Scalars,
// strings and bins are appended directly; the rare values that need the
// msgpack library (an end marker, a decoding error, a report tree) go
// through an Encoder writing into the same buffer.
type msgWriter struct {
	buf []byte
	e   *msgpack.Encoder
}

func newMsgWriter() *msgWriter {
	w := &msgWriter{}
	w.e = msgpack.NewEncoder((*appendWriter)(w))
	return w
}

// appendWriter lets a msgpack.Encoder append to the writer's buffer
// (with WriteByte the Encoder writes through, without buffering).
type appendWriter msgWriter

func (a *appendWriter) Write(p []byte) (int, error) {
	a.buf = append(a.buf, p...)
	return len(p), nil
}

func (a *appendWriter) WriteByte(c byte) error {
	a.buf = append(a.buf, c)
	return nil
}

func (w *msgWriter) reset() { w.buf = w.buf[:0] }

// appendLen appends a msgpack length header: fix (with fixMax) when it
// fits, else the 8-bit (c8, 0 when the family has none), 16- or 32-bit form.
func appendLen(b []byte, n int, fix byte, fixMax int, c8, c16, c32 byte) []byte {
	switch {
	case n <= fixMax:
		return append(b, fix|byte(n))
	case c8 != 0 && n <= math.MaxUint8:
		return append(b, c8, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, c16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, c32), uint32(n))
}

func (w *msgWriter) mapLen(n int) { w.buf = appendLen(w.buf, n, 0x80, 15, 0, 0xde, 0xdf) }
func (w *msgWriter) arrLen(n int) { w.buf = appendLen(w.buf, n, 0x90, 15, 0, 0xdc, 0xdd) }

func (w *msgWriter) strVal(s string) {
	w.buf = appendLen(w.buf, len(s), 0xa0, 31, 0xd9, 0xda, 0xdb)
	w.buf = append(w.buf, s...)
}

func (w *msgWriter) binVal(b []byte) {
	w.buf = appendLen(w.buf, len(b), 0, -1, 0xc4, 0xc5, 0xc6)
	w.buf = append(w.buf, b...)
}

func (w *msgWriter) uintVal(v uint64) {
	b := w.buf
	switch {
	case v <= 0x7f:
		b = append(b, byte(v))
	case v <= math.MaxUint8:
		b = append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(v))
	case v <= math.MaxUint32:
		b = binary.BigEndian.AppendUint32(append(b, 0xce), uint32(v))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 0xcf), v)
	}
	w.buf = b
}

func (w *msgWriter) intVal(v int64) {
	switch {
	case v >= 0:
		w.uintVal(uint64(v))
	case v >= -32:
		w.buf = append(w.buf, byte(int8(v)))
	case v >= math.MinInt8:
		w.buf = append(w.buf, 0xd0, byte(int8(v)))
	case v >= math.MinInt16:
		w.buf = binary.BigEndian.AppendUint16(append(w.buf, 0xd1), uint16(int16(v)))
	case v >= math.MinInt32:
		w.buf = binary.BigEndian.AppendUint32(append(w.buf, 0xd2), uint32(int32(v)))
	default:
		w.buf = binary.BigEndian.AppendUint64(append(w.buf, 0xd3), uint64(v))
	}
}

func (w *msgWriter) boolVal(v bool) {
	if v {
		w.buf = append(w.buf, 0xc3)
	} else {
		w.buf = append(w.buf, 0xc2)
	}
}

func (w *msgWriter) str(k, v string)         { w.strVal(k); w.strVal(v) }
func (w *msgWriter) uint(k string, v uint64) { w.strVal(k); w.uintVal(v) }
func (w *msgWriter) int(k string, v int64)   { w.strVal(k); w.intVal(v) }
func (w *msgWriter) bool(k string, v bool)   { w.strVal(k); w.boolVal(v) }

func (w *msgWriter) mark(m bus.Mark) {
	w.strVal("mark")
	w.mapLen(5)
	w.uint("seq", m.Seq)
	w.bool("advance", m.Advance)
	w.uint("index", m.Index)
	w.int("sec", m.Sec)
	w.uint("nsec", uint64(m.Nsec))
}

// span writes a layer span as bus.LayerSpan encodes it.
func (w *msgWriter) span(l *decoder.Layer) {
	w.arrLen(4)
	w.strVal(l.Proto.Key())
	w.uintVal(uint64(l.Off))
	w.uintVal(uint64(l.Hdr))
	w.uintVal(uint64(l.End))
}

// beginDecoded writes the fields of a DecodedBatch up to its frames array
// of n frames.
func (w *msgWriter) beginDecoded(capture string, gen uint32, part, parts int, m bus.Mark, end *bus.CaptureEnd, n int) error {
	w.reset()
	w.mapLen(8)
	w.uint("v", bus.Version)
	w.str("capture", capture)
	w.uint("gen", uint64(gen))
	w.uint("partition", uint64(part))
	w.uint("partitions", uint64(parts))
	w.mark(m)
	w.strVal("end")
	if end == nil {
		w.buf = append(w.buf, 0xc0)
	} else if err := w.e.Encode(end); err != nil {
		return err
	}
	w.strVal("frames")
	w.arrLen(n)
	return nil
}

// frame writes one DecodedFrame (without a report tree: consumers rebuild
// it from the bytes and spans), with nil data when noData is set.
func (w *msgWriter) frame(f *bus.Frame, p *decoder.Packet, chain []byte, noData bool) error {
	w.mapLen(14)
	w.buf = bus.AppendFrameFields(w.buf, f, noData)
	w.strVal("chain")
	w.buf = appendLen(w.buf, len(chain), 0xa0, 31, 0xd9, 0xda, 0xdb)
	w.buf = append(w.buf, chain...)
	w.strVal("layers")
	w.arrLen(p.N)
	for i := 0; i < p.N; i++ {
		w.span(&p.Layers[i])
	}
	w.strVal("error")
	if p.Failed() {
		if err := w.e.Encode(bus.ErrorOf(p)); err != nil {
			return err
		}
	} else {
		w.buf = append(w.buf, 0xc0)
	}
	w.bool("fragment", p.Fragment)
	w.bool("stopped", p.Stopped)
	return nil
}

// beginEvents writes the fields of a LayerEvents up to its events array.
func (w *msgWriter) beginEvents(capture string, gen uint32, seq uint64, p decoder.Proto, n int) {
	w.reset()
	w.mapLen(7)
	w.uint("v", bus.Version)
	w.str("capture", capture)
	w.uint("gen", uint64(gen))
	w.uint("seq", seq)
	w.str("proto", p.Key())
	w.str("level", p.Level().String())
	w.strVal("events")
	w.arrLen(n)
}

// event writes one LayerEvent: layer l of frame f, whose own fields are
// in t (a tree holding p.Fields).
func (w *msgWriter) event(f *bus.Frame, chain []byte, p *decoder.Packet, l int, t *decoder.Tree) error {
	w.mapLen(6)
	w.uint("index", f.Index)
	w.int("sec", f.Sec)
	w.uint("nsec", uint64(f.Nsec))
	w.strVal("chain")
	w.buf = appendLen(w.buf, len(chain), 0xa0, 31, 0xd9, 0xda, 0xdb)
	w.buf = append(w.buf, chain...)
	w.strVal("layer")
	w.span(&p.Layers[l])
	w.strVal("fields")
	return bus.EncodeLayerFields(w.e, t, p, l)
}
