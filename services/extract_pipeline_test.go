package services

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/reporter/reportertest"
)

// The inline engine runs pipelined for a capture file (two goroutines,
// batches of frames) and sequentially for standard input; these tests
// check that both give the same bytes, stats and errors.

// twoProcs makes sure the pipelined path is taken (it needs two Ps).
func twoProcs(tb testing.TB) {
	if runtime.GOMAXPROCS(0) < 2 {
		old := runtime.GOMAXPROCS(2)
		tb.Cleanup(func() { runtime.GOMAXPROCS(old) })
	}
}

// fragmentedHTTPCapture holds IPv4-fragmented TCP segments, each an HTTP
// request with headers of its own: their datagram records carry the
// decoded request, whose strings lie in the reassembler's buffers (which
// the next datagram reuses), so the pipelined engine must copy them.
func fragmentedHTTPCapture(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := ingest.NewPcapWriter(&buf, ingest.PcapWriterOptions{LinkType: ingest.LinkEthernet, SnapLen: 65535})
	if err != nil {
		tb.Fatal(err)
	}
	eth := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}
	n := 0
	for i := range 500 {
		req := fmt.Sprintf("GET /item/%d HTTP/1.1\r\nHost: host%d.example\r\nX-Request-Id: %08x-%d\r\n\r\n", i, i%7, uint32(i)*2654435761, i)
		dgram, err := craft.Build(
			&craft.IPv4{ID: uint16(i), TTL: 64, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")},
			&craft.TCP{SrcPort: uint16(40000 + i), DstPort: 80, Seq: uint32(i) * 1000, Flags: craft.ACK | craft.PSH, Window: 500},
			craft.Payload(req))
		if err != nil {
			tb.Fatal(err)
		}
		frags, err := craft.FragmentIPv4(dgram, 60)
		if err != nil {
			tb.Fatal(err)
		}
		for _, f := range frags {
			n++
			if err := w.WritePacket(1700000000+int64(n/1000), uint32(n%1000)*1000, uint32(len(eth)+len(f)), append(slices.Clone(eth), f...)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return buf.Bytes()
}

// jumboCapture holds frames from 14 bytes to 250 KB, so that batches end
// both on their frame count and on their byte arena (512 KiB).
func jumboCapture(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := ingest.NewPcapWriter(&buf, ingest.PcapWriterOptions{LinkType: ingest.LinkEthernet, SnapLen: 1 << 18})
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	sample := sampleFrames(tb)
	for i := range 1200 {
		var f []byte
		switch {
		case i%97 == 5:
			f = make([]byte, 200_000+rng.IntN(50_000))
		case i%13 == 0:
			f = make([]byte, 20_000+rng.IntN(40_000))
		default:
			f = bytes.Clone(sample[i%len(sample)])
		}
		if len(f) > 100 && i%13 == 0 || i%97 == 5 {
			for j := range f {
				f[j] = byte(rng.Uint32())
			}
			copy(f, sample[0][:14]) // an Ethernet header, random payload
		}
		if err := w.WritePacket(1700000000+int64(i), uint32(i)*1000, uint32(len(f)), f); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}

// bothWays extracts capture from a file (pipelined) and from standard
// input (sequential) and returns both reports, stats and errors.
// With opts, when not nil, applied to both extractions.
func bothWays(t *testing.T, capture []byte, f reporter.Format, opts ...func(*ExtractOptions)) (pipe, seq []byte, pst, sst Stats, perr, serr error) {
	t.Helper()
	in := filepath.Join(t.TempDir(), "in.pcap")
	if err := os.WriteFile(in, capture, 0o644); err != nil {
		t.Fatal(err)
	}
	var a, b, c bytes.Buffer
	po := ExtractOptions{Input: in, Output: "-", Stdout: &a, Format: f}
	so := ExtractOptions{Input: "-", Stdin: bytes.NewReader(capture), Output: "-", Stdout: &b, Format: f}
	ipo := ExtractOptions{Input: "-", Stdin: bytes.NewReader(capture), Output: "-", Stdout: &c, Format: f}
	for _, o := range opts {
		o(&po)
		o(&so)
		o(&ipo)
	}
	pst, perr = Extract(context.Background(), po)
	// Standard input is pipelined too (its batches also go out before
	// every read of the input): with one P the engine runs sequentially.
	ist, ierr := Extract(context.Background(), ipo)
	old := runtime.GOMAXPROCS(1)
	sst, serr = Extract(context.Background(), so)
	runtime.GOMAXPROCS(old)
	pst.Duration, sst.Duration, ist.Duration = 0, 0, 0
	if ist != pst || !bytes.Equal(c.Bytes(), a.Bytes()) || (ierr == nil) != (perr == nil) {
		t.Errorf("standard input pipelined: stats %+v, error %v, report equal to the file's: %v; file: stats %+v, error %v",
			ist, ierr, bytes.Equal(c.Bytes(), a.Bytes()), pst, perr)
	}
	return a.Bytes(), b.Bytes(), pst, sst, perr, serr
}

func TestExtractPipelineSame(t *testing.T) {
	twoProcs(t)
	captures := map[string][]byte{"generated": generated(t, 3000, 0), "jumbo": jumboCapture(t)}
	for name, capture := range captures {
		sameAllFormats(t, name, capture)
		// Cut in the middle of a record: the same frames, then the error.
		cut := capture[:len(capture)*2/3]
		pipe, seq, pst, sst, perr, serr := bothWays(t, cut, reporter.JSON)
		if !errors.Is(perr, ingest.ErrTruncated) || !errors.Is(serr, ingest.ErrTruncated) {
			t.Fatalf("%s cut: errors %v, %v", name, perr, serr)
		}
		if pst != sst || !bytes.Equal(pipe, seq) {
			t.Errorf("%s cut: stats %+v and %+v, reports equal: %v", name, pst, sst, bytes.Equal(pipe, seq))
		}
		if _, err := reportertest.ParseJSON(pipe); err != nil {
			t.Errorf("%s cut: not a complete document: %v", name, err)
		}
	}
}

// TestExtractPipelineStateful: with reassembly and tracing, whose records
// the renderer goroutine interleaves with the frame blocks, the pipelined
// report equals the sequential one.
func TestExtractPipelineStateful(t *testing.T) {
	twoProcs(t)
	captures := map[string][]byte{"generated": generated(t, 6000, 0), "jumbo": jumboCapture(t),
		"fragmented-http": fragmentedHTTPCapture(t)}
	for name, capture := range captures {
		reports := sameAllFormats(t, name, capture, withReassemblyAndTrace)
		if name == "generated" && !bytes.Contains(reports[reporter.JSON], []byte(`"Stream `)) {
			t.Errorf("%s: no stream record in the report", name)
		}
		if name == "fragmented-http" && !bytes.Contains(reports[reporter.JSON], []byte(`"X-Request-Id"`)) {
			t.Errorf("%s: no decoded HTTP header in the datagram records", name)
		}
	}
}

// sameAllFormats extracts capture pipelined and sequentially in every
// format and fails unless reports and stats are equal; it returns the
// pipelined reports by format.
func sameAllFormats(t *testing.T, name string, capture []byte, opts ...func(*ExtractOptions)) map[reporter.Format][]byte {
	t.Helper()
	reports := make(map[reporter.Format][]byte)
	for _, f := range allFormats {
		pipe, seq, pst, sst, perr, serr := bothWays(t, capture, f, opts...)
		if perr != nil || serr != nil {
			t.Fatalf("%s %v: errors %v, %v", name, f, perr, serr)
		}
		if pst != sst || pst.Frames < 1000 {
			t.Errorf("%s %v: stats %+v pipelined, %+v sequential", name, f, pst, sst)
		}
		if !bytes.Equal(pipe, seq) {
			t.Errorf("%s %v: the pipelined report differs from the sequential one (%d and %d bytes)", name, f, len(pipe), len(seq))
		}
		reports[f] = pipe
	}
	return reports
}

// failWriter accepts n bytes, then fails.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestExtractPipelineWriteError(t *testing.T) {
	twoProcs(t)
	in := filepath.Join(t.TempDir(), "in.pcap")
	if err := os.WriteFile(in, generated(t, 20000, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Extract(context.Background(), ExtractOptions{Input: in, Output: "-", Stdout: &failWriter{n: 3 << 20}})
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "standard output") {
		t.Fatalf("error %v", err)
	}
	if st.Frames == 0 || st.Frames >= 20000 {
		t.Errorf("%d frames reported before the write error", st.Frames)
	}
}

// cancelWriter cancels the extraction once it has received n bytes.
type cancelWriter struct {
	bytes.Buffer
	n      int
	cancel func()
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > w.n {
		w.cancel()
	}
	return w.Buffer.Write(p)
}

func TestExtractPipelineCancel(t *testing.T) {
	twoProcs(t)
	in := filepath.Join(t.TempDir(), "in.pcap")
	if err := os.WriteFile(in, generated(t, 20000, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelWriter{n: 2 << 20, cancel: cancel}
	st, err := Extract(ctx, ExtractOptions{Input: in, Output: "-", Stdout: out})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
	v, err := reportertest.ParseJSON(out.Bytes())
	if err != nil {
		t.Fatalf("cancelled report is not a complete document: %v", err)
	}
	if st.Frames == 0 || st.Frames >= 20000 || uint64(len(v)) != st.Frames+1 {
		t.Errorf("%d frames, %d blocks", st.Frames, len(v))
	}
}

// TestExtractPipelineAllocs: the pipelined path allocates nothing per
// frame either (its batches are made once).
func TestExtractPipelineAllocs(t *testing.T) {
	twoProcs(t)
	// HTTP and DNS left out, as in TestExtractAllocs.
	traffic := craft.TrafficUDP | craft.TrafficICMP | craft.TrafficARP | craft.TrafficFragments
	dir := t.TempDir()
	files := make([]string, 2)
	for i, n := range []int{2000, 20000} {
		files[i] = filepath.Join(dir, "in"+strings.Repeat("x", i)+".pcap")
		if err := os.WriteFile(files[i], generated(t, n, traffic), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(in string) float64 {
		return testing.AllocsPerRun(3, func() {
			if _, err := Extract(context.Background(), ExtractOptions{Input: in, Output: "-", Stdout: io.Discard}); err != nil {
				t.Fatal(err)
			}
		})
	}
	a, b := run(files[0]), run(files[1])
	if perFrame := (b - a) / 18000; perFrame > 0.01 {
		t.Errorf("%.0f allocations for 2000 frames, %.0f for 20000: %.3f per frame, want 0", a, b, perFrame)
	}
}

// TestExtractStdinLive: standard input is read pipelined too, yet each
// frame is rendered before the next one has arrived (the batch goes to the
// renderer before a read that may wait), so a live capture is reported as
// it arrives. Per-frame files show when a frame is rendered.
func TestExtractStdinLive(t *testing.T) {
	twoProcs(t)
	dir := t.TempDir()
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.CloseWithError(errors.New("test over")) })
	type result struct {
		st  Stats
		err error
	}
	res := make(chan result, 1)
	go func() {
		st, err := Extract(context.Background(), ExtractOptions{Input: "-", Stdin: pr, Output: dir, Files: true, Format: reporter.JSON})
		res <- result{st, err}
	}()
	w, err := ingest.NewPcapWriter(pw, ingest.PcapWriterOptions{LinkType: ingest.LinkEthernet})
	if err != nil {
		t.Fatal(err)
	}
	frames := sampleFrames(t)[:3]
	for i, f := range frames {
		if err := w.WritePacket(1700000000+int64(i), 0, uint32(len(f)), f); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, fmt.Sprintf("Frame %d.json", i+1))
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
			if _, err := os.Stat(name); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("frame %d not rendered 30 s after it was written (before the next frame)", i+1)
			}
		}
	}
	pw.Close()
	r := <-res
	if r.err != nil || r.st.Frames != uint64(len(frames)) {
		t.Fatalf("stats %+v, error %v", r.st, r.err)
	}
}
