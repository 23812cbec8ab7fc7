//go:build linux

package tracer

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/pcapflow/pcapflow/ingest"
)

// TestFileSinkOutOfDescriptors: with a MaxOpen far above what the process
// may still open, FileSink gives back half of its files when an open fails
// with EMFILE and goes on; every flow's pcap is complete.
func TestFileSinkOutOfDescriptors(t *testing.T) {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	frames := interleaved(t, 40) // 40 flows open at once
	dir := t.TempDir()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Skip(err)
	}
	low := old
	low.Cur = uint64(len(fds) + 12) // room for about a dozen flow files
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skip(err)
	}
	sink := &FileSink{Dir: dir, Format: "pcap", MaxOpen: 1000}
	flows := run(t, Config{Sink: sink}, frames, 7)
	cerr := sink.Close()
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	if cerr != nil {
		t.Fatal(cerr)
	}
	if len(flows) != 40 {
		t.Fatalf("%d flows", len(flows))
	}
	for _, fl := range flows {
		path := filepath.Join(dir, fl.FileName()+".pcap")
		r, c, err := ingest.Open(path, ingest.ReaderOptions{})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var f ingest.Frame
		n := 0
		for r.Next(&f) == nil {
			n++
		}
		c.Close()
		if n != len(fl.Frames) {
			t.Errorf("%s: %d frames, want %d", path, n, len(fl.Frames))
		}
	}
}
