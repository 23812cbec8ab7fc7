package services

import (
	"errors"
	"io"
	"runtime"

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
// tracer.Advance). The Packet passed to add, and the bytes it points to,
// are valid only during the call. Feed returns r's first error other
// than io.EOF.
func Feed(r *ingest.Reader, o FeedOptions, add func(reporter.FrameInfo, *decoder.Packet), advance func(sec int64, nsec uint32, index uint64)) error {
	if o.Live || runtime.GOMAXPROCS(0) < 2 {
		return feedSerial(r, o, add, advance)
	}
	return feedPipelined(r, o, add, advance)
}

func feedSerial(r *ingest.Reader, o FeedOptions, add func(reporter.FrameInfo, *decoder.Packet), advance func(int64, uint32, uint64)) error {
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
// reader's buffer into arena, and their Packets.
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
// does). Three batches circulate, so the channel sends never block.
func feedPipelined(r *ingest.Reader, o FeedOptions, add func(reporter.FrameInfo, *decoder.Packet), advance func(int64, uint32, uint64)) error {
	const batches = 3
	free := make(chan *feedBatch, batches)
	full := make(chan *feedBatch, batches)
	for range batches {
		free <- &feedBatch{arena: make([]byte, 0, 512<<10)}
	}
	go func() {
		defer close(full)
		dec := decoder.New(o.Decode)
		var f ingest.Frame
		b := <-free
		for {
			if err := r.Next(&f); err != nil {
				b.err = err
				full <- b
				return
			}
			if b.n == bus.AdvanceEvery || b.n > 0 && len(b.arena)+len(f.Data) > cap(b.arena) {
				full <- b
				b = <-free
			}
			b.add(&f, dec)
			if f.Index%bus.AdvanceEvery == 0 {
				full <- b
				b = <-free
			}
		}
	}()
	var (
		last    reporter.FrameInfo
		pending bool
		err     error
	)
	for b := range full {
		for i := 0; i < b.n; i++ {
			last = b.info[i]
			add(last, &b.pkts[i])
			pending = true
			if last.Index%bus.AdvanceEvery == 0 {
				advance(last.Sec, last.Nsec, last.Index)
				pending = false
			}
		}
		if b.err != nil && !errors.Is(b.err, io.EOF) {
			err = b.err
		}
		b.n, b.arena, b.err = 0, b.arena[:0], nil
		free <- b
	}
	if pending {
		advance(last.Sec, last.Nsec, last.Index)
	}
	return err
}

// add copies f into the batch and decodes it there.
func (b *feedBatch) add(f *ingest.Frame, dec *decoder.Decoder) {
	if len(f.Data) > cap(b.arena) { // b is empty: grow its arena
		b.arena = make([]byte, 0, max(2*cap(b.arena), len(f.Data)))
	}
	off := len(b.arena)
	b.arena = append(b.arena, f.Data...)
	data := b.arena[off:len(b.arena):len(b.arena)]
	b.info[b.n] = reporter.FrameInfoOf(f)
	dec.Decode(data, f.LinkType, &b.pkts[b.n])
	b.n++
}
