package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/pcapflow/pcapflow/ingest/ingesttest"
)

// readResult is everything a Reader gave for one input.
type readResult struct {
	frames []Frame   // Data copied at read time
	kept   [][]byte  // Data as returned by Next
	end    string    // error text of NewReader/Open or of the last Next ("EOF" at a clean end)
	off    int64     // Offset after the last Next
	meta   *Meta     // nil when opening failed
	stable bool      // Stable()
	closer io.Closer // from Open/OpenMapped, closed by the caller
}

// collect reads r (opened with error err) to its end.
func collect(t testing.TB, r *Reader, err error, limit int) readResult {
	t.Helper()
	var res readResult
	if err != nil {
		res.end = err.Error()
		return res
	}
	res.stable = r.Stable()
	for {
		var f Frame
		err := r.Next(&f)
		if err != nil {
			res.end = err.Error()
			break
		}
		res.kept = append(res.kept, f.Data)
		f.Data = bytes.Clone(f.Data)
		res.frames = append(res.frames, f)
		if len(res.frames) > limit {
			t.Fatalf("more than %d frames", limit)
		}
	}
	res.off = r.Offset()
	res.meta = r.Meta()
	return res
}

// within reports whether sub lies inside b, with its capacity clipped to
// its length.
func within(sub, b []byte) bool {
	if cap(sub) != len(sub) {
		return false
	}
	if len(sub) == 0 {
		return true
	}
	s := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return s >= lo && s+uintptr(len(sub)) <= lo+uintptr(len(b))
}

// sameRead fails the test unless got (a Reader over memory that holds
// mem) gave want's frames, error, offset and Meta, and the Data it
// returned are slices of mem, still unchanged after the whole read.
func sameRead(t testing.TB, what string, want, got readResult, mem []byte) {
	t.Helper()
	if got.end != want.end {
		t.Fatalf("%s: ended with %q, stream reader with %q", what, got.end, want.end)
	}
	if len(got.frames) != len(want.frames) {
		t.Fatalf("%s: %d frames, stream reader %d", what, len(got.frames), len(want.frames))
	}
	for i := range want.frames {
		w, g := want.frames[i], got.frames[i]
		if !bytes.Equal(g.Data, w.Data) {
			t.Fatalf("%s: frame %d: data differs from the stream reader's", what, i+1)
		}
		w.Data, g.Data = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: frame %d: %+v, stream reader %+v", what, i+1, g, w)
		}
		if !within(got.kept[i], mem) {
			t.Fatalf("%s: frame %d: Data is not a capacity-clipped slice of the input", what, i+1)
		}
		if !bytes.Equal(got.kept[i], got.frames[i].Data) {
			t.Fatalf("%s: frame %d: Data changed after later calls to Next", what, i+1)
		}
	}
	if want.meta == nil {
		return
	}
	if !got.stable {
		t.Fatalf("%s: Stable() false", what)
	}
	if got.off != want.off {
		t.Fatalf("%s: Offset %d at the end, stream reader %d", what, got.off, want.off)
	}
	if !reflect.DeepEqual(got.meta, want.meta) {
		t.Fatalf("%s: Meta %+v, stream reader %+v", what, got.meta, want.meta)
	}
}

// checkBytesReader reads data with NewReader and NewReaderBytes and fails
// unless they agree.
func checkBytesReader(t testing.TB, data []byte, opts ReaderOptions) {
	t.Helper()
	limit := len(data)/12 + 1
	r, err := NewReader(bytes.NewReader(data), "in", opts)
	want := collect(t, r, err, limit)
	if want.meta != nil && want.stable {
		t.Fatal("stream Reader: Stable() true")
	}
	mem := bytes.Clone(data)
	r, err = NewReaderBytes(mem, "in", opts)
	sameRead(t, "NewReaderBytes", want, collect(t, r, err, limit), mem)
	if !bytes.Equal(mem, data) {
		t.Fatal("NewReaderBytes modified its input")
	}
}

// checkFile compares Open with NewReaderBytes and OpenMapped on path.
func checkFile(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	limit := len(data)/12 + 1
	r, c, err := Open(path, ReaderOptions{})
	want := collect(t, r, err, limit)
	if c != nil {
		c.Close()
	}
	r, err = NewReaderBytes(data, path, ReaderOptions{})
	sameRead(t, "NewReaderBytes", want, collect(t, r, err, limit), data)

	r, c, err = OpenMapped(path, ReaderOptions{})
	got := collect(t, r, err, limit)
	if err != nil {
		sameRead(t, "OpenMapped", want, got, nil)
		return
	}
	defer c.Close()
	if !mappingSupported {
		// The fallback: a stream Reader, as Open's.
		if got.stable || got.end != want.end || len(got.frames) != len(want.frames) {
			t.Fatalf("OpenMapped fallback: stable %v, %d frames, end %q; Open: %d frames, end %q", got.stable, len(got.frames), got.end, len(want.frames), want.end)
		}
		return
	}
	mc, ok := c.(*mapCloser)
	if !ok {
		t.Fatalf("OpenMapped: Closer %T, want a mapping", c)
	}
	sameRead(t, "OpenMapped", want, got, mc.b)
}

// captureFiles lists the captures of the shared corpus (when present) and
// of the project's testdata.
func captureFiles(t *testing.T) []string {
	var files []string
	for _, dir := range []string{filepath.Join("..", "testdata"), filepath.Join(ingesttest.CorpusDir(t), "raw")} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && e.Name() != "README.md" && !strings.HasSuffix(e.Name(), ".tsv") {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	return files
}

// TestReadBytesFiles reads every capture of testdata and of the shared
// corpus with Open, NewReaderBytes and OpenMapped, which must agree.
func TestReadBytesFiles(t *testing.T) {
	files := captureFiles(t)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) { checkFile(t, path) })
	}
	t.Logf("%d files", len(files))
}

// TestReadBytesCuts compares the two readers on generated captures cut at
// every length and with bytes flipped, with large records (beyond the
// bufio buffer) and the options that change errors.
func TestReadBytesCuts(t *testing.T) {
	big := genPackets(3, 4, 60, 100, 2)
	big[1].data = make([]byte, 100_000)
	big[1].origLen = 100_000
	pcap := pcapBytes(t, PcapWriterOptions{LinkType: LinkEthernet, SnapLen: 1000}, big)
	var buf bytes.Buffer
	w, err := NewPcapNGWriter(&buf, PcapNGWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.AddInterface(LinkEthernet, 1000, 9)
	w.AddInterface(LinkRaw, 0, 6)
	for _, p := range big {
		if err := w.WritePacket(p.iface, p.sec, p.nsec, p.origLen, p.data); err != nil {
			t.Fatal(err)
		}
	}
	pcapng := buf.Bytes()
	optss := []ReaderOptions{{}, {MaxRecord: 200}, {StrictSnapLen: true}}
	for name, data := range map[string][]byte{"pcap": pcap, "pcapng": pcapng} {
		t.Run(name, func(t *testing.T) {
			for _, opts := range optss {
				for n := 0; n <= len(data); n += 1 + n/64 {
					checkBytesReader(t, data[:n], opts)
				}
				checkBytesReader(t, data, opts)
				for i := 0; i < len(data); i += 1 + i/16 {
					flipped := bytes.Clone(data)
					flipped[i] ^= 0xff
					checkBytesReader(t, flipped, opts)
				}
			}
		})
	}
}

// TestStable checks Stable for each constructor.
func TestStable(t *testing.T) {
	pcap := pcapBytes(t, PcapWriterOptions{LinkType: LinkRaw}, genPackets(1, 2, 40, 40, 0))
	r, err := NewReader(bytes.NewReader(pcap), "s", ReaderOptions{})
	if err != nil || r.Stable() {
		t.Errorf("NewReader: Stable() %v, error %v", r != nil && r.Stable(), err)
	}
	r, err = NewReaderBytes(pcap, "s", ReaderOptions{})
	if err != nil || !r.Stable() {
		t.Errorf("NewReaderBytes: Stable() %v, error %v", r != nil && r.Stable(), err)
	}
}

// TestOpenMappedFallback: an empty file and a missing one give Open's
// errors.
func TestOpenMappedFallback(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pcap")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{empty, filepath.Join(dir, "missing.pcap")} {
		_, _, want := Open(path, ReaderOptions{})
		r, c, err := OpenMapped(path, ReaderOptions{})
		if r != nil || c != nil || err == nil || want == nil || err.Error() != want.Error() {
			t.Errorf("%s: OpenMapped gave %v, %v, %v; Open %v", path, r, c, err, want)
		}
	}
	if !errors.Is(func() error { _, _, err := OpenMapped(empty, ReaderOptions{}); return err }(), ErrNotCapture) {
		t.Error("empty file: want ErrNotCapture")
	}
}

func TestGuardFaultPassesOtherPanics(t *testing.T) {
	var err error
	func() {
		defer func() {
			if p := recover(); p == nil || fmt.Sprint(p) != "boom" {
				t.Errorf("recovered %v, want the panic boom to go on", p)
			}
		}()
		func() {
			defer GuardFault(&err)()
			panic("boom")
		}()
	}()
	if err != nil {
		t.Errorf("err = %v, want nil", err)
	}
	func() {
		defer GuardFault(&err)()
	}()
	if err != nil {
		t.Errorf("no panic: err = %v, want nil", err)
	}
}
