package reporter

import (
	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
)

// Format is a report format.
type Format uint8

const (
	JSON Format = iota + 1
	Plist
	Text // PyPCAPKit's "tree" format
)

// Writer writes the blocks of one report.
type Writer interface {
	// Block writes one top-level block: name, then the contents of t (whose
	// root-level nodes become the block's members).
	Block(name string, t *decoder.Tree) error
	// Close finishes the document (it does not close the underlying writer).
	Close() error
}

// FrameInfo is what the report says about a frame besides its layers.
type FrameInfo struct {
	Index   uint64
	Sec     int64
	Nsec    uint32
	Digits  uint8
	CapLen  uint32
	OrigLen uint32
}

// FrameInfoOf returns the FrameInfo of a captured frame.
func FrameInfoOf(f *ingest.Frame) FrameInfo {
	return FrameInfo{Index: f.Index, Sec: f.Sec, Nsec: f.Nsec, Digits: f.Digits, CapLen: f.CapLen, OrigLen: f.OrigLen}
}
