package services

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
)

// Replay rebuilds the projections of a capture from FRAMES alone: it
// deletes the capture's DECODED, REASSEMBLED, FLOWS and report messages,
// bumps its generation in the registry (so that every output is
// republished under new message ids and every stage runs again), and
// decodes FRAMES again with decoders in this process (workers of them).
// The deployment's reassemblers, tracers and reporter then rebuild the
// rest; wait with WaitReport(ctx, c, capture, gen).
func Replay(ctx context.Context, c *jsbus.Conn, capture string, workers int) (uint32, error) {
	if err := bus.ValidCapture(capture); err != nil {
		return 0, err
	}
	_, captures, _, err := c.Buckets(ctx)
	if err != nil {
		return 0, err
	}
	st, rev, err := getCapture(ctx, captures, capture)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, fmt.Errorf("replay: no capture %s in the registry", capture)
	}
	if err != nil {
		return 0, fmt.Errorf("replay: %w", err)
	}
	if data, err := c.LastMsg(ctx, bus.StreamFrames, bus.FramesEnd(capture)); err != nil || data == nil {
		return 0, fmt.Errorf("replay: capture %s has no end marker on FRAMES (still being ingested, or lost)", capture)
	}
	for _, p := range []struct{ stream, subject string }{
		{bus.StreamDecoded, bus.DecodedRoot + "." + capture + ".>"},
		{bus.StreamDecoded, bus.EventRoot + "." + capture + ".>"},
		{bus.StreamReassembled, bus.ReassembledRoot + "." + capture + ".>"},
		{bus.StreamFlows, bus.FlowsRoot + "." + capture + ".>"},
		{bus.StreamReports, bus.ReportRoot + "." + capture + ".>"},
	} {
		s, err := c.JS.Stream(ctx, p.stream)
		if err != nil {
			return 0, fmt.Errorf("replay: %w", err)
		}
		if err := s.Purge(ctx, jetstream.WithPurgeSubject(p.subject)); err != nil {
			return 0, fmt.Errorf("replay: purge %s: %w", p.subject, err)
		}
	}
	st.Gen++
	data, _ := msgpack.Marshal(st)
	if _, err := captures.Update(ctx, capture, data, rev); err != nil {
		return 0, fmt.Errorf("replay: another replay of %s is running? %w", capture, err)
	}
	durable := "replay-" + capture + "-" + strconv.FormatUint(uint64(st.Gen), 10)
	d := NewDecoder(c, DecoderConfig{Workers: workers, Durable: durable, Filter: bus.Frames(capture), Gen: st.Gen, StopAfterEnd: true})
	if err := d.Run(ctx); err != nil {
		return st.Gen, fmt.Errorf("replay: decode: %w", err)
	}
	_ = c.JS.DeleteConsumer(ctx, bus.StreamFrames, durable)
	return st.Gen, nil
}
