package services

import (
	"errors"
	"io"
	"runtime"
	"sync/atomic"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reporter"
)

// FeedOptions configures Feed.
type FeedOptions struct {
	// Decode configures the decoder.
	Decode decoder.Options
	// Live means the frames must reach add as they arrive (a live stream
	// on standard input): Feed then reads, decodes and calls add in one
	// goroutine. Otherwise, with more than one P, reading and decoding run
	// in a goroutine of their own, a batch ahead of add.
	Live bool
}

// Feed reads every frame of r, decodes it and passes it to add, in frame
// order, in the calling goroutine; after every bus.AdvanceEvery frames, and
// after the last one, it calls advance with the last frame's timestamp and
// index (the capture-time clock of the stateful cores: reassembler.Advance,
// tracer.Advance). The Packet passed to add is valid only during the
// call; the bytes it points to too, unless r is Stable (a mapped file):
// they then stay valid until r's Closer is called, so the stateful cores
// may reference them (reassembler.Config.StableFrames). Feed returns r's
// first error other than io.EOF, or, for a mapped file changed while
// being read, the error ingest.GuardFault gives (the calls to add and
// advance end at the fault).
func Feed(r *ingest.Reader, o FeedOptions, add func(reporter.FrameInfo, *decoder.Packet), advance func(sec int64, nsec uint32, index uint64)) error {
	if o.Live || runtime.GOMAXPROCS(0) < 2 {
		return feedSerial(r, o, add, advance)
	}
	return feedPipelined(r, o, add, advance)
}

func feedSerial(r *ingest.Reader, o FeedOptions, add func(reporter.FrameInfo, *decoder.Packet), advance func(int64, uint32, uint64)) (err error) {
	defer ingest.GuardFault(&err)()
	dec := decoder.New(o.Decode)
	var (
		p       decoder.Packet
		f       ingest.Frame
		last    reporter.FrameInfo
		pending bool
	)
	for {
		if err := r.Next(&f); err != nil {
			if pending {
				advance(last.Sec, last.Nsec, last.Index)
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		dec.Decode(f.Data, f.LinkType, &p)
		last = reporter.FrameInfoOf(&f)
		add(last, &p)
		pending = true
		if f.Index%bus.AdvanceEvery == 0 {
			advance(last.Sec, last.Nsec, last.Index)
			pending = false
		}
	}
}

// feedBatch is a batch of decoded frames: their bytes copied out of the
// reader's buffer into arena (unless the reader is Stable: the Packets
// then point into its memory), and their Packets.
type feedBatch struct {
	n     int
	arena []byte
	info  [bus.AdvanceEvery]reporter.FrameInfo
	pkts  [bus.AdvanceEvery]decoder.Packet
	err   error // the read error that ended the capture, on the last batch
}

// feedPipelined reads and decodes in a second goroutine, a batch at a
// time, while the caller's goroutine runs add on the previous batch.
// Batches end after frame indexes that are multiples of bus.AdvanceEvery, as
// the advance calls of feedSerial do, or earlier when their arena is full
// (an arena never grows under decoded Packets: only an empty batch's
// does). Three batches circulate, so the channel sends never block. A
// fault on a mapped file ends the reading (the error comes with the last
// batch) or the calls to add (the batches still in flight are drained).
func feedPipelined(r *ingest.Reader, o FeedOptions, add func(reporter.FrameInfo, *decoder.Packet), advance func(int64, uint32, uint64)) error {
	const batches = 3
	free := make(chan *feedBatch, batches)
	full := make(chan *feedBatch, batches)
	stable := r.Stable()
	for range batches {
		b := &feedBatch{}
		if !stable {
			b.arena = make([]byte, 0, 512<<10)
		}
		free <- b
	}
	var stop atomic.Bool // add failed: read no further
	go func() {
		defer close(full)
		b := <-free
		b.err = readBatches(r, o, stable, &b, free, full, &stop)
		full <- b
	}()
	var (
		last    reporter.FrameInfo
		pending bool
		err     error
	)
	consume := func(b *feedBatch) (err error) {
		defer ingest.GuardFault(&err)()
		for i := 0; i < b.n; i++ {
			last = b.info[i]
			add(last, &b.pkts[i])
			pending = true
			if last.Index%bus.AdvanceEvery == 0 {
				advance(last.Sec, last.Nsec, last.Index)
				pending = false
			}
		}
		if pending && b.err != nil {
			advance(last.Sec, last.Nsec, last.Index)
			pending = false
		}
		return nil
	}
	for b := range full {
		if err == nil {
			if err = consume(b); err != nil {
				stop.Store(true)
			}
		}
		if err == nil && b.err != nil && !errors.Is(b.err, io.EOF) {
			err = b.err
		}
		b.n, b.arena, b.err = 0, b.arena[:0], nil
		free <- b
	}
	return err
}

// readBatches reads and decodes frames into batches (*bp the one being
// filled) until the end of the capture, an error or stop, and returns
// why it stopped.
func readBatches(r *ingest.Reader, o FeedOptions, stable bool, bp **feedBatch, free, full chan *feedBatch, stop *atomic.Bool) (err error) {
	defer ingest.GuardFault(&err)()
	dec := decoder.New(o.Decode)
	var f ingest.Frame
	for !stop.Load() {
		if err := r.Next(&f); err != nil {
			return err
		}
		b := *bp
		if b.n == bus.AdvanceEvery || !stable && b.n > 0 && len(b.arena)+len(f.Data) > cap(b.arena) {
			full <- b
			b = <-free
			*bp = b
		}
		b.add(&f, dec, stable)
		if f.Index%bus.AdvanceEvery == 0 {
			full <- b
			*bp = <-free
		}
	}
	return io.EOF
}

// add decodes f into the batch: in place when the reader is stable, else
// copied into the batch's arena.
func (b *feedBatch) add(f *ingest.Frame, dec *decoder.Decoder, stable bool) {
	data := f.Data
	if !stable {
		if len(f.Data) > cap(b.arena) { // b is empty: grow its arena
			b.arena = make([]byte, 0, max(2*cap(b.arena), len(f.Data)))
		}
		off := len(b.arena)
		b.arena = append(b.arena, f.Data...)
		data = b.arena[off:len(b.arena):len(b.arena)]
	}
	b.info[b.n] = reporter.FrameInfoOf(f)
	dec.Decode(data, f.LinkType, &b.pkts[b.n])
	b.n++
}
