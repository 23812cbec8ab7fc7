// Package ingest reads packet captures and turns them into Frame records,
// and writes captures back (pcap, and pcapng for tests and the packet
// builder).
//
// # Reading
//
//	r, closer, err := ingest.Open("trace.pcapng", ingest.ReaderOptions{}) // "-" is stdin
//	if err != nil {
//		return err // e.g. "read capture notes.txt: not a pcap or pcapng file (starts with 48 54 54 50)"
//	}
//	defer closer.Close()
//	var f ingest.Frame
//	for {
//		err := r.Next(&f)
//		if err == io.EOF {
//			break
//		}
//		if err != nil {
//			return err // e.g. "read capture t.pcap: frame 12 at offset 1234: truncated record: need 60 bytes, have 20"
//		}
//		use(f.Index, f.Time(), f.LinkType, f.Data)
//	}
//
// NewReader does the same over any io.Reader. The format is detected from
// the first bytes:
//
//   - pcap, little- or big-endian, microsecond (a1b2c3d4) or nanosecond
//     (a1b23c4d) timestamps, version 2.x. The FCS bits of the link-type
//     field are masked off (Meta.LinkTypeRaw keeps them); set reserved
//     bits are an error (ErrBadHeader), as in libpcap and Wireshark.
//   - pcapng 1.0 (and 1.2, which some writers emit), either byte order,
//     several sections (interface ids are per section, Frame.Interface
//     is the id inside its section), several interfaces with different
//     link types, if_tsresol (10^-n and 2^-n, any n, without overflow) and
//     if_tsoffset. Enhanced, Simple and obsolete Packet Blocks give
//     frames; Simple Packet Blocks have no timestamp (Sec and Nsec are 0)
//     and a captured length of min(original length, snap length, room in
//     the block). Name resolution, interface statistics, decryption
//     secrets, custom and unknown blocks are skipped. Section header and
//     interface description blocks, with their options, are kept in Meta.
//
// Frames of every link type are returned, with LinkType set. The Link*
// constants name the ones pcapflow decodes: Ethernet (1), raw IP (101, 12,
// 14, 228, 229), Linux cooked capture (113, 276) and BSD loopback (0,
// 108); the decoder keeps frames of other link types as raw bytes.
//
// # Ownership of bytes
//
// A Reader streams with constant memory: a bufio.Reader of 64 KiB in front
// of the input and one record buffer, reused, for records larger than that.
// Frame.Data aliases one of the two and is valid only until the next call
// to Next; copy it to keep it. Next does not allocate in steady state.
// Meta is owned by the Reader and grows as Next reads further pcapng
// sections and interfaces (up to fixed limits on their number and size).
//
// # Stable frames: reading from memory
//
// NewReaderBytes reads a capture held in a []byte, and OpenMapped a file
// through a read-only shared memory mapping (mmap, on unix). Frames, Meta,
// offsets and errors are exactly those of NewReader and Open, but nothing
// is copied: every Frame.Data is a slice of the memory (capacity clipped to
// its length) and stays valid, unchanged, after later calls to Next, until
// the memory is released; Reader.Stable reports true. Ownership: the
// caller owns the []byte given to NewReaderBytes and must not modify it
// while frames are in use; the mapping of OpenMapped belongs to the Closer
// it returns, and every Frame.Data dies when it is closed, so a consumer
// that keeps frames (a reassembler referencing payload instead of copying
// it) must finish with them, or copy them, before calling Close. Data is
// read-only: writing to it faults.
//
//	r, closer, err := ingest.OpenMapped("trace.pcap", ingest.ReaderOptions{})
//	...
//	defer closer.Close() // after the last use of any Frame.Data
//	if r.Stable() {
//		// keep f.Data across calls to Next
//	}
//
// Resident memory: on Linux, a mapped Reader hands the pages more than
// 8 MiB behind its read position back to the kernel as it goes (madvise
// MADV_DONTNEED; the bytes stay valid and a frame read again faults its
// page back in from the file), so the process's resident set does not grow
// to the size of the capture. Pages read again after the reader's last
// call (streams rendered at the end of the capture) stay resident until
// Close; they are clean file pages the kernel can reclaim.
//
// OpenMapped falls back to Open (a stream Reader, Stable false) for "-",
// pipes, FIFOs, /dev/stdin and other files that are not regular, empty
// files, where mmap fails, and on systems other than unix: check Stable,
// not the path.
//
// The one hazard of a mapping: if another process truncates the file while
// it is mapped, reading the bytes past the new end (in Next, or in any
// Frame.Data) raises SIGBUS, which crashes the program. Writing over the
// file in place silently changes frames already returned. To turn the
// crash into an error, defer GuardFault in every goroutine that touches
// mapped frames:
//
//	func consume(frames <-chan ingest.Frame) (err error) {
//		defer ingest.GuardFault(&err)() // note the ()
//		...
//	}
//
// The error names the file and wraps ErrFileChanged: "read capture
// t.pcap: at offset 40: file changed while being read (truncated by
// another process?)". Only faults inside a live mapping are caught; any
// other panic goes on.
//
// # Bad input
//
// Input that is not a capture fails in NewReader with ErrNotCapture. A
// capture cut short yields every whole frame, then an *Error wrapping
// ErrTruncated that says at which frame and byte offset it was cut. Errors
// are *Error values (file, frame number, byte offset) that unwrap to the
// sentinels ErrNotCapture, ErrTruncated, ErrRecordTooLarge, ErrBadVersion,
// ErrBadHeader and ErrBadBlock; after an error Next keeps returning it.
//
// Record lengths: a record whose captured length exceeds
// ReaderOptions.MaxRecord (256 KiB by default, libpcap's and Wireshark's
// limit) is reported as ErrRecordTooLarge before anything is allocated for
// it; so is a pcapng header block larger than max(MaxRecord, 64 KiB). A
// record longer than the snap length of its file or interface is read
// whole by default: libpcap reads it and cuts it to the snap length,
// Wireshark keeps it whole, and the captures that do this (fuzzed files of
// tcpdump's test suite) hold those bytes. ReaderOptions.StrictSnapLen makes
// it an ErrRecordTooLarge instead. Timestamp fractions out of range (at
// least one second) are carried into the seconds, so that Nsec is always
// below 1e9.
package ingest
