package ingest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// checkStream reads data to the end and asserts the Reader's invariants:
// no panic, every frame has CapLen == len(Data) <= MaxRecord and a valid
// Nsec, indexes count from 1, the loop ends, and every failure is an
// *Error. NewReaderBytes must read data exactly as NewReader does, with
// frames that are slices of data (checkBytesReader).
func checkStream(t *testing.T, data []byte) {
	checkBytesReader(t, data, ReaderOptions{StrictSnapLen: true})
	for _, max := range []uint32{0, 200} {
		checkBytesReader(t, data, ReaderOptions{MaxRecord: max})
		limit := max
		if limit == 0 {
			limit = DefaultMaxRecord
		}
		r, err := NewReader(bytes.NewReader(data), "fuzz", ReaderOptions{MaxRecord: max})
		var e *Error
		if err != nil {
			if r != nil || !errors.As(err, &e) {
				t.Fatalf("NewReader: reader %v, error %v (%T)", r, err, err)
			}
			continue
		}
		maxFrames := uint64(len(data)/12 + 1)
		var f Frame
		for n := uint64(1); ; n++ {
			err := r.Next(&f)
			if err == io.EOF {
				break
			}
			if err != nil {
				if !errors.As(err, &e) {
					t.Fatalf("Next: error %v (%T) is not an *Error", err, err)
				}
				break
			}
			if int(f.CapLen) != len(f.Data) || f.CapLen > limit || f.Nsec >= 1e9 || f.Index != n {
				t.Fatalf("frame %d: Index %d CapLen %d len(Data) %d Nsec %d (limit %d)", n, f.Index, f.CapLen, len(f.Data), f.Nsec, limit)
			}
			if n > maxFrames || r.Offset() > int64(len(data)) {
				t.Fatalf("frame %d at offset %d from %d bytes", n, r.Offset(), len(data))
			}
		}
	}
}

// addCorpusSeeds adds the shared corpus captures (read in place, never
// copied into the repository) whose first bytes match magic, when the
// corpus is present.
func addCorpusSeeds(f *testing.F, pcapng bool) {
	dir := filepath.Join("..", "..", "shared", "corpus", "raw")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || len(data) < 4 || len(data) > 64<<10 {
			continue
		}
		if isNG := bytes.HasPrefix(data, []byte{0x0a, 0x0d, 0x0d, 0x0a}); isNG == pcapng {
			f.Add(data)
		}
	}
}

func FuzzReadPcap(f *testing.F) {
	addCorpusSeeds(f, false)
	for _, nano := range []bool{false, true} {
		for _, be := range []bool{false, true} {
			f.Add(pcapBytes(f, PcapWriterOptions{LinkType: LinkEthernet, SnapLen: 128, Nanosecond: nano, BigEndian: be}, genPackets(5, 3, 0, 150, 0)))
		}
	}
	good := pcapBytes(f, PcapWriterOptions{LinkType: LinkRaw}, genPackets(6, 2, 40, 40, 0))
	f.Add(good[:24])                  // header only
	f.Add(good[:24+16+10])            // truncated record
	f.Add(good[:30])                  // truncated header
	f.Add([]byte("\xd4\xc3\xb2\xa1")) // magic only
	huge := bytes.Clone(good)
	copy(huge[24+8:], []byte{0xff, 0xff, 0xff, 0x7f}) // caplen 2 GiB
	f.Add(huge)
	badFrac := bytes.Clone(good)
	copy(badFrac[24+4:], []byte{0xff, 0xff, 0xff, 0xff}) // fraction >= 1e6
	f.Add(badFrac)
	f.Fuzz(checkStream)
}

func FuzzReadPcapNG(f *testing.F) {
	addCorpusSeeds(f, true)
	for _, be := range []bool{false, true} {
		var buf bytes.Buffer
		w, _ := NewPcapNGWriter(&buf, PcapNGWriterOptions{BigEndian: be, Application: "fuzz"})
		w.AddInterface(LinkEthernet, 0, 6)
		w.AddInterface(LinkRaw, 100, 0x80|10)
		for _, p := range genPackets(8, 3, 0, 150, 2) {
			w.WritePacket(p.iface, p.sec, p.nsec, p.origLen, p.data)
		}
		w.NewSection(!be)
		w.AddInterface(LinkSLL2, 0, 9)
		w.WritePacket(0, 1, 2, 3, []byte{1, 2, 3})
		f.Add(buf.Bytes())
	}
	b := newNG(false).shb(false, 1, 0).idb(1, 64, []byte{9, 0, 1, 0, 0x83, 0, 0, 0}, []byte{14, 0, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8})
	b.spb(100, make([]byte, 64)).pb(0, 1<<40, 10, make([]byte, 10))
	b.block(blockCB, []byte("PEN!x")).block(blockNRB, []byte{0, 0, 0, 0}).block(blockISB, make([]byte, 12))
	b.epb(0, 1<<63, 5, []byte{1, 2, 3, 4, 5})
	f.Add(b.bytes())
	f.Add(newNG(true).shb(true, 1, 0).idb(1, 0, []byte{9, 0, 1, 0, 127, 0, 0, 0}).epb(0, 1<<64-1, 1, []byte{1}).bytes())
	f.Add(newNG(false).shb(false, 1, 0).bytes()[:20])                                 // cut section header
	f.Add(append(newNG(false).shb(false, 1, 0).idb(1, 0).bytes(), 6, 0, 0, 0, 13, 0)) // odd length
	f.Add(append(newNG(false).shb(false, 1, 0).bytes(), 1, 0, 0, 0, 0, 0, 0, 0x80))   // 2 GiB IDB
	f.Fuzz(checkStream)
}
