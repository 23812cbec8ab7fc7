package services

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/tracer"
)

// recordSink notes, per flow, the frames a Sink receives, in order.
type recordSink struct{ seqs map[uint64][]uint64 }

func (r *recordSink) Packet(f *tracer.Flow, fi reporter.FrameInfo, _ *decoder.Packet) error {
	r.seqs[f.First] = append(r.seqs[f.First], fi.Index)
	return nil
}
func (r *recordSink) End(*tracer.Flow) error { return nil }

type teeSink []tracer.Sink

func (t teeSink) Packet(f *tracer.Flow, fi reporter.FrameInfo, p *decoder.Packet) error {
	for _, s := range t {
		if err := s.Packet(f, fi, p); err != nil {
			return err
		}
	}
	return nil
}

func (t teeSink) End(f *tracer.Flow) error {
	for _, s := range t {
		if err := s.End(f); err != nil {
			return err
		}
	}
	return nil
}

// flowFileCaptures returns the project's testdata captures and a few of
// the corpus (fragments, pcapng with two link types, HTTP).
func flowFileCaptures(t testing.TB) []string {
	ins, _ := filepath.Glob(filepath.Join("..", "testdata", "*.pcap*"))
	if len(ins) < 5 {
		t.Fatalf("testdata captures: %v", ins)
	}
	if d := corpusDir(t); d != "" {
		for _, n := range []string{"zeek__ipv4__fragmented-1.pcap", "dpkt__http.pcap", "gopacket__pcapgo__tests__le__test010.pcapng", "libpcap__ipv6_ext_headers.pcap"} {
			if _, err := os.Stat(filepath.Join(d, n)); err == nil {
				ins = append(ins, filepath.Join(d, n))
			}
		}
	}
	return ins
}

// TestFileFramesRecord: the tracer stage's record of what a per-flow
// file gets (file_frames, or Frames when in step) equals what a Sink
// receives, fragments and long flows included.
func TestFileFramesRecord(t *testing.T) {
	ins := append(flowFileCaptures(t), genCapture(t, t.TempDir(), 3000, 5, false))
	for _, maxFrames := range []int{0, 3} {
		outOfStep, truncated := 0, 0
		for _, in := range ins {
			r, c, err := ingest.Open(in, ingest.ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			cfg := tracer.Config{MaxFrames: maxFrames}
			ff := newFileFrames(&cfg)
			rec := &recordSink{seqs: map[uint64][]uint64{}}
			cfg.Sink = teeSink{ff, rec}
			tr := tracer.New(cfg)
			dec := decoder.New(decoder.Options{})
			var pkt decoder.Packet
			var frame ingest.Frame
			check := func(f *tracer.Flow) {
				w := ff.record(f)
				want := rec.seqs[f.First]
				delete(rec.seqs, f.First)
				switch {
				case w.FileFramesTruncated:
					truncated++
					if len(want) <= ff.max {
						t.Errorf("%s: flow %d: file frames marked truncated with %d frames", in, f.First, len(want))
					}
				case w.FileFrames != nil:
					outOfStep++
					if !slices.Equal(w.FileFrames, want) || slices.Equal(f.Frames, want) {
						t.Errorf("%s: flow %d: file frames %v, frames %v, the sink got %v", in, f.First, w.FileFrames, f.Frames, want)
					}
				case !slices.Equal(f.Frames, want):
					t.Errorf("%s: flow %d: frames %v, the sink got %v", in, f.First, f.Frames, want)
				}
			}
			n := 0
			var last reporter.FrameInfo
			for r.Next(&frame) == nil {
				dec.Decode(frame.Data, frame.LinkType, &pkt)
				last = reporter.FrameInfoOf(&frame)
				tr.Add(last, &pkt, check)
				if n++; n%256 == 0 {
					tr.Advance(last.Sec, last.Nsec, last.Index, check)
				}
			}
			tr.Advance(last.Sec, last.Nsec, last.Index, check)
			tr.Flush(check)
			c.Close()
			if len(ff.seqs) != 0 {
				t.Errorf("%s: %d flows left in the record", in, len(ff.seqs))
			}
		}
		t.Logf("MaxFrames %d: %d flows out of step, %d truncated", maxFrames, outOfStep, truncated)
		if outOfStep == 0 {
			t.Errorf("MaxFrames %d: no flow with held fragments or past MaxFrames", maxFrames)
		}
		if maxFrames > 0 && truncated == 0 {
			t.Errorf("MaxFrames %d: no truncated flow", maxFrames)
		}
	}
}

// filesRun is what one extraction wrote: the report, the per-flow files
// and the per-frame files (-F), by name.
type filesRun struct {
	report      []byte
	flows       map[string][]byte
	frames      map[string][]byte
	err         error
	verbose     string
	elapsedFlow time.Duration
}

func readTree(t testing.TB, dir string) map[string][]byte {
	m := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		m[rel] = b
		return nil
	})
	return m
}

// runFiles extracts in with tracing, per-flow files in traceFormat and,
// with perFrame, per-frame files (format rf) instead of a report file.
func runFiles(t testing.TB, engine, in, traceFormat string, perFrame bool, rf reporter.Format) filesRun {
	t.Helper()
	dir := t.TempDir()
	flowDir := filepath.Join(dir, "flows")
	if err := os.Mkdir(flowDir, 0o755); err != nil {
		t.Fatal(err)
	}
	sink := &tracer.FileSink{Dir: flowDir, Format: traceFormat}
	if traceFormat != "pcap" {
		ft, err := reporter.ParseFormat(traceFormat)
		if err != nil {
			t.Fatal(err)
		}
		sink.NewReport = func(w io.Writer) reporter.Writer { return reporter.NewWriter(w, ft) }
	}
	out := filepath.Join(dir, "report")
	var verbose bytes.Buffer
	o := ExtractOptions{Input: in, Output: out, Format: rf, Engine: engine, Files: perFrame, Verbose: &verbose}
	withReassemblyAndTrace(&o)
	o.Trace.Sink = sink
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	_, err := Extract(ctx, o)
	elapsed := time.Since(start)
	if cerr := sink.Close(); err == nil {
		err = cerr
	}
	run := filesRun{flows: readTree(t, flowDir), err: err, verbose: verbose.String(), elapsedFlow: elapsed}
	if perFrame {
		run.frames = readTree(t, out)
	} else {
		run.report, _ = os.ReadFile(out)
	}
	return run
}

func compareTrees(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		g, ok := got[n]
		switch {
		case !ok:
			t.Errorf("%s: %s missing", what, n)
		case !bytes.Equal(g, want[n]):
			t.Errorf("%s: %s differs from inline (%d vs %d bytes) at byte %d", what, n, len(g), len(want[n]), firstDiff(g, want[n]))
		}
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			t.Errorf("%s: %s not written by inline", what, n)
		}
	}
	if len(want) == 0 {
		t.Errorf("%s: inline wrote no files", what)
	}
}

// compareFiles checks that engine writes the per-flow files of in, in
// trace formats, and its per-frame files, as the inline engine does.
//
// Every format runs on the fragment captures (where a file's frames are
// not its flow's frame list); the others take one format each, in turn,
// and the last (the largest: thousands of per-frame files in json) pcap,
// which keeps the race-detector run of the package within CI's budget.
func compareFiles(t *testing.T, engine string, ins []string) {
	for k, in := range ins {
		name := filepath.Base(in)
		all := strings.Contains(name, "frag")
		one := k % 4
		if k == len(ins)-1 {
			one = 0
		}
		for i, tf := range []string{"pcap", "json", "plist", "tree"} {
			if !all && i != one {
				continue
			}
			rf := []reporter.Format{reporter.JSON, reporter.Plist, reporter.Text}[i%3]
			perFrame := i == 1
			t.Run(name+"/"+tf, func(t *testing.T) {
				want := runFiles(t, EngineInline, in, tf, perFrame, rf)
				got := runFiles(t, engine, in, tf, perFrame, rf)
				if errString(got.err) != errString(want.err) {
					t.Fatalf("error %q, inline %q", errString(got.err), errString(want.err))
				}
				compareTrees(t, "per-flow files", got.flows, want.flows)
				if perFrame {
					compareTrees(t, "per-frame files", got.frames, want.frames)
				} else if !bytes.Equal(got.report, want.report) {
					t.Errorf("report differs from inline at byte %d", firstDiff(got.report, want.report))
				}
				if got.verbose != want.verbose {
					t.Errorf("verbose listing differs")
				}
				t.Logf("%d per-flow files; %s %v, inline %v", len(want.flows), tf, got.elapsedFlow.Round(time.Millisecond), want.elapsedFlow.Round(time.Millisecond))
			})
		}
	}
}

func TestEmbeddedEngineFlowFiles(t *testing.T) {
	ins := append(flowFileCaptures(t), genCapture(t, t.TempDir(), 3000, 7, false))
	compareFiles(t, EngineEmbedded, ins)
}

// TestExternalEngineFlowFiles runs the same comparison against a
// deployment of separate processes (several tracer partitions' owners).
func TestExternalEngineFlowFiles(t *testing.T) {
	d := startDeployment(t, 2, 1, 2, 1)
	defer func() {
		if t.Failed() {
			d.dumpLogs()
		}
	}()
	ins := flowFileCaptures(t)
	var some []string
	for _, in := range ins {
		b := filepath.Base(in)
		if strings.Contains(b, "frag") || b == "mixed.pcapng" || b == "sample.pcap" || b == "dpkt__http.pcap" {
			some = append(some, in)
		}
	}
	compareFiles(t, d.url, some)
}
