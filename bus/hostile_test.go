package bus

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/decoder"
)

// allocated returns the bytes f allocates (the heap's running total, so
// other goroutines' allocations count too: the bound checked is loose).
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestDecodeClaimedLengths: a message cut short whose str or bin header
// claims about 4 GiB is rejected without allocating that length. A bin
// did allocate it, in DecodeTree's values and in DecodeDecodedBatch's
// "end" (its meta's magic): zeroing the reused 4 GiB took the fuzzer's
// worker past its 10 s limit for one input.
func TestDecodeClaimedLengths(t *testing.T) {
	const bound = 64 << 20
	claim := []byte{0xff, 0xff, 0xff, 0xf0} // 4 GiB - 16
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	trees := map[string][]byte{
		"bin value":   cat([]byte{0x81, 0xa1, 'k', 0xc6}, claim, []byte("abc")),
		"str value":   cat([]byte{0x81, 0xa1, 'k', 0xdb}, claim, []byte("abc")),
		"str key":     cat([]byte{0x81, 0xdb}, claim, []byte("abc")),
		"fuzz input":  []byte("\x86\xa40000\xc6\xef\x010000000000000\xa30000"),
		"nested bin":  cat([]byte{0x81, 0xa1, 'a', 0x91, 0x81, 0xa1, 'b', 0xc6}, claim),
		"bin8 cut":    []byte{0x81, 0xa1, 'k', 0xc4, 200, 1, 2},
		"array claim": []byte{0x81, 0xa1, 'k', 0xdd, 0xff, 0xff, 0xff, 0xff},
	}
	for name, in := range trees {
		var err error
		n := allocated(func() {
			err = DecodeTree(msgpack.NewDecoder(bytes.NewReader(in)), &decoder.Tree{})
		})
		if err == nil {
			t.Errorf("tree %s: decoded a message cut short", name)
		}
		if n > bound {
			t.Errorf("tree %s: %d bytes allocated for a %d-byte message", name, n, len(in))
		}
	}
	batches := map[string][]byte{
		"end str": cat([]byte{0x81, 0xa3, 'e', 'n', 'd', 0x81, 0xa7, 'c', 'a', 'p', 't', 'u', 'r', 'e', 0xdb}, claim, []byte("abc")),
		"end bin": cat([]byte{0x81, 0xa3, 'e', 'n', 'd', 0x81, 0xa4, 'm', 'e', 't', 'a', 0x81, 0xa5, 'm', 'a', 'g', 'i', 'c', 0xc6}, claim, []byte("abc")),
		"error":   cat([]byte{0x81, 0xa6, 'f', 'r', 'a', 'm', 'e', 's', 0x91, 0x81, 0xa5, 'e', 'r', 'r', 'o', 'r', 0x81, 0xa6, 'r', 'e', 'a', 's', 'o', 'n', 0xdb}, claim, []byte("abc")),
	}
	for name, in := range batches {
		var err error
		n := allocated(func() {
			var d DecodedBatch
			err = DecodeDecodedBatch(in, &d)
		})
		if err == nil {
			t.Errorf("batch %s: decoded a message cut short", name)
		}
		if n > bound {
			t.Errorf("batch %s: %d bytes allocated for a %d-byte message", name, n, len(in))
		}
	}
}

// TestDecodeTreeLongBlob: a str or bin longer than the first chunk
// readBin reads is read whole.
func TestDecodeTreeLongBlob(t *testing.T) {
	for _, n := range []int{0, 1, blobChunk - 1, blobChunk, blobChunk + 1, 5*blobChunk + 3} {
		want := bytes.Repeat([]byte{0x5a}, n)
		var tr decoder.Tree
		tr.Bytes("b", want)
		tr.String("s", string(want))
		var buf bytes.Buffer
		if err := EncodeTree(msgpack.NewEncoder(&buf), &tr); err != nil {
			t.Fatal(err)
		}
		var got decoder.Tree
		if err := DecodeTree(msgpack.NewDecoder(bytes.NewReader(buf.Bytes())), &got); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		var again bytes.Buffer
		if err := EncodeTree(msgpack.NewEncoder(&again), &got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), buf.Bytes()) {
			t.Fatalf("%d bytes: the tree does not read back as written", n)
		}
	}
}
