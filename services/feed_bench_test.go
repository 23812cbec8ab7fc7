package services

import (
	"bytes"
	"syscall"
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
// with a capture: read + decode (Feed) alone, and followed by reassembly
// (IPv4, IPv6, TCP) and tracing, on the same generated capture held in
// memory, in the same run, three ways: "stream" is a capture file as the
// verbs read it (a stream Reader; read + decode a batch ahead in a second
// goroutine, frames copied into the batch: what they run with two or more
// Ps); "inplace" is the same over a Stable Reader (NewReaderBytes, or
// OpenMapped: frames decoded where they lie, TCP bytes referenced,
// StableFrames), for library callers; "serial" is a stream in one
// goroutine (standard input). It reports frames/s of each and the speed
// ratios full/decode ("ratio" for stream, "inplace-ratio",
// "serial-ratio"), and "cpu-ratio", the ratio of the process CPU times of
// the stream passes (both cores' work counted).
// Frames: 1,000,000, or 200,000 with -short, or PCAPFLOW_BENCH_FRAMES. The
// fastest of b.N passes of each kind counts.
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
	type how int
	const (
		stream how = iota
		inplace
		serial
	)
	pass := func(h how, full bool) (time.Duration, time.Duration) {
		var r *ingest.Reader
		var err error
		if h == inplace {
			r, err = ingest.NewReaderBytes(capture, "bench", ingest.ReaderOptions{})
		} else {
			r, err = ingest.NewReader(bytes.NewReader(capture), "bench", ingest.ReaderOptions{})
		}
		if err != nil {
			b.Fatal(err)
		}
		add := func(reporter.FrameInfo, *decoder.Packet) {}
		advance := func(int64, uint32, uint64) {}
		var ra *reassembler.Reassembler
		var tr *tracer.Tracer
		if full {
			ra = reassembler.New(reassembler.Config{StableFrames: r.Stable()})
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
		start, cpu := time.Now(), cpuTime()
		if err := Feed(r, FeedOptions{Live: h == serial}, add, advance); err != nil {
			b.Fatal(err)
		}
		if full {
			ra.Flush(func(reassembler.Record) {})
			tr.Flush(func(*tracer.Flow) {})
		}
		return time.Since(start), cpuTime() - cpu
	}
	var wall, cpu [3][2]time.Duration // [how][full]
	b.ResetTimer()
	for range b.N {
		for h := stream; h <= serial; h++ {
			for f := range 2 {
				w, c := pass(h, f == 1)
				if wall[h][f] == 0 || w < wall[h][f] {
					wall[h][f], cpu[h][f] = w, c
				}
			}
		}
	}
	fps := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	b.ReportMetric(fps(wall[stream][0]), "decode-frames/s")
	b.ReportMetric(fps(wall[stream][1]), "full-frames/s")
	b.ReportMetric(fps(wall[inplace][0]), "inplace-decode-frames/s")
	b.ReportMetric(fps(wall[inplace][1]), "inplace-full-frames/s")
	b.ReportMetric(fps(wall[serial][0]), "serial-decode-frames/s")
	b.ReportMetric(fps(wall[serial][1]), "serial-full-frames/s")
	b.ReportMetric(wall[stream][0].Seconds()/wall[stream][1].Seconds(), "ratio")
	b.ReportMetric(wall[inplace][0].Seconds()/wall[inplace][1].Seconds(), "inplace-ratio")
	b.ReportMetric(wall[serial][0].Seconds()/wall[serial][1].Seconds(), "serial-ratio")
	b.ReportMetric(cpu[stream][0].Seconds()/cpu[stream][1].Seconds(), "cpu-ratio")
}

// cpuTime returns the CPU time (user + system) of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
