package services

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
)

// CaptureState is a capture's entry in the capture registry (bucket
// bus.CaptureBucket, key = capture id). Ingest creates it; replay bumps
// Gen, which makes every stage process the capture again under new
// message ids.
type CaptureState struct {
	V       int         `msgpack:"v"`
	Capture string      `msgpack:"capture"`
	Gen     uint32      `msgpack:"gen"`
	Options bus.Options `msgpack:"options"`
}

// doneKey is the registry key that marks a unit of work finished: a
// partition of a stateful stage, or the reporter's capture (part -1).
func doneKey(stage, capture string, gen uint32, part int) string {
	k := capture + "." + strconv.FormatUint(uint64(gen), 10) + "." + stage
	if part >= 0 {
		k += "." + strconv.Itoa(part)
	}
	return k
}

// leaseKey is the lease-bucket key of the same unit.
func leaseKey(stage, capture string, gen uint32, part int) string {
	k := stage + "." + capture + "." + strconv.FormatUint(uint64(gen), 10)
	if part >= 0 {
		k += "." + strconv.Itoa(part)
	}
	return k
}

func getCapture(ctx context.Context, kv jetstream.KeyValue, capture string) (*CaptureState, uint64, error) {
	e, err := kv.Get(ctx, capture)
	if err != nil {
		return nil, 0, err
	}
	var st CaptureState
	if err := bus.Unmarshal(e.Value(), &st); err != nil {
		return nil, 0, fmt.Errorf("capture %s: bad registry entry: %w", capture, err)
	}
	return &st, e.Revision(), nil
}

func isDone(ctx context.Context, kv jetstream.KeyValue, key string) (bool, error) {
	_, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

func markDone(ctx context.Context, kv jetstream.KeyValue, key string) error {
	_, err := kv.Put(ctx, key, []byte("done"))
	return err
}

// bucketsOf opens the registry and lease buckets and the report store.
func bucketsOf(ctx context.Context, c *jsbus.Conn) (leases, captures jetstream.KeyValue, reports jetstream.ObjectStore, err error) {
	return c.Buckets(ctx)
}
