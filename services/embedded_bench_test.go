package services

import (
	"context"
	"io"
	"testing"

	"github.com/pcapflow/pcapflow/reporter"
)

// BenchmarkEmbedded runs only the embedded engine end to end on the
// generated capture (benchFrames frames), for profiling it without the
// inline engine's samples: one op is one Extract.
func BenchmarkEmbedded(b *testing.B) {
	in, n := benchCapture(b)
	b.ResetTimer()
	var sum, cpu float64
	for i := 0; i < b.N; i++ {
		c0 := cpuTime()
		st, err := Extract(context.Background(), ExtractOptions{Input: in, Output: "-", Stdout: io.Discard, Format: reporter.JSON, Engine: EngineEmbedded})
		if err != nil {
			b.Fatal(err)
		}
		if st.Frames != uint64(n) {
			b.Fatalf("%d frames, want %d", st.Frames, n)
		}
		sum += float64(n) / st.Duration.Seconds()
		cpu += (cpuTime() - c0).Seconds() * 1e6 / float64(n)
	}
	b.ReportMetric(sum/float64(b.N), "frames/s")
	b.ReportMetric(cpu/float64(b.N), "cpu-us/frame")
}
