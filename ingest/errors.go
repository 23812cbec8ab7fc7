package ingest

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel reasons a capture cannot be read. Test with errors.Is; the
// *Error that wraps them says where.
var (
	// ErrNotCapture: the input starts with neither a pcap magic number nor
	// a pcapng Section Header Block.
	ErrNotCapture = errors.New("not a pcap or pcapng file")
	// ErrTruncated: the input ends inside a header, record or block.
	ErrTruncated = errors.New("truncated")
	// ErrRecordTooLarge: a record claims more captured bytes than the
	// reader accepts (ReaderOptions.MaxRecord, or the snap length with
	// ReaderOptions.StrictSnapLen). Nothing is allocated for it.
	ErrRecordTooLarge = errors.New("record too large")
	// ErrBadVersion: a pcap file header or pcapng section header carries a
	// version this reader does not know.
	ErrBadVersion = errors.New("unsupported version")
	// ErrBadBlock: a pcapng block is malformed (length, options, interface
	// id, byte-order magic).
	ErrBadBlock = errors.New("bad block")
	// ErrBadHeader: a pcap file header field holds a forbidden value.
	ErrBadHeader = errors.New("bad file header")
)

// Error says which capture failed to read, where, and why.
type Error struct {
	// File is the name the capture was opened with ("-" for stdin).
	File string
	// Frame is the number the frame being read would have had: frames
	// 1..Frame-1 were returned before the error. 0 for file header errors.
	Frame uint64
	// Offset is the byte offset in the input of the header, record or
	// block that failed.
	Offset int64
	Err    error
}

func (e *Error) Error() string {
	b := make([]byte, 0, 96)
	b = append(b, "read capture "...)
	b = append(b, e.File...)
	switch {
	case e.Frame > 0:
		b = append(b, ": frame "...)
		b = strconv.AppendUint(b, e.Frame, 10)
		b = append(b, " at offset "...)
		b = strconv.AppendInt(b, e.Offset, 10)
	case e.Offset > 0:
		b = append(b, ": at offset "...)
		b = strconv.AppendInt(b, e.Offset, 10)
	}
	b = append(b, ": "...)
	if e.Err != nil {
		b = append(b, e.Err.Error()...)
	}
	return string(b)
}

func (e *Error) Unwrap() error { return e.Err }

// reason is an error with its own message that unwraps to a sentinel, so
// that messages read "truncated record: need 60 bytes, have 20" rather
// than repeating the sentinel text.
type reason struct {
	msg string
	err error
}

func (r *reason) Error() string { return r.msg }
func (r *reason) Unwrap() error { return r.err }

func because(sentinel error, format string, args ...any) error {
	return &reason{msg: fmt.Sprintf(format, args...), err: sentinel}
}

// truncated reports that what (e.g. "record") needs need bytes but the
// input holds only have.
func truncated(what string, need, have int64) error {
	return because(ErrTruncated, "truncated %s: need %d bytes, have %d", what, need, have)
}
