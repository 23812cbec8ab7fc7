package services

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/tracer"
)

// truncateOnWrite truncates a file at the first Write it receives.
type truncateOnWrite struct {
	t    *testing.T
	path string
	once sync.Once
}

func (w *truncateOnWrite) Write(p []byte) (int, error) {
	w.once.Do(func() {
		if err := os.Truncate(w.path, 0); err != nil {
			w.t.Error(err)
		}
	})
	return len(p), nil
}

// TestExtractMappedTruncated: a capture file truncated by another process
// while extract reads it through its mapping gives an error that names
// the file and says it changed — serial (verbose) and pipelined, with and
// without reassembly and tracing — and no crash.
func TestExtractMappedTruncated(t *testing.T) {
	capture := generated(t, 20_000, 0)
	for _, c := range []struct {
		name     string
		verbose  bool
		stateful bool
	}{{"serial", true, false}, {"pipelined", false, false}, {"serial stateful", true, true}, {"pipelined stateful", false, true}} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.pcap")
			if err := os.WriteFile(path, capture, 0o644); err != nil {
				t.Fatal(err)
			}
			tw := &truncateOnWrite{t: t, path: path}
			o := ExtractOptions{Input: path, Output: "-", Format: reporter.JSON, Stdout: tw}
			if c.verbose {
				o.Verbose, o.Stdout = tw, discard{}
			}
			if c.stateful {
				o.Reassembly = reassembler.Config{IPv4: true, IPv6: true, TCP: true}
				o.Trace = &tracer.Config{}
			}
			_, err := Extract(t.Context(), o)
			if !errors.Is(err, ingest.ErrFileChanged) || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v, want an error naming %s that wraps ErrFileChanged", err, path)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
