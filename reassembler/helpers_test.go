package reassembler

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/reporter"
)

var (
	a4 = netip.MustParseAddr("192.0.2.1")
	b4 = netip.MustParseAddr("198.51.100.7")
	a6 = netip.MustParseAddr("2001:db8::1")
	b6 = netip.MustParseAddr("2001:db8::2")
)

// feeder decodes raw IP packets and feeds them to a Reassembler, numbering
// frames from 1 with one millisecond between frames unless told otherwise.
type feeder struct {
	t   testing.TB
	r   *Reassembler
	dec *decoder.Decoder
	p   decoder.Packet
	out []Record
	n   uint64
	sec int64
	// emitTo, when set, receives the records instead of out.
	emitTo func(Record)
}

func newFeeder(t testing.TB, cfg Config) *feeder {
	cfg.StableFrames = cfg.StableFrames || feedStable
	return &feeder{t: t, r: New(cfg), dec: decoder.New(decoder.Options{}), sec: 1700000000}
}

// feedStable makes newFeeder's Reassemblers reference TCP bytes in place
// (the packets fed are never changed): see TestStreamsStable.
var feedStable bool

// emit keeps a copy of each record (records lend their bytes until emit
// returns), or passes it to emitTo when set.
func (f *feeder) emit(r Record) {
	if f.emitTo != nil {
		f.emitTo(r)
		return
	}
	f.out = append(f.out, r.Clone())
}

// feed adds one raw IP packet as the next frame.
func (f *feeder) feed(pkt []byte) {
	f.n++
	f.feedAs(f.n, pkt)
}

func (f *feeder) feedAs(index uint64, pkt []byte) {
	f.dec.Decode(pkt, 101, &f.p)
	fi := reporter.FrameInfo{Index: index, Sec: f.sec + int64(index/1000), Nsec: uint32(index%1000) * 1e6, Digits: 6,
		CapLen: uint32(len(pkt)), OrigLen: uint32(len(pkt))}
	f.r.Add(fi, &f.p, f.emit)
}

func (f *feeder) flush() []Record {
	f.r.Flush(f.emit)
	return f.out
}

func build(t testing.TB, layers ...craft.Layer) []byte {
	t.Helper()
	b, err := craft.Build(layers...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pattern(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

func datagrams(recs []Record) []*Datagram {
	var out []*Datagram
	for _, r := range recs {
		if r.Datagram != nil {
			out = append(out, r.Datagram)
		}
	}
	return out
}

func streams(recs []Record) []*Stream {
	var out []*Stream
	for _, r := range recs {
		if r.Stream != nil {
			out = append(out, r.Stream)
		}
	}
	return out
}

func sameBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got %d bytes, want %d (first difference at %d)", what, len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
