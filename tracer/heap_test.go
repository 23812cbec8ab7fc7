package tracer

import (
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/reporter"
)

// TestStaleHeapEntriesBounded: flows ended outside Advance (here: a new
// SYN reusing the 5-tuple, and closes that move deadlines earlier) leave
// non-current heap entries; the heap drops them before they outnumber the
// open flows, and every flow still comes out once, in order.
func TestStaleHeapEntriesBounded(t *testing.T) {
	const n = 5000
	c := newCapture(t)
	for i := range n {
		// A SYN with a new ISN on the same 5-tuple ends the previous flow
		// ("reused"); every tenth flow also gets an RST (closing).
		c.tcp(cli, srv, 40000, 80, uint32(1000*i+1), 0, craft.SYN, "")
		if i%10 == 0 {
			c.tcp(srv, cli, 80, 40000, 0, uint32(1000*i+2), craft.RST|craft.ACK, "")
		}
		// A second, long-lived flow that stays open throughout.
		c.tcp(cli, srv, 40001, 81, 7, 0, craft.ACK, "")
	}
	c.wait(time.Millisecond)
	tr := New(Config{})
	maxHeap := 0
	var out []*Flow
	emit := func(f *Flow) { out = append(out, f) }
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	for i, f := range c.frames {
		dec.Decode(f.data, 1, &p)
		tr.Add(reporter.FrameInfo{Index: uint64(i + 1), Sec: f.sec, Nsec: f.nsec, Digits: 6, CapLen: uint32(len(f.data)), OrigLen: uint32(len(f.data))}, &p, emit)
		maxHeap = max(maxHeap, len(tr.heap.h))
	}
	tr.Flush(emit)
	if maxHeap > 2*1025+2 {
		t.Errorf("heap grew to %d entries for at most 2 open flows", maxHeap)
	}
	if len(out) != n+1 {
		t.Fatalf("%d flows, want %d", len(out), n+1)
	}
	for i, f := range out[:n-1] {
		want := "reused"
		if i%10 == 0 {
			want = "rst" // a new SYN ends a closed flow with its close reason
		}
		if f.End != want || f.OrigPkts != 1 {
			t.Fatalf("flow %d: end %q, %d packets; want %q, 1", i, f.End, f.OrigPkts, want)
		}
		if i > 0 && !Less(out[i-1], f) {
			t.Fatalf("flow %d out of order", i)
		}
	}
	// At the end: the long flow (first frame 2), then the last SYN's.
	if long := out[n-1]; long.DstPort != 81 || long.OrigPkts != n || long.End != "end of capture" {
		t.Errorf("long flow: port %d, %d packets, end %q", long.DstPort, long.OrigPkts, long.End)
	}
	if last := out[n]; last.DstPort != 80 || last.OrigPkts != 1 || last.End != "end of capture" {
		t.Errorf("last flow: port %d, %d packets, end %q", last.DstPort, last.OrigPkts, last.End)
	}
}
