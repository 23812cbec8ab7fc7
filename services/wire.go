package services

import (
	"bytes"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/decoder"
)

// msgWriter encodes one outgoing message into a reusable buffer, by hand
// on the hot path (the field names and order are those of the bus types'
// msgpack tags, so msgpack.Unmarshal into them reads it back).
type msgWriter struct {
	buf bytes.Buffer
	e   *msgpack.Encoder
}

func newMsgWriter() *msgWriter {
	w := &msgWriter{}
	w.e = msgpack.NewEncoder(&w.buf)
	return w
}

func (w *msgWriter) reset() { w.buf.Reset() }

// bytes returns a copy of the encoded message (the publisher keeps it
// until acknowledged while the writer is reused).
func (w *msgWriter) bytes() []byte { return bytes.Clone(w.buf.Bytes()) }

func (w *msgWriter) str(k, v string) {
	_ = w.e.EncodeString(k)
	_ = w.e.EncodeString(v)
}

func (w *msgWriter) uint(k string, v uint64) {
	_ = w.e.EncodeString(k)
	_ = w.e.EncodeUint(v)
}

func (w *msgWriter) int(k string, v int64) {
	_ = w.e.EncodeString(k)
	_ = w.e.EncodeInt(v)
}

func (w *msgWriter) bool(k string, v bool) {
	_ = w.e.EncodeString(k)
	_ = w.e.EncodeBool(v)
}

func (w *msgWriter) mark(m bus.Mark) {
	_ = w.e.EncodeString("mark")
	_ = w.e.EncodeMapLen(5)
	w.uint("seq", m.Seq)
	w.bool("advance", m.Advance)
	w.uint("index", m.Index)
	w.int("sec", m.Sec)
	w.uint("nsec", uint64(m.Nsec))
}

// beginDecoded writes the fields of a DecodedBatch up to its frames array
// of n frames.
func (w *msgWriter) beginDecoded(capture string, gen uint32, part, parts int, m bus.Mark, end *bus.CaptureEnd, n int) error {
	w.reset()
	_ = w.e.EncodeMapLen(8)
	w.uint("v", bus.Version)
	w.str("capture", capture)
	w.uint("gen", uint64(gen))
	w.uint("partition", uint64(part))
	w.uint("partitions", uint64(parts))
	w.mark(m)
	_ = w.e.EncodeString("end")
	if err := w.e.Encode(end); err != nil {
		return err
	}
	_ = w.e.EncodeString("frames")
	return w.e.EncodeArrayLen(n)
}

// frame writes one DecodedFrame.
func (w *msgWriter) frame(f *bus.Frame, p *decoder.Packet, chain []byte, t *decoder.Tree) error {
	e := w.e
	_ = e.EncodeMapLen(15)
	w.frameFields(f)
	_ = e.EncodeString("chain")
	_ = e.EncodeString(string(chain))
	_ = e.EncodeString("layers")
	_ = e.EncodeArrayLen(p.N)
	for i := 0; i < p.N; i++ {
		if err := bus.LayerSpan(p.Layers[i]).EncodeMsgpack(e); err != nil {
			return err
		}
	}
	_ = e.EncodeString("error")
	if p.Failed() {
		if err := e.Encode(bus.ErrorOf(p)); err != nil {
			return err
		}
	} else {
		_ = e.EncodeNil()
	}
	w.bool("fragment", p.Fragment)
	w.bool("stopped", p.Stopped)
	_ = e.EncodeString("tree")
	return bus.EncodeTree(e, t)
}

func (w *msgWriter) frameFields(f *bus.Frame) {
	w.uint("index", f.Index)
	w.int("sec", f.Sec)
	w.uint("nsec", uint64(f.Nsec))
	w.uint("digits", uint64(f.Digits))
	w.uint("caplen", uint64(f.CapLen))
	w.uint("origlen", uint64(f.OrigLen))
	w.uint("linktype", uint64(f.LinkType))
	w.uint("iface", uint64(f.Interface))
	_ = w.e.EncodeString("data")
	_ = w.e.EncodeBytes(f.Data)
}

// beginEvents writes the fields of a LayerEvents up to its events array.
func (w *msgWriter) beginEvents(capture string, gen uint32, seq uint64, p decoder.Proto, n int) {
	w.reset()
	_ = w.e.EncodeMapLen(7)
	w.uint("v", bus.Version)
	w.str("capture", capture)
	w.uint("gen", uint64(gen))
	w.uint("seq", seq)
	w.str("proto", p.Key())
	w.str("level", p.Level().String())
	_ = w.e.EncodeString("events")
	_ = w.e.EncodeArrayLen(n)
}

// event writes one LayerEvent: layer l of frame f, whose report object is
// node at of t.
func (w *msgWriter) event(f *bus.Frame, chain []byte, p *decoder.Packet, l int, t *decoder.Tree, at int) error {
	_ = w.e.EncodeMapLen(6)
	w.uint("index", f.Index)
	w.int("sec", f.Sec)
	w.uint("nsec", uint64(f.Nsec))
	_ = w.e.EncodeString("chain")
	_ = w.e.EncodeString(string(chain))
	_ = w.e.EncodeString("layer")
	_ = bus.LayerSpan(p.Layers[l]).EncodeMsgpack(w.e)
	_ = w.e.EncodeString("fields")
	if at < 0 {
		return w.e.EncodeNil()
	}
	return bus.EncodeSubtree(w.e, t.Nodes, at)
}
