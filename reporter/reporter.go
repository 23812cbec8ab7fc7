// Package reporter renders pcapflow's report model (decoder.Tree blocks) as
// JSON, macOS plist or tree text, streaming: each block is written as soon as
// it is given, so memory does not grow with the number of frames.
//
// A report is an ordered sequence of named top-level blocks, as PyPCAPKit
// lays it out: "Global Header" (or the pcapng section and interface blocks),
// then "Frame 1", "Frame 2", ..., then optional reassembly and flow blocks.
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
