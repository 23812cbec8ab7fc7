//go:build unix

package ingest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const mappingSupported = true

// TestGuardFault truncates a mapped capture after reading it: touching the
// frames then faults, and GuardFault turns that into an error naming the
// file.
func TestGuardFault(t *testing.T) {
	path, _ := writeCapture(t, "shrinks.pcap", genPackets(9, 64, 1000, 1400, 0))
	_, frames := readMapped(t, path)
	sum := func() (n int, err error) {
		defer GuardFault(&err)()
		for _, d := range frames {
			for _, b := range d {
				n += int(b)
			}
		}
		return n, nil
	}
	if _, err := sum(); err != nil {
		t.Fatalf("before truncation: %v", err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	_, err := sum()
	var e *Error
	if !errors.Is(err, ErrFileChanged) || !errors.As(err, &e) || e.File != path || !strings.Contains(err.Error(), path+": ") || !strings.Contains(err.Error(), "changed while being read") {
		t.Fatalf("after truncation: error %v, want an *Error for %s wrapping ErrFileChanged", err, path)
	}
	if e.Offset < pcapHeaderLen {
		t.Errorf("fault at offset %d, inside the file header that was read", e.Offset)
	}
	t.Log(err)
}

// TestOpenMappedFIFO: a FIFO is read as a stream, as Open does.
func TestOpenMappedFIFO(t *testing.T) {
	pcap := pcapBytes(t, PcapWriterOptions{LinkType: LinkRaw}, genPackets(2, 5, 40, 100, 0))
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err == nil {
			_, err = w.Write(pcap)
			w.Close()
		}
		done <- err
	}()
	r, c, err := OpenMapped(path, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r.Stable() {
		t.Error("FIFO: Stable() true")
	}
	want, _, _ := readAll(t, pcap, ReaderOptions{})
	got := collect(t, r, nil, 100)
	if len(got.frames) != len(want) || got.end != "EOF" {
		t.Errorf("FIFO: %d frames, end %q; want %d, EOF", len(got.frames), got.end, len(want))
	}
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(10 * time.Second):
		t.Error("writer stuck")
	}
}

// TestMappedDropBehind: the pages behind the reader go back to the kernel
// (here every 64 KiB), and every frame read stays valid: read again at the
// end, each still holds its bytes (faulted back in from the file).
func TestMappedDropBehind(t *testing.T) {
	old := dropLag
	dropLag = 64 << 10
	t.Cleanup(func() { dropLag = old })
	path, file := writeCapture(t, "big.pcap", genPackets(11, 3000, 60, 1500, 0))
	r, kept := readMapped(t, path)
	if r.dropped < 4*dropLag {
		t.Fatalf("pages dropped up to offset %d of %d: dropBehind did not run", r.dropped, r.Offset())
	}
	// The frames read back from the file's bytes, not the mapping.
	want, err := NewReaderBytes(file, path, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range kept {
		var f Frame
		if err := want.Next(&f); err != nil {
			t.Fatal(err)
		}
		if string(kept[i]) != string(f.Data) {
			t.Fatalf("frame %d changed after its pages were dropped", i+1)
		}
	}
}

// writeCapture writes packets as a pcap file named name in a temporary
// directory and returns its path and bytes.
func writeCapture(t *testing.T, name string, ps []testPacket) (string, []byte) {
	t.Helper()
	b := pcapBytes(t, PcapWriterOptions{LinkType: LinkEthernet}, ps)
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, b
}

// readMapped reads every frame of the capture at path through
// OpenMapped (closed when the test ends) and returns the Reader and the
// frames' Data.
func readMapped(t *testing.T, path string) (*Reader, [][]byte) {
	t.Helper()
	r, c, err := OpenMapped(path, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var frames [][]byte
	for {
		var f Frame
		if err := r.Next(&f); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			return r, frames
		}
		frames = append(frames, f.Data)
	}
}
