package reassembler

import (
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/reporter"
)

type benchFrame struct {
	fi   reporter.FrameInfo
	lt   uint32
	data []byte
}

var (
	benchOnce   sync.Once
	benchFrames []benchFrame
)

// generatedFrames returns craft's realistic mix (100,000 frames, or
// PCAPFLOW_BENCH_FRAMES), generated once per test binary.
func generatedFrames(b *testing.B) []benchFrame {
	benchOnce.Do(func() {
		n := 100_000
		if v, err := strconv.Atoi(os.Getenv("PCAPFLOW_BENCH_FRAMES")); err == nil && v > 0 {
			n = v
		}
		fs, err := craft.GenerateFrames(craft.GenerateOptions{Seed: 1, Frames: n})
		if err != nil {
			b.Fatal(err)
		}
		benchFrames = make([]benchFrame, len(fs))
		for i := range fs {
			benchFrames[i] = benchFrame{reporter.FrameInfoOf(&fs[i]), fs[i].LinkType, fs[i].Data}
		}
	})
	if len(benchFrames) == 0 {
		b.Fatal("no frames generated")
	}
	return benchFrames
}

// BenchmarkReassemble runs, over the generated frames, decoding followed
// by TCP ("tcp") or IP fragment ("frag") reassembly, interleaved with
// decoding alone: one pass of each per iteration, a fresh Reassembler per
// pass, Advance every 256 frames (as the engines do). The fastest pass of
// each kind counts, in process CPU time (GC included, waiting for a core
// excluded: steadier on a shared machine): extra-ns/frame is the
// reassembly's cost per frame, their difference.
func BenchmarkReassemble(b *testing.B) {
	frames := generatedFrames(b)
	modes := []struct {
		name string
		cfg  Config
	}{
		{"tcp", Config{TCP: true}},
		{"frag", Config{IPv4: true, IPv6: true}},
	}
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			dec := decoder.New(decoder.Options{})
			var p decoder.Packet
			records := 0
			emit := func(Record) { records++ }
			pass := func(cfg *Config) time.Duration {
				start := cpuTime()
				var ra *Reassembler
				if cfg != nil {
					ra = New(*cfg)
				}
				for i := range frames {
					fr := &frames[i]
					dec.Decode(fr.data, fr.lt, &p)
					if ra == nil {
						continue
					}
					ra.Add(fr.fi, &p, emit)
					if (i+1)%256 == 0 {
						ra.Advance(fr.fi.Sec, fr.fi.Nsec, fr.fi.Index, emit)
					}
				}
				if ra != nil {
					ra.Flush(emit)
				}
				return cpuTime() - start
			}
			b.ReportAllocs()
			var td, tm time.Duration
			for range b.N {
				if d := pass(nil); td == 0 || d < td {
					td = d
				}
				if d := pass(&m.cfg); tm == 0 || d < tm {
					tm = d
				}
			}
			n := float64(len(frames))
			b.ReportMetric(float64(td.Nanoseconds())/n, "decode-ns/frame")
			b.ReportMetric(float64(tm.Nanoseconds())/n, "ns/frame")
			b.ReportMetric(float64((tm-td).Nanoseconds())/n, "extra-ns/frame")
			b.ReportMetric(float64(records)/float64(b.N), "records")
		})
	}
}

// cpuTime returns the CPU time (user + system) of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
