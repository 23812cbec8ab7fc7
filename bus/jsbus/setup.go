package jsbus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/pcapflow/pcapflow/bus"
)

// StreamConfig sizes the streams. The zero value keeps everything (limits
// retention without limits) on file storage with one replica.
type StreamConfig struct {
	Replicas int
	// MaxBytes and MaxAge bound each stream (0: unbounded).
	MaxBytes int64
	MaxAge   time.Duration
	// Duplicates is the window in which the server discards a message whose
	// Nats-Msg-Id it has already stored (default 30 minutes: longer than
	// any redelivery or partition takeover).
	Duplicates time.Duration
	// LeaseTTL is how long a lease outlives its owner's last heartbeat
	// (default 6s).
	LeaseTTL time.Duration
	// AsyncPersist makes the streams write to their files asynchronously
	// (JetStream's async persist mode: the server acknowledges a message
	// once it is in its write buffer and flushes in the background, many
	// messages per write). A clean stop flushes everything, but a crash of
	// the server process may lose the last acknowledged messages, so only
	// a server that lives and dies with its consumers, over a throw-away
	// data directory (the embedded engine), should use it.
	AsyncPersist bool
}

func (c StreamConfig) leaseTTL() time.Duration {
	if c.LeaseTTL <= 0 {
		return 6 * time.Second
	}
	return c.LeaseTTL
}

// Setup declares every stream, bucket and the object store, creating or
// updating them; it is idempotent, so every service runs it at start.
func (c *Conn) Setup(ctx context.Context, sc StreamConfig) error {
	dup := sc.Duplicates
	if dup <= 0 {
		dup = 30 * time.Minute
	}
	if sc.MaxAge > 0 && dup > sc.MaxAge {
		dup = sc.MaxAge
	}
	for _, name := range bus.Streams {
		cfg := jetstream.StreamConfig{
			Name:       name,
			Subjects:   bus.StreamSubjects(name),
			Retention:  jetstream.LimitsPolicy,
			Storage:    jetstream.FileStorage,
			Replicas:   c.replicas(ctx, sc, name),
			MaxBytes:   sc.MaxBytes,
			MaxAge:     sc.MaxAge,
			Duplicates: dup,
			Discard:    jetstream.DiscardOld,
			MaxMsgSize: 8 << 20,
		}
		if sc.AsyncPersist {
			cfg.PersistMode = jetstream.AsyncPersistMode
		}
		if sc.MaxBytes == 0 {
			cfg.MaxBytes = -1
		}
		if err := declare(func() error { _, err := c.JS.CreateOrUpdateStream(ctx, cfg); return err }); err != nil {
			return fmt.Errorf("declare stream %s: %w", name, err)
		}
	}
	if err := declare(func() error {
		_, err := c.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bus.LeaseBucket,
			TTL: sc.leaseTTL(), Storage: jetstream.FileStorage, Replicas: c.replicas(ctx, sc, kvStream(bus.LeaseBucket)), History: 1})
		return err
	}); err != nil {
		return fmt.Errorf("declare bucket %s: %w", bus.LeaseBucket, err)
	}
	if err := declare(func() error {
		_, err := c.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bus.CaptureBucket,
			Storage: jetstream.FileStorage, Replicas: c.replicas(ctx, sc, kvStream(bus.CaptureBucket)), History: 1})
		return err
	}); err != nil {
		return fmt.Errorf("declare bucket %s: %w", bus.CaptureBucket, err)
	}
	if err := declare(func() error {
		_, err := c.JS.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: bus.ReportBucket,
			Storage: jetstream.FileStorage, Replicas: c.replicas(ctx, sc, objStream(bus.ReportBucket))})
		return err
	}); err != nil {
		return fmt.Errorf("declare object store %s: %w", bus.ReportBucket, err)
	}
	return nil
}

// declare runs one create-or-update. Services start together and declare
// the same streams at once: CreateOrUpdate looks the stream up, then creates
// it, so a concurrent creator makes it fail with "stream name already in
// use"; the next attempt finds the stream and updates it instead.
func declare(f func() error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = f()
		if err == nil || !(errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) || strings.Contains(err.Error(), "already in use")) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
	}
	return err
}

// Buckets returns the lease and capture buckets and the report store.
func (c *Conn) Buckets(ctx context.Context) (leases, captures jetstream.KeyValue, reports jetstream.ObjectStore, err error) {
	if leases, err = c.JS.KeyValue(ctx, bus.LeaseBucket); err != nil {
		return nil, nil, nil, fmt.Errorf("open bucket %s: %w", bus.LeaseBucket, err)
	}
	if captures, err = c.JS.KeyValue(ctx, bus.CaptureBucket); err != nil {
		return nil, nil, nil, fmt.Errorf("open bucket %s: %w", bus.CaptureBucket, err)
	}
	if reports, err = c.JS.ObjectStore(ctx, bus.ReportBucket); err != nil {
		return nil, nil, nil, fmt.Errorf("open object store %s: %w", bus.ReportBucket, err)
	}
	return leases, captures, reports, nil
}

// ReportStore opens the report bucket for putting large objects, through
// a JetStream context that keeps at most reportPutPending chunks (128 KiB
// each) unacknowledged: nats.go's default, 4,000 (500 MiB), overflows a
// stream's ingest queue (128 MiB in nats-server), which refuses the rest
// with "429 too many requests" and fails the put (seen on 2.7 GB reports).
// cleanup releases the context's publisher once the puts are done.
func (c *Conn) ReportStore(ctx context.Context) (store jetstream.ObjectStore, cleanup func(), err error) {
	js, err := jetstream.New(c.NC, jetstream.WithPublishAsyncMaxPending(reportPutPending),
		jetstream.WithDefaultTimeout(c.cfg.timeout()))
	if err != nil {
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	if store, err = js.ObjectStore(ctx, bus.ReportBucket); err != nil {
		return nil, nil, fmt.Errorf("open object store %s: %w", bus.ReportBucket, err)
	}
	return store, js.CleanupPublisher, nil
}

const reportPutPending = 64

// LastMsg returns the data of the last message stored on subject in
// stream, or nil when there is none.
//
// Each call is bounded by the connection's timeout even under a longer
// ctx: a request lost in a server restart must not hang its caller.
func (c *Conn) LastMsg(ctx context.Context, stream, subject string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout())
	defer cancel()
	s, err := c.JS.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	m, err := s.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return m.Data, nil
}

// ObjectStream is the stream that holds the object store bucket's data.
func ObjectStream(bucket string) string { return objStream(bucket) }

// ObjectChunks is the subject of the chunks of the object with this NUID
// (the object store's layout, NATS ADR-20).
func ObjectChunks(bucket, nuid string) string { return "$O." + bucket + ".C." + nuid }
