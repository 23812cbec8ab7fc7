package tracer

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/reporter"
)

// TestFlowSteadyStateAllocs: a packet of an established flow allocates
// nothing but the doublings of the flow's frame list.
func TestFlowSteadyStateAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under -cover and -race")
	}
	const n = 2000
	c := newCapture(t)
	c.tcp(cli, srv, 40000, 80, 100, 0, craft.SYN, "")
	c.tcp(srv, cli, 80, 40000, 9000, 101, craft.SYN|craft.ACK, "")
	for i := range n {
		if i%2 == 0 {
			c.tcp(cli, srv, 40000, 80, 101, 9001+uint32(i*50), craft.ACK, "")
		} else {
			c.tcp(srv, cli, 80, 40000, 9001+uint32(i*50), 101, craft.ACK|craft.PSH, string(make([]byte, 100)))
		}
	}
	tr := New(Config{})
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	emit := func(*Flow) { t.Error("a flow ended") }
	add := func(i int) {
		f := &c.frames[i]
		dec.Decode(f.data, 1, &p)
		tr.Add(reporter.FrameInfo{Index: uint64(i + 1), Sec: f.sec, Nsec: f.nsec, Digits: 6, CapLen: uint32(len(f.data)), OrigLen: uint32(len(f.data))}, &p, emit)
	}
	add(0)
	add(1)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 2; i < len(c.frames); i++ {
		add(i)
	}
	runtime.ReadMemStats(&after)
	// The frame list starts with 8 entries inline, then grows as append
	// grows it: those steps are the only allocations allowed.
	var max uint64
	list := make([]uint64, 0, 8)
	for i := range c.frames {
		if len(list) == cap(list) {
			max++
		}
		list = append(list, uint64(i))
	}
	if got := after.Mallocs - before.Mallocs; got > max {
		t.Errorf("%d allocations for %d packets of an established flow, want at most %d (frame list growth)", got, n, max)
	}
	if tr.Open() != 1 {
		t.Errorf("%d flows open, want 1", tr.Open())
	}
}
