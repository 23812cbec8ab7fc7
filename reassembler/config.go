package reassembler

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config configures a Reassembler. The zero value is useful: every
// reassembly is enabled only when at least one of IPv4, IPv6 or TCP is set;
// a zero Config (all three false) enables all three. Zero limits take the
// defaults below.
type Config struct {
	// IPv4, IPv6 and TCP select what is reassembled. All false means all.
	IPv4, IPv6, TCP bool
	// Strict (PyPCAPKit's --strict) also returns datagrams and streams that
	// could not be completed (timeout, eviction, end of capture, gaps),
	// marked incomplete with their holes or gaps. Missing bytes are never
	// zero-filled.
	Strict bool
	// Analyse runs the application analysis (HTTP/1.x, FTP control) on
	// every emitted stream and emits one Message record per message.
	Analyse bool
	// StableFrames says that the caller keeps the bytes of every packet it
	// gives to Add valid and unchanged until Flush has returned (a memory-
	// mapped capture, or frames held in memory). TCP bytes taken in order
	// are then referenced where they lie instead of being copied: the
	// stream records hold their bytes as pieces of the frames, and
	// StreamDir.Bytes joins them when a consumer needs them contiguous.
	// The records are the same either way. It describes the caller, not
	// the capture: it is not part of the capture options on the bus.
	StableFrames bool `msgpack:"-"`

	// FragTimeout is the capture-time lifetime of an unfinished datagram,
	// counted from its first fragment (Linux ipfrag_time). Default 30 s.
	FragTimeout time.Duration
	// FragTimeout6 is the same for IPv6 (RFC 8200 and Linux's
	// ip6frag_time: 60 s). Default 60 s.
	FragTimeout6 time.Duration
	// MaxDatagramBytes caps one reassembled datagram payload. Default 65535;
	// at most MaxValueBytes.
	MaxDatagramBytes int
	// MaxFragments caps the fragments accepted for one datagram. Default 1024.
	MaxFragments int
	// MaxFragBytes caps the memory held by all unfinished datagrams of one
	// Reassembler; the oldest datagram is dropped first. Default 64 MiB.
	MaxFragBytes int
	// MaxDatagrams caps the number of unfinished datagrams. Default 65536.
	MaxDatagrams int

	// TCPIdle is the capture-time idle timeout of a TCP connection.
	// Default 5 minutes (Zeek's tcp_inactivity_timeout).
	TCPIdle time.Duration
	// MaxStreamBytes caps the bytes of one direction kept for the record;
	// longer streams keep only their length and SHA-256. Default 1 MiB;
	// at most MaxValueBytes.
	MaxStreamBytes int
	// MaxPendingBytes caps the out-of-order bytes buffered for one
	// direction; when exceeded the stream skips ahead and records a gap.
	// Default 256 KiB.
	MaxPendingBytes int
	// MaxTotalStreamBytes caps the memory held by all streams of one
	// Reassembler; the least recently active connection is ended first.
	// Default 256 MiB.
	MaxTotalStreamBytes int
	// MaxStreams caps the number of open connections. Default 65536.
	MaxStreams int
	// MaxSegments caps the segment references (frame, offset) kept per
	// direction for frame attribution. Default 65536.
	MaxSegments int
}

// Defaults.
const (
	DefaultFragTimeout         = 30 * time.Second
	DefaultFragTimeout6        = 60 * time.Second
	DefaultMaxDatagramBytes    = 65535
	DefaultMaxFragments        = 1024
	DefaultMaxFragBytes        = 64 << 20
	DefaultMaxDatagrams        = 1 << 16
	DefaultTCPIdle             = 5 * time.Minute
	DefaultMaxStreamBytes      = 1 << 20
	DefaultMaxPendingBytes     = 256 << 10
	DefaultMaxTotalStreamBytes = 256 << 20
	DefaultMaxStreams          = 1 << 16
	DefaultMaxSegments         = 1 << 16
)

// MaxValueBytes is the largest MaxDatagramBytes and MaxStreamBytes: a
// record's bytes are one value of a decoder.Tree, whose lengths are
// 32-bit. New uses it in place of a larger setting; Validate reports one.
const MaxValueBytes = 1<<32 - 1

// maxValueInt is MaxValueBytes as an int (less where int is 32 bits).
const maxValueInt = int(min(uint64(math.MaxInt), MaxValueBytes))

// Validate reports a configuration that cannot work (negative limits).
func (c *Config) Validate() error {
	var errs []error
	neg := func(name string, v int64) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("reassembler: %s is negative (%d)", name, v))
		}
	}
	neg("FragTimeout", int64(c.FragTimeout))
	neg("FragTimeout6", int64(c.FragTimeout6))
	neg("MaxDatagramBytes", int64(c.MaxDatagramBytes))
	neg("MaxFragments", int64(c.MaxFragments))
	neg("MaxFragBytes", int64(c.MaxFragBytes))
	neg("MaxDatagrams", int64(c.MaxDatagrams))
	neg("TCPIdle", int64(c.TCPIdle))
	neg("MaxStreamBytes", int64(c.MaxStreamBytes))
	for _, v := range []struct {
		name string
		v    int
	}{{"MaxDatagramBytes", c.MaxDatagramBytes}, {"MaxStreamBytes", c.MaxStreamBytes}} {
		if v.v > 0 && uint64(v.v) > MaxValueBytes {
			errs = append(errs, fmt.Errorf("reassembler: %s (%d) is more than a record's byte value can hold (%d)", v.name, v.v, uint64(MaxValueBytes)))
		}
	}
	neg("MaxPendingBytes", int64(c.MaxPendingBytes))
	neg("MaxTotalStreamBytes", int64(c.MaxTotalStreamBytes))
	neg("MaxStreams", int64(c.MaxStreams))
	neg("MaxSegments", int64(c.MaxSegments))
	return errors.Join(errs...)
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if !c.IPv4 && !c.IPv6 && !c.TCP {
		c.IPv4, c.IPv6, c.TCP = true, true, true
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.FragTimeout <= 0 {
		c.FragTimeout = DefaultFragTimeout
	}
	if c.FragTimeout6 <= 0 {
		c.FragTimeout6 = DefaultFragTimeout6
	}
	if c.TCPIdle <= 0 {
		c.TCPIdle = DefaultTCPIdle
	}
	def(&c.MaxDatagramBytes, DefaultMaxDatagramBytes)
	def(&c.MaxFragments, DefaultMaxFragments)
	def(&c.MaxFragBytes, DefaultMaxFragBytes)
	def(&c.MaxDatagrams, DefaultMaxDatagrams)
	def(&c.MaxStreamBytes, DefaultMaxStreamBytes)
	def(&c.MaxPendingBytes, DefaultMaxPendingBytes)
	def(&c.MaxTotalStreamBytes, DefaultMaxTotalStreamBytes)
	def(&c.MaxStreams, DefaultMaxStreams)
	def(&c.MaxSegments, DefaultMaxSegments)
	c.MaxDatagramBytes = min(c.MaxDatagramBytes, maxValueInt)
	c.MaxStreamBytes = min(c.MaxStreamBytes, maxValueInt)
	return c
}
