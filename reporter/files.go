package reporter

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pcapflow/pcapflow/decoder"
)

// String returns the format's name as the CLI spells it.
func (f Format) String() string {
	switch f {
	case JSON:
		return "json"
	case Plist:
		return "plist"
	case Text:
		return "tree"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// Ext returns the file name extension of the format, with its dot.
func (f Format) Ext() string {
	switch f {
	case JSON:
		return ".json"
	case Plist:
		return ".plist"
	case Text:
		return ".txt"
	}
	return ""
}

// ParseFormat parses a format name: json, plist, or tree (also text, txt).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "json":
		return JSON, nil
	case "plist":
		return Plist, nil
	case "tree", "text", "txt":
		return Text, nil
	}
	return 0, fmt.Errorf("unknown report format %q (want json, plist or tree)", s)
}

// FilesWriter writes one complete report document per block into a
// directory: "Frame 1.json" holds the header blocks given to Header and
// then that frame's block, so every file stands alone. It implements
// Writer (Block writes a file).
type FilesWriter struct {
	dir   string
	f     Format
	enc   encoder
	o     out
	head  []byte // rendered header blocks
	nhead int
	name  []byte
}

// NewFilesWriter creates dir (and its parents) if needed and returns a
// writer of per-block files in format f.
func NewFilesWriter(dir string, f Format) (*FilesWriter, error) {
	enc, err := newEncoder(f)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create report folder: %w", err)
	}
	return &FilesWriter{dir: dir, f: f, enc: enc, o: out{buf: make([]byte, 0, bufSize)}}, nil
}

// Dir returns the folder the files are written to.
func (fw *FilesWriter) Dir() string { return fw.dir }

// Header adds a block that every following file starts with (the capture
// header). It is rendered at once; t may be reused afterwards.
func (fw *FilesWriter) Header(name string, t *decoder.Tree) error {
	if err := checkTree(name, t); err != nil {
		return err
	}
	// An out without a sink never flushes: the head keeps everything.
	var o out
	fw.head = fw.enc.block(&o, fw.head, name, t.Nodes, fw.nhead)
	fw.nhead++
	return nil
}

// Block writes the file name+ext holding the header blocks and this block.
func (fw *FilesWriter) Block(name string, t *decoder.Tree) error {
	if err := checkTree(name, t); err != nil {
		return err
	}
	fw.name = append(fw.name[:0], fw.dir...)
	fw.name = append(fw.name, filepath.Separator)
	fw.name = appendFileName(fw.name, name)
	fw.name = append(fw.name, fw.f.Ext()...)
	path := string(fw.name)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create report file: %w", err)
	}
	fw.o.w = f
	fw.o.err = nil
	b := fw.enc.begin(fw.o.buf[:0])
	b = append(b, fw.head...)
	b = fw.enc.block(&fw.o, b, name, t.Nodes, fw.nhead)
	b = fw.enc.end(b, fw.nhead+1)
	fw.o.buf = fw.o.flush(b)
	cerr := f.Close()
	if fw.o.err != nil {
		return fmt.Errorf("%s: %w", path, fw.o.err)
	}
	if cerr != nil {
		return fmt.Errorf("write report file: %w", cerr)
	}
	return nil
}

// Close does nothing: every file is complete when Block returns.
func (fw *FilesWriter) Close() error { return nil }

// appendFileName appends a block name usable as a file name: path
// separators and control characters become "_".
func appendFileName(b []byte, name string) []byte {
	if name == "" || name == "." || name == ".." {
		return append(b, '_')
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '/' || c == '\\' || c == ':' && filepath.Separator == '\\' || c < 0x20 || c == 0x7f {
			c = '_'
		}
		b = append(b, c)
	}
	return b
}
