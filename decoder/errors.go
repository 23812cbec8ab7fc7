package decoder

import (
	"errors"
	"fmt"
)

// Sentinel reasons a layer fails to decode. Test with errors.Is.
var (
	// ErrTruncated: the layer needs more bytes than the frame holds.
	ErrTruncated = errors.New("truncated")
	// ErrMalformed: a field holds a value the protocol forbids.
	ErrMalformed = errors.New("malformed")
	// ErrUnsupported: a valid variant this decoder does not handle.
	ErrUnsupported = errors.New("unsupported")
)

// Error says which layer of a frame failed to decode, where, and why.
type Error struct {
	Proto  Proto
	Offset int // byte offset of the failing layer in the frame
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("decode %s at offset %d: %v", e.Proto.Key(), e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// truncated reports that a header needs need bytes but only have are present.
func truncated(need, have int) error {
	return fmt.Errorf("%w: need %d bytes, have %d", ErrTruncated, need, have)
}

// malformed reports an invalid field value.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}
