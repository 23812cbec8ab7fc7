package ingest_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pcapflow/pcapflow/ingest"
)

func ExampleNewReader() {
	// A two-interface pcapng capture, made in memory.
	var capture bytes.Buffer
	w, _ := ingest.NewPcapNGWriter(&capture, ingest.PcapNGWriterOptions{})
	eth, _ := w.AddInterface(ingest.LinkEthernet, 0, 6) // microseconds
	raw, _ := w.AddInterface(ingest.LinkRaw, 0, 9)      // nanoseconds
	w.WritePacket(eth, 1700000000, 123456000, 60, make([]byte, 60))
	w.WritePacket(raw, 1700000001, 987654321, 1500, make([]byte, 40)) // cut at 40 bytes

	r, err := ingest.NewReader(&capture, "example.pcapng", ingest.ReaderOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Meta().Format, len(r.Meta().Interfaces), "interfaces")
	var f ingest.Frame
	for {
		if err := r.Next(&f); err == io.EOF {
			break
		} else if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("frame %d: %d.%09d (%d digits) link %d, %d of %d bytes\n",
			f.Index, f.Sec, f.Nsec, f.Digits, f.LinkType, f.CapLen, f.OrigLen)
	}

	_, err = ingest.NewReader(bytes.NewReader([]byte("HTTP/1.1 200 OK")), "notes.txt", ingest.ReaderOptions{})
	fmt.Println(err)
	// Output:
	// pcapng 2 interfaces
	// frame 1: 1700000000.123456000 (6 digits) link 1, 60 of 60 bytes
	// frame 2: 1700000001.987654321 (9 digits) link 101, 40 of 1500 bytes
	// read capture notes.txt: not a pcap or pcapng file (starts with 48 54 54 50)
}

func ExampleOpenMapped() {
	path := filepath.Join(os.TempDir(), "example-openmapped.pcap")
	defer os.Remove(path)
	var capture bytes.Buffer
	w, _ := ingest.NewPcapWriter(&capture, ingest.PcapWriterOptions{LinkType: ingest.LinkRaw})
	w.WritePacket(1700000000, 0, 3, []byte{1, 2, 3})
	w.WritePacket(1700000001, 0, 2, []byte{4, 5})
	os.WriteFile(path, capture.Bytes(), 0o600)

	r, closer, err := ingest.OpenMapped(path, ingest.ReaderOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer closer.Close() // unmaps: after the last use of any Frame.Data

	// Stable (a mapped file): each Frame.Data outlives the next call to
	// Next. Where the file could not be mapped (not unix, a pipe), the
	// Reader is a stream one, whose buffer the next frame reuses: copy.
	var kept [][]byte
	var f ingest.Frame
	for r.Next(&f) == nil {
		d := f.Data
		if !r.Stable() {
			d = bytes.Clone(d)
		}
		kept = append(kept, d)
	}
	fmt.Println(kept)
	// Output:
	// [[1 2 3] [4 5]]
}
