package services

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"runtime"
	"testing"
	"time"

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
// Packets and clock advances as the serial one (one P), with batches cut
// by frame count and by arena size, and returns the same read error; so
// does the pipelined Feed over a Stable Reader (frames decoded in place).
func TestFeedPipelinedSame(t *testing.T) {
	twoProcs(t)
	captures := map[string][]byte{"generated": generated(t, 3000, 0), "jumbo": jumboCapture(t)}
	for name, capture := range captures {
		for _, cut := range []bool{false, true} {
			in := capture
			if cut {
				in = capture[:len(capture)*2/3]
			}
			old := runtime.GOMAXPROCS(1) // serial
			seq, serr := feedLog(t, in, FeedOptions{}, false)
			runtime.GOMAXPROCS(old)
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

// TestFeedLive: on a live stream each frame reaches add before the next
// one has been captured.
func TestFeedLive(t *testing.T) {
	twoProcs(t)
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.CloseWithError(errors.New("test over")) })
	frames := sampleFrames(t)[:3]
	added := make(chan uint64, len(frames))
	res := make(chan error, 1)
	go func() {
		r, err := ingest.NewReader(pr, "-", ingest.ReaderOptions{})
		if err != nil {
			res <- err
			return
		}
		res <- Feed(r, FeedOptions{Live: true}, func(fi reporter.FrameInfo, _ *decoder.Packet) { added <- fi.Index },
			func(int64, uint32, uint64) {})
	}()
	w, err := ingest.NewPcapWriter(pw, ingest.PcapWriterOptions{LinkType: ingest.LinkEthernet})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := w.WritePacket(1700000000+int64(i), 0, uint32(len(f)), f); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-added:
			if got != uint64(i+1) {
				t.Fatalf("add got frame %d, want %d", got, i+1)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("frame %d not passed to add 30 s after it was written (before the next frame)", i+1)
		}
	}
	pw.Close()
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}
