package services

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest/ingesttest"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/tracer"
)

// corpusDir returns the corpus captures (raw/).
func corpusDir(t testing.TB) string {
	return filepath.Join(ingesttest.CorpusDir(t), "raw")
}

// genCapture writes a generated capture of n frames into dir.
func genCapture(t testing.TB, dir string, n int, seed int64, pcapng bool) string {
	t.Helper()
	ext := ".pcap"
	if pcapng {
		ext = ".pcapng"
	}
	p := filepath.Join(dir, "gen"+ext)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := craft.Generate(w, craft.GenerateOptions{Seed: seed, Frames: n, PcapNG: pcapng, MaxBody: 3000}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

type engineRun struct {
	out   []byte
	stats Stats
	err   error
	verb  string
}

func runEngine(t testing.TB, engine, in string, format reporter.Format, dec decoder.Options, mods ...func(*ExtractOptions)) engineRun {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report")
	var verbose bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o := ExtractOptions{Input: in, Output: out, Format: format, Engine: engine, Decode: dec, Verbose: &verbose}
	for _, m := range mods {
		m(&o)
	}
	st, err := Extract(ctx, o)
	b, _ := os.ReadFile(out)
	return engineRun{out: b, stats: st, err: err, verb: verbose.String()}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// compareEngines runs the inline engine and engine over in and fails on
// any difference in the report bytes, the error or the counts.
func compareEngines(t *testing.T, engine, in string, format reporter.Format, dec decoder.Options, mods ...func(*ExtractOptions)) {
	t.Helper()
	want := runEngine(t, EngineInline, in, format, dec, mods...)
	got := runEngine(t, engine, in, format, dec, mods...)
	if errString(got.err) != errString(want.err) {
		t.Fatalf("%s: error %q, inline %q", filepath.Base(in), errString(got.err), errString(want.err))
	}
	if !bytes.Equal(got.out, want.out) {
		t.Fatalf("%s: %s report differs from inline (%d vs %d bytes) at byte %d", filepath.Base(in), format, len(got.out), len(want.out), firstDiff(got.out, want.out))
	}
	if got.verb != want.verb {
		t.Errorf("%s: verbose listing differs", filepath.Base(in))
	}
	if got.stats.Frames != want.stats.Frames || got.stats.Bytes != want.stats.Bytes || got.stats.DecodeErrors != want.stats.DecodeErrors {
		t.Errorf("%s: stats %+v, inline %+v", filepath.Base(in), got.stats, want.stats)
	}
}

func firstDiff(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestEmbeddedEngineEquivalence(t *testing.T) {
	dir := t.TempDir()
	ins := []string{genCapture(t, dir, 3000, 7, false)}
	ng := filepath.Join(dir, "ng")
	os.Mkdir(ng, 0o755)
	ins = append(ins, genCapture(t, ng, 1500, 8, true))
	// HTTP/2 frames with decoded headers, and TLS records, in the analysis records.
	ins = append(ins, "../testdata/h2c.pcap", "../testdata/h2c-hpack.pcap", "../testdata/tls.pcap")
	if d := corpusDir(t); d != "" {
		es, _ := os.ReadDir(d)
		for i, e := range es {
			// Every corpus file in the full run; a spread of them in -short.
			if testing.Short() && i%6 != 0 {
				continue
			}
			ins = append(ins, filepath.Join(d, e.Name()))
		}
	}
	formats := []reporter.Format{reporter.JSON, reporter.Plist, reporter.Text}
	for i, in := range ins {
		in := in
		f := formats[i%len(formats)]
		if i < 2 {
			for _, f := range formats {
				t.Run(filepath.Base(in)+"/"+f.String(), func(t *testing.T) { compareEngines(t, EngineEmbedded, in, f, decoder.Options{}) })
			}
			continue
		}
		t.Run(filepath.Base(in)+"/"+f.String(), func(t *testing.T) { compareEngines(t, EngineEmbedded, in, f, decoder.Options{}) })
	}
	t.Run("thresholds", func(t *testing.T) {
		compareEngines(t, EngineEmbedded, ins[0], reporter.JSON, decoder.Options{Layer: decoder.LevelInternet})
		compareEngines(t, EngineEmbedded, ins[0], reporter.Text, decoder.Options{Protocol: decoder.ProtoTCP})
	})
	t.Run("reassembly-and-trace", func(t *testing.T) {
		withAll := func(o *ExtractOptions) {
			o.Reassembly = reassembler.Config{IPv4: true, IPv6: true, TCP: true, Strict: true, Analyse: true}
			o.Trace = &tracer.Config{}
		}
		for _, in := range ins {
			if !strings.Contains(in, "frag") && !strings.Contains(in, "http") && !strings.Contains(in, "gen") && !strings.Contains(in, "h2c") && !strings.Contains(in, "tls") {
				continue
			}
			t.Run(filepath.Base(in), func(t *testing.T) { compareEngines(t, EngineEmbedded, in, reporter.JSON, decoder.Options{}, withAll) })
		}
		tcpOnly := func(o *ExtractOptions) { o.Reassembly = reassembler.Config{TCP: true} }
		compareEngines(t, EngineEmbedded, ins[0], reporter.Text, decoder.Options{}, tcpOnly)
	})
	t.Run("not-a-capture", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "x.pcap")
		os.WriteFile(p, []byte(strings.Repeat("not a capture ", 10)), 0o644)
		got := runEngine(t, EngineEmbedded, p, reporter.JSON, decoder.Options{})
		if got.err == nil {
			t.Fatal("no error for a file that is not a capture")
		}
		want := runEngine(t, EngineInline, p, reporter.JSON, decoder.Options{})
		if got.err.Error() != want.err.Error() {
			t.Errorf("error %q, inline %q", got.err, want.err)
		}
	})
	_ = runtime.NumGoroutine
}

// TestEmbeddedEngineLongCapture runs the embedded engine over a capture
// several times the size limit of its streams (embeddedStreamBytes), so
// that the server discards consumed messages while the run goes on: the
// report must still equal the inline engine's, with and without the
// stateful stages.
func TestEmbeddedEngineLongCapture(t *testing.T) {
	if testing.Short() {
		t.Skip("long capture")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "long.pcap")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := craft.Generate(w, craft.GenerateOptions{Seed: 3, Frames: 120_000}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	f.Close()
	fi, _ := os.Stat(in)
	if limit := embeddedStreamBytes(0); fi.Size() < 2*limit {
		t.Fatalf("capture of %d bytes does not exceed twice the stream limit %d", fi.Size(), limit)
	}
	digest := func(engine string, mods ...func(*ExtractOptions)) (string, Stats) {
		out := filepath.Join(t.TempDir(), "report.txt")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		o := ExtractOptions{Input: in, Output: out, Format: reporter.Text, Engine: engine}
		for _, m := range mods {
			m(&o)
		}
		st, err := Extract(ctx, o)
		if err != nil {
			t.Fatalf("%s: %v", engine, err)
		}
		fh, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		h := sha256.New()
		if _, err := io.Copy(h, fh); err != nil {
			t.Fatal(err)
		}
		os.Remove(out)
		return hex.EncodeToString(h.Sum(nil)), st
	}
	tcp := func(o *ExtractOptions) { o.Reassembly = reassembler.Config{TCP: true} }
	for name, mods := range map[string][]func(*ExtractOptions){"stateless": nil, "tcp-reassembly": {tcp}} {
		t.Run(name, func(t *testing.T) {
			want, wst := digest(EngineInline, mods...)
			got, gst := digest(EngineEmbedded, mods...)
			if got != want || gst.Frames != wst.Frames || gst.Frames != 120_000 {
				t.Fatalf("embedded report %s (%d frames), inline %s (%d frames)", got, gst.Frames, want, wst.Frames)
			}
		})
	}
}

// TestEmbeddedEngineStall: a run that cannot finish (here streams far too
// small for what is in flight, so that the server discards messages no
// stage has read) ends with the watchdog's error instead of hanging.
func TestEmbeddedEngineStall(t *testing.T) {
	oldLimit, oldStall := embeddedLimit, embeddedStall
	embeddedLimit = func(uint32) int64 { return 32 << 10 }
	embeddedStall = 2 * time.Second
	defer func() { embeddedLimit, embeddedStall = oldLimit, oldStall }()
	in := filepath.Join(t.TempDir(), "in.pcap")
	if err := os.WriteFile(in, generated(t, 20000, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	_, err := Extract(ctx, ExtractOptions{Input: in, Output: "-", Stdout: io.Discard, Engine: EngineEmbedded})
	if err == nil || !strings.Contains(err.Error(), "has not moved") {
		t.Fatalf("error %v after %v, want the watchdog's", err, time.Since(start))
	}
	t.Logf("%v after %v", err, time.Since(start))
}
