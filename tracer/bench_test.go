package tracer

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
)

type benchFrame struct {
	fi   reporter.FrameInfo
	lt   uint32
	data []byte
}

// generated returns n frames of craft's realistic mix, in memory.
func generated(b *testing.B, n int) []benchFrame {
	var buf bytes.Buffer
	if err := craft.Generate(&buf, craft.GenerateOptions{Seed: 1, Frames: n}); err != nil {
		b.Fatal(err)
	}
	r, err := ingest.NewReader(&buf, "gen", ingest.ReaderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var out []benchFrame
	var f ingest.Frame
	for {
		if err := r.Next(&f); err != nil {
			if !errors.Is(err, io.EOF) {
				b.Fatal(err)
			}
			return out
		}
		out = append(out, benchFrame{reporter.FrameInfoOf(&f), f.LinkType, bytes.Clone(f.Data)})
	}
}

// BenchmarkPipeline compares, on the same generated frames in the same
// run, decoding alone with decoding + reassembly (IPv4, IPv6, TCP) +
// tracing, and reports the ratio of their speeds (goal: >= 0.60).
// Run with -benchtime=1x; PCAPFLOW_BENCH_FRAMES is not needed: the frame
// count is fixed at 200,000 to keep the machine usable.
func BenchmarkPipeline(b *testing.B) {
	frames := generated(b, 200_000)
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	decodeOnly := func() time.Duration {
		start := time.Now()
		for i := range frames {
			dec.Decode(frames[i].data, frames[i].lt, &p)
		}
		return time.Since(start)
	}
	records, flows := 0, 0
	full := func() time.Duration {
		ra := reassembler.New(reassembler.Config{})
		tr := New(Config{})
		emitR := func(reassembler.Record) { records++ }
		emitF := func(*Flow) { flows++ }
		start := time.Now()
		for i := range frames {
			fr := &frames[i]
			dec.Decode(fr.data, fr.lt, &p)
			ra.Add(fr.fi, &p, emitR)
			tr.Add(fr.fi, &p, emitF)
			if (i+1)%256 == 0 {
				ra.Advance(fr.fi.Sec, fr.fi.Nsec, fr.fi.Index, emitR)
				tr.Advance(fr.fi.Sec, fr.fi.Nsec, fr.fi.Index, emitF)
			}
		}
		ra.Flush(emitR)
		tr.Flush(emitF)
		return time.Since(start)
	}
	var td, tf time.Duration
	b.ResetTimer()
	for range b.N {
		td += decodeOnly()
		tf += full()
	}
	n := float64(len(frames) * b.N)
	b.ReportMetric(n/td.Seconds(), "decode-frames/s")
	b.ReportMetric(n/tf.Seconds(), "full-frames/s")
	b.ReportMetric(td.Seconds()/tf.Seconds(), "speed-ratio")
	b.ReportMetric(float64(records)/float64(b.N), "records")
	b.ReportMetric(float64(flows)/float64(b.N), "flows")
}

// BenchmarkFullPath is the decode + reassemble + trace path alone (for
// profiling): b.N passes over 50,000 generated frames.
func BenchmarkFullPath(b *testing.B) {
	frames := generated(b, 50_000)
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	keep, _ := strconv.Atoi(os.Getenv("KEEP"))
	b.ResetTimer()
	for range b.N {
		ra := reassembler.New(reassembler.Config{MaxStreamBytes: keep})
		tr := New(Config{})
		emitR := func(reassembler.Record) {}
		emitF := func(*Flow) {}
		for i := range frames {
			fr := &frames[i]
			dec.Decode(fr.data, fr.lt, &p)
			ra.Add(fr.fi, &p, emitR)
			tr.Add(fr.fi, &p, emitF)
			if (i+1)%256 == 0 {
				ra.Advance(fr.fi.Sec, fr.fi.Nsec, fr.fi.Index, emitR)
				tr.Advance(fr.fi.Sec, fr.fi.Nsec, fr.fi.Index, emitF)
			}
		}
		ra.Flush(emitR)
		tr.Flush(emitF)
	}
	b.ReportMetric(float64(len(frames)*b.N)/b.Elapsed().Seconds(), "frames/s")
}
