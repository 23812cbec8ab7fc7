package ingest

import (
	"errors"
	"runtime/debug"
	"sync"
	"unsafe"
)

// ErrFileChanged: a mapped capture (OpenMapped) changed under the reader,
// typically truncated by another process, so that reading its frames
// faulted. See GuardFault.
var ErrFileChanged = errors.New("file changed while being read")

// mapped is one live mapping of OpenMapped, known to GuardFault.
type mapped struct {
	start, end uintptr
	name       string
}

// mappings lists the live mappings, so that GuardFault can tell a fault
// in one of them (the file changed) from any other fault (a bug).
var mappings struct {
	sync.Mutex
	list []*mapped
}

func addMapping(b []byte, name string) *mapped {
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	m := &mapped{start: start, end: start + uintptr(len(b)), name: name}
	mappings.Lock()
	mappings.list = append(mappings.list, m)
	mappings.Unlock()
	return m
}

func removeMapping(m *mapped) {
	mappings.Lock()
	defer mappings.Unlock()
	for i, x := range mappings.list {
		if x == m {
			mappings.list = append(mappings.list[:i], mappings.list[i+1:]...)
			return
		}
	}
}

// mappingAt returns the live mapping that holds addr, or nil.
func mappingAt(addr uintptr) *mapped {
	mappings.Lock()
	defer mappings.Unlock()
	for _, m := range mappings.list {
		if addr >= m.start && addr < m.end {
			return m
		}
	}
	return nil
}

// GuardFault turns a memory fault on the mapping of a capture opened with
// OpenMapped (the file was truncated or otherwise changed by another
// process while mapped: SIGBUS) into an error, instead of a crash. Call it
// at the top of a function, or of a goroutine, that touches Frame.Data of
// a mapped capture, deferring the function it returns (note the final
// parentheses):
//
//	func consume(r *ingest.Reader) (err error) {
//		defer ingest.GuardFault(&err)()
//		...
//	}
//
// GuardFault turns on runtime/debug.SetPanicOnFault for the calling
// goroutine; the returned function restores the previous setting and, if
// the goroutine is panicking because of a fault inside a live mapping,
// recovers and sets *err to an *Error that names the file, gives the
// offset of the faulting byte and wraps ErrFileChanged ("read capture
// t.pcap: at offset 40: file changed while being read (truncated by
// another process?)"). Any other panic,
// including a fault elsewhere, goes on. The functions between the fault and
// the deferred call are unwound: their own state may be half updated, so
// the error should end the work on that capture.
func GuardFault(err *error) func() {
	old := debug.SetPanicOnFault(true)
	return func() {
		p := recover()
		debug.SetPanicOnFault(old)
		if p == nil {
			return
		}
		if e := faultError(p); e != nil {
			*err = e
			return
		}
		panic(p)
	}
}

// faultError returns the error for the recovered panic value p if it is a
// fault inside a live mapping, else nil.
func faultError(p any) error {
	re, ok := p.(interface {
		error
		RuntimeError()
		Addr() uintptr
	})
	if !ok {
		return nil
	}
	addr := re.Addr()
	m := mappingAt(addr)
	if m == nil {
		return nil
	}
	return &Error{
		File:   m.name,
		Offset: int64(addr - m.start),
		Err:    because(ErrFileChanged, "%v (truncated by another process?)", ErrFileChanged),
	}
}
