package services

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/reporter/reportertest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// sampleFrames builds a handful of frames covering the common stacks, a
// frame whose IPv4 header is cut (a decode error), and an unknown
// EtherType.
func sampleFrames(tb testing.TB) [][]byte {
	tb.Helper()
	a := craft.MustMAC("02:00:00:00:00:01")
	b := craft.MustMAC("02:00:00:00:00:02")
	v4a, v4b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.7")
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::53")
	must := func(f []byte, err error) []byte {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return f
	}
	frames := [][]byte{
		must(craft.Build(&craft.Ethernet{Src: a, Dst: b},
			&craft.IPv4{ID: 1, DF: true, TTL: 64, Src: v4a, Dst: v4b},
			&craft.TCP{SrcPort: 40000, DstPort: 80, Seq: 1000, Flags: craft.SYN, Window: 64240,
				Options: []craft.TCPOption{craft.TCPMSS(1460), craft.TCPSACKPermitted(), craft.TCPWindowScale(7)}})),
		must(craft.Build(&craft.Ethernet{Src: a, Dst: b},
			&craft.IPv4{ID: 2, DF: true, TTL: 64, Src: v4a, Dst: v4b},
			&craft.TCP{SrcPort: 40000, DstPort: 80, Seq: 1001, Ack: 5001, Flags: craft.ACK | craft.PSH, Window: 502},
			&craft.HTTPRequest{Method: "GET", URI: "/index.html", Header: []craft.HTTPHeader{{Name: "Host", Value: "example.com"}}})),
		must(craft.Build(&craft.Ethernet{Src: b, Dst: a},
			&craft.VLAN{ID: 42},
			&craft.IPv6{HopLimit: 64, Src: v6a, Dst: v6b},
			&craft.UDP{SrcPort: 53000, DstPort: 53},
			&craft.DNS{ID: 0x1234, RecursionDesired: true, Questions: []craft.DNSQuestion{{Name: "example.com", Type: 28}}})),
		must(craft.Build(&craft.Ethernet{Src: a, Dst: craft.MustMAC("ff:ff:ff:ff:ff:ff"), Pad: true},
			&craft.ARP{Op: 1, SenderMAC: a, SenderIP: v4a, TargetIP: v4b})),
		must(craft.Build(&craft.Ethernet{Src: a, Dst: b},
			&craft.IPv4{ID: 3, TTL: 1, Src: v4a, Dst: v4b},
			&craft.ICMP{Type: 8, ID: 7, Seq: 1}, craft.Payload("ping"))),
	}
	// An IPv4 header cut after 10 bytes.
	cut := must(craft.Build(&craft.Ethernet{Src: a, Dst: b}, &craft.IPv4{ID: 4, TTL: 64, Protocol: 253, Src: v4a, Dst: v4b}, craft.Payload("xxxx")))
	frames = append(frames, cut[:14+10])
	// An EtherType nobody decodes.
	frames = append(frames, must(craft.Build(&craft.Ethernet{Src: a, Dst: b, Type: 0x88b5}, craft.Payload("local experimental"))))
	return frames
}

// writeSample writes the sample frames as a microsecond pcap and returns
// its bytes.
func writeSample(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := ingest.NewPcapWriter(&buf, ingest.PcapWriterOptions{LinkType: ingest.LinkEthernet})
	if err != nil {
		tb.Fatal(err)
	}
	for i, f := range sampleFrames(tb) {
		if err := w.WritePacket(1700000000+int64(i), uint32(i)*123456000, uint32(len(f)), f); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}

// sampleFile writes the sample capture into dir and returns its path.
func sampleFile(tb testing.TB, dir string) string {
	tb.Helper()
	p := filepath.Join(dir, "sample.pcap")
	if err := os.WriteFile(p, writeSample(tb), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

var allFormats = []reporter.Format{reporter.JSON, reporter.Plist, reporter.Text}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (check, then go test -update):\n%s", name, lineDiff(want, got))
	}
}

func lineDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "first difference at line " + itoa(uint64(i+1)) + ":\n-want " + w + "\n+got  " + g
		}
	}
	return "(same lines)"
}

func itoa(v uint64) string { return string(reporter.FrameName(nil, v)[len("Frame "):]) }

// extractTo runs Extract on in and returns the report written to stdout.
func extractTo(t *testing.T, in string, f reporter.Format, mod func(*ExtractOptions)) ([]byte, Stats, error) {
	t.Helper()
	var out bytes.Buffer
	o := ExtractOptions{Input: in, Output: "-", Format: f, Stdout: &out}
	if mod != nil {
		mod(&o)
	}
	st, err := Extract(context.Background(), o)
	return out.Bytes(), st, err
}

func TestExtractGolden(t *testing.T) {
	in := sampleFile(t, t.TempDir())
	docs := map[reporter.Format][]byte{}
	for _, f := range allFormats {
		doc, st, err := extractTo(t, in, f, nil)
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		if st.Frames != 7 || st.DecodeErrors != 1 {
			t.Errorf("%v: stats %+v, want 7 frames and 1 decode error", f, st)
		}
		golden(t, "sample"+f.Ext(), doc)
		docs[f] = doc
	}
	if err := reportertest.SameFacts(docs[reporter.JSON], docs[reporter.Plist]); err != nil {
		t.Error(err)
	}
	if err := reportertest.TextSameFacts(docs[reporter.Text], docs[reporter.JSON]); err != nil {
		t.Error(err)
	}
	keys, err := reportertest.Keys(docs[reporter.JSON])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Global Header", "Frame 1", "Frame 2", "Frame 3", "Frame 4", "Frame 5", "Frame 6", "Frame 7"}
	if strings.Join(keys, "|") != strings.Join(want, "|") {
		t.Errorf("JSON blocks %q, want %q", keys, want)
	}
	if got := reportertest.TextBlocks(docs[reporter.Text]); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("text blocks %q, want %q", got, want)
	}
}

// TestExtractReportContents checks the frame block layout against values
// known from how the sample was built.
func TestExtractReportContents(t *testing.T) {
	in := sampleFile(t, t.TempDir())
	doc, _, err := extractTo(t, in, reporter.JSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := reportertest.ParseJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	gh := v["Global Header"].(map[string]any)
	if got := gh["network"]; got != "ETHERNET [1]" {
		t.Errorf("network %v", got)
	}
	if got := gh["magic_number"].(map[string]any)["data"]; got != "d4c3b2a1" {
		t.Errorf("magic %v", got)
	}
	f2 := v["Frame 2"].(map[string]any)
	fi := f2["frame_info"].(map[string]any)
	for k, want := range map[string]string{"ts_sec": "1700000001", "ts_usec": "123456", "incl_len": itoa(uint64(len(sampleFrames(t)[1])))} {
		if got := fi[k]; got == nil || got.(interface{ String() string }).String() != want {
			t.Errorf("frame_info.%s = %v, want %s", k, got, want)
		}
	}
	for k, want := range map[string]string{
		"time":       "2023-11-14T22:13:21.123456Z",
		"time_epoch": "1700000001.123456",
		"protocols":  "Ethernet:IPv4:TCP:HTTP",
	} {
		if got := f2[k]; got != want {
			t.Errorf("%s = %v, want %s", k, got, want)
		}
	}
	eth := f2["ethernet"].(map[string]any)
	ip := eth["ipv4"].(map[string]any)
	if ip["src"] != "192.0.2.1" || ip["dst"] != "198.51.100.7" {
		t.Errorf("ipv4 addresses %v %v", ip["src"], ip["dst"])
	}
	if _, ok := ip["tcp"].(map[string]any)["http"]; !ok {
		t.Error("http not nested in tcp")
	}
	f6 := v["Frame 6"].(map[string]any)
	if f6["protocols"] != "Ethernet:IPv4" {
		t.Errorf("cut frame chain %v", f6["protocols"])
	}
	e := f6["ethernet"].(map[string]any)["ipv4"].(map[string]any)["error"].(map[string]any)
	if e["layer"] != "ipv4" || e["offset"].(interface{ String() string }).String() != "14" || !strings.Contains(e["reason"].(string), "truncated") {
		t.Errorf("decode error entry %v", e)
	}
	if got := v["Frame 7"].(map[string]any)["protocols"]; got != "Ethernet" {
		t.Errorf("unknown EtherType chain %v", got)
	}
}

func TestExtractFiles(t *testing.T) {
	dir := t.TempDir()
	in := sampleFile(t, dir)
	for _, f := range allFormats {
		outDir := filepath.Join(dir, "frames-"+f.String())
		st, err := Extract(context.Background(), ExtractOptions{Input: in, Output: outDir, Format: f, Files: true})
		if err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(outDir)
		if err != nil {
			t.Fatal(err)
		}
		if uint64(len(entries)) != st.Frames {
			t.Fatalf("%v: %d files for %d frames", f, len(entries), st.Frames)
		}
		// Each file is the header block plus that frame, byte for byte the
		// document a one-frame capture gives.
		full, _, err := extractTo(t, in, reporter.JSON, nil)
		if err != nil {
			t.Fatal(err)
		}
		all, _ := reportertest.ParseJSON(full)
		for i := uint64(1); i <= st.Frames; i++ {
			name := "Frame " + itoa(i) + f.Ext()
			doc, err := os.ReadFile(filepath.Join(outDir, name))
			if err != nil {
				t.Fatalf("%v: %v", f, err)
			}
			switch f {
			case reporter.JSON:
				one, err := reportertest.ParseJSON(doc)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(one) != 2 || one["Global Header"] == nil || one["Frame "+itoa(i)] == nil {
					t.Errorf("%s: blocks %v", name, keysOf(one))
				}
				if !jsonEqual(one["Frame "+itoa(i)], all["Frame "+itoa(i)]) {
					t.Errorf("%s: frame differs from the single-document report", name)
				}
			case reporter.Plist:
				one, err := reportertest.ParsePlist(doc)
				if err != nil || len(one) != 2 {
					t.Errorf("%s: %v, %d blocks", name, err, len(one))
				}
			case reporter.Text:
				if got := reportertest.TextBlocks(doc); len(got) != 2 || got[1] != "Frame "+itoa(i) {
					t.Errorf("%s: blocks %q", name, got)
				}
			}
		}
	}
}

func keysOf(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	return k
}

func jsonEqual(a, b any) bool {
	var x, y bytes.Buffer
	encodeSorted(&x, a)
	encodeSorted(&y, b)
	return x.String() == y.String()
}

// encodeSorted writes a parsed JSON value in a canonical form.
func encodeSorted(w *bytes.Buffer, v any) {
	switch v := v.(type) {
	case map[string]any:
		w.WriteByte('{')
		for _, k := range sortedKeys(v) {
			w.WriteString(k)
			w.WriteByte(':')
			encodeSorted(w, v[k])
			w.WriteByte(',')
		}
		w.WriteByte('}')
	case []any:
		w.WriteByte('[')
		for _, x := range v {
			encodeSorted(w, x)
			w.WriteByte(',')
		}
		w.WriteByte(']')
	default:
		w.WriteString(strings.TrimSpace(strings.ReplaceAll(fmtAny(v), "\n", " ")))
	}
}

func sortedKeys(m map[string]any) []string {
	k := keysOf(m)
	for i := 1; i < len(k); i++ {
		for j := i; j > 0 && k[j] < k[j-1]; j-- {
			k[j], k[j-1] = k[j-1], k[j]
		}
	}
	return k
}

func fmtAny(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "\"" + v + "\""
	case bool:
		if v {
			return "true"
		}
		return "false"
	case interface{ String() string }:
		return v.String()
	}
	return "?"
}

// TestExtractTruncated cuts the sample capture inside its last record:
// the report must hold every whole frame and be a complete document, and
// the error must say where the capture was cut.
func TestExtractTruncated(t *testing.T) {
	dir := t.TempDir()
	data := writeSample(t)
	last := sampleFrames(t)[6]
	cut := filepath.Join(dir, "cut.pcap")
	if err := os.WriteFile(cut, data[:len(data)-len(last)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range allFormats {
		out := filepath.Join(dir, "cut"+f.Ext())
		st, err := Extract(context.Background(), ExtractOptions{Input: cut, Output: out, Format: f})
		var ie *ingest.Error
		if !errors.As(err, &ie) || !errors.Is(err, ingest.ErrTruncated) || ie.Frame != 7 {
			t.Fatalf("%v: error %v, want a truncation error at frame 7", f, err)
		}
		if !strings.Contains(err.Error(), cut) {
			t.Errorf("error %q does not name the file", err)
		}
		if st.Frames != 6 {
			t.Errorf("%v: %d frames, want 6", f, st.Frames)
		}
		doc, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		switch f {
		case reporter.JSON:
			v, err := reportertest.ParseJSON(doc)
			if err != nil || len(v) != 7 {
				t.Errorf("JSON report: %v, %d blocks", err, len(v))
			}
		case reporter.Plist:
			v, err := reportertest.ParsePlist(doc)
			if err != nil || len(v) != 7 {
				t.Errorf("plist report: %v, %d blocks", err, len(v))
			}
		case reporter.Text:
			if n := len(reportertest.TextBlocks(doc)); n != 7 {
				t.Errorf("text report: %d blocks", n)
			}
		}
	}
}

func TestExtractNotCapture(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "notes.txt")
	os.WriteFile(in, []byte("these are not packets, just words\n"), 0o644)
	out := filepath.Join(dir, "out.json")
	_, err := Extract(context.Background(), ExtractOptions{Input: in, Output: out})
	if !errors.Is(err, ingest.ErrNotCapture) || !strings.Contains(err.Error(), in) {
		t.Fatalf("error %v, want ErrNotCapture naming the file", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a report was created for a non-capture: %v", err)
	}
	_, err = Extract(context.Background(), ExtractOptions{Input: filepath.Join(dir, "missing.pcap"), Output: out})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing input: %v", err)
	}
}

func TestExtractValidate(t *testing.T) {
	dir := t.TempDir()
	in := sampleFile(t, dir)
	for _, c := range []struct {
		o    ExtractOptions
		want string
	}{
		{ExtractOptions{Output: "x"}, "no input"},
		{ExtractOptions{Input: in}, "no output"},
		{ExtractOptions{Input: in, Output: "-", Files: true}, "need a folder"},
		{ExtractOptions{Input: in, Output: "x", Format: 9}, "unknown report format"},
		{ExtractOptions{Input: in, Output: in}, "overwrite the input"},
		{ExtractOptions{Input: in, Output: "x", Engine: "warp://localhost:1"}, `engine "warp://localhost:1" is not available in this build`},
	} {
		_, err := Extract(context.Background(), c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.o, err, c.want)
		}
	}
	o := ExtractOptions{Input: in, Output: "x", Engine: "inline"}
	if err := o.Validate(); err != nil || o.Format != reporter.JSON {
		t.Errorf("Validate: %v, format %v", err, o.Format)
	}
}

func TestExtractStdinVerbose(t *testing.T) {
	var out, verbose bytes.Buffer
	st, err := Extract(context.Background(), ExtractOptions{
		Input: "-", Stdin: bytes.NewReader(writeSample(t)),
		Output: "-", Stdout: &out, Format: reporter.Text, Verbose: &verbose,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "Frame   1: Ethernet:IPv4:TCP\n" +
		"Frame   2: Ethernet:IPv4:TCP:HTTP\n" +
		"Frame   3: Ethernet:VLAN:IPv6:UDP:DNS\n" +
		"Frame   4: Ethernet:ARP\n" +
		"Frame   5: Ethernet:IPv4:ICMP\n" +
		"Frame   6: Ethernet:IPv4\n" +
		"Frame   7: Ethernet\n"
	if verbose.String() != want {
		t.Errorf("verbose:\n%s\nwant:\n%s", verbose.String(), want)
	}
	if st.Frames != 7 || !strings.HasPrefix(out.String(), "Global Header\n") {
		t.Errorf("stats %+v, report starts %q", st, out.String()[:min(out.Len(), 40)])
	}
}

func TestExtractThresholds(t *testing.T) {
	in := sampleFile(t, t.TempDir())
	for _, c := range []struct {
		opt  decoder.Options
		want string // chain of frame 2
	}{
		{decoder.Options{Layer: decoder.LevelLink}, "Ethernet"},
		{decoder.Options{Layer: decoder.LevelInternet}, "Ethernet:IPv4"},
		{decoder.Options{Layer: decoder.LevelTransport}, "Ethernet:IPv4:TCP"},
		{decoder.Options{Protocol: decoder.ProtoIPv4}, "Ethernet:IPv4"},
	} {
		var verbose bytes.Buffer
		_, _, err := extractTo(t, in, reporter.JSON, func(o *ExtractOptions) { o.Decode = c.opt; o.Verbose = &verbose })
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(verbose.String(), "\n")
		if got := strings.TrimPrefix(lines[1], "Frame   2: "); got != c.want {
			t.Errorf("%+v: frame 2 chain %q, want %q", c.opt, got, c.want)
		}
	}
}

func TestExtractCancel(t *testing.T) {
	in := sampleFile(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	_, err := Extract(ctx, ExtractOptions{Input: in, Output: "-", Stdout: &out})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
	if _, err := reportertest.ParseJSON(out.Bytes()); err != nil {
		t.Errorf("cancelled report is not a complete document: %v", err)
	}
}

func TestFrames(t *testing.T) {
	dir := t.TempDir()
	in := sampleFile(t, dir)
	var chains []string
	for d, err := range Frames(in, decoder.Options{}) {
		if err != nil {
			t.Fatal(err)
		}
		chains = append(chains, d.Chain())
		if d.Tree().Lookup("number").Num != d.Frame.Index {
			t.Errorf("frame %d: tree number mismatch", d.Frame.Index)
		}
	}
	if len(chains) != 7 || chains[2] != "Ethernet:VLAN:IPv6:UDP:DNS" {
		t.Errorf("chains %q", chains)
	}
	// Stopping early is allowed.
	n := 0
	for range Frames(in, decoder.Options{}) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("break: %d iterations", n)
	}
	// A missing file and a cut capture end with an error.
	for _, err := range Frames(filepath.Join(dir, "missing"), decoder.Options{}) {
		if err == nil {
			t.Error("missing file: no error")
		}
	}
	data := writeSample(t)
	cut := filepath.Join(dir, "cut.pcap")
	os.WriteFile(cut, data[:len(data)-3], 0o644)
	frames, errs := 0, 0
	for d, err := range Frames(cut, decoder.Options{}) {
		if err != nil {
			errs++
			if !errors.Is(err, ingest.ErrTruncated) {
				t.Errorf("cut capture: %v", err)
			}
			continue
		}
		frames++
		_ = d
	}
	if frames != 6 || errs != 1 {
		t.Errorf("cut capture: %d frames, %d errors", frames, errs)
	}
}

// generated writes a deterministic synthetic capture of n frames.
func generated(tb testing.TB, n int, traffic craft.Traffic) []byte {
	tb.Helper()
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	if err := craft.Generate(bw, craft.GenerateOptions{Seed: 1, Frames: n, Traffic: traffic}); err != nil {
		tb.Fatal(err)
	}
	bw.Flush()
	return buf.Bytes()
}

// TestExtractGeneratedValid extracts a generated capture with every kind
// of traffic in the three formats and checks validity and equal facts.
func TestExtractGeneratedValid(t *testing.T) {
	capture := generated(t, 3000, 0)
	docs := map[reporter.Format][]byte{}
	for _, f := range allFormats {
		var out bytes.Buffer
		st, err := Extract(context.Background(), ExtractOptions{Input: "-", Stdin: bytes.NewReader(capture), Output: "-", Stdout: &out, Format: f})
		if err != nil {
			t.Fatal(err)
		}
		if st.Frames != 3000 {
			t.Fatalf("%d frames", st.Frames)
		}
		docs[f] = out.Bytes()
	}
	if err := reportertest.SameFacts(docs[reporter.JSON], docs[reporter.Plist]); err != nil {
		t.Error(err)
	}
	if err := reportertest.TextSameFacts(docs[reporter.Text], docs[reporter.JSON]); err != nil {
		t.Error(err)
	}
}

// TestExtractAllocs checks that the inline engine allocates nothing per
// frame: extracting 10 times more frames costs no more allocations. HTTP
// and DNS are left out: their field builders allocate strings (header
// values, domain names), which is the decoder's business.
func TestExtractAllocs(t *testing.T) {
	traffic := craft.TrafficUDP | craft.TrafficICMP | craft.TrafficARP | craft.TrafficFragments
	small, large := generated(t, 500, traffic), generated(t, 5000, traffic)
	run := func(c []byte) float64 {
		return testing.AllocsPerRun(3, func() {
			st, err := Extract(context.Background(), ExtractOptions{Input: "-", Stdin: bytes.NewReader(c), Output: "-", Stdout: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			if st.DecodeErrors != 0 {
				t.Fatalf("%d decode errors in generated traffic", st.DecodeErrors)
			}
		})
	}
	a, b := run(small), run(large)
	if perFrame := (b - a) / 4500; perFrame > 0.01 {
		t.Errorf("%.0f allocations for 500 frames, %.0f for 5000: %.3f per frame, want 0", a, b, perFrame)
	}
}

// lineHook is a Verbose writer that samples the heap as the extraction
// goes (it receives the buffered verbose lines in 4 KiB chunks).
type lineHook struct {
	calls   int
	samples []uint64
}

func (h *lineHook) Write(p []byte) (int, error) {
	h.calls++
	if h.calls%100 == 0 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		h.samples = append(h.samples, ms.HeapInuse)
	}
	return len(p), nil
}

// repeatCapture streams a pcap whose records are those of capture
// repeated n times: a long capture in constant memory.
func repeatCapture(capture []byte, n int) io.Reader {
	rs := []io.Reader{bytes.NewReader(capture[:24])}
	for i := 0; i < n; i++ {
		rs = append(rs, bytes.NewReader(capture[24:]))
	}
	return io.MultiReader(rs...)
}

// TestExtractStreamingMemory renders 200k frames into io.Discard and
// checks that the heap stays flat.
func TestExtractStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("200k frames")
	}
	const base, repeat = 5000, 40
	capture := generated(t, base, 0)
	hook := &lineHook{}
	hook.samples = make([]uint64, 0, 64)
	st, err := Extract(context.Background(), ExtractOptions{Input: "-", Stdin: repeatCapture(capture, repeat),
		Output: "-", Stdout: io.Discard, Verbose: hook})
	if err != nil {
		t.Fatal(err)
	}
	if st.Frames != base*repeat {
		t.Fatalf("%d frames", st.Frames)
	}
	if len(hook.samples) < 10 {
		t.Fatalf("only %d heap samples", len(hook.samples))
	}
	// Skip the first samples (buffers reach their working size while the
	// first frames go through).
	first, peak := hook.samples[2], uint64(0)
	for _, s := range hook.samples[2:] {
		peak = max(peak, s)
	}
	t.Logf("heap in use: %d KiB after the first frames, peak %d KiB over %d samples", first>>10, peak>>10, len(hook.samples))
	if peak > first+1<<20 {
		t.Errorf("heap grew from %d KiB to %d KiB while streaming: %v", first>>10, peak>>10, hook.samples)
	}
}

func BenchmarkExtractJSON(b *testing.B) {
	capture := generated(b, 20000, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(capture)))
	b.ResetTimer()
	var frames uint64
	for i := 0; i < b.N; i++ {
		st, err := Extract(context.Background(), ExtractOptions{Input: "-", Stdin: bytes.NewReader(capture), Output: "-", Stdout: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		frames += st.Frames
	}
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
}

// TestExtractCorpus extracts every capture of the shared conformance
// corpus in the three formats: every report must be a valid document (JSON
// by encoding/json, plist by howett.net/plist) with the same facts in the
// three formats, whether the capture reads to its end or fails part way.
func TestExtractCorpus(t *testing.T) {
	raw := filepath.Join("..", "..", "shared", "corpus", "raw")
	entries, err := os.ReadDir(raw)
	if err != nil {
		t.Skipf("corpus not present: %v", err)
	}
	var files, frames, readErrors int
	for _, e := range entries {
		in := filepath.Join(raw, e.Name())
		docs := map[reporter.Format][]byte{}
		var st Stats
		var rerr error
		for _, f := range allFormats {
			var out bytes.Buffer
			st, rerr = Extract(context.Background(), ExtractOptions{Input: in, Output: "-", Stdout: &out, Format: f})
			var ie *ingest.Error
			if rerr != nil && !errors.As(rerr, &ie) {
				t.Errorf("%s: %v is not an *ingest.Error", e.Name(), rerr)
			}
			docs[f] = out.Bytes()
		}
		if rerr != nil && st.Frames == 0 && len(docs[reporter.JSON]) == 0 {
			readErrors++
			continue // not a capture at all: nothing written, as it should be
		}
		if rerr != nil {
			readErrors++
		}
		files++
		frames += int(st.Frames)
		if err := reportertest.SameFacts(docs[reporter.JSON], docs[reporter.Plist]); err != nil {
			t.Errorf("%s: %v", e.Name(), err)
		}
		if err := reportertest.TextSameFacts(docs[reporter.Text], docs[reporter.JSON]); err != nil {
			t.Errorf("%s: text: %v", e.Name(), err)
		}
	}
	t.Logf("%d captures, %d frames reported, %d with read errors", files, frames, readErrors)
	if files == 0 {
		t.Error("no capture extracted")
	}
}

func TestProgress(t *testing.T) {
	r, err := ingest.NewReader(bytes.NewReader(writeSample(t)), "-", ingest.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	p := newProgress(&buf, r)
	st := Stats{Frames: 64}
	p.tick(&st) // too soon after the start
	if buf.Len() != 0 {
		t.Errorf("progress drawn before %v: %q", progressEvery, buf.String())
	}
	p.last = p.last.Add(-time.Second)
	st.Frames = 65
	p.tick(&st) // the clock is read every 64 frames only
	if buf.Len() != 0 {
		t.Errorf("progress drawn off a 64-frame boundary: %q", buf.String())
	}
	st.Frames = 128
	p.tick(&st)
	if got := buf.String(); !strings.HasPrefix(got, "\r128 frames, ") || !strings.Contains(got, "frames/s") || !strings.HasSuffix(got, "/s\x1b[K") {
		t.Errorf("progress line %q", got)
	}
	buf.Reset()
	p.done()
	if buf.String() != "\r\x1b[K" {
		t.Errorf("progress not cleared: %q", buf.String())
	}
	var none *progress = newProgress(nil, r)
	none.tick(&st) // no progress writer: a no-op
	none.done()
}

func TestAppendSize(t *testing.T) {
	for n, want := range map[float64]string{0: "0.0 B", 1536: "1.5 KiB", 3 << 20: "3.0 MiB", 5 << 40: "5.0 TiB"} {
		if got := string(appendSize(nil, n)); got != want {
			t.Errorf("appendSize(%v) = %q, want %q", n, got, want)
		}
	}
}

// TestExtractTestdata extracts the project's own captures (testdata/, made
// by decoder/craft) in the three formats: valid documents, same facts, no
// decode error, and for the pcapng file a header listing its interfaces.
func TestExtractTestdata(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "*.pcap*"))
	if len(files) == 0 {
		t.Skip("no captures in ../testdata yet")
	}
	for _, in := range files {
		docs := map[reporter.Format][]byte{}
		for _, f := range allFormats {
			doc, st, err := extractTo(t, in, f, nil)
			if err != nil {
				t.Fatalf("%s: %v", in, err)
			}
			if st.Frames == 0 || st.DecodeErrors != 0 {
				t.Errorf("%s: %d frames, %d decode errors", in, st.Frames, st.DecodeErrors)
			}
			docs[f] = doc
		}
		if err := reportertest.SameFacts(docs[reporter.JSON], docs[reporter.Plist]); err != nil {
			t.Errorf("%s: %v", in, err)
		}
		if err := reportertest.TextSameFacts(docs[reporter.Text], docs[reporter.JSON]); err != nil {
			t.Errorf("%s: text: %v", in, err)
		}
		if strings.HasSuffix(in, ".pcapng") {
			v, _ := reportertest.ParseJSON(docs[reporter.JSON])
			ifs, _ := v["Global Header"].(map[string]any)["interfaces"].([]any)
			if len(ifs) != 2 {
				t.Errorf("%s: %d interfaces in the header, want 2", in, len(ifs))
			}
		}
	}
}

// pieceReader returns its pieces one Read at a time and, before each piece
// after the first, records what the verbose writer has received so far.
type pieceReader struct {
	pieces  [][]byte
	verbose *bytes.Buffer
	seen    []string
}

func (p *pieceReader) Read(b []byte) (int, error) {
	if len(p.pieces) == 0 {
		return 0, io.EOF
	}
	p.seen = append(p.seen, p.verbose.String())
	n := copy(b, p.pieces[0])
	p.pieces[0] = p.pieces[0][n:]
	if len(p.pieces[0]) == 0 {
		p.pieces = p.pieces[1:]
	}
	return n, nil
}

// TestExtractVerboseLive: on a stream, the verbose line of a frame is
// written before Extract waits for more input (tcpdump -w - | pcapflow
// extract - -v shows frames as they come).
func TestExtractVerboseLive(t *testing.T) {
	data := writeSample(t)
	first := 24 + 16 + len(sampleFrames(t)[0]) // file header + first record
	var verbose bytes.Buffer
	in := &pieceReader{pieces: [][]byte{data[:first], data[first:]}, verbose: &verbose}
	_, err := Extract(context.Background(), ExtractOptions{Input: "-", Stdin: in, Output: "-", Stdout: io.Discard, Verbose: &verbose})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.seen) < 2 || in.seen[1] != "Frame   1: Ethernet:IPv4:TCP\n" {
		t.Errorf("verbose output when more input was needed: %q", in.seen)
	}
}
