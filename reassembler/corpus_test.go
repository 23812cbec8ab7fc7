package reassembler

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/ingest/ingesttest"
	"github.com/pcapflow/pcapflow/reporter"
)

// runCapture feeds every frame of a capture to a Reassembler, with Advance
// every batch frames, and returns the records.
func runCapture(t *testing.T, path string, cfg Config, batch int) []Record {
	t.Helper()
	r, c, err := ingest.Open(path, ingest.ReaderOptions{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer c.Close()
	ra := New(cfg)
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	var f ingest.Frame
	var out []Record
	emit := func(r Record) { out = append(out, r.Clone()) }
	var last ingest.Frame
	for {
		if err := r.Next(&f); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Logf("%s: read stops: %v", filepath.Base(path), err)
			}
			break
		}
		dec.Decode(f.Data, f.LinkType, &p)
		ra.Add(reporter.FrameInfoOf(&f), &p, emit)
		last = f
		if batch > 0 && f.Index%uint64(batch) == 0 {
			ra.Advance(f.Sec, f.Nsec, f.Index, emit)
		}
	}
	ra.Advance(last.Sec, last.Nsec, last.Index, emit)
	ra.Flush(emit)
	return out
}

// TestCorpusDefrag: for every capture with a NAME.defrag.tsv, the same
// datagrams as tshark: count, reassembled lengths, and the frame that
// completes each one.
func TestCorpusDefrag(t *testing.T) {
	dir := ingesttest.CorpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "expected", "*.defrag.tsv"))
	if len(files) == 0 {
		t.Fatal("no defrag references in the corpus")
	}
	known := knownDifferences(t)
	for _, ref := range files {
		name := strings.TrimSuffix(filepath.Base(ref), ".defrag.tsv")
		t.Run(name, func(t *testing.T) {
			want := readDefrag(t, ref)
			var got []string
			for _, r := range runCapture(t, filepath.Join(dir, "raw", name), Config{IPv4: true, IPv6: true}, 256) {
				if d := r.Datagram; d != nil && d.Complete {
					got = append(got, strconv.FormatUint(r.At, 10)+" "+strconv.FormatUint(uint64(d.Length), 10))
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				if reason, ok := known[name]; ok {
					t.Logf("known difference (%s): got %v, tshark %v", reason, got, want)
					return
				}
				t.Errorf("datagrams (frame length):\n got %v\nwant %v", got, want)
			}
		})
	}
}

// readDefrag returns "frame length" for every datagram tshark reassembled.
func readDefrag(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var out []string
	count := -1
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			n, err := strconv.Atoi(strings.TrimSpace(line[strings.LastIndexByte(line, ':')+1:]))
			if err != nil {
				t.Fatalf("bad count line %q", line)
			}
			count = n
			continue
		}
		col := strings.Split(line, "\t")
		if col[0] == "frame.number" || len(col) < 11 {
			continue
		}
		// ip.reassembled.length or ipv6.reassembled.length; several values
		// (tunnels) when several IP layers were reassembled in one frame.
		for _, c := range []string{col[5], col[10]} {
			for _, v := range strings.Split(c, ",") {
				if v != "" {
					out = append(out, col[0]+" "+v)
				}
			}
		}
	}
	if count != len(out) {
		t.Logf("%s: header says %d datagrams, rows give %d", filepath.Base(path), count, len(out))
	}
	slices.Sort(out)
	return out
}

// knownDifferences reads testdata/known-differences.tsv: capture name,
// tab, the reason tshark's answer is not the one to match.
func knownDifferences(t *testing.T) map[string]string {
	m := map[string]string{}
	b, err := os.ReadFile(filepath.Join("testdata", "known-differences.tsv"))
	if err != nil {
		return m
	}
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		name, reason, ok := strings.Cut(l, "\t")
		if !ok || reason == "" {
			t.Fatalf("known-differences.tsv: line without a reason: %q", l)
		}
		m[name] = reason
	}
	return m
}
