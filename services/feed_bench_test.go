package services

import (
	"bytes"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/tracer"
)

// BenchmarkFeed measures what the reassemble, trace and analyse verbs do
// with a capture file: read + decode (Feed) alone, and followed by
// reassembly (IPv4, IPv6, TCP) and tracing, both serial (one goroutine) and
// pipelined (read + decode a batch ahead in a second goroutine), on the
// same generated capture held in memory, in the same run. It reports
// frames/s of each and the ratios full/decode: "ratio" for the pipelined
// Feed (what the verbs run with two or more Ps), "serial-ratio" with one
// goroutine. Frames: 1,000,000, or 200,000 with -short, or
// PCAPFLOW_BENCH_FRAMES. The fastest of b.N passes of each kind counts.
func BenchmarkFeed(b *testing.B) {
	twoProcs(b)
	n := benchFrames()
	if testing.Short() {
		n = 200_000
	}
	var buf bytes.Buffer
	if err := craft.Generate(&buf, craft.GenerateOptions{Seed: 1, Frames: n}); err != nil {
		b.Fatal(err)
	}
	capture := buf.Bytes()
	pass := func(live, full bool) time.Duration {
		r, err := ingest.NewReader(bytes.NewReader(capture), "bench", ingest.ReaderOptions{})
		if err != nil {
			b.Fatal(err)
		}
		add := func(reporter.FrameInfo, *decoder.Packet) {}
		advance := func(int64, uint32, uint64) {}
		var ra *reassembler.Reassembler
		var tr *tracer.Tracer
		if full {
			ra = reassembler.New(reassembler.Config{})
			tr = tracer.New(tracer.Config{})
			emitR := func(reassembler.Record) {}
			emitF := func(*tracer.Flow) {}
			add = func(fi reporter.FrameInfo, p *decoder.Packet) {
				ra.Add(fi, p, emitR)
				tr.Add(fi, p, emitF)
			}
			advance = func(sec int64, nsec uint32, at uint64) {
				ra.Advance(sec, nsec, at, emitR)
				tr.Advance(sec, nsec, at, emitF)
			}
		}
		start := time.Now()
		if err := Feed(r, FeedOptions{Live: live}, add, advance); err != nil {
			b.Fatal(err)
		}
		if full {
			ra.Flush(func(reassembler.Record) {})
			tr.Flush(func(*tracer.Flow) {})
		}
		return time.Since(start)
	}
	best := func(d *time.Duration, v time.Duration) {
		if *d == 0 || v < *d {
			*d = v
		}
	}
	var decP, fullP, decS, fullS time.Duration
	b.ResetTimer()
	for range b.N {
		best(&decP, pass(false, false))
		best(&fullP, pass(false, true))
		best(&decS, pass(true, false))
		best(&fullS, pass(true, true))
	}
	fps := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	b.ReportMetric(fps(decP), "decode-frames/s")
	b.ReportMetric(fps(fullP), "full-frames/s")
	b.ReportMetric(fps(decS), "serial-decode-frames/s")
	b.ReportMetric(fps(fullS), "serial-full-frames/s")
	b.ReportMetric(decP.Seconds()/fullP.Seconds(), "ratio")
	b.ReportMetric(decS.Seconds()/fullS.Seconds(), "serial-ratio")
}
