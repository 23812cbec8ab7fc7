package services

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reporter"
)

// TestEmbeddedMappedTruncated: the embedded engine maps a capture file;
// truncated by another process while ingest reads it, the extraction ends
// with an error that names the file and says it changed, not a crash.
// Ingest runs at most embeddedAhead batches ahead of the report, so it is
// still reading when the report's first bytes (which truncate the file
// here) are written.
func TestEmbeddedMappedTruncated(t *testing.T) {
	capture := generated(t, 20_000, 0)
	path := filepath.Join(t.TempDir(), "c.pcap")
	if err := os.WriteFile(path, capture, 0o644); err != nil {
		t.Fatal(err)
	}
	tw := &truncateOnWrite{t: t, path: path}
	_, err := Extract(t.Context(), ExtractOptions{Input: path, Output: "-", Format: reporter.JSON, Stdout: tw, Engine: EngineEmbedded})
	if !errors.Is(err, ingest.ErrFileChanged) || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want an error naming %s that wraps ErrFileChanged", err, path)
	}
}

// TestEmbeddedMappedEqualStream: the report of a mapped capture file is
// the report of the same capture read as a stream (standard input).
func TestEmbeddedMappedEqualStream(t *testing.T) {
	capture := generated(t, 3_000, 0)
	path := filepath.Join(t.TempDir(), "c.pcap")
	if err := os.WriteFile(path, capture, 0o644); err != nil {
		t.Fatal(err)
	}
	var fromFile, fromStdin bytes.Buffer
	if _, err := Extract(t.Context(), ExtractOptions{Input: path, Output: "-", Format: reporter.JSON, Stdout: &fromFile, Engine: EngineEmbedded}); err != nil {
		t.Fatal(err)
	}
	if _, err := Extract(t.Context(), ExtractOptions{Input: "-", Stdin: bytes.NewReader(capture), Output: "-", Format: reporter.JSON, Stdout: &fromStdin, Engine: EngineEmbedded}); err != nil {
		t.Fatal(err)
	}
	if fromFile.Len() == 0 || !bytes.Equal(fromFile.Bytes(), fromStdin.Bytes()) {
		t.Fatalf("reports differ: %d bytes from the file, %d from standard input", fromFile.Len(), fromStdin.Len())
	}
}
