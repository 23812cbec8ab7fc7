package ingest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// DefaultMaxRecord is the largest captured length a Reader accepts when
// ReaderOptions.MaxRecord is 0. It equals libpcap's and Wireshark's
// maximum snapshot length (262144).
const DefaultMaxRecord = 256 << 10

// minMetaBlock is the smallest limit on the size of a pcapng block the
// Reader keeps (section headers, interface descriptions), whatever
// MaxRecord says: real ones are a few hundred bytes.
const minMetaBlock = 64 << 10

// Limits on what Meta retains, so that a stream of header blocks cannot
// grow memory without bound.
const (
	maxSections    = 4096
	maxInterfaces  = 65536
	maxOptionBytes = 16 << 20
)

// bufSize is the size of the bufio.Reader in front of the input.
const bufSize = 64 << 10

// ReaderOptions configures a Reader. The zero value is ready to use.
type ReaderOptions struct {
	// MaxRecord is the largest captured length accepted for one record
	// (0 means DefaultMaxRecord). A record claiming more is reported as
	// ErrRecordTooLarge and never allocated.
	MaxRecord uint32
	// StrictSnapLen also rejects, with ErrRecordTooLarge, a record whose
	// captured length exceeds the snap length of its file or interface
	// (when that snap length is set, i.e. non-zero, and not above
	// MaxRecord). By default such a record is read whole, as tshark does;
	// see the package documentation.
	StrictSnapLen bool
}

// Reader reads frames from a pcap or pcapng stream, one at a time, with a
// single reused record buffer: memory does not grow with the capture.
//
// The Data slice of a Frame filled by Next is owned by the Reader and is
// valid only until the next call to Next; copy it to keep it. A Reader
// over memory (NewReaderBytes, OpenMapped) is the exception: there Stable
// reports true and Data is a slice of that memory, unchanged until the
// memory is released.
type Reader struct {
	// The input is either br (a stream) or, when br is nil, mem: the
	// unread rest of an in-memory capture, which the byte primitives
	// (peek, skip, discard, read, readCopy) slice instead of copying.
	br   *bufio.Reader
	src  *hookedReader // br's input
	mem  []byte
	warm int64 // input offset up to which warmAhead touched mem
	sink byte  // keeps warmAhead's loads
	// mapped is the whole mapping of an OpenMapped capture, whose pages
	// behind the read position go back to the kernel (dropBehind) up to
	// offset dropped.
	mapped  []byte
	dropped int64
	name    string
	max     uint32
	strict  bool

	meta  Meta
	off   int64  // bytes consumed from the input
	index uint64 // frames returned so far
	buf   []byte // the reused record buffer
	be    bool   // byte order of the file / current section
	err   error  // sticky: io.EOF or *Error
	ng    bool

	// pcap
	linkType uint32
	snapLen  uint32
	nano     bool

	// pcapng
	ifaces   []iface // interfaces of the current section
	optBytes int     // option bytes retained in meta
	pending  bool    // first frame, read by NewReader, not yet returned
	first    Frame
}

// NewReader detects the capture format from the first bytes of r (pcap in
// either byte order with microsecond or nanosecond timestamps, or pcapng)
// and reads its file header. name labels errors and Meta ("-" for stdin).
//
// NewReader fails at once, with an error wrapping ErrNotCapture, on input
// that is not a capture, and with ErrBadVersion, ErrBadHeader, ErrBadBlock
// or ErrTruncated on a bad file header or first section header. For pcapng
// it goes on reading blocks up to the first packet, so that Meta lists the
// first section's interfaces before frame 1; an error found there is
// returned by the first call to Next.
func NewReader(r io.Reader, name string, opts ReaderOptions) (*Reader, error) {
	rd := newReader(name, opts)
	rd.src = &hookedReader{r: r}
	rd.br = bufio.NewReaderSize(rd.src, bufSize)
	return rd.open()
}

// hookedReader runs before, when set, ahead of each Read of r.
type hookedReader struct {
	r      io.Reader
	before func()
}

func (h *hookedReader) Read(p []byte) (int, error) {
	if h.before != nil {
		h.before()
	}
	return h.r.Read(p)
}

// BeforeRead sets fn to run before each read of a stream Reader's input
// (nil: nothing), in the goroutine calling Next. Those reads are where
// Next may wait for data that has not arrived yet, on a live capture: a
// caller that collects frames in batches hands on what it holds there,
// so that no frame waits for the next one. A Reader over memory never
// reads, and ignores fn.
func (r *Reader) BeforeRead(fn func()) {
	if r.src != nil {
		r.src.before = fn
	}
}

// NewReaderBytes is NewReader over the capture held in b: same frames,
// Meta, offsets and errors, for any input. The Reader never copies frame
// bytes and never writes to b: every Frame.Data is a slice of b (with its
// capacity clipped to its length) that stays valid as long as b does, so
// Stable reports true. b must not change while the Reader or the frames
// are in use.
func NewReaderBytes(b []byte, name string, opts ReaderOptions) (*Reader, error) {
	rd := newReader(name, opts)
	rd.mem = b[:len(b):len(b)]
	return rd.open()
}

func newReader(name string, opts ReaderOptions) *Reader {
	rd := &Reader{
		name:   name,
		max:    opts.MaxRecord,
		strict: opts.StrictSnapLen,
	}
	if rd.max == 0 {
		rd.max = DefaultMaxRecord
	}
	rd.meta.Name = name
	return rd
}

// open detects the format and reads the file header (see NewReader).
func (rd *Reader) open() (*Reader, error) {
	head, err := rd.peek(4)
	if len(head) < 4 {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, rd.fail(0, 0, err)
		}
		return nil, rd.fail(0, 0, notCapture(head))
	}
	switch {
	case head[0] == 0x0a && head[1] == 0x0d && head[2] == 0x0d && head[3] == 0x0a:
		if err := rd.openPcapNG(); err != nil {
			return nil, err
		}
	default:
		if err := rd.openPcap(head); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

// Stable reports whether the Data of every Frame returned by Next stays
// valid, unchanged, after later calls to Next: true for a Reader over
// memory (NewReaderBytes, or OpenMapped until its Closer is called), false
// for a stream Reader, whose Data is valid only until the next Next.
func (r *Reader) Stable() bool { return r.br == nil }

// Open opens the capture at path ("-" reads standard input) and returns a
// Reader over it and the Closer to call when done.
func Open(path string, opts ReaderOptions) (*Reader, io.Closer, error) {
	if path == "-" {
		r, err := NewReader(os.Stdin, "-", opts)
		if err != nil {
			return nil, nil, err
		}
		return r, nopCloser{}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return openStream(f, path, opts)
}

// openStream is Open for the open file f; it closes f on failure.
func openStream(f *os.File, path string, opts ReaderOptions) (*Reader, io.Closer, error) {
	r, err := NewReader(f, path, opts)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return r, f, nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// Next fills *f with the next frame. It returns io.EOF at a clean end of
// the capture, and otherwise an *Error (wrapping one of the Err sentinels
// or an I/O error) that says where the capture went wrong; after any
// error, Next keeps returning it. f.Data aliases the Reader's buffer and
// is valid until the next call to Next (longer when Stable).
func (r *Reader) Next(f *Frame) error {
	if r.pending {
		r.pending = false
		*f = r.first
		r.first.Data = nil
		return nil
	}
	if r.err != nil {
		return r.err
	}
	if r.br == nil {
		r.warmAhead()
	}
	var err error
	if r.ng {
		err = r.nextBlock(f)
	} else {
		err = r.nextRecord(f)
	}
	if err != nil {
		r.err = err
	}
	return err
}

// Meta returns the capture metadata: the pcap file header, or every pcapng
// section header and interface description read so far (it grows as Next
// reads further sections). It is owned by the Reader; do not modify it.
func (r *Reader) Meta() *Meta { return &r.meta }

// Offset returns the number of input bytes consumed so far (for progress
// display).
func (r *Reader) Offset() int64 { return r.off }

// Format returns the container format of the capture.
func (r *Reader) Format() Format { return r.meta.Format }

// fail builds the *Error for a failure at byte offset off while reading
// frame number frame (0 for file headers).
func (r *Reader) fail(frame uint64, off int64, err error) error {
	return &Error{File: r.name, Frame: frame, Offset: off, Err: err}
}

// failAt is fail for the frame being read now.
func (r *Reader) failAt(off int64, err error) error {
	return r.fail(r.index+1, off, err)
}

func notCapture(head []byte) error {
	if len(head) == 0 {
		return because(ErrNotCapture, "%v (empty input)", ErrNotCapture)
	}
	hint := ""
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		hint = "; gzip-compressed? decompress it first"
	}
	return because(ErrNotCapture, "%v (starts with % x%s)", ErrNotCapture, head, hint)
}

// short converts the result of a short read of what (need bytes, have
// read) into a truncation error, or wraps an I/O error.
func short(what string, need, have int64, err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return truncated(what, need, have)
	}
	return fmt.Errorf("read %s: %w", what, err)
}

// The byte primitives below work on either input: the bufio.Reader, or
// the in-memory rest r.mem, where they return and advance slices with the
// same results (bytes, counts, io.EOF) as bufio over a bytes.Reader.

// peek returns the next n bytes without consuming them (n <= bufSize).
func (r *Reader) peek(n int) ([]byte, error) {
	if r.br == nil {
		if n <= len(r.mem) {
			return r.mem[:n:n], nil
		}
		return r.mem, io.EOF
	}
	p, err := r.br.Peek(n)
	if len(p) == n {
		return p, nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return p, err
}

// warmAhead, over memory, loads one byte of every cache line in the
// 32 KiB past the read position, in batches of 16 KiB. The
// position of each record depends on the previous one's length, so that
// reading headers alone chases pointers through memory with a cache miss
// each; these loads are independent of each other, so the memory system
// streams them ahead of the parser (as the bufio copy does for a stream).
func (r *Reader) warmAhead() {
	const ahead, line = 32 << 10, 64
	if r.warm-r.off >= ahead/2 {
		return
	}
	end := r.off + min(ahead, int64(len(r.mem)))
	w := max(r.warm, r.off)
	x := r.sink
	for ; w < end; w += line {
		x ^= r.mem[w-r.off]
	}
	r.warm, r.sink = w, x
	if r.mapped != nil && r.off-r.dropped >= 2*dropLag {
		r.dropBehind()
	}
}

// dropLag is how far behind the read position the pages of a mapped
// capture stay resident (dropBehind; a variable for tests).
var dropLag int64 = 8 << 20

// dropBehind hands the pages of a mapped capture more than dropLag behind
// the read position back to the kernel, so that the process's resident
// memory stays bounded (about 2*dropLag of the file, and the pages read
// again since the last call) rather than growing to the size of the
// capture. The bytes stay valid: a frame read again (a TCP stream's bytes,
// rendered when the stream ends) faults its page back in from the file.
// Each call releases everything behind, pages read again included: on
// pages not resident, the call costs little.
func (r *Reader) dropBehind() {
	to := (r.off - dropLag) &^ (1<<16 - 1)
	if to > r.dropped {
		releasePages(r.mapped[:to])
		r.dropped = to
	}
}

// skip consumes n bytes that a successful peek returned.
func (r *Reader) skip(n int) {
	if r.br == nil {
		r.mem = r.mem[n:]
	} else {
		r.br.Discard(n)
	}
	r.off += int64(n)
}

// discard consumes n bytes; it returns how many it could.
func (r *Reader) discard(n int64) (int64, error) {
	if r.br == nil {
		if n <= int64(len(r.mem)) {
			r.mem = r.mem[n:]
			r.off += n
			return n, nil
		}
		k := int64(len(r.mem))
		r.mem = r.mem[k:]
		r.off += k
		return k, io.EOF
	}
	var done int64
	for done < n {
		chunk := n - done
		if chunk > 1<<30 {
			chunk = 1 << 30
		}
		k, err := r.br.Discard(int(chunk))
		done += int64(k)
		r.off += int64(k)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// read consumes n bytes and returns them. Up to bufSize bytes are returned
// in place, from the bufio buffer (no copy); they stay valid until the
// next read from r.br, so a caller must not read again while it needs
// them. Larger reads go to the record buffer (see readCopy). On a short
// input, read consumes nothing and readCopy what there is.
func (r *Reader) read(n int) ([]byte, int, error) {
	if n > bufSize {
		return r.readCopy(n)
	}
	p, err := r.peek(n)
	if err != nil {
		return nil, len(p), err
	}
	r.skip(n)
	return p[:n:n], n, nil
}

// readCopy reads n bytes into the record buffer, growing it as needed (the
// callers bound n), and returns them. Over memory it copies nothing and
// returns the n bytes in place.
func (r *Reader) readCopy(n int) ([]byte, int, error) {
	if r.br == nil {
		if n <= len(r.mem) {
			b := r.mem[:n:n]
			r.mem = r.mem[n:]
			r.off += int64(n)
			return b, n, nil
		}
		k := len(r.mem)
		r.mem = r.mem[k:]
		r.off += int64(k)
		if k == 0 {
			return nil, 0, io.EOF
		}
		return nil, k, io.ErrUnexpectedEOF
	}
	if cap(r.buf) < n {
		c := 2 * cap(r.buf)
		if c < 2048 {
			c = 2048
		}
		if c < n || c > r.bufLimit() {
			c = n
		}
		r.buf = make([]byte, c)
	}
	b := r.buf[:n]
	k, err := io.ReadFull(r.br, b)
	r.off += int64(k)
	return b, k, err
}

// bufLimit is the most the record buffer may grow to.
func (r *Reader) bufLimit() int {
	if r.max < minMetaBlock {
		return minMetaBlock
	}
	return int(r.max)
}

func (r *Reader) u16(b []byte) uint16 {
	if r.be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *Reader) u32(b []byte) uint32 {
	if r.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *Reader) u64(b []byte) uint64 {
	if r.be {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}
