package decoder_test

import (
	"bufio"
	"encoding/json"
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
)

// tlsFrames decodes a capture and returns, by frame number, whether the
// frame has a TLS layer, and whether its TCP payload starts with a TLS
// record header.
func tlsFrames(t *testing.T, path string) (tls, header map[int]bool) {
	t.Helper()
	r, c, err := ingest.Open(path, ingest.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tls, header = map[int]bool{}, map[int]bool{}
	dec := decoder.New(decoder.Options{})
	var (
		f ingest.Frame
		p decoder.Packet
	)
	for {
		if err := r.Next(&f); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Logf("%s: %v", filepath.Base(path), err)
			}
			return tls, header
		}
		dec.Decode(f.Data, f.LinkType, &p)
		n := int(f.Index)
		tls[n] = p.FindLast(decoder.ProtoTLS) >= 0
		if i := p.FindLast(decoder.ProtoTCP); i >= 0 {
			l := &p.Layers[i]
			header[n] = decoder.TLSRecordAt(p.Data[l.Off+l.Hdr : l.End])
		}
	}
}

// TestTLSCapture: in testdata/tls.pcap (TLS on port 18443, see
// testdata/README.md) the frames with a TLS layer are those tshark 4.0
// calls tls with TCP reassembly off (-o tcp.desegment_tcp_streams:FALSE,
// frame.protocols).
func TestTLSCapture(t *testing.T) {
	tls, _ := tlsFrames(t, "../testdata/tls.pcap")
	var got []int
	for n, ok := range tls {
		if ok {
			got = append(got, n)
		}
	}
	slices.Sort(got)
	want := []int{4, 6, 8, 9, 10, 11, 12, 14, 21, 23, 25, 26, 27, 29, 30, 31, 33, 40, 42}
	if !slices.Equal(got, want) {
		t.Errorf("TLS frames %v, tshark's %v", got, want)
	}
}

// TestTLSCorpusFrames compares, on every corpus capture not tagged
// malformed, the frames with a TLS layer with those tshark calls tls
// (expected/*.frames.jsonl, TCP reassembly off). tshark knows the
// conversation, a decoder of single frames does not, which makes two
// differences, and only those are allowed: a segment that continues a
// record (its payload does not start with a record header) is TLS
// "Continuation Data" to tshark and raw TCP payload here; and tshark does
// not dissect the payload of a segment it flags as a retransmission or out
// of order (expected/*.tcp_analysis.tsv).
func TestTLSCorpusFrames(t *testing.T) {
	dir := ingesttest.CorpusDir(t)
	tags := manifestTags(t, dir)
	var agree, continuation, retrans, files int
	for name := range tags {
		if hasTag(tags[name], "malformed") {
			continue
		}
		want := map[int]bool{}
		eb, err := os.ReadFile(filepath.Join(dir, "expected", name+".frames.jsonl"))
		if err != nil {
			continue
		}
		any := false
		for _, line := range strings.Split(strings.TrimSpace(string(eb)), "\n") {
			var m map[string][]string
			if json.Unmarshal([]byte(line), &m) != nil || len(m["frame.number"]) == 0 {
				continue
			}
			n, _ := strconv.Atoi(m["frame.number"][0])
			want[n] = len(m["frame.protocols"]) > 0 && slices.Contains(strings.Split(m["frame.protocols"][0], ":"), "tls")
			any = any || want[n]
		}
		flagged := map[int]bool{}
		if f, err := os.Open(filepath.Join(dir, "expected", name+".tcp_analysis.tsv")); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				c := strings.Split(sc.Text(), "\t")
				if n, err := strconv.Atoi(c[0]); err == nil && (strings.Contains(c[len(c)-1], "retransmission") || strings.Contains(c[len(c)-1], "out-of-order")) {
					flagged[n] = true
				}
			}
			f.Close()
		}
		tls, header := tlsFrames(t, filepath.Join(dir, "raw", name))
		if any {
			files++
		}
		for n, w := range want {
			g, ok := tls[n]
			switch {
			case !ok || g == w:
				agree++
			case w && !header[n]:
				continuation++
			case g && flagged[n]:
				retrans++
			default:
				t.Errorf("%s frame %d: TLS %v, tshark %v", name, n, g, w)
			}
		}
	}
	if files < 4 {
		t.Errorf("%d corpus captures with TLS, want 4", files)
	}
	t.Logf("%d frames agree; %d continuation segments and %d retransmissions tshark names tls and we do not, or the reverse", agree, continuation, retrans)
}
