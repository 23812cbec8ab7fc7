package tracer

import (
	"errors"
	"fmt"
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

// traceCapture traces every frame of a capture.
func traceCapture(t *testing.T, path string, cfg Config) []*Flow {
	t.Helper()
	r, c, err := ingest.Open(path, ingest.ReaderOptions{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer c.Close()
	tr := New(cfg)
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	var f ingest.Frame
	var out []*Flow
	emit := func(fl *Flow) { out = append(out, fl) }
	for {
		if err := r.Next(&f); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Logf("%s: read stops: %v", filepath.Base(path), err)
			}
			break
		}
		dec.Decode(f.Data, f.LinkType, &p)
		tr.Add(reporter.FrameInfoOf(&f), &p, emit)
		if f.Index%256 == 0 {
			tr.Advance(f.Sec, f.Nsec, f.Index, emit)
		}
	}
	tr.Flush(emit)
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// conv is one TCP conversation: endpoint A, endpoint B, frames and bytes
// B->A and A->B.
type conv struct {
	a, b           string
	fBA, fAB       uint64
	bBA, bAB       uint64
	unitBA, unitAB string
}

// parseSize reads tshark's "1351 bytes" / "19 kB" / "2 MB".
func parseSize(n, unit string) (uint64, string, error) {
	v, err := strconv.ParseUint(n, 10, 64)
	return v, unit, err
}

// sizeMatches compares an exact byte count with tshark's rounded display.
func sizeMatches(got uint64, v uint64, unit string) bool {
	mult := map[string]uint64{"bytes": 1, "kB": 1000, "MB": 1000 * 1000, "GB": 1000 * 1000 * 1000}[unit]
	if mult == 0 {
		return false
	}
	if mult == 1 {
		return got == v
	}
	// tshark shows whole units, truncated (55702 bytes is "55 kB").
	return got/mult == v
}

func readConv(t *testing.T, path string) []conv {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []conv
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 12 || f[1] != "<->" {
			continue
		}
		var c conv
		c.a, c.b = f[0], f[2]
		var err1, err2, err3, err4 error
		c.fBA, err1 = strconv.ParseUint(f[3], 10, 64)
		c.bBA, c.unitBA, err2 = parseSize(f[4], f[5])
		c.fAB, err3 = strconv.ParseUint(f[6], 10, 64)
		c.bAB, c.unitAB, err4 = parseSize(f[7], f[8])
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			t.Fatalf("%s: bad line %q: %v", filepath.Base(path), l, err)
		}
		out = append(out, c)
	}
	return out
}

func endpoint(a []byte, port uint16) string {
	return addr(a).String() + ":" + strconv.Itoa(int(port))
}

// TestCorpusConvTCP: for every capture with a NAME.conv_tcp.txt, the same
// TCP conversations as tshark, with the same frame counts and byte counts
// (within tshark's display rounding) per direction. Flows of one address
// and port pair are summed, as tshark's table keys on them.
func TestCorpusConvTCP(t *testing.T) {
	dir := ingesttest.CorpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "expected", "*.conv_tcp.txt"))
	if len(files) == 0 {
		t.Fatal("no conv_tcp references")
	}
	known := knownDifferences(t)
	for _, ref := range files {
		name := strings.TrimSuffix(filepath.Base(ref), ".conv_tcp.txt")
		t.Run(name, func(t *testing.T) {
			want := readConv(t, ref)
			type tot struct{ fAB, fBA, bAB, bBA uint64 }
			got := map[[2]string]*tot{}
			for _, fl := range traceCapture(t, filepath.Join(dir, "raw", name), Config{TCP: true}) {
				s, d := endpoint(fl.Src, fl.SrcPort), endpoint(fl.Dst, fl.DstPort)
				k := [2]string{s, d}
				rev := false
				if _, ok := got[[2]string{d, s}]; ok {
					k, rev = [2]string{d, s}, true
				}
				g := got[k]
				if g == nil {
					g = &tot{}
					got[k] = g
				}
				if rev {
					g.fAB += fl.RespPkts
					g.bAB += fl.RespBytes
					g.fBA += fl.OrigPkts
					g.bBA += fl.OrigBytes
				} else {
					g.fAB += fl.OrigPkts
					g.bAB += fl.OrigBytes
					g.fBA += fl.RespPkts
					g.bBA += fl.RespBytes
				}
			}
			var diffs []string
			for _, w := range want {
				g, ok := got[[2]string{w.a, w.b}]
				if !ok {
					if g2, ok2 := got[[2]string{w.b, w.a}]; ok2 {
						g = &tot{fAB: g2.fBA, fBA: g2.fAB, bAB: g2.bBA, bBA: g2.bAB}
						delete(got, [2]string{w.b, w.a})
						ok = true
					}
				} else {
					delete(got, [2]string{w.a, w.b})
				}
				if !ok {
					diffs = append(diffs, fmt.Sprintf("missing %s <-> %s", w.a, w.b))
					continue
				}
				if g.fAB != w.fAB || g.fBA != w.fBA || !sizeMatches(g.bAB, w.bAB, w.unitAB) || !sizeMatches(g.bBA, w.bBA, w.unitBA) {
					diffs = append(diffs, fmt.Sprintf("%s <-> %s: got ->%d/%dB <-%d/%dB, tshark ->%d/%d %s <-%d/%d %s",
						w.a, w.b, g.fAB, g.bAB, g.fBA, g.bBA, w.fAB, w.bAB, w.unitAB, w.fBA, w.bBA, w.unitBA))
				}
			}
			for k := range got {
				diffs = append(diffs, fmt.Sprintf("extra %s <-> %s", k[0], k[1]))
			}
			slices.Sort(diffs)
			if len(diffs) > 0 {
				if reason, ok := known[name]; ok {
					t.Logf("known difference (%s): %s", reason, strings.Join(diffs, "; "))
					return
				}
				t.Errorf("%d differences:\n%s", len(diffs), strings.Join(diffs, "\n"))
			}
		})
	}
}

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
