package reporter

import (
	"strconv"
	"unsafe"

	"github.com/pcapflow/pcapflow/decoder"
)

// FrameName appends the block name of frame index ("Frame 12") to b.
func FrameName(b []byte, index uint64) []byte {
	b = append(b, "Frame "...)
	return strconv.AppendUint(b, index, 10)
}

// Builder builds frame blocks without allocating: the strings it puts in
// the Tree (time_epoch, protocols) live in the Builder's scratch buffer.
// A Tree built by a Builder is therefore valid only until the Builder's
// next call, and as long as the frame bytes are (see decoder.Tree). The
// zero value is ready to use; a Builder is not safe for concurrent use.
type Builder struct {
	scratch []byte
	name    []byte
}

// str appends s-producing bytes to the scratch buffer and returns them as
// a string that aliases the buffer. The buffer is only written past its
// length until Reset, so earlier strings of the same frame stay intact (a
// growth copies them; the old array stays alive through the strings).
func (b *Builder) str(start int) string {
	v := b.scratch[start:]
	if len(v) == 0 {
		return ""
	}
	return unsafe.String(&v[0], len(v))
}

// Frame resets t and builds the block of one frame, laid out as
// PyPCAPKit's: frame_info, time, number, time_epoch, len, cap_len, the
// decoded layers nested in each other (p.Fields), then protocols.
func (b *Builder) Frame(t *decoder.Tree, fi FrameInfo, p *decoder.Packet) {
	b.scratch = b.scratch[:0]
	t.Reset()
	digits := clampDigits(fi.Digits)

	t.Object("frame_info")
	t.Int("ts_sec", fi.Sec)
	switch digits {
	case 6:
		t.Uint("ts_usec", uint64(fi.Nsec/1000))
	case 9:
		t.Uint("ts_nsec", uint64(fi.Nsec))
	default:
		t.Uint("ts_frac", uint64(fi.Nsec/pow10[9-digits]))
	}
	t.Uint("incl_len", uint64(fi.CapLen))
	t.Uint("orig_len", uint64(fi.OrigLen))
	t.Close()
	t.Time("time", fi.Sec, fi.Nsec, uint8(digits))
	t.Uint("number", fi.Index)
	start := len(b.scratch)
	b.scratch = appendEpoch(b.scratch, fi.Sec, fi.Nsec, digits)
	t.String("time_epoch", b.str(start))
	t.Uint("len", uint64(fi.OrigLen))
	t.Uint("cap_len", uint64(fi.CapLen))
	if p != nil {
		p.Fields(t)
	}
	start = len(b.scratch)
	b.scratch = appendChain(b.scratch, p)
	t.String("protocols", b.str(start))
}

// Name returns the block name of frame index ("Frame 12"), in a buffer
// reused by the next call.
func (b *Builder) Name(index uint64) string {
	b.name = FrameName(b.name[:0], index)
	return unsafe.String(&b.name[0], len(b.name))
}

// appendChain appends the protocol chain of p, "Raw" when no layer was
// decoded (so the chain is never empty).
func appendChain(b []byte, p *decoder.Packet) []byte {
	if p == nil || p.N == 0 {
		return append(b, "Raw"...)
	}
	return p.AppendChain(b)
}

// AppendChain appends the protocol chain as reports show it ("Raw" when no
// layer was decoded).
func AppendChain(b []byte, p *decoder.Packet) []byte { return appendChain(b, p) }

// BuildFrame resets t and builds the block of one frame (see
// Builder.Frame). Its strings are allocated, so the Tree stays valid on its
// own (as long as the frame bytes do); use a Builder to avoid allocating.
func BuildFrame(t *decoder.Tree, fi FrameInfo, p *decoder.Packet) {
	var b Builder
	b.Frame(t, fi, p)
}
