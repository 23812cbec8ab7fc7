package tracer

import (
	"errors"
	"fmt"
	"time"
)

// Config configures a Tracer. The zero value traces TCP, UDP and ICMP echo
// bidirectionally with Zeek's default timeouts.
type Config struct {
	// TCP, UDP and ICMP select the flows traced; all false means all.
	TCP, UDP, ICMP bool
	// Unidirectional keys flows by direction (PyPCAPKit's TCP flows): each
	// direction of a connection is its own flow, originator = sender.
	Unidirectional bool
	// Idle timeouts in capture time (Zeek: tcp_inactivity_timeout 5 min,
	// udp and icmp 1 min).
	TCPIdle, UDPIdle, ICMPIdle time.Duration
	// CloseDelay is how long a TCP flow closed by FIN both ways or RST
	// stays open for its last ACKs and retransmissions (Zeek's
	// tcp_close_delay, 5 s). A new SYN on its 5-tuple ends it at once.
	CloseDelay time.Duration
	// MaxFlows caps the open flows; the least recently active one is
	// ended ("evicted") first. Default 1<<20.
	MaxFlows int
	// MaxFrames caps the frame numbers listed per flow (the counters stay
	// exact). Default 1<<16.
	MaxFrames int
	// Sink, when set, receives every packet of every flow and each flow's
	// end (per-flow output files).
	Sink Sink
}

// Defaults.
const (
	DefaultTCPIdle    = 5 * time.Minute
	DefaultUDPIdle    = time.Minute
	DefaultICMPIdle   = time.Minute
	DefaultCloseDelay = 5 * time.Second
	DefaultMaxFlows   = 1 << 20
	DefaultMaxFrames  = 1 << 16
)

// Validate reports negative limits.
func (c *Config) Validate() error {
	var errs []error
	for _, v := range []struct {
		n string
		v int64
	}{{"TCPIdle", int64(c.TCPIdle)}, {"UDPIdle", int64(c.UDPIdle)}, {"ICMPIdle", int64(c.ICMPIdle)},
		{"CloseDelay", int64(c.CloseDelay)}, {"MaxFlows", int64(c.MaxFlows)}, {"MaxFrames", int64(c.MaxFrames)}} {
		if v.v < 0 {
			errs = append(errs, fmt.Errorf("tracer: %s is negative (%d)", v.n, v.v))
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if !c.TCP && !c.UDP && !c.ICMP {
		c.TCP, c.UDP, c.ICMP = true, true, true
	}
	d := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	d(&c.TCPIdle, DefaultTCPIdle)
	d(&c.UDPIdle, DefaultUDPIdle)
	d(&c.ICMPIdle, DefaultICMPIdle)
	d(&c.CloseDelay, DefaultCloseDelay)
	if c.MaxFlows <= 0 {
		c.MaxFlows = DefaultMaxFlows
	}
	if c.MaxFrames <= 0 {
		c.MaxFrames = DefaultMaxFrames
	}
	return c
}
