package reassembler

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reporter"
)

// twin feeds the same frames to Reassemblers that differ only in how
// they take TCP bytes — with and without the in-order fast path, each
// copying the bytes or referencing them in place (StableFrames) — and
// fails at the first difference in records, counters or memory held.
// The frames fed must stay unchanged (the StableFrames contract).
type twin struct {
	t     testing.TB
	r     [4]*Reassembler
	recs  [4][]Record
	wire  [4][][]byte // the records' msgpack encodings, made inside emit
	emits [4]func(Record)
	// check, when set, also checks each record (once they agree).
	check func(Record)
}

// twinNames labels the variants: even ones use the fast path, the last
// two StableFrames.
var twinNames = [4]string{"fast", "general", "fast stable", "general stable"}

func newTwin(t testing.TB, cfg Config) *twin {
	tw := &twin{t: t}
	for i := range tw.r {
		c := cfg
		c.StableFrames = i >= 2
		tw.r[i] = New(c)
		tw.emits[i] = func(rec Record) {
			b, err := msgpack.Marshal(&rec)
			if err != nil {
				t.Fatal(err)
			}
			tw.wire[i] = append(tw.wire[i], b)
			tw.recs[i] = append(tw.recs[i], rec.Clone())
		}
	}
	t.Cleanup(func() { fastPath = true })
	return tw
}

func (tw *twin) do(f func(r *Reassembler, emit func(Record))) {
	tw.t.Helper()
	for i, r := range tw.r {
		fastPath = i%2 == 0
		f(r, tw.emits[i])
	}
	fastPath = true
	tw.compare()
}

func (tw *twin) compare() {
	tw.t.Helper()
	a := tw.r[0]
	for i, b := range tw.r[1:] {
		i++
		if a.Stats() != b.Stats() {
			tw.t.Fatalf("stats differ:\nfast %+v\n%s %+v", a.Stats(), twinNames[i], b.Stats())
		}
		if fa, ta := a.Memory(); true {
			if fb, tb := b.Memory(); fa != fb || ta != tb {
				tw.t.Fatalf("memory differs: fast %d/%d, %s %d/%d", fa, ta, twinNames[i], fb, tb)
			}
		}
		if !reflect.DeepEqual(tw.recs[0], tw.recs[i]) {
			tw.t.Fatalf("records differ:\nfast %s\n%s %s", recordsString(tw.recs[0]), twinNames[i], recordsString(tw.recs[i]))
		}
		if !reflect.DeepEqual(tw.wire[0], tw.wire[i]) {
			tw.t.Fatalf("msgpack encodings differ: fast and %s (records %s)", twinNames[i], recordsString(tw.recs[0]))
		}
	}
	if tw.check != nil {
		for _, rec := range tw.recs[0] {
			tw.check(rec)
		}
	}
	for i := range tw.recs {
		tw.recs[i], tw.wire[i] = tw.recs[i][:0], tw.wire[i][:0]
	}
}

func recordsString(recs []Record) string {
	var b bytes.Buffer
	for _, r := range recs {
		fmt.Fprintf(&b, "%s at %d", r.Name(), r.At)
		if s := r.Stream; s != nil {
			fmt.Fprintf(&b, " %s complete=%v", s.End, s.Complete)
			for _, d := range s.Dirs {
				fmt.Fprintf(&b, " [len %d data %d segs %v frames %v gaps %v]", d.Length, len(d.Data), d.Segments, d.Frames, d.Gaps)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestFastPathGenerated: on craft's realistic mix, with the default limits
// and with small ones (truncation, segment lists full, evictions), the
// in-order fast path and StableFrames change no record, counter or memory
// figure.
func TestFastPathGenerated(t *testing.T) {
	n := 30_000
	if testing.Short() {
		n = 8_000
	}
	var buf bytes.Buffer
	if err := craft.Generate(&buf, craft.GenerateOptions{Seed: 7, Frames: n}); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"default", Config{Strict: true}},
		{"small", Config{Strict: true, MaxStreamBytes: 3000, MaxSegments: 5, MaxPendingBytes: 2000, MaxTotalStreamBytes: 200 << 10, MaxStreams: 20}},
		{"tcp", Config{TCP: true, MaxStreamBytes: 10 << 10}},
	} {
		cfg := c.cfg
		t.Run(c.name, func(t *testing.T) {
			rd, err := ingest.NewReader(bytes.NewReader(raw), "gen", ingest.ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tw := newTwin(t, cfg)
			dec := decoder.New(decoder.Options{})
			var p decoder.Packet
			var f ingest.Frame
			for i := 0; rd.Next(&f) == nil; i++ {
				fi := reporter.FrameInfoOf(&f)
				// A frame of its own: the reader reuses its buffer.
				dec.Decode(bytes.Clone(f.Data), f.LinkType, &p)
				tw.do(func(r *Reassembler, emit func(Record)) { r.Add(fi, &p, emit) })
				if (i+1)%128 == 0 {
					tw.do(func(r *Reassembler, emit func(Record)) { r.Advance(fi.Sec, fi.Nsec, fi.Index, emit) })
				}
			}
			tw.do(func(r *Reassembler, emit func(Record)) { r.Flush(emit) })
			if st := tw.r[0].Stats(); st.Streams == 0 || st.Segments == 0 {
				t.Fatalf("no streams: %+v", st)
			}
		})
	}
}

// FuzzFastPath feeds segment sequences of two connections (4 bytes each:
// control, sequence, length; the control byte says direction, flags,
// connection, and whether the segment starts at the next expected byte
// of its direction, which makes in-order runs common) to Reassemblers
// with and without the in-order fast path, under small limits, and
// checks that they agree on every record, counter and memory figure, and
// that the records are exact (checkStreamRecord). Time moves 1 s every
// 10 segments: with the small limits' 50 ns idle timeout every second
// ends both connections, which the next segments start again.
func FuzzFastPath(f *testing.F) {
	f.Add([]byte{0x03, 0, 0, 0, 0x12, 0, 0, 0, 0x42, 0, 0, 200, 0x42, 0, 0, 200, 0x52, 0, 0, 100, 0x4a, 0, 0, 0, 0x5a, 0, 0, 0})
	f.Add([]byte{0x42, 0, 0, 255, 0x42, 0, 0, 255, 0x02, 0, 40, 10, 0x42, 0, 0, 255, 0x62, 0, 0, 30, 0x42, 0, 0, 255})
	// A FIN ahead of the bytes, then the bytes in order up to it.
	f.Add([]byte{0x01, 0, 0, 0, 0x13, 0, 0, 0, 0x0a, 0, 50, 0, 0x5a, 0, 0, 0, 0x42, 0, 0, 200, 0x42, 0, 0, 199, 0x52, 0, 0, 0})
	f.Add([]byte{0x01, 0, 0, 0, 0x42, 0, 0, 9, 0x42, 0, 0, 9, 0x42, 0, 0, 9, 0x42, 0, 0, 9, 0x42, 0, 0, 9, 0x46, 0, 0, 9})
	f.Fuzz(checkFastPath)
}

// checkFastPath is FuzzFastPath's body.
func checkFastPath(t *testing.T, in []byte) {
	if len(in) > 4*400 {
		in = in[:4*400]
	}
	cfg := Config{Strict: true, Analyse: true, MaxPendingBytes: 1500, MaxStreamBytes: 3000, MaxSegments: 6,
		MaxTotalStreamBytes: 12 << 10, TCPIdle: 50}
	if len(in) > 0 && in[0]&0x80 != 0 {
		cfg = Config{Strict: true}
	}
	tw := newTwin(t, cfg)
	fed := map[uint64]sentSegment{}
	tw.check = func(rec Record) {
		if rec.Stream != nil {
			checkStreamRecord(t, rec.Stream, fed, cfg.withDefaults())
		}
	}
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	// next[conn][dir] is the sequence number after the contiguous
	// bytes sent so far.
	var next [2][2]uint32
	base := uint32(0xfffff000)
	for i := range next {
		for j := range next[i] {
			next[i][j] = base + 1
		}
	}
	for i := 0; i+4 <= len(in); i += 4 {
		ctl := in[i]
		flags := ctlFlags(ctl)
		fromA, cn := ctl&0x10 == 0, int(ctl>>5&1)
		dir := 0
		if !fromA {
			dir = 1
		}
		seq := base + uint32(binary.BigEndian.Uint16(in[i+1:]))*8
		if ctl&0x40 != 0 {
			seq = next[cn][dir]
		}
		if flags&decoder.TCPSyn != 0 {
			seq = base
		}
		pl := seqPayload(seq, flags, int(in[i+3]))
		if e := seq + uint32(len(pl)); flags&decoder.TCPSyn == 0 && int32(seq-next[cn][dir]) <= 0 && int32(e-next[cn][dir]) > 0 {
			next[cn][dir] = e
		}
		pkt := rawSegment(fromA, seq, flags, pl)
		if cn == 1 {
			binary.BigEndian.PutUint16(pkt[20+2*dir:], 40001) // the client port
		}
		fed[uint64(i/4+1)] = sentSegment{fromA: fromA, conn: cn, seq: dataSeq(seq, flags), n: len(pl)}
		dec.Decode(pkt, 101, &p)
		fi := reporter.FrameInfo{Index: uint64(i/4 + 1), Sec: int64(i / 40)}
		tw.do(func(r *Reassembler, emit func(Record)) { r.Add(fi, &p, emit) })
		if i%64 == 60 {
			tw.do(func(r *Reassembler, emit func(Record)) { r.Advance(fi.Sec, 0, fi.Index, emit) })
		}
	}
	tw.do(func(r *Reassembler, emit func(Record)) { r.Flush(emit) })
	if st := tw.r[0].Stats(); st.Overlaps != 0 {
		t.Fatalf("%d overlaps counted, but every byte fed is the low byte of its sequence number", st.Overlaps)
	}
}
