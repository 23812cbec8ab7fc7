package services

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/ingest"
)

// Batch bounds: a FRAMES batch closes after every frame whose index is a
// multiple of bus.AdvanceEvery (the clock period of the stateful stages,
// so that they advance where the inline engine does), or earlier at
// BatchBytes bytes of frame data.
const (
	BatchBytes = 256 << 10
	// ingestWindow is the number of batches in flight before ingest waits
	// for their acknowledgements.
	ingestWindow = 32
)

// IngestStats counts what Ingest published.
type IngestStats struct {
	Frames  uint64
	Batches uint64
	Bytes   uint64
	// ReadErr is the reading error that ended the capture early (a
	// truncated file), nil at a clean end. The capture is still closed
	// properly: its end marker carries the error.
	ReadErr error
}

// Ingest publishes a capture into FRAMES: its metadata, its frames in
// batches, and the end marker, each acknowledged by the server. It
// registers the capture (bus.CaptureBucket) first; a capture id that is
// already registered is an error. A reading error after some frames (a
// truncated file) ends the capture with the error in its end marker and in
// IngestStats.ReadErr; the error returned is the bus's (or ctx's).
func Ingest(ctx context.Context, c *jsbus.Conn, r *ingest.Reader, capture string, opts bus.Options) (IngestStats, error) {
	return ingestPaced(ctx, c, r, capture, opts, nil)
}

// ingestPaced is Ingest with pace, when not nil, called before each batch
// is published with its sequence: it may block to keep ingest from running
// too far ahead of the consumers (the embedded engine keeps its working
// set, and so the server's block caches, small that way).
func ingestPaced(ctx context.Context, c *jsbus.Conn, r *ingest.Reader, capture string, opts bus.Options, pace func(context.Context, uint64) error) (IngestStats, error) {
	var st IngestStats
	if err := bus.ValidCapture(capture); err != nil {
		return st, err
	}
	if err := opts.Validate(); err != nil {
		return st, err
	}
	_, captures, _, err := bucketsOf(ctx, c)
	if err != nil {
		return st, err
	}
	reg, _ := msgpack.Marshal(&CaptureState{V: bus.Version, Capture: capture, Options: opts})
	if _, err := captures.Create(ctx, capture, reg); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return st, fmt.Errorf("capture %s already exists (use another id, or replay it)", capture)
		}
		return st, fmt.Errorf("register capture %s: %w", capture, err)
	}
	pub := c.NewPublisher()

	// The metadata as it stands once the capture is open is what the
	// report header shows (as in the inline engine); the end marker carries
	// it again as it stands at the end.
	meta, _ := msgpack.Marshal(&bus.CaptureMeta{V: bus.Version, Capture: capture, Options: opts, Meta: bus.MetaOf(r.Meta())})
	_ = pub.Publish(bus.FramesMeta(capture), bus.MsgID(capture, 0, "meta", 0, ""), meta)
	if err := pub.Wait(ctx); err != nil {
		return st, err
	}

	// Each batch is encoded straight from the reader's buffer into its
	// message; the ingestWindow messages in flight keep their buffers
	// until pub.Wait says they are stored, then the buffers are reused.
	var f ingest.Frame
	readErr := r.Next(&f)
	bufs := make([][]byte, ingestWindow)
	var fw bus.FrameBatchWriter
	fw.Reset(bufs[0], capture)
	var size int
	var last ingest.Frame
	inflight := 0
	flush := func() error {
		if fw.Len() == 0 {
			return nil
		}
		st.Batches++
		seq := st.Batches
		if pace != nil {
			if err := pace(ctx, seq); err != nil {
				return err
			}
		}
		_ = pub.Publish(bus.FramesBatch(capture), bus.MsgID(capture, 0, "frames", seq, ""), fw.Bytes(bus.Version, seq))
		bufs[inflight] = fw.Buffer()
		size = 0
		inflight++
		if inflight >= ingestWindow {
			inflight = 0
			if err := pub.Wait(ctx); err != nil {
				return err
			}
		}
		fw.Reset(bufs[inflight], capture)
		return nil
	}
	for readErr == nil {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		bf := bus.FrameOf(&f) // Data aliases the reader's buffer until fw.Add copies it
		fw.Add(&bf)
		size += len(f.Data)
		st.Frames++
		st.Bytes += uint64(len(f.Data))
		last = f
		if f.Index%bus.AdvanceEvery == 0 || size >= BatchBytes {
			if err := flush(); err != nil {
				return st, err
			}
		}
		readErr = r.Next(&f)
	}
	if err := flush(); err != nil {
		return st, err
	}
	end := bus.CaptureEnd{V: bus.Version, Capture: capture, Seq: st.Batches + 1, Frames: st.Frames, Batches: st.Batches,
		Sec: last.Sec, Nsec: last.Nsec}
	if !errors.Is(readErr, io.EOF) {
		end.Err = readErr.Error()
	}
	m := bus.MetaOf(r.Meta())
	end.Meta = &m
	data, _ := msgpack.Marshal(&end)
	_ = pub.Publish(bus.FramesEnd(capture), bus.MsgID(capture, 0, "end", 0, ""), data)
	if err := pub.Wait(ctx); err != nil {
		return st, err
	}
	if end.Err != "" {
		st.ReadErr = readErr
	}
	return st, nil
}
