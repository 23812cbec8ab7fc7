package tracer

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
)

var (
	costOnce   sync.Once
	costFrames []benchFrame
)

// costCapture returns 300,000 frames of craft's generated mix (or
// PCAPFLOW_COST_FRAMES), made once per test binary.
func costCapture(b *testing.B) []benchFrame {
	costOnce.Do(func() {
		n := 300_000
		if v, err := strconv.Atoi(os.Getenv("PCAPFLOW_COST_FRAMES")); err == nil && v > 0 {
			n = v
		}
		costFrames = generated(b, n)
	})
	return costFrames
}

// BenchmarkTraceCost alternates, b.N times, a pass of decoding alone and
// a pass of decoding + tracing over the generated capture, and reports the
// fastest of each: decode-ns/frame, ns/frame, their difference
// (trace-ns/frame) and ratio, and the allocations of a tracing pass. Times are the CPU time of the benchmark's
// thread (locked to it), less disturbed by a busy machine than wall time. For profiling the tracer: go tool pprof
// -list 'Tracer..Add$'.
func BenchmarkTraceCost(b *testing.B) {
	frames := costCapture(b)
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	flows := 0
	emit := func(*Flow) { flows++ }
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pass := func(trace bool) time.Duration {
		start := threadCPU()
		var tr *Tracer
		if trace {
			tr = New(Config{})
		}
		for i := range frames {
			fr := &frames[i]
			dec.Decode(fr.data, fr.lt, &p)
			if tr != nil {
				tr.Add(fr.fi, &p, emit)
				if (i+1)%256 == 0 {
					tr.Advance(fr.fi.Sec, fr.fi.Nsec, fr.fi.Index, emit)
				}
			}
		}
		if tr != nil {
			tr.Flush(emit)
		}
		return threadCPU() - start
	}
	var td, tt time.Duration
	var allocs, bytes uint64
	b.ResetTimer()
	for range b.N {
		if d := pass(false); td == 0 || d < td {
			td = d
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		if d := pass(true); tt == 0 || d < tt {
			tt = d
		}
		runtime.ReadMemStats(&m1)
		allocs, bytes = m1.Mallocs-m0.Mallocs, m1.TotalAlloc-m0.TotalAlloc
	}
	n := float64(len(frames))
	b.ReportMetric(float64(td.Nanoseconds())/n, "decode-ns/frame")
	b.ReportMetric(float64(tt.Nanoseconds())/n, "ns/frame")
	b.ReportMetric(float64((tt-td).Nanoseconds())/n, "trace-ns/frame")
	b.ReportMetric(td.Seconds()/tt.Seconds(), "speed-ratio")
	b.ReportMetric(float64(allocs)/n, "allocs/frame")
	b.ReportMetric(float64(bytes)/n, "B/frame")
}

// threadCPU returns the CPU time of the calling thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
