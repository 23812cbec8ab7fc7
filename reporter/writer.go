package reporter

import (
	"errors"
	"fmt"
	"io"

	"github.com/pcapflow/pcapflow/decoder"
)

// Buffering: the renderers append to one reused buffer and hand it to the
// underlying io.Writer whenever it holds flushAt bytes (checked between
// values, so one huge value may overshoot once; the buffer then keeps its
// larger capacity and is reused).
const (
	bufSize = 64 << 10
	flushAt = 32 << 10
)

// ErrClosed is returned by Block after Close.
var ErrClosed = errors.New("reporter: writer is closed")

// out is the buffered sink shared by a writer and its encoder.
type out struct {
	w   io.Writer
	buf []byte
	err error // first write error; sticky
}

// flush writes b to the sink and returns b emptied.
func (o *out) flush(b []byte) []byte {
	if o.err == nil && len(b) > 0 {
		if _, err := o.w.Write(b); err != nil {
			o.err = fmt.Errorf("write report: %w", err)
		}
	}
	return b[:0]
}

// maybeFlush flushes b when it is full enough (never when o has no sink:
// then b accumulates everything).
func (o *out) maybeFlush(b []byte) []byte {
	if len(b) >= flushAt && o.w != nil {
		return o.flush(b)
	}
	return b
}

// encoder renders one format into o.buf.
type encoder interface {
	// begin appends the document prologue.
	begin(b []byte) []byte
	// block appends one top-level block; index counts the blocks before it.
	block(o *out, b []byte, name string, nodes []decoder.Node, index int) []byte
	// end appends the epilogue of a document holding n blocks.
	end(b []byte, n int) []byte
}

func newEncoder(f Format) (encoder, error) {
	switch f {
	case JSON:
		return &jsonEncoder{}, nil
	case Plist:
		return &plistEncoder{}, nil
	case Text:
		return &textEncoder{}, nil
	}
	return nil, fmt.Errorf("reporter: unknown format %d", f)
}

// streamWriter is the Writer returned by NewWriter.
type streamWriter struct {
	o       out
	enc     encoder
	n       int
	started bool
	closed  bool
}

// NewWriter returns a Writer that renders blocks in format f to w as they
// come, through an internal buffer of a few tens of KiB (so w needs no
// buffering of its own). Nothing is retained between blocks: the Tree given
// to Block may be reused as soon as Block returns. Close writes the end of
// the document and flushes; it does not close w.
//
// An unknown Format yields a Writer whose every call fails.
func NewWriter(w io.Writer, f Format) Writer {
	enc, err := newEncoder(f)
	sw := &streamWriter{o: out{w: w, buf: make([]byte, 0, bufSize), err: err}, enc: enc}
	return sw
}

func (sw *streamWriter) Block(name string, t *decoder.Tree) error {
	if sw.o.err != nil {
		return sw.o.err
	}
	if sw.closed {
		return ErrClosed
	}
	if err := checkTree(name, t); err != nil {
		return err
	}
	b := sw.o.buf
	if !sw.started {
		b = sw.enc.begin(b)
		sw.started = true
	}
	b = sw.enc.block(&sw.o, b, name, t.Nodes, sw.n)
	sw.n++
	sw.o.buf = sw.o.maybeFlush(b)
	return sw.o.err
}

func (sw *streamWriter) Close() error {
	if sw.closed {
		return sw.o.err
	}
	sw.closed = true
	if sw.o.err != nil {
		return sw.o.err
	}
	b := sw.o.buf
	if !sw.started {
		b = sw.enc.begin(b)
		sw.started = true
	}
	b = sw.enc.end(b, sw.n)
	sw.o.buf = sw.o.flush(b)
	return sw.o.err
}

// checkTree rejects a Tree whose containers are not all closed: its End
// indexes would not describe a tree.
func checkTree(name string, t *decoder.Tree) error {
	if t == nil {
		return fmt.Errorf("reporter: block %q: nil tree", name)
	}
	if d := t.Depth(); d != 0 {
		return fmt.Errorf("reporter: block %q: %d containers left open", name, d)
	}
	return nil
}

// next returns the index of the node after nodes[i] and its descendants,
// bounded by hi (a malformed End never makes a renderer loop or overrun).
func next(nodes []decoder.Node, i, hi int) int {
	e := int(nodes[i].End)
	if e <= i {
		return i + 1
	}
	if e > hi {
		return hi
	}
	return e
}

// isContainer reports whether k holds children.
func isContainer(k decoder.Kind) bool { return k == decoder.KindObject || k == decoder.KindArray }
