package tracer

import (
	"io"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reporter"
)

// BenchmarkFileSinkReports traces the generated frames (200,000, or
// PCAPFLOW_BENCH_FRAMES) into per-flow JSON reports in a folder
// (PCAPFLOW_BENCH_DIR, default a temporary folder; a tmpfs such as
// /dev/shm leaves out the file system's own cost), as `pcapflow trace
// --trace-format json` does, and compares in the same run: "before", every
// flow spooled to a file and rendered by End with a new report writer (the
// sink as it was up to session 6), and "now", spooled in memory, rendered
// by GOMAXPROCS workers reusing their writers. Reports speed-ratio (now
// over before) of the fastest of b.N passes of each.
func BenchmarkFileSinkReports(b *testing.B) {
	frames := generated(b, benchFrames(200_000))
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	pass := func(before bool) time.Duration {
		dir, err := os.MkdirTemp(os.Getenv("PCAPFLOW_BENCH_DIR"), "pcapflow-bench-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		sink := &FileSink{Dir: dir, Format: "json", Workers: runtime.GOMAXPROCS(0),
			NewReport: func(w io.Writer) reporter.Writer { return reporter.NewWriter(w, reporter.JSON) }}
		if before {
			sink.SpoolMemory, sink.Workers = -1, 0
			sink.NewReport = func(w io.Writer) reporter.Writer { return onlyWriter{reporter.NewWriter(w, reporter.JSON)} }
		}
		start := time.Now()
		tr := New(Config{Sink: sink})
		feedCores(frames, dec, &p, nil, tr, nil, func(*Flow) {})
		if err := tr.Err(); err != nil {
			b.Fatal(err)
		}
		if err := sink.Close(); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var tb, tn time.Duration
	for range b.N {
		if d := pass(true); tb == 0 || d < tb {
			tb = d
		}
		if d := pass(false); tn == 0 || d < tn {
			tn = d
		}
	}
	b.ReportMetric(float64(len(frames))/tn.Seconds(), "frames/s")
	b.ReportMetric(float64(len(frames))/tb.Seconds(), "before-frames/s")
	b.ReportMetric(tb.Seconds()/tn.Seconds(), "speed-ratio")
}

// onlyWriter hides a Writer's Reset.
type onlyWriter struct{ reporter.Writer }
