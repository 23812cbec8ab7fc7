package bus

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/pcapflow/pcapflow/decoder"
)

// Allocation-free readers of the two hot messages, FrameBatch and
// DecodedBatch, for the services' inner loops, and a writer of FrameBatch. They
// accept any msgpack encoding of the documented maps (keys in any order,
// any integer width, unknown keys skipped) and alias the message: the
// frames' Data point into data.

var errShort = errors.New("msgpack: message cut short")

type rd struct {
	b   []byte
	i   int
	err error

	spanBuf []LayerSpan   // see spans
	protos  [8]protoCache // see proto
}

func (r *rd) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.i = len(r.b)
}

func (r *rd) need(n int) bool {
	if n < 0 || len(r.b)-r.i < n {
		r.fail(errShort)
		return false
	}
	return true
}

func (r *rd) byte1() byte {
	if !r.need(1) {
		return 0
	}
	c := r.b[r.i]
	r.i++
	return c
}

func (r *rd) be(n int) uint64 {
	if !r.need(n) {
		return 0
	}
	var v uint64
	for _, c := range r.b[r.i : r.i+n] {
		v = v<<8 | uint64(c)
	}
	r.i += n
	return v
}

// length reads a map, array, str or bin header of the given family.
func (r *rd) length(fix, fixMask byte, c8, c16, c32 byte, what string) int {
	c := r.byte1()
	switch {
	case fixMask != 0 && c&^fixMask == fix:
		return int(c & fixMask)
	case c8 != 0 && c == c8:
		return int(r.be(1))
	case c == c16:
		return int(r.be(2))
	case c == c32:
		return int(r.be(4))
	}
	r.fail(fmt.Errorf("msgpack: want %s, have code 0x%02x", what, c))
	return 0
}

func (r *rd) mapLen() int { return r.length(0x80, 0x0f, 0, 0xde, 0xdf, "map") }
func (r *rd) arrLen() int { return r.length(0x90, 0x0f, 0, 0xdc, 0xdd, "array") }

func (r *rd) str() []byte {
	n := r.length(0xa0, 0x1f, 0xd9, 0xda, 0xdb, "string")
	if !r.need(n) {
		return nil
	}
	s := r.b[r.i : r.i+n : r.i+n]
	r.i += n
	return s
}

func (r *rd) bin() []byte {
	if r.i < len(r.b) && r.b[r.i] == 0xc0 {
		r.i++
		return nil
	}
	n := r.length(0, 0, 0xc4, 0xc5, 0xc6, "bin")
	if !r.need(n) {
		return nil
	}
	s := r.b[r.i : r.i+n : r.i+n]
	r.i += n
	return s
}

func (r *rd) int() int64 {
	c := r.byte1()
	switch {
	case c <= 0x7f:
		return int64(c)
	case c >= 0xe0:
		return int64(int8(c))
	case c >= 0xcc && c <= 0xcf:
		return int64(r.be(1 << (c - 0xcc)))
	case c >= 0xd0 && c <= 0xd3:
		n := 1 << (c - 0xd0)
		v := r.be(n)
		shift := 64 - 8*n
		return int64(v<<shift) >> shift
	}
	r.fail(fmt.Errorf("msgpack: want an integer, have code 0x%02x", c))
	return 0
}

func (r *rd) uint() uint64 { return uint64(r.int()) }

func (r *rd) bool() bool {
	switch c := r.byte1(); c {
	case 0xc2:
		return false
	case 0xc3:
		return true
	default:
		r.fail(fmt.Errorf("msgpack: want a bool, have code 0x%02x", c))
	}
	return false
}

func (r *rd) isNil() bool {
	if r.i < len(r.b) && r.b[r.i] == 0xc0 {
		r.i++
		return true
	}
	return false
}

// skip passes one value of any type.
func (r *rd) skip() {
	for todo := 1; todo > 0 && r.err == nil; todo-- {
		todo += r.header()
		if todo > len(r.b) { // more items than bytes: hostile
			r.fail(errShort)
		}
	}
}

// header reads the header of one value and passes its bytes, except the
// items of an array or map: it returns how many it opens (a map's entries
// count twice: key and value).
func (r *rd) header() (items int) {
	c := r.byte1()
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
	case c >= 0x80 && c <= 0x8f:
		return 2 * int(c&0x0f)
	case c >= 0x90 && c <= 0x9f:
		return int(c & 0x0f)
	case c >= 0xa0 && c <= 0xbf:
		r.advance(int(c & 0x1f))
	case c == 0xc4 || c == 0xd9:
		r.advance(int(r.be(1)))
	case c == 0xc5 || c == 0xda:
		r.advance(int(r.be(2)))
	case c == 0xc6 || c == 0xdb:
		r.advance(int(r.be(4)))
	case c == 0xc7:
		r.advance(1 + int(r.be(1)))
	case c == 0xc8:
		r.advance(1 + int(r.be(2)))
	case c == 0xc9:
		r.advance(1 + int(r.be(4)))
	case c == 0xca:
		r.advance(4)
	case c == 0xcb:
		r.advance(8)
	case c >= 0xcc && c <= 0xcf:
		r.advance(1 << (c - 0xcc))
	case c >= 0xd0 && c <= 0xd3:
		r.advance(1 << (c - 0xd0))
	case c >= 0xd4 && c <= 0xd8:
		r.advance(1 + 1<<(c-0xd4))
	case c == 0xdc:
		return int(r.be(2))
	case c == 0xdd:
		return int(r.be(4))
	case c == 0xde:
		return 2 * int(r.be(2))
	case c == 0xdf:
		return 2 * int(r.be(4))
	default:
		r.fail(fmt.Errorf("msgpack: bad code 0x%02x", c))
	}
	return 0
}

func (r *rd) advance(n int) {
	if r.need(n) {
		r.i += n
	}
}

// raw returns the bytes of the next value, or nil when it does not fit in
// the message. Whole, every length inside it was checked against the
// message by skip; cut short, it could claim any length, and
// msgpack.Unmarshal allocates a str or bin header's length before reading
// (4 GiB for a few bytes); raw values go through Unmarshal, which also
// bounds their nesting (msgpack skips an unknown field by recursion).
func (r *rd) raw() []byte {
	start := r.i
	r.skip()
	if r.err != nil {
		return nil
	}
	return r.b[start:r.i]
}

// The fields of a DecodedFrame, numbered in the order the services write
// them (a Frame has the first nine), and their keys as written: each with
// its fixstr header.
const (
	fIndex = iota
	fSec
	fNsec
	fDigits
	fCapLen
	fOrigLen
	fLinkType
	fIface
	fData
	fChain
	fLayers
	fError
	fFragment
	fStopped
	numFrameFields = fData + 1
)

var frameKeys = [...]string{
	fIndex: keyIndex, fSec: keySec, fNsec: keyNsec, fDigits: keyDigits, fCapLen: keyCapLen, fOrigLen: keyOrigLen,
	fLinkType: keyLinkType, fIface: keyIface, fData: keyData,
	fChain: "\xa5chain", fLayers: "\xa6layers", fError: "\xa5error", fFragment: "\xa8fragment", fStopped: "\xa7stopped",
}

// fieldOf numbers a key of a DecodedFrame (-1 for an unknown key).
func fieldOf(k string) int {
	switch k {
	case "index":
		return fIndex
	case "sec":
		return fSec
	case "nsec":
		return fNsec
	case "digits":
		return fDigits
	case "caplen":
		return fCapLen
	case "origlen":
		return fOrigLen
	case "linktype":
		return fLinkType
	case "iface":
		return fIface
	case "data":
		return fData
	case "chain":
		return fChain
	case "layers":
		return fLayers
	case "error":
		return fError
	case "fragment":
		return fFragment
	case "stopped":
		return fStopped
	}
	return -1
}

// field reads the key of the pos-th entry of a frame's map and numbers it:
// the key the services write there is matched as bytes, any other is
// read and looked up (so keys in any order still read).
func (r *rd) field(pos int) int {
	if pos < len(frameKeyWords) && len(r.b)-r.i >= 9 {
		// Every key with its header fits in 9 bytes: one 8-byte load and
		// a byte compare it.
		kw := &frameKeyWords[pos]
		if binary.LittleEndian.Uint64(r.b[r.i:])&kw.mask == kw.word && (kw.n <= 8 || r.b[r.i+8] == kw.last) {
			r.i += kw.n
			return pos
		}
	} else if pos < len(frameKeys) {
		if k := frameKeys[pos]; len(r.b)-r.i >= len(k) && string(r.b[r.i:r.i+len(k)]) == k {
			r.i += len(k)
			return pos
		}
	}
	return fieldOf(string(r.str()))
}

// keyWord is an encoded key as field compares it: its first 8 bytes
// (little-endian, masked to its length), its length and its 9th byte.
type keyWord struct {
	word, mask uint64
	n          int
	last       byte
}

var frameKeyWords = func() (ws [len(frameKeys)]keyWord) {
	for i, k := range frameKeys {
		if len(k) > 9 {
			panic("bus: key " + k + " longer than 9 bytes")
		}
		var b [9]byte
		copy(b[:], k)
		n := min(len(k), 8)
		ws[i] = keyWord{word: binary.LittleEndian.Uint64(b[:]), mask: ^uint64(0) >> (64 - 8*n), n: len(k), last: b[8]}
	}
	return ws
}()

// frameField reads the value of field id of a Frame; it reports false
// for the fields a Frame does not have, leaving the value unread.
func (r *rd) frameField(id int, f *Frame) bool {
	switch id {
	case fIndex:
		f.Index = r.uint()
	case fSec:
		f.Sec = r.int()
	case fNsec:
		f.Nsec = uint32(r.uint())
	case fDigits:
		f.Digits = uint8(r.uint())
	case fCapLen:
		f.CapLen = uint32(r.uint())
	case fOrigLen:
		f.OrigLen = uint32(r.uint())
	case fLinkType:
		f.LinkType = uint32(r.uint())
	case fIface:
		f.Interface = uint32(r.uint())
	case fData:
		f.Data = r.bin()
	default:
		return false
	}
	return true
}

func (r *rd) mark(m *Mark) {
	for n := r.mapLen(); n > 0 && r.err == nil; n-- {
		switch string(r.str()) {
		case "seq":
			m.Seq = r.uint()
		case "index":
			m.Index = r.uint()
		case "sec":
			m.Sec = r.int()
		case "nsec":
			m.Nsec = uint32(r.uint())
		case "advance":
			m.Advance = r.bool()
		default:
			r.skip()
		}
	}
}

// DecodeFrameBatch reads a FrameBatch into b, reusing b.Frames; the
// frames' Data alias data.
func DecodeFrameBatch(data []byte, b *FrameBatch) error {
	r := &rd{b: data}
	frames := b.Frames[:0]
	*b = FrameBatch{}
	for n := r.mapLen(); n > 0 && r.err == nil; n-- {
		switch string(r.str()) {
		case "v":
			b.V = int(r.int())
		case "capture":
			b.Capture = string(r.str())
		case "seq":
			b.Seq = r.uint()
		case "frames":
			if r.isNil() {
				break
			}
			m := r.arrLen()
			if m > len(data)-r.i { // a frame takes a byte at least
				r.fail(errShort)
				break
			}
			if cap(frames) < m {
				frames = make([]Frame, 0, m)
			}
			for ; m > 0 && r.err == nil; m-- {
				frames = append(frames, Frame{})
				f := &frames[len(frames)-1]
				for k, pos := r.mapLen(), 0; k > 0 && r.err == nil; k, pos = k-1, pos+1 {
					if id := r.field(pos); id >= numFrameFields || !r.frameField(id, f) {
						r.skip()
					}
				}
			}
		default:
			r.skip()
		}
	}
	b.Frames = frames
	if r.err != nil {
		return fmt.Errorf("decode frame batch: %w", r.err)
	}
	return nil
}

// DecodeDecodedBatch reads a DecodedBatch into b without its trees
// (Tree.T is nil: rebuild them from the spans with reporter.Builder), reusing
// b.Frames; the frames' Data alias data.
func DecodeDecodedBatch(data []byte, b *DecodedBatch) error {
	r := &rd{b: data}
	frames := b.Frames[:0]
	*b = DecodedBatch{}
	for n := r.mapLen(); n > 0 && r.err == nil; n-- {
		switch string(r.str()) {
		case "v":
			b.V = int(r.int())
		case "capture":
			b.Capture = string(r.str())
		case "gen":
			b.Gen = uint32(r.uint())
		case "partition":
			b.Partition = int(r.int())
		case "partitions":
			b.Partitions = int(r.int())
		case "mark":
			r.mark(&b.Mark)
		case "end":
			if !r.isNil() {
				b.End = &CaptureEnd{}
				if v := r.raw(); r.err == nil {
					if err := Unmarshal(v, b.End); err != nil {
						r.fail(err)
					}
				}
			}
		case "frames":
			if r.isNil() {
				break
			}
			m := r.arrLen()
			if m > len(data)-r.i { // a frame takes a byte at least
				r.fail(errShort)
				break
			}
			if cap(frames) < m {
				frames = make([]DecodedFrame, 0, m)
			}
			for ; m > 0 && r.err == nil; m-- {
				frames = append(frames, DecodedFrame{})
				r.decodedFrame(&frames[len(frames)-1])
			}
		default:
			r.skip()
		}
	}
	b.Frames = frames
	if r.err != nil {
		return fmt.Errorf("decode decoded batch: %w", r.err)
	}
	return nil
}

func (r *rd) decodedFrame(f *DecodedFrame) {
	for k, pos := r.mapLen(), 0; k > 0 && r.err == nil; k, pos = k-1, pos+1 {
		id := r.field(pos)
		if r.frameField(id, &f.Frame) {
			continue
		}
		switch id {
		case fLayers:
			if r.isNil() {
				continue
			}
			m := r.arrLen()
			if m > decoder.MaxLayers {
				r.fail(fmt.Errorf("decode decoded batch: %d layers, more than %d", m, decoder.MaxLayers))
				return
			}
			f.Layers = r.spans(m)
			for i := range f.Layers {
				if r.arrLen() != 4 {
					r.fail(errors.New("decode decoded batch: a layer is not [proto, off, hdr, end]"))
					return
				}
				p, ok := r.proto(i)
				if !ok && r.err == nil {
					r.fail(errors.New("decode decoded batch: unknown protocol"))
					return
				}
				f.Layers[i] = LayerSpan{Proto: p, Off: uint32(r.uint()), Hdr: uint32(r.uint()), End: uint32(r.uint())}
			}
		case fError:
			if !r.isNil() {
				f.Error = &LayerError{}
				if v := r.raw(); r.err == nil {
					if err := Unmarshal(v, f.Error); err != nil {
						r.fail(err)
					}
				}
			}
		case fFragment:
			f.Fragment = r.bool()
		case fStopped:
			f.Stopped = r.bool()
		default: // chain, tree and what later versions add
			r.skip()
		}
	}
}

// spanChunk is the number of layer spans allocated at once for the frames
// of a batch.
const spanChunk = 1024

// spans returns room for m layer spans of one frame, carved from a chunk
// shared by the frames of the message (one allocation for many frames).
func (r *rd) spans(m int) []LayerSpan {
	if m == 0 {
		return []LayerSpan{}
	}
	if cap(r.spanBuf)-len(r.spanBuf) < m {
		r.spanBuf = make([]LayerSpan, 0, max(m, spanChunk))
	}
	n := len(r.spanBuf)
	r.spanBuf = r.spanBuf[:n+m]
	return r.spanBuf[n : n+m : n+m]
}

// proto reads the protocol key of the i-th layer of a frame. Consecutive
// frames mostly have the same protocols at the same depths: the key read
// last at each of the first depths is compared before the map is asked.
func (r *rd) proto(i int) (decoder.Proto, bool) {
	k := r.str()
	if i < len(r.protos) {
		if c := &r.protos[i]; c.key != "" && string(k) == c.key {
			return c.p, true
		}
	}
	p, ok := protoByKey[string(k)]
	if ok && i < len(r.protos) {
		r.protos[i] = protoCache{key: p.Key(), p: p}
	}
	return p, ok
}

type protoCache struct {
	key string
	p   decoder.Proto
}

// AppendFrameBatch appends the msgpack encoding of b to dst, as
// msgpack.Marshal encodes it (the same keys, in the same order; integers
// in their shortest form), without reflection.
func AppendFrameBatch(dst []byte, b *FrameBatch) []byte {
	w := wr{b: dst}
	w.frameBatchFields(b.V, b.Capture, b.Seq)
	if b.Frames == nil {
		w.b = append(w.b, 0xc0)
		return w.b
	}
	w.arrLen(len(b.Frames))
	for i := range b.Frames {
		w.frame(&b.Frames[i])
	}
	return w.b
}

// The keys of a Frame as msgpack.Marshal writes them, each with its fixstr
// header.
const (
	keyIndex    = "\xa5index"
	keySec      = "\xa3sec"
	keyNsec     = "\xa4nsec"
	keyDigits   = "\xa6digits"
	keyCapLen   = "\xa6caplen"
	keyOrigLen  = "\xa7origlen"
	keyLinkType = "\xa8linktype"
	keyIface    = "\xa5iface"
	keyData     = "\xa4data"
)

// frameBatchFields appends a FrameBatch's map header and fields up to the
// key of its frames.
func (w *wr) frameBatchFields(v int, capture string, seq uint64) {
	w.mapLen(4)
	w.str("v")
	w.int(int64(v))
	w.str("capture")
	w.str(capture)
	w.str("seq")
	w.uint(seq)
	w.str("frames")
}

// frame appends one Frame of a FrameBatch.
func (w *wr) frame(f *Frame) {
	w.b = append(w.b, 0x89) // fixmap of the frame's 9 fields
	w.frameFields(f, false)
}

// AppendFrameFields appends the nine fields of f (keys and values, without
// a map header) as a Frame's map holds them, with nil data when noData is
// set: the head of a DecodedFrame, which the services write field by
// field and the fast readers match key by key.
func AppendFrameFields(dst []byte, f *Frame, noData bool) []byte {
	w := wr{b: dst}
	w.frameFields(f, noData)
	return w.b
}

func (w *wr) frameFields(f *Frame, noData bool) {
	w.b = append(w.b, keyIndex...)
	w.uint(f.Index)
	w.b = append(w.b, keySec...)
	w.int(f.Sec)
	w.b = append(w.b, keyNsec...)
	w.uint(uint64(f.Nsec))
	w.b = append(w.b, keyDigits...)
	w.uint(uint64(f.Digits))
	w.b = append(w.b, keyCapLen...)
	w.uint(uint64(f.CapLen))
	w.b = append(w.b, keyOrigLen...)
	w.uint(uint64(f.OrigLen))
	w.b = append(w.b, keyLinkType...)
	w.uint(uint64(f.LinkType))
	w.b = append(w.b, keyIface...)
	w.uint(uint64(f.Interface))
	w.b = append(w.b, keyData...)
	if noData {
		w.b = append(w.b, 0xc0)
		return
	}
	w.bin(f.Data)
}

// FrameBatchWriter encodes a FrameBatch frame by frame, straight from each
// frame's bytes into one buffer (no []Frame, no copy of the frame data
// but the one into the message): Bytes returns what AppendFrameBatch
// writes for the same batch. The zero value is ready after Reset.
//
// The buffer is the caller's: Reset hands it in, Bytes returns the
// message inside it, and Buffer gives it back for the next batch once
// the message is no longer used.
type FrameBatchWriter struct {
	w       wr
	capture string
	head    int // bytes reserved in front of the frames for the batch fields
	n       int
	pre     wr
}

// frameBatchHead bounds the encoding of a FrameBatch's fields before its
// frames, capture id aside: a fixmap header, the keys "v", "capture",
// "seq" and "frames" with their headers (19 bytes), two integers of at
// most 9 bytes, a str header of at most 5 and an array header of at most 5.
const frameBatchHead = 1 + 19 + 9 + 9 + 5 + 5

// Reset starts a batch of capture in buf (its contents are dropped).
func (fw *FrameBatchWriter) Reset(buf []byte, capture string) {
	fw.head = frameBatchHead + len(capture)
	if cap(buf) < fw.head {
		buf = make([]byte, 0, max(fw.head, 4096))
	}
	fw.w.b = buf[:fw.head]
	fw.capture = capture
	fw.n = 0
}

// Add appends one frame; f.Data is copied into the message.
func (fw *FrameBatchWriter) Add(f *Frame) {
	fw.w.frame(f)
	fw.n++
}

// Len returns the number of frames added since Reset.
func (fw *FrameBatchWriter) Len() int { return fw.n }

// Bytes writes the batch's fields (version v, the capture given to Reset,
// sequence seq) in front of its frames and returns the whole message: a
// slice of the buffer, valid until the next Reset.
func (fw *FrameBatchWriter) Bytes(v int, seq uint64) []byte {
	p := &fw.pre
	p.b = p.b[:0]
	p.frameBatchFields(v, fw.capture, seq)
	p.arrLen(fw.n)
	start := fw.head - len(p.b)
	copy(fw.w.b[start:], p.b)
	return fw.w.b[start:]
}

// Buffer returns the writer's buffer, emptied, to be handed to Reset
// again once the message Bytes returned is no longer used.
func (fw *FrameBatchWriter) Buffer() []byte { return fw.w.b[:0] }

// wr appends msgpack values.
type wr struct{ b []byte }

func (w *wr) hdr(n int, fix byte, fixMax int, c8, c16, c32 byte) {
	switch {
	case n <= fixMax:
		w.b = append(w.b, fix|byte(n))
	case c8 != 0 && n <= 0xff:
		w.b = append(w.b, c8, byte(n))
	case n <= 0xffff:
		w.b = append(w.b, c16, byte(n>>8), byte(n))
	default:
		w.b = append(w.b, c32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

func (w *wr) mapLen(n int) { w.hdr(n, 0x80, 15, 0, 0xde, 0xdf) }
func (w *wr) arrLen(n int) { w.hdr(n, 0x90, 15, 0, 0xdc, 0xdd) }

func (w *wr) str(s string) {
	w.hdr(len(s), 0xa0, 31, 0xd9, 0xda, 0xdb)
	w.b = append(w.b, s...)
}

func (w *wr) bin(v []byte) {
	if v == nil {
		w.b = append(w.b, 0xc0)
		return
	}
	w.hdr(len(v), 0, -1, 0xc4, 0xc5, 0xc6)
	w.b = append(w.b, v...)
}

func (w *wr) be(c byte, v uint64, n int) {
	w.b = append(w.b, c)
	for s := 8 * (n - 1); s >= 0; s -= 8 {
		w.b = append(w.b, byte(v>>s))
	}
}

func (w *wr) uint(v uint64) {
	switch {
	case v <= 0x7f:
		w.b = append(w.b, byte(v))
	case v <= 0xff:
		w.be(0xcc, v, 1)
	case v <= 0xffff:
		w.be(0xcd, v, 2)
	case v <= 0xffffffff:
		w.be(0xce, v, 4)
	default:
		w.be(0xcf, v, 8)
	}
}

func (w *wr) int(v int64) {
	switch {
	case v >= 0:
		w.uint(uint64(v))
	case v >= -32:
		w.b = append(w.b, byte(int8(v)))
	case v >= -1<<7:
		w.be(0xd0, uint64(v), 1)
	case v >= -1<<15:
		w.be(0xd1, uint64(v), 2)
	case v >= -1<<31:
		w.be(0xd2, uint64(v), 4)
	default:
		w.be(0xd3, uint64(v), 8)
	}
}
