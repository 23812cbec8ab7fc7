package main

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reporter/reportertest"
)

// runCLI runs a command line in process and returns its exit status and
// output streams.
func runCLI(t *testing.T, in []byte, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	stdin, stdout, stderr = bytes.NewReader(in), &out, &errOut
	defer func() { stdin, stdout, stderr = os.Stdin, os.Stdout, os.Stderr }()
	code := run(args)
	return code, out.String(), errOut.String()
}

// capture writes a small Ethernet capture (TCP, UDP, ARP) and returns its
// bytes.
func capture(t *testing.T) []byte {
	t.Helper()
	a, b := craft.MustMAC("02:00:00:00:00:01"), craft.MustMAC("02:00:00:00:00:02")
	src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	var frames [][]byte
	for _, layers := range [][]craft.Layer{
		{&craft.Ethernet{Src: a, Dst: b}, &craft.IPv4{TTL: 64, Src: src, Dst: dst}, &craft.TCP{SrcPort: 1234, DstPort: 80, Flags: craft.SYN}},
		{&craft.Ethernet{Src: b, Dst: a}, &craft.IPv4{TTL: 64, Src: dst, Dst: src}, &craft.UDP{SrcPort: 40000, DstPort: 40001}, craft.Payload("hello")},
		{&craft.Ethernet{Src: a, Dst: b, Pad: true}, &craft.ARP{Op: 2, SenderMAC: a, TargetMAC: b, SenderIP: src, TargetIP: dst}},
	} {
		f, err := craft.Build(layers...)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
	}
	var buf bytes.Buffer
	w, err := ingest.NewPcapWriter(&buf, ingest.PcapWriterOptions{LinkType: ingest.LinkEthernet, Nanosecond: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := w.WritePacket(1600000000+int64(i), 123456789, uint32(len(f)), f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func writeCapture(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "in.pcap")
	if err := os.WriteFile(p, capture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const wantVerbose = "Frame   1: Ethernet:IPv4:TCP\nFrame   2: Ethernet:IPv4:UDP\nFrame   3: Ethernet:ARP\n"

func TestHelp(t *testing.T) {
	code, out, _ := runCLI(t, nil, "--help")
	if code != 0 || !strings.Contains(out, "extract") || !strings.Contains(out, "generate") {
		t.Errorf("--help: %d %q", code, out)
	}
	code, out, _ = runCLI(t, nil, "extract", "--help")
	if code != 0 {
		t.Fatalf("extract --help: %d", code)
	}
	// Every flag of the flag set is explained.
	var f extractFlags
	newExtractFlagSet(&f).VisitAll(func(fl *flag.Flag) {
		name := "--" + fl.Name
		if len(fl.Name) == 1 {
			name = "-" + fl.Name + ","
		}
		if !strings.Contains(out, name) {
			t.Errorf("extract --help does not explain %s", name)
		}
	})
	if code, _, _ := runCLI(t, nil, "help", "extract"); code != 0 {
		t.Errorf("help extract: %d", code)
	}
	if code, _, errOut := runCLI(t, nil); code != 2 || !strings.Contains(errOut, "Usage") {
		t.Errorf("no arguments: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
}

func TestExtractFileVerbose(t *testing.T) {
	dir := t.TempDir()
	in := writeCapture(t, dir)
	out := filepath.Join(dir, "report.json")
	// Flags after the positional argument, long and short forms mixed.
	code, stdoutText, errText := runCLI(t, nil, "extract", in, "--output", out, "-v")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errText)
	}
	if stdoutText != wantVerbose {
		t.Errorf("verbose output %q", stdoutText)
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	v, err := reportertest.ParseJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	f1 := v["Frame 1"].(map[string]any)
	if f1["time_epoch"] != "1600000000.123456789" || f1["protocols"] != "Ethernet:IPv4:TCP" {
		t.Errorf("frame 1: %v %v", f1["time_epoch"], f1["protocols"])
	}
	if _, ok := f1["frame_info"].(map[string]any)["ts_nsec"]; !ok {
		t.Error("nanosecond capture without ts_nsec")
	}
}

func TestExtractStdoutAndStdin(t *testing.T) {
	data := capture(t)
	code, out, errText := runCLI(t, data, "extract", "-", "-t", "-o", "-", "-v")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errText)
	}
	if !strings.HasPrefix(out, "Global Header\n") || strings.Contains(out, "Frame   1:") {
		t.Errorf("stdout is not just the tree report: %q", out[:min(len(out), 80)])
	}
	if !strings.HasPrefix(errText, wantVerbose) {
		t.Errorf("verbose lines not on stderr: %q", errText)
	}
	code, out, _ = runCLI(t, data, "extract", "-", "--plist", "-o", "-")
	if code != 0 {
		t.Fatal(code)
	}
	if _, err := reportertest.ParsePlist([]byte(out)); err != nil {
		t.Error(err)
	}
}

func TestExtractFormatsAndNames(t *testing.T) {
	dir := t.TempDir()
	in := writeCapture(t, dir)
	for _, c := range []struct {
		args []string
		file string // expected output file
		kind string // json, plist, tree
	}{
		{[]string{"-o", filepath.Join(dir, "a.txt")}, "a.txt", "tree"},
		{[]string{"-o", filepath.Join(dir, "b.plist")}, "b.plist", "plist"},
		{[]string{"-p", "-a", "-o", filepath.Join(dir, "c")}, "c.plist", "plist"},
		{[]string{"-f", "tree", "--auto-extension", "-o", filepath.Join(dir, "d")}, "d.txt", "tree"},
		{[]string{"-j", "-a", "-o", filepath.Join(dir, "e.json")}, "e.json", "json"},
		{[]string{"--format=json", "-o", filepath.Join(dir, "f")}, "f", "json"},
	} {
		code, _, errText := runCLI(t, nil, append([]string{"extract", in}, c.args...)...)
		if code != 0 {
			t.Errorf("%q: exit %d: %s", c.args, code, errText)
			continue
		}
		doc, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		switch c.kind {
		case "json":
			_, err = reportertest.ParseJSON(doc)
		case "plist":
			_, err = reportertest.ParsePlist(doc)
		case "tree":
			if !bytes.HasPrefix(doc, []byte("Global Header\n")) {
				err = os.ErrInvalid
			}
		}
		if err != nil {
			t.Errorf("%q: not a %s report: %v", c.args, c.kind, err)
		}
	}
}

func TestExtractDefaultOutput(t *testing.T) {
	dir := t.TempDir()
	in := writeCapture(t, dir)
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	if code, _, e := runCLI(t, nil, "extract", in, "-a"); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.json")); err != nil {
		t.Error(err)
	}
	if code, _, e := runCLI(t, nil, "extract", in, "-t"); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err != nil {
		t.Error(err)
	}
}

func TestExtractClusteredFlags(t *testing.T) {
	dir := t.TempDir()
	in := writeCapture(t, dir)
	code, out, e := runCLI(t, nil, "extract", in, "-vpa", "-o", filepath.Join(dir, "r"))
	if code != 0 || out != wantVerbose {
		t.Fatalf("exit %d, stdout %q: %s", code, out, e)
	}
	if _, err := os.Stat(filepath.Join(dir, "r.plist")); err != nil {
		t.Error(err)
	}
}

func TestExtractFilesFlag(t *testing.T) {
	dir := t.TempDir()
	in := writeCapture(t, dir)
	outDir := filepath.Join(dir, "frames")
	if code, _, e := runCLI(t, nil, "extract", in, "-F", "-t", "-o", outDir); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	entries, err := os.ReadDir(outDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, "|") != "Frame 1.txt|Frame 2.txt|Frame 3.txt" {
		t.Errorf("files %q", names)
	}
	doc, _ := os.ReadFile(filepath.Join(outDir, "Frame 2.txt"))
	if got := reportertest.TextBlocks(doc); strings.Join(got, "|") != "Global Header|Frame 2" {
		t.Errorf("Frame 2.txt blocks %q", got)
	}
}

func TestExtractThresholdFlags(t *testing.T) {
	in := writeCapture(t, t.TempDir())
	for _, c := range []struct {
		flag, val, want string
	}{
		{"-L", "link", "Frame   1: Ethernet\n"},
		{"--layer", "internet", "Frame   1: Ethernet:IPv4\n"},
		{"-P", "ipv4", "Frame   1: Ethernet:IPv4\n"},
		{"--protocol", "Ethernet", "Frame   1: Ethernet\n"},
	} {
		code, _, errText := runCLI(t, nil, "extract", in, c.flag, c.val, "-v", "-o", "-")
		if code != 0 || !strings.HasPrefix(errText, c.want) {
			t.Errorf("%s %s: exit %d, verbose %q", c.flag, c.val, code, errText)
		}
	}
}

func TestExtractUsageErrors(t *testing.T) {
	dir := t.TempDir()
	in := writeCapture(t, dir)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"extract"}, "no input capture"},
		{[]string{"extract", in, in}, "one input capture expected"},
		{[]string{"extract", in, "--bogus"}, "flag provided but not defined"},
		{[]string{"extract", in, "-j", "-p"}, "conflicting formats"},
		{[]string{"extract", in, "-f", "xml"}, "unknown report format"},
		{[]string{"extract", in, "-P", "carrier-pigeon"}, "unknown protocol"},
		{[]string{"extract", in, "-L", "physical"}, "unknown layer"},
		{[]string{"extract", in, "--engine", "warp"}, `engine "warp" is not available`},
		{[]string{"extract", in, "-F", "-o", "-"}, "need a folder"},
		{[]string{"extract", in, "-o"}, "flag needs an argument"},
	} {
		code, _, errText := runCLI(t, nil, c.args...)
		if code != 2 || !strings.Contains(errText, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, errText, c.want)
		}
	}
}

func TestExtractCaptureErrors(t *testing.T) {
	dir := t.TempDir()
	notCap := filepath.Join(dir, "notes.txt")
	os.WriteFile(notCap, []byte("hello, this is text\n"), 0o644)
	code, _, errText := runCLI(t, nil, "extract", notCap, "-o", filepath.Join(dir, "x.json"))
	if code != 1 || !strings.HasPrefix(errText, "pcapflow: ") || !strings.Contains(errText, notCap) || !strings.Contains(errText, "not a pcap") {
		t.Errorf("non-capture: exit %d, %q", code, errText)
	}
	data := capture(t)
	cut := filepath.Join(dir, "cut.pcap")
	os.WriteFile(cut, data[:len(data)-10], 0o644)
	out := filepath.Join(dir, "cut.json")
	code, _, errText = runCLI(t, nil, "extract", cut, "-o", out)
	if code != 1 || !strings.Contains(errText, "frame 3") || !strings.Contains(errText, "offset") || !strings.Contains(errText, "truncated") {
		t.Errorf("truncated: exit %d, %q", code, errText)
	}
	doc, _ := os.ReadFile(out)
	v, err := reportertest.ParseJSON(doc)
	if err != nil || len(v) != 3 {
		t.Errorf("report of a truncated capture: %v, %d blocks (want header + 2 frames)", err, len(v))
	}
	code, _, errText = runCLI(t, nil, "extract", filepath.Join(dir, "missing.pcap"))
	if code != 1 || !strings.Contains(errText, "missing.pcap") {
		t.Errorf("missing file: exit %d, %q", code, errText)
	}
}

func TestGenerateIsWired(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "gen.pcap")
	if code, _, e := runCLI(t, nil, "generate", "-n", "50", "-o", p); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, e)
	}
	code, out, e := runCLI(t, nil, "extract", p, "-o", "-")
	if code != 0 {
		t.Fatalf("extract: exit %d: %s", code, e)
	}
	if v, err := reportertest.ParseJSON([]byte(out)); err != nil || len(v) != 51 {
		t.Errorf("extract of a generated capture: %v, %d blocks", err, len(v))
	}
}

func TestReorder(t *testing.T) {
	var f extractFlags
	fs := newExtractFlagSet(&f)
	got := reorder(fs, []string{"in.pcap", "-o", "x", "-v", "--format=json", "-P", "tcp", "--", "-weird"})
	want := "-o x -v --format=json -P tcp -- in.pcap -weird"
	if strings.Join(got, " ") != want {
		t.Errorf("reorder = %q, want %q", strings.Join(got, " "), want)
	}
	got = reorder(fs, []string{"-vFt", "in.pcap", "-ao", "out", "-max-record", "9", "-vx"})
	want = "-v -F -t -a -o out -max-record 9 -vx -- in.pcap"
	if strings.Join(got, " ") != want {
		t.Errorf("reorder = %q, want %q", strings.Join(got, " "), want)
	}
}
