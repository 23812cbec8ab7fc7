package ingest

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchCaptures builds in-memory pcap and pcapng captures of n frames of
// 60..1500 bytes (the first one 1500, so that the record buffer reaches
// its steady size at once).
func benchCaptures(tb testing.TB, n int) (pcap, pcapng []byte) {
	ps := genPackets(42, n, 60, 1500, 2)
	ps[0].data = make([]byte, 1500)
	ps[0].origLen = 1500
	pcap = pcapBytes(tb, PcapWriterOptions{LinkType: LinkEthernet, Nanosecond: true}, ps)
	var buf bytes.Buffer
	w, err := NewPcapNGWriter(&buf, PcapNGWriterOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	w.AddInterface(LinkEthernet, 0, 9)
	w.AddInterface(LinkRaw, 0, 6)
	for _, p := range ps {
		if err := w.WritePacket(p.iface, p.sec, p.nsec, p.origLen, p.data); err != nil {
			tb.Fatal(err)
		}
	}
	return pcap, buf.Bytes()
}

// TestNextAllocs guards the hot path: no allocation per frame in steady
// state.
func TestNextAllocs(t *testing.T) {
	pcap, pcapng := benchCaptures(t, 1200)
	for name, data := range map[string][]byte{"pcap": pcap, "pcapng": pcapng, "pcap-mem": pcap, "pcapng-mem": pcapng} {
		var r *Reader
		var err error
		if strings.HasSuffix(name, "-mem") {
			r, err = NewReaderBytes(data, name, ReaderOptions{})
		} else {
			r, err = NewReader(bytes.NewReader(data), name, ReaderOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
		var f Frame
		var nerr error
		allocs := testing.AllocsPerRun(1000, func() {
			if err := r.Next(&f); err != nil {
				nerr = err
			}
		})
		if nerr != nil {
			t.Fatalf("%s: %v", name, nerr)
		}
		if allocs != 0 {
			t.Errorf("%s: %.2f allocations per frame, want 0", name, allocs)
		}
	}
}

// benchRead reads data b.N times with the Reader open returns.
func benchRead(b *testing.B, data []byte, open func() (*Reader, error)) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	frames := 0
	var f Frame
	b.ResetTimer()
	for range b.N {
		r, err := open()
		if err != nil {
			b.Fatal(err)
		}
		for {
			err := r.Next(&f)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			frames++
		}
	}
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(frames), "ns/frame")
}

// streamed opens a stream Reader over data for benchRead.
func streamed(data []byte) func() (*Reader, error) {
	br := bytes.NewReader(data)
	return func() (*Reader, error) {
		br.Reset(data)
		return NewReader(br, "bench", ReaderOptions{})
	}
}

// inMemory opens a Reader over data itself (NewReaderBytes) for benchRead.
func inMemory(data []byte) func() (*Reader, error) {
	return func() (*Reader, error) { return NewReaderBytes(data, "bench", ReaderOptions{}) }
}

// mappedFile writes data to a file and opens it with OpenMapped for
// benchRead, closing the previous Reader's mapping first.
func mappedFile(b *testing.B, data []byte) func() (*Reader, error) {
	path := filepath.Join(b.TempDir(), "bench.cap")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	var last io.Closer
	b.Cleanup(func() {
		if last != nil {
			last.Close()
		}
	})
	return func() (*Reader, error) {
		if last != nil {
			last.Close()
		}
		r, c, err := OpenMapped(path, ReaderOptions{})
		last = c
		if err == nil && !r.Stable() {
			b.Fatal("OpenMapped gave a stream Reader")
		}
		return r, err
	}
}

const benchFrames = 100_000

func BenchmarkReadPcap(b *testing.B) {
	pcap, _ := benchCaptures(b, benchFrames)
	benchRead(b, pcap, streamed(pcap))
}

func BenchmarkReadPcapNG(b *testing.B) {
	_, pcapng := benchCaptures(b, benchFrames)
	benchRead(b, pcapng, streamed(pcapng))
}

func BenchmarkReadPcapMem(b *testing.B) {
	pcap, _ := benchCaptures(b, benchFrames)
	benchRead(b, pcap, inMemory(pcap))
}

func BenchmarkReadPcapNGMem(b *testing.B) {
	_, pcapng := benchCaptures(b, benchFrames)
	benchRead(b, pcapng, inMemory(pcapng))
}

// BenchmarkReadMapped reads a pcap file through OpenMapped (a new mapping
// each time, page cache warm).
func BenchmarkReadMapped(b *testing.B) {
	pcap, _ := benchCaptures(b, benchFrames)
	benchRead(b, pcap, mappedFile(b, pcap))
}
