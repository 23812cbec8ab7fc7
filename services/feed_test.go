package services

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"testing"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reporter"
)

// feedLog records what Feed passes to add and advance; inPlace reads the
// capture with a Stable Reader (NewReaderBytes).
func feedLog(t *testing.T, capture []byte, o FeedOptions, inPlace bool) ([]string, error) {
	t.Helper()
	var r *ingest.Reader
	var err error
	if inPlace {
		r, err = ingest.NewReaderBytes(capture, "in", ingest.ReaderOptions{})
	} else {
		r, err = ingest.NewReader(bytes.NewReader(capture), "in", ingest.ReaderOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	add := func(fi reporter.FrameInfo, p *decoder.Packet) {
		h := fnv.New64a()
		h.Write(p.Data)
		log = append(log, fmt.Sprintf("frame %d %d.%09d %d %s %x err=%v", fi.Index, fi.Sec, fi.Nsec, fi.CapLen,
			reporter.AppendChain(nil, p), h.Sum64(), p.Err.Err))
	}
	advance := func(sec int64, nsec uint32, index uint64) {
		log = append(log, fmt.Sprintf("advance %d.%09d %d", sec, nsec, index))
	}
	err = Feed(r, o, add, advance)
	return log, err
}

// TestFeedPipelinedSame: the pipelined Feed passes the same frames,
// Packets and clock advances as the serial one, with batches cut by frame
// count and by arena size, and returns the same read error; so does the
// pipelined Feed over a Stable Reader (frames decoded in place).
func TestFeedPipelinedSame(t *testing.T) {
	twoProcs(t)
	captures := map[string][]byte{"generated": generated(t, 3000, 0), "jumbo": jumboCapture(t)}
	for name, capture := range captures {
		for _, cut := range []bool{false, true} {
			in := capture
			if cut {
				in = capture[:len(capture)*2/3]
			}
			seq, serr := feedLog(t, in, FeedOptions{Live: true}, false)
			for _, inPlace := range []bool{false, true} {
				name := fmt.Sprintf("%s in place=%v", name, inPlace)
				pipe, perr := feedLog(t, in, FeedOptions{}, inPlace)
				compareFeedLogs(t, name, cut, pipe, perr, seq, serr)
			}
		}
	}
}

// compareFeedLogs compares a pipelined Feed's calls and error with the
// serial one's.
func compareFeedLogs(t *testing.T, name string, cut bool, pipe []string, perr error, seq []string, serr error) {
	t.Helper()
	if cut {
		if !errors.Is(perr, ingest.ErrTruncated) || !errors.Is(serr, ingest.ErrTruncated) {
			t.Errorf("%s cut: errors %v, %v", name, perr, serr)
		}
	} else if perr != nil || serr != nil {
		t.Fatalf("%s: errors %v, %v", name, perr, serr)
	}
	if len(seq) < 700 {
		t.Fatalf("%s cut=%v: only %d calls", name, cut, len(seq))
	}
	if len(pipe) != len(seq) {
		t.Errorf("%s cut=%v: %d calls pipelined, %d serial", name, cut, len(pipe), len(seq))
	}
	for i := range min(len(pipe), len(seq)) {
		if pipe[i] != seq[i] {
			t.Errorf("%s cut=%v: call %d: pipelined %q, serial %q", name, cut, i, pipe[i], seq[i])
			return
		}
	}
}
