package reporter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/pcapflow/pcapflow/decoder"
)

// TestWriteBehind: a report written behind to a file (many buffers in
// flight one after the other, hex of long byte values made by the writing
// goroutine) has the same bytes as one rendered into memory.
func TestWriteBehind(t *testing.T) {
	p, fi := benchFrame(t)
	var bl Builder
	var tree decoder.Tree
	path := filepath.Join(t.TempDir(), "r.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var mem bytes.Buffer
	wf, wm := NewWriter(f, JSON), NewWriter(&mem, JSON)
	const frames = 6000 // about 11 MB: ten flushes or more
	payload := make([]byte, 300<<10)
	for i := range payload {
		payload[i] = byte(i * 31)
	}
	for i := range frames {
		fi.Index = uint64(i + 1)
		bl.Frame(&tree, fi, p)
		if i%3 == 0 {
			// Byte values of every size around deferHexMin, several in one
			// block, and now and then one larger than a buffer.
			tree.Reset()
			tree.Object("o")
			tree.Bytes("a", payload[:i%200])
			tree.Uint("n", uint64(i))
			tree.Bytes("b", payload[i%7:i%7+deferHexMin-1+i%3])
			if i%500 == 0 {
				tree.Bytes("c", payload)
			}
			tree.Close()
		}
		for _, w := range []Writer{wf, wm} {
			if err := w.Block(bl.Name(fi.Index), &tree); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, w := range []Writer{wf, wm} {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if mem.Len() < 10*flushAt {
		t.Fatalf("only %d bytes: too few flushes to test", mem.Len())
	}
	if !bytes.Equal(got, mem.Bytes()) {
		t.Fatalf("file has %d bytes, memory %d: they differ", len(got), mem.Len())
	}
}

// TestWriteBehindError: a failing file write is reported by a later Block
// or by Close, and stays reported.
func TestWriteBehindError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path) // read-only: every write fails
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var tree decoder.Tree
	kindsTree(&tree)
	w := NewWriter(f, JSON)
	for i := 0; i < 5000 && err == nil; i++ {
		err = w.Block("Kinds", &tree)
	}
	if err == nil {
		err = w.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "write report") {
		t.Fatalf("error = %v", err)
	}
	if w.Block("Kinds", &tree) == nil || w.Close() == nil {
		t.Error("the write error is not sticky")
	}
}

// TestJSONKeyCache: the key cache never serves a stale key: keys that
// change text at the same address (a reused buffer) and more distinct keys
// than the cache holds render as a fresh encoder renders them. So do
// timestamps (the encoder keeps the date of the last one).
func TestJSONKeyCache(t *testing.T) {
	var buf [8]byte
	aliased := unsafe.String(&buf[0], len(buf))
	var cached bytes.Buffer
	w := NewWriter(&cached, JSON)
	var want bytes.Buffer
	want.WriteString("{")
	for i := range 3000 {
		copy(buf[:], fmt.Sprintf("k%07d", i%1000))
		if i%7 == 0 {
			buf[1] = '"' // needs escaping
		}
		var tree decoder.Tree
		tree.Object("o")
		tree.Uint(aliased, uint64(i))
		tree.Uint(strings.Repeat("x", i%300), 1) // distinct keys, some too long to cache
		// Timestamps: the same second several times in a row, then another.
		tree.Time("t", int64(i/3)*86399-1e9, uint32(i*7919), uint8(i%10))
		tree.Close()
		if err := w.Block("B", &tree); err != nil {
			t.Fatal(err)
		}
		// A fresh writer renders the same block with an empty cache.
		var one bytes.Buffer
		fresh := NewWriter(&one, JSON)
		if err := fresh.Block("B", &tree); err != nil {
			t.Fatal(err)
		}
		fresh.Close()
		block := strings.TrimSuffix(strings.TrimPrefix(one.String(), "{"), "\n}\n")
		if i > 0 {
			want.WriteString(",")
		}
		want.WriteString(block)
	}
	w.Close()
	want.WriteString("\n}\n")
	if cached.String() != want.String() {
		t.Fatalf("cached rendering differs from fresh renderings (%d vs %d bytes)", cached.Len(), want.Len())
	}
	if !json.Valid(cached.Bytes()) {
		t.Fatal("invalid JSON")
	}
}

// TestWriterReset: one Writer reset for each document writes the same
// bytes as a new Writer per document, in every format, into memory and
// into files (written behind), including after a document abandoned
// unclosed and after a document long enough to flush.
func TestWriterReset(t *testing.T) {
	p, fi := benchFrame(t)
	var bl Builder
	var tree decoder.Tree
	dir := t.TempDir()
	docs := []int{3, 0, 700, 1, 2} // frames per document; 700 is over flushAt
	for _, f := range []Format{JSON, Plist, Text} {
		var reused Writer
		for i, n := range docs {
			var fresh, mem bytes.Buffer
			file, err := os.Create(filepath.Join(dir, fmt.Sprintf("%v-%d", f, i)))
			if err != nil {
				t.Fatal(err)
			}
			wn := NewWriter(&fresh, f)
			if reused == nil {
				reused = NewWriter(&mem, f)
			} else {
				reused.(Resetter).Reset(&mem)
			}
			write := func(w Writer) {
				for k := range n {
					fi.Index = uint64(k + 1)
					bl.Frame(&tree, fi, p)
					if err := w.Block(bl.Name(fi.Index), &tree); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			}
			write(wn)
			write(reused)
			if !bytes.Equal(mem.Bytes(), fresh.Bytes()) {
				t.Fatalf("%v document %d: a reset Writer wrote %d bytes, a new one %d", f, i, mem.Len(), fresh.Len())
			}
			// The same Writer on a file, then a document left unclosed.
			reused.(Resetter).Reset(file)
			write(reused)
			file.Close()
			got, err := os.ReadFile(file.Name())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, fresh.Bytes()) {
				t.Fatalf("%v document %d: a reset Writer wrote %d bytes to its file, want %d", f, i, len(got), fresh.Len())
			}
			var junk bytes.Buffer
			reused.(Resetter).Reset(&junk)
			bl.Frame(&tree, fi, p)
			if err := reused.Block("Frame 1", &tree); err != nil {
				t.Fatal(err)
			}
		}
	}
}
