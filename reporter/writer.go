package reporter

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pcapflow/pcapflow/decoder"
)

// Buffering: the renderers append to one reused buffer and hand it to the
// underlying io.Writer whenever it holds flushAt bytes (checked between
// values, so one huge value may overshoot once; the buffer then keeps its
// larger capacity and is reused). Large writes keep the number of system
// calls per report small (a JSON report is about 3 KiB per frame).
const (
	bufSize = 1 << 20
	flushAt = 960 << 10
)

// ErrClosed is returned by Block after Close.
var ErrClosed = errors.New("reporter: writer is closed")

// out is the buffered sink shared by a writer and its encoder.
//
// When behind is set (a stream writer on an *os.File), flush writes behind:
// it hands the full buffer to a goroutine that writes it while the caller
// goes on rendering into a second buffer, so the write system call (the
// kernel's copy of the bytes) runs on another core instead of stalling the
// renderer. At most one write is in flight; the next flush, and wait,
// collect its result. The goroutine lives for one write only, so an
// abandoned writer leaks nothing.
type out struct {
	w   io.Writer
	buf []byte
	err error // first write error; sticky

	behind   bool
	cur      *batch     // what goes with buf (behind only)
	deferred int        // bytes of hex cur.raw will become
	spare    *batch     // the batch not being filled (in flight, or idle)
	done     chan error // result of the write in flight
	inflight bool
}

// batch is one buffer's worth of report written behind. The hex of long
// byte values (payloads, most of a JSON report's bytes) is left to the
// writing goroutine too: the renderer copies the bytes to raw and marks
// where their hex goes in text, and the writer assembles the output.
type batch struct {
	text  []byte
	raw   []byte
	marks []hexMark
	out   []byte // the assembled output (writing goroutine only)
}

// hexMark says that the hex of the next n bytes of raw goes at text[at].
type hexMark struct{ at, n int }

// deferHexMin is the shortest byte value whose hex is deferred.
const deferHexMin = 64

// appendHex appends v as hex to b, or (writing behind) copies v aside for
// the writing goroutine to convert in place.
func (o *out) appendHex(b []byte, v []byte) []byte {
	if !o.behind || len(v) < deferHexMin {
		return appendHex(b, v)
	}
	c := o.cur
	c.marks = append(c.marks, hexMark{at: len(b), n: len(v)})
	c.raw = append(c.raw, v...)
	o.deferred += 2 * len(v)
	return b
}

// assemble returns the batch's output: text with the hex of the marked
// bytes inserted.
func (c *batch) assemble() []byte {
	if len(c.marks) == 0 {
		return c.text
	}
	out := c.out[:0]
	last, r := 0, 0
	for _, m := range c.marks {
		out = append(out, c.text[last:m.at]...)
		out = appendHex(out, c.raw[r:r+m.n])
		last, r = m.at, r+m.n
	}
	out = append(out, c.text[last:]...)
	c.out = out
	return out
}

// setErr records the first write error.
func (o *out) setErr(err error) {
	if err != nil && o.err == nil {
		o.err = fmt.Errorf("write report: %w", err)
	}
}

// flush writes b to the sink (or starts writing it, see out) and returns an
// empty buffer to go on with.
func (o *out) flush(b []byte) []byte {
	if !o.behind {
		if o.err == nil && len(b) > 0 {
			_, err := o.w.Write(b)
			o.setErr(err)
		}
		return b[:0]
	}
	o.wait()
	cur := o.cur
	if o.err != nil || len(b) == 0 && len(cur.marks) == 0 {
		cur.raw, cur.marks = cur.raw[:0], cur.marks[:0]
		o.deferred = 0
		return b[:0]
	}
	if o.done == nil {
		o.done = make(chan error, 1)
	}
	cur.text = b
	go func(w io.Writer, c *batch, done chan<- error) {
		_, err := w.Write(c.assemble())
		done <- err
	}(o.w, cur, o.done)
	o.inflight = true
	next := o.spare
	if next == nil {
		next = &batch{text: make([]byte, 0, cap(b))}
	}
	o.spare, o.cur = cur, next
	next.raw, next.marks = next.raw[:0], next.marks[:0]
	o.deferred = 0
	return next.text[:0]
}

// wait waits for the write in flight, if any.
func (o *out) wait() {
	if o.inflight {
		o.setErr(<-o.done)
		o.inflight = false
	}
}

// maybeFlush flushes b when it is full enough (never when o has no sink:
// then b accumulates everything).
func (o *out) maybeFlush(b []byte) []byte {
	if len(b)+o.deferred >= flushAt && o.w != nil {
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
	encErr  error // of newEncoder: every call fails with it
	n       int
	started bool
	closed  bool
}

// NewWriter returns a Writer that renders blocks in format f to w as they
// come, through an internal buffer of about 1 MiB (so w needs no
// buffering of its own). Nothing is retained between blocks: the Tree given
// to Block may be reused as soon as Block returns. Close writes the end of
// the document and flushes; it does not close w.
//
// When w is an *os.File, the buffer is written behind the caller, by
// another goroutine, while the next one fills (see out): nothing else may
// write to w between NewWriter and the return of Close, which waits for
// the last write.
//
// An unknown Format yields a Writer whose every call fails.
//
// The Writer also has a method Reset(w io.Writer) (see Resetter), which
// starts a new document on w with the buffers of the last one: writing
// many small reports, such as one per traced flow, then allocates nothing
// per report (a new Writer's buffer and key cache are about 1.2 MiB).
func NewWriter(w io.Writer, f Format) Writer {
	enc, err := newEncoder(f)
	sw := &streamWriter{o: out{buf: make([]byte, 0, bufSize)}, enc: enc, encErr: err}
	sw.Reset(w)
	return sw
}

// Resetter is implemented by the Writers of NewWriter: Reset starts a new
// document on w, as NewWriter would, reusing the Writer's buffers. The
// document in progress, if not closed, is abandoned: what it has not
// flushed is never written.
type Resetter interface {
	Reset(w io.Writer)
}

func (sw *streamWriter) Reset(w io.Writer) {
	sw.o.wait()
	sw.o.w, sw.o.err = w, sw.encErr
	sw.o.buf = sw.o.buf[:0]
	// Files and pipes are worth writing behind; in-memory writers are not.
	_, sw.o.behind = w.(*os.File)
	if sw.o.behind && sw.o.cur == nil {
		sw.o.cur = &batch{}
	}
	if c := sw.o.cur; c != nil {
		c.raw, c.marks = c.raw[:0], c.marks[:0]
	}
	sw.o.deferred = 0
	sw.n, sw.started, sw.closed = 0, false, false
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
	sw.o.wait()
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
