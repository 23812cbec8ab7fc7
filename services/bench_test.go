package services

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/tracer"
)

// benchFrames is the size of the benchmark capture: 1,000,000 frames, or
// 100,000 with -short; PCAPFLOW_BENCH_FRAMES overrides it.
func benchFrames() int {
	if v, err := strconv.Atoi(os.Getenv("PCAPFLOW_BENCH_FRAMES")); err == nil && v > 0 {
		return v
	}
	if testing.Short() {
		return 100_000
	}
	return 1_000_000
}

// benchCapture writes the generated capture of benchFrames frames into a
// temporary file and returns its path and frame count.
func benchCapture(b *testing.B) (string, int) {
	n := benchFrames()
	in := filepath.Join(b.TempDir(), "bench.pcap")
	f, err := os.Create(in)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := craft.Generate(w, craft.GenerateOptions{Seed: 1, Frames: n}); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return in, n
}

// peakRSS returns the process's peak resident set (VmHWM) in MiB.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkEngines runs the inline and the embedded engine end to end
// (capture file to JSON report, every hop of the embedded engine on
// JetStream with file storage) on the same generated capture, and reports
// frames/s of each and their ratio.
func BenchmarkEngines(b *testing.B) {
	in, n := benchCapture(b)
	run := func(engine string) float64 {
		st, err := Extract(context.Background(), ExtractOptions{Input: in, Output: "-", Stdout: io.Discard, Format: reporter.JSON, Engine: engine})
		if err != nil {
			b.Fatal(err)
		}
		if st.Frames != uint64(n) {
			b.Fatalf("%s: %d frames, want %d", engine, st.Frames, n)
		}
		return float64(n) / st.Duration.Seconds()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inline := run(EngineInline)
		rssInline := peakRSS()
		emb := run(EngineEmbedded)
		b.ReportMetric(inline, "inline-frames/s")
		b.ReportMetric(emb, "embedded-frames/s")
		b.ReportMetric(emb/inline, "embedded/inline")
		b.ReportMetric(peakRSS(), "peak-RSS-MiB")
		b.ReportMetric(rssInline, "inline-peak-RSS-MiB")
	}
}

// BenchmarkExtractStateful runs the inline engine end to end (capture file
// to JSON report, discarded) on the same generated capture twice a
// round: as plain extract, and with reassembly and tracing (PyPCAPKit's
// --ipv4 --ipv6 --tcp --trace: every record in the report, each stream
// with its bytes). It reports frames/s of each, the fastest of b.N rounds,
// and their ratio.
func BenchmarkExtractStateful(b *testing.B) {
	in, n := benchCapture(b)
	run := func(stateful bool) float64 {
		o := ExtractOptions{Input: in, Output: "-", Stdout: io.Discard, Format: reporter.JSON, Engine: EngineInline}
		if stateful {
			o.Reassembly = reassembler.Config{IPv4: true, IPv6: true, TCP: true}
			o.Trace = &tracer.Config{}
		}
		st, err := Extract(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		if st.Frames != uint64(n) {
			b.Fatalf("%d frames, want %d", st.Frames, n)
		}
		return float64(n) / st.Duration.Seconds()
	}
	var plain, full float64
	b.ResetTimer()
	for range b.N {
		plain = max(plain, run(false))
		full = max(full, run(true))
	}
	b.ReportMetric(plain, "extract-frames/s")
	b.ReportMetric(full, "stateful-frames/s")
	b.ReportMetric(full/plain, "stateful/extract")
}
