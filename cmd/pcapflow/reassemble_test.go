package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/decoder/craft"
)

func corpusFile(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "corpus", "raw", name)
	if _, err := os.Stat(p); err != nil {
		t.Skip("corpus not present:", err)
	}
	return p
}

func TestReassembleCLI(t *testing.T) {
	in := corpusFile(t, "zeek__ipv4__fragmented-1.pcap")
	code, out, errOut := runCLI(t, nil, "reassemble", in, "--proto", "ipv4", "-f", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	d, ok := doc["Datagram 1"]
	if !ok || d["length"] != float64(164) || d["complete"] != true {
		t.Errorf("Datagram 1 = %v", d)
	}
	if _, ok := doc["Reassembly Statistics"]; !ok {
		t.Error("no statistics block")
	}
	for _, args := range [][]string{{"reassemble", in}, {"reassemble", in, "--proto", "sctp"}, {"trace"}, {"analyse"}} {
		if code, _, _ := runCLI(t, nil, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

func TestTraceCLI(t *testing.T) {
	in := corpusFile(t, "dpkt__http.pcap")
	dir := t.TempDir()
	code, out, errOut := runCLI(t, nil, "trace", in, "-o", dir, "--trace-byteorder", "big", "--trace-nanosecond", "-r", "-", "-f", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	f := doc["Flow 1"]
	if f == nil || f["conn_state"] != "SF" || f["end"] != "fin" {
		t.Errorf("Flow 1 = %v", f)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != len(doc) {
		t.Errorf("%d files for %d flows", len(ents), len(doc))
	}
	want := "145.254.160.237_3372-65.208.228.223_80-1084443427.311224.pcap"
	b, err := os.ReadFile(filepath.Join(dir, want))
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:4]) != "\xa1\xb2\x3c\x4d" {
		t.Errorf("%s: magic % x, want big-endian nanosecond", want, b[:4])
	}
	// The flow records as a Zeek conn.log: by the .log extension, or -f conn.
	log := filepath.Join(t.TempDir(), "conn.log")
	for _, args := range [][]string{{"-r", log}, {"-r", "-", "-f", "conn"}} {
		code, out, errOut := runCLI(t, nil, append([]string{"trace", in, "-o", t.TempDir()}, args...)...)
		if args[1] != "-" {
			b, _ := os.ReadFile(log)
			out = string(b)
		}
		if code != 0 || !strings.HasPrefix(out, "#separator \\x09\n") || !strings.Contains(out, "\ttcp\thttp\t") {
			t.Errorf("trace %q: exit %d (%s), log %.300q", args, code, errOut, out)
		}
	}
}

func TestAnalyseCLI(t *testing.T) {
	in := corpusFile(t, "dpkt__http.pcap")
	code, out, errOut := runCLI(t, nil, "analyse", in, "-f", "tree")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "method -> GET") || !strings.Contains(out, "status -> 200") {
		t.Errorf("analyse output lacks the request or response:\n%.600s", out)
	}
	p := filepath.Join(t.TempDir(), "req.txt")
	os.WriteFile(p, []byte("GET /x HTTP/1.0\r\nHost: h\r\n\r\nGET /y HTTP/1.0\r\n\r\n"), 0o644)
	code, out, errOut = runCLI(t, nil, "analyse", p)
	if code != 0 {
		t.Fatalf("payload: exit %d: %s", code, errOut)
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["HTTP 1"]["uri"] != "/x" || doc["HTTP 2"]["uri"] != "/y" {
		t.Errorf("pipelined payload: %v", doc)
	}
	os.WriteFile(p, []byte{0, 1, 2, 3}, 0o644)
	if code, _, _ := runCLI(t, nil, "analyse", p); code != 1 {
		t.Errorf("binary payload: exit %d, want 1", code)
	}
}

func TestExtractReassemblyFlags(t *testing.T) {
	in := corpusFile(t, "zeek__ipv4__fragmented-syn.pcap")
	dir := t.TempDir()
	code, out, errOut := runCLI(t, nil, "extract", in, "--ipv4", "--tcp", "--strict", "--trace", "--trace-fout", dir, "-o", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Frame 1", "Frame 2", "Datagram 1", "Flow 2", "Reassembly Statistics"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("extract report lacks %q", k)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d per-flow files, want 1", len(ents))
	}
	if code, _, _ := runCLI(t, nil, "extract", in, "--strict", "-o", "-"); code != 2 {
		t.Errorf("--strict alone: exit %d, want 2", code)
	}
}

// TestVerbsFileEqualStdin: the reassemble, analyse and extract verbs give
// the same report for a capture file (read and decoded a batch ahead in a
// goroutine of its own) and for the same bytes on standard input (frame by
// frame), on a generated capture with every kind of traffic.
func TestVerbsFileEqualStdin(t *testing.T) {
	var buf bytes.Buffer
	if err := craft.Generate(&buf, craft.GenerateOptions{Seed: 9, Frames: 6000, MaxBody: 40_000}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "gen.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"reassemble", "--proto", "ipv4,ipv6,tcp", "--strict", "-f", "json"},
		{"analyse", "-f", "tree"},
		{"extract", "--ipv4", "--ipv6", "--tcp", "--strict", "--trace", "-f", "plist", "-o", "-"},
	} {
		code, fromFile, errOut := runCLI(t, nil, append([]string{args[0], path}, args[1:]...)...)
		if code != 0 {
			t.Fatalf("%q on a file: exit %d: %s", args, code, errOut)
		}
		code, fromStdin, errOut := runCLI(t, buf.Bytes(), append([]string{args[0], "-"}, args[1:]...)...)
		if code != 0 {
			t.Fatalf("%q on stdin: exit %d: %s", args, code, errOut)
		}
		if !strings.Contains(fromFile, "Stream ") && args[0] != "analyse" || len(fromFile) < 1000 {
			t.Fatalf("%q: no streams in %d bytes", args, len(fromFile))
		}
		if fromFile != fromStdin {
			t.Errorf("%q: file and stdin reports differ (%d and %d bytes)", args, len(fromFile), len(fromStdin))
		}
	}
}
