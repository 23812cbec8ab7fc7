package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// testPacket is one packet as a test writes it.
type testPacket struct {
	iface   uint32
	sec     int64
	nsec    uint32
	origLen uint32
	data    []byte
}

// genPackets makes n packets with sizes in [minSize, maxSize], increasing
// timestamps and some cut packets (origLen > len(data)), deterministic
// from seed.
func genPackets(seed uint64, n, minSize, maxSize int, ifaces uint32) []testPacket {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	sec := int64(1_600_000_000 + rng.IntN(1000))
	ps := make([]testPacket, n)
	for i := range ps {
		size := minSize + rng.IntN(maxSize-minSize+1)
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		orig := uint32(size)
		if rng.IntN(8) == 0 {
			orig += uint32(rng.IntN(2000))
		}
		sec += int64(rng.IntN(3))
		p := testPacket{sec: sec, nsec: uint32(rng.IntN(1e9)), origLen: orig, data: data}
		if ifaces > 0 {
			p.iface = uint32(rng.IntN(int(ifaces)))
		}
		ps[i] = p
	}
	return ps
}

// pcapBytes writes ps as a pcap file.
func pcapBytes(t testing.TB, o PcapWriterOptions, ps []testPacket) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewPcapWriter(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if err := w.WritePacket(p.sec, p.nsec, p.origLen, p.data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// readAll reads every frame of data (copying Data) and returns them with
// the error that ended the read (nil for a clean io.EOF). It fails the
// test if the reader returns more frames than the input could hold.
func readAll(t testing.TB, data []byte, opts ReaderOptions) ([]Frame, *Meta, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), "test", opts)
	if err != nil {
		return nil, nil, err
	}
	var frames []Frame
	limit := len(data)/12 + 1
	for {
		var f Frame
		err := r.Next(&f)
		if err == io.EOF {
			return frames, r.Meta(), nil
		}
		if err != nil {
			if err2 := r.Next(&f); err2 != err {
				t.Errorf("Next after error %v returned %v, want the same error", err, err2)
			}
			return frames, r.Meta(), err
		}
		if int(f.CapLen) != len(f.Data) {
			t.Fatalf("frame %d: CapLen %d, len(Data) %d", f.Index, f.CapLen, len(f.Data))
		}
		if f.Index != uint64(len(frames)+1) {
			t.Fatalf("frame index %d, want %d", f.Index, len(frames)+1)
		}
		f.Data = bytes.Clone(f.Data)
		frames = append(frames, f)
		if len(frames) > limit {
			t.Fatalf("reader returned more than %d frames from %d bytes", limit, len(data))
		}
	}
}

// ng builds raw pcapng blocks, independently of PcapNGWriter, so that
// tests can make any block (valid or not).
type ng struct {
	buf   bytes.Buffer
	order binary.ByteOrder
}

func newNG(bigEndian bool) *ng {
	b := &ng{order: binary.LittleEndian}
	if bigEndian {
		b.order = binary.BigEndian
	}
	return b
}

func pad4(b []byte) []byte { return append(b, make([]byte, (4-len(b)%4)%4)...) }

// block appends a block with the given body (padded) and correct lengths.
func (b *ng) block(typ uint32, body []byte) *ng {
	body = pad4(bytes.Clone(body))
	n := uint32(12 + len(body))
	b.u32(typ)
	b.u32(n)
	b.buf.Write(body)
	b.u32(n)
	return b
}

func (b *ng) u32(v uint32) {
	var x [4]byte
	b.order.PutUint32(x[:], v)
	b.buf.Write(x[:])
}

func (b *ng) opt(code uint16, v []byte) []byte {
	o := make([]byte, 4)
	b.order.PutUint16(o, code)
	b.order.PutUint16(o[2:], uint16(len(v)))
	return pad4(append(o, v...))
}

// shb appends a section header; it switches the builder's byte order.
func (b *ng) shb(bigEndian bool, major, minor uint16, opts ...[]byte) *ng {
	b.order = binary.LittleEndian
	if bigEndian {
		b.order = binary.BigEndian
	}
	body := make([]byte, 16)
	b.order.PutUint32(body, 0x1a2b3c4d)
	b.order.PutUint16(body[4:], major)
	b.order.PutUint16(body[6:], minor)
	b.order.PutUint64(body[8:], ^uint64(0))
	for _, o := range opts {
		body = append(body, o...)
	}
	return b.block(blockSHB, body)
}

func (b *ng) idb(linkType uint16, snap uint32, opts ...[]byte) *ng {
	body := make([]byte, 8)
	b.order.PutUint16(body, linkType)
	b.order.PutUint32(body[4:], snap)
	for _, o := range opts {
		body = append(body, o...)
	}
	return b.block(blockIDB, body)
}

func (b *ng) epb(iface uint32, ts uint64, origLen uint32, data []byte) *ng {
	body := make([]byte, 20)
	b.order.PutUint32(body, iface)
	b.order.PutUint32(body[4:], uint32(ts>>32))
	b.order.PutUint32(body[8:], uint32(ts))
	b.order.PutUint32(body[12:], uint32(len(data)))
	b.order.PutUint32(body[16:], origLen)
	body = pad4(append(body, data...))
	body = append(body, b.opt(1, []byte("an EPB comment"))...)
	return b.block(blockEPB, body)
}

func (b *ng) pb(iface uint16, ts uint64, origLen uint32, data []byte) *ng {
	body := make([]byte, 20)
	b.order.PutUint16(body, iface)
	b.order.PutUint16(body[2:], 7) // drops count
	b.order.PutUint32(body[4:], uint32(ts>>32))
	b.order.PutUint32(body[8:], uint32(ts))
	b.order.PutUint32(body[12:], uint32(len(data)))
	b.order.PutUint32(body[16:], origLen)
	return b.block(blockPB, append(body, data...))
}

func (b *ng) spb(origLen uint32, data []byte) *ng {
	body := make([]byte, 4)
	b.order.PutUint32(body, origLen)
	return b.block(blockSPB, append(body, data...))
}

func (b *ng) bytes() []byte { return bytes.Clone(b.buf.Bytes()) }

// wantErr fails unless err wraps sentinel and is an *Error.
func wantErr(t *testing.T, err, sentinel error) *Error {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v, want one wrapping %v", err, sentinel)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *ingest.Error", err, err)
	}
	return e
}
