package decoder

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/ingest/ingesttest"
)

// The transport corpus check: every capture of ../shared/corpus tagged
// tcp, udp, http or dns is decoded frame by frame and the report fields of
// the TCP, UDP and HTTP layers are compared with tshark's values in
// expected/NAME.frames.jsonl.

// corpusFrame is one frame of a capture.
type corpusFrame struct {
	data     []byte
	linkType uint32
}

// readCorpusCapture reads the frames of a pcap or pcapng file with the
// project's reader, stopping at the first read error (broken files are
// part of the corpus).
func readCorpusCapture(path string) ([]corpusFrame, error) {
	r, c, err := ingest.Open(path, ingest.ReaderOptions{})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out []corpusFrame
	var f ingest.Frame
	for {
		if err := r.Next(&f); err != nil {
			if err == io.EOF {
				err = nil
			}
			return out, err
		}
		out = append(out, corpusFrame{append([]byte(nil), f.Data...), f.LinkType})
	}
}

// transportFields are the tshark fields compared, with the report path
// that gives them: the protocol object and a function of that object.
var transportFields = []string{
	"tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
	"tcp.window_size_value", "tcp.len", "udp.srcport", "udp.dstport", "udp.length",
	"http.request.method", "http.request.uri", "http.response.code",
}

// reportValues extracts, for every transportFields entry, the values of
// the report tree in tshark's notation, outer layer first.
func reportValues(tr *Tree) map[string][]string {
	out := map[string][]string{}
	add := func(field string, i int, key string) {
		if n := child(tr, i, key); n != nil {
			out[field] = append(out[field], strconv.FormatUint(n.Num, 10))
		}
	}
	for i := range tr.Nodes {
		n := &tr.Nodes[i]
		if n.Kind != KindObject {
			continue
		}
		switch n.Key() {
		case "tcp":
			if child(tr, i, "srcport") == nil {
				continue // failed layer: no fields
			}
			add("tcp.srcport", i, "srcport")
			add("tcp.dstport", i, "dstport")
			add("tcp.seq_raw", i, "seq")
			add("tcp.ack_raw", i, "ack")
			add("tcp.window_size_value", i, "window_size")
			add("tcp.len", i, "len")
			if f := child(tr, i, "flags"); f != nil {
				var v uint64
				fi := indexOf(tr, f)
				for bit, k := range []string{"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns"} {
					if b := child(tr, fi, k); b != nil && b.Num == 1 {
						v |= 1 << bit
					}
				}
				out["tcp.flags"] = append(out["tcp.flags"], fmt.Sprintf("0x%04x", v))
			}
		case "udp":
			if child(tr, i, "srcport") == nil {
				continue
			}
			add("udp.srcport", i, "srcport")
			add("udp.dstport", i, "dstport")
			add("udp.length", i, "len")
		case "http":
			if r := child(tr, i, "request"); r != nil {
				ri := indexOf(tr, r)
				out["http.request.method"] = append(out["http.request.method"], child(tr, ri, "method").Str())
				out["http.request.uri"] = append(out["http.request.uri"], child(tr, ri, "uri").Str())
			}
			if r := child(tr, i, "response"); r != nil {
				if s := child(tr, indexOf(tr, r), "status"); s != nil && s.Kind == KindUint {
					out["http.response.code"] = append(out["http.response.code"], strconv.FormatUint(s.Num, 10))
				}
			}
		}
	}
	return out
}

// tsharkFlags reduces tshark's tcp.flags (12 bits, reserved bits
// included) to the 9 bits pcapflow reports.
func tsharkFlags(s string) string {
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 16)
	if err != nil {
		return s
	}
	return fmt.Sprintf("0x%04x", v&0x1ff)
}

// transportKnownDifferences lists corpus files ("name") or fields of a
// file ("name field") that are not compared with tshark's, and why.
var transportKnownDifferences = map[string]string{
	"zeek__http__get-to-ssh-server.pcap http.request.method": "pcapflow's HTTP heuristic works on any TCP port; tshark decides HTTP by port (22 is SSH there)",
	"zeek__http__get-to-ssh-server.pcap http.request.uri":    "as http.request.method",
	"gopacket__pcapgo__tests__be__test202.pcapng":            "tshark shows a non-packet block as frame 1 (24-byte \"data\"): its frame numbers are one ahead of the reader's",
	"gopacket__pcapgo__tests__le__test202.pcapng":            "as the big-endian file",
}

func TestTransportCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus comparison skipped in -short mode")
	}
	dir := ingesttest.CorpusDir(t)
	manifest, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	type stat struct{ compared, values, mismatched int }
	stats := map[string]*stat{}
	for _, f := range transportFields {
		stats[f] = &stat{}
	}
	var files, frames, notReached, quoteSkipped int
	var mismatches []string
	notReachedBy := map[string]int{}
	for _, line := range strings.Split(string(manifest), "\n")[1:] {
		cols := strings.Split(line, "\t")
		if len(cols) < 10 {
			continue
		}
		name, tags := cols[0], ","+cols[9]+","
		if !strings.Contains(tags, ",tcp,") && !strings.Contains(tags, ",udp,") &&
			!strings.Contains(tags, ",http,") && !strings.Contains(tags, ",dns,") {
			continue
		}
		broken := strings.Contains(tags, "malformed") || strings.Contains(tags, "bad-file") ||
			strings.Contains(tags, "tshark-read-error")
		if why, ok := transportKnownDifferences[name]; ok {
			t.Logf("%s: not compared: %s", name, why)
			broken = true
		}
		caps, rerr := readCorpusCapture(filepath.Join(dir, "raw", name))
		if rerr != nil && !broken {
			t.Logf("%s: read stopped after %d frames: %v", name, len(caps), rerr)
		}
		exp, err := os.Open(filepath.Join(dir, "expected", name+".frames.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(exp)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		files++
		d := New(Options{})
		var p Packet
		var tr Tree
		for i := 0; i < len(caps) && sc.Scan(); i++ {
			var want map[string][]string
			if err := json.Unmarshal(sc.Bytes(), &want); err != nil {
				t.Fatalf("%s frame %d: %v", name, i+1, err)
			}
			d.Decode(caps[i].data, caps[i].linkType, &p)
			tr.Reset()
			p.Fields(&tr)
			if tr.Depth() != 0 {
				t.Fatalf("%s frame %d: containers left open", name, i+1)
			}
			frames++
			if broken {
				continue // tshark's values are not ground truth there
			}
			if p.Find(ProtoICMP) >= 0 || p.Find(ProtoICMPv6) >= 0 {
				// tshark decodes the transport header quoted by ICMP errors;
				// pcapflow shows it under icmp "quote", not as a layer.
				quoteSkipped++
				continue
			}
			got := reportValues(&tr)
			for _, field := range transportFields {
				if _, ok := transportKnownDifferences[name+" "+field]; ok {
					continue
				}
				w, g := want[field], got[field]
				if field == "tcp.flags" {
					w = append([]string(nil), w...)
					for k := range w {
						w[k] = tsharkFlags(w[k])
					}
				}
				if len(g) < len(w) && equalStrings(g, w[:len(g)]) {
					// tshark decodes deeper than this frame's chain reached
					// (a layer this package does not decode yet).
					notReached++
					notReachedBy[name+" ("+p.Chain()+")"]++
					continue
				}
				stats[field].compared++
				stats[field].values += len(w)
				if !equalStrings(g, w) {
					stats[field].mismatched++
					if len(mismatches) < 40 {
						mismatches = append(mismatches, fmt.Sprintf("%s frame %d %s: got %v, tshark %v (chain %s, err %v)",
							name, i+1, field, g, w, p.Chain(), p.Err.Err))
					}
				}
			}
		}
		exp.Close()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d files, %d frames; %d field values not reached, %d ICMP frames skipped\n", files, frames, notReached, quoteSkipped)
	fmt.Fprintf(&b, "%-24s %9s %9s %10s\n", "field", "frames", "values", "mismatched")
	keys := append([]string(nil), transportFields...)
	sort.Strings(keys)
	total := 0
	for _, k := range keys {
		fmt.Fprintf(&b, "%-24s %9d %9d %10d\n", k, stats[k].compared, stats[k].values, stats[k].mismatched)
		total += stats[k].values
	}
	for k, n := range notReachedBy {
		fmt.Fprintf(&b, "not reached: %s: %d values\n", k, n)
	}
	t.Log("\n" + b.String())
	for _, m := range mismatches {
		t.Error(m)
	}
	if total < 5000 {
		t.Errorf("only %d field values compared: the corpus check did not run", total)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
