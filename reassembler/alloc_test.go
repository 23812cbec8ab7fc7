package reassembler

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/reporter"
)

// TestStreamSteadyStateAllocs: once the pools hold the buffers of an
// earlier stream, a segment of an established connection allocates
// nothing (bytes, segment and frame lists grow from the pools).
func TestStreamSteadyStateAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under -cover and -race")
	}
	r := New(Config{TCP: true})
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	var idx uint64
	emit := func(Record) {}
	add := func(pkt []byte) {
		idx++
		dec.Decode(pkt, 101, &p)
		r.Add(reporter.FrameInfo{Index: idx, Sec: 1700000000, Nsec: uint32(idx), OrigLen: uint32(len(pkt))}, &p, emit)
	}
	const segs, size = 700, 1000
	pl := pattern(size, 3)
	conn := func(cisn, sisn uint32) (open, data [][]byte, fins [][]byte) {
		cv := &conversation{t: t, cisn: cisn, sisn: sisn}
		open = cv.handshake()
		for i := range segs {
			data = append(data, cv.pkt(false, sisn+1+uint32(i*size), cisn+1, craft.ACK, pl))
		}
		end := sisn + 1 + segs*size
		fins = [][]byte{cv.pkt(true, cisn+1, end, craft.FIN|craft.ACK, nil), cv.pkt(false, end, cisn+2, craft.FIN|craft.ACK, nil)}
		return
	}
	// A first connection fills the pools.
	open, data, fins := conn(100, 5000)
	for _, b := range append(append(open, data...), fins...) {
		add(b)
	}
	if r.Stats().Streams != 1 {
		t.Fatalf("warm-up: %d streams", r.Stats().Streams)
	}
	// Every allocation counts (testing.AllocsPerRun would round an
	// amortized growth down to zero). The count is the process's: once in
	// a few hundred runs the runtime allocates a few objects of its own
	// during the loop (no collection runs), so a fresh connection is tried
	// up to three times; an allocation of the reassembler's own happens
	// every time.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var counts []uint64
	for try := range 3 {
		if try > 0 {
			// End the last connection: its buffers go back to the pools.
			for _, b := range fins {
				add(b)
			}
		}
		open, data, fins = conn(9000+uint32(try)*1000, 70000+uint32(try)*1000000)
		for _, b := range open {
			add(b)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, b := range data {
			add(b)
		}
		runtime.ReadMemStats(&after)
		counts = append(counts, after.Mallocs-before.Mallocs)
		if counts[try] == 0 {
			break
		}
	}
	if n := counts[len(counts)-1]; n != 0 {
		t.Errorf("allocations for %d segments of an established stream: %v in %d tries, want 0", len(data), counts, len(counts))
	}
	if _, m := r.Memory(); m == 0 {
		t.Error("no stream memory held: the segments were not taken")
	}
}
