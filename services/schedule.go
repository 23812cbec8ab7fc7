package services

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
)

// A unit is one piece of stateful work: a partition of a capture for the
// reassembler or the tracer, a whole capture for the reporter. Each unit
// has one owner at a time, which holds its lease (bucket bus.LeaseBucket)
// and renews it; when the owner dies the lease expires and another
// instance takes the unit over. Units are deterministic functions of the
// capture's DECODED messages, so the new owner simply runs the unit again
// from the start of the capture: outputs it republishes carry the same
// message ids and the server discards the duplicates, and consumers
// downstream skip any sequence they already hold.
type unitFunc func(ctx context.Context, st *CaptureState, part int) error

// schedulerConfig configures a scheduler.
type schedulerConfig struct {
	stage string
	// perPartition: one unit per partition (else one per capture, part -1).
	perPartition bool
	// wants reports whether the stage has work for a capture at all.
	wants func(*CaptureState) bool
	run   unitFunc
	owner string
	ttl   time.Duration
	// only restricts the scheduler to one capture (and makes Run return
	// once its units are done); empty for every capture.
	only    string
	onlyGen uint32
}

type unitKey struct {
	capture string
	gen     uint32
	part    int
}

type scheduler struct {
	c   *jsbus.Conn
	cfg schedulerConfig
	log *slog.Logger

	leases, captures jetstream.KeyValue

	mu      sync.Mutex
	known   map[string]*CaptureState
	running map[unitKey]bool
	done    map[unitKey]bool
	wg      sync.WaitGroup
	kick    chan struct{}
}

func newScheduler(c *jsbus.Conn, cfg schedulerConfig) *scheduler {
	if cfg.ttl <= 0 {
		cfg.ttl = 6 * time.Second
	}
	if cfg.owner == "" {
		cfg.owner = fmt.Sprintf("%s-%08x", cfg.stage, rand.Uint32())
	}
	return &scheduler{c: c, cfg: cfg, log: c.Log.With("stage", cfg.stage, "owner", cfg.owner),
		known: map[string]*CaptureState{}, running: map[unitKey]bool{}, done: map[unitKey]bool{},
		kick: make(chan struct{}, 1)}
}

// Run schedules units until ctx ends, then waits for the running units to
// stop (they stop at once on cancellation; their leases are released so
// that another instance resumes them).
func (s *scheduler) Run(ctx context.Context) error {
	var err error
	s.leases, s.captures, _, err = s.c.Buckets(ctx)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	filter := "*"
	if s.cfg.only != "" {
		filter = s.cfg.only
	}
	w, err := s.captures.Watch(wctx, filter)
	if err != nil {
		return fmt.Errorf("%s: watch captures: %w", s.cfg.stage, err)
	}
	defer w.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	defer s.wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				// The watcher ends when the connection is lost for long;
				// start a new one.
				w, err = s.captures.Watch(wctx, filter)
				if err != nil {
					s.log.Warn("watch captures", "err", err)
					time.Sleep(time.Second)
				}
				continue
			}
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			var st CaptureState
			if err := bus.Unmarshal(e.Value(), &st); err != nil {
				s.log.Warn("bad capture registry entry", "key", e.Key(), "err", err)
				continue
			}
			s.mu.Lock()
			s.known[st.Capture] = &st
			s.mu.Unlock()
			s.scan(ctx)
		case <-tick.C:
			s.scan(ctx)
		case <-s.kick:
			s.scan(ctx)
		}
		if s.cfg.only != "" && s.finished() {
			return nil
		}
	}
}

// finished reports whether every unit of the only capture is done.
func (s *scheduler) finished() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.known[s.cfg.only]
	if st == nil || st.Gen < s.cfg.onlyGen {
		return false
	}
	for _, p := range s.parts(st) {
		if !s.done[unitKey{st.Capture, st.Gen, p}] {
			return false
		}
	}
	return true
}

func (s *scheduler) parts(st *CaptureState) []int {
	if !s.cfg.perPartition {
		return []int{-1}
	}
	n := st.Options.NumPartitions()
	ps := make([]int, n)
	off := rand.IntN(n) // spread instances over the partitions
	for i := range ps {
		ps[i] = (i + off) % n
	}
	return ps
}

// scan tries to take every unit that is neither done nor running here.
func (s *scheduler) scan(ctx context.Context) {
	s.mu.Lock()
	var sts []*CaptureState
	for _, st := range s.known {
		sts = append(sts, st)
	}
	s.mu.Unlock()
	for _, st := range sts {
		if s.cfg.wants != nil && !s.cfg.wants(st) {
			continue
		}
		acquired := 0
		for _, p := range s.parts(st) {
			k := unitKey{st.Capture, st.Gen, p}
			s.mu.Lock()
			skip := s.running[k] || s.done[k]
			s.mu.Unlock()
			if skip {
				continue
			}
			if done, err := isDone(ctx, s.captures, doneKey(s.cfg.stage, k.capture, k.gen, p)); err != nil {
				continue
			} else if done {
				s.mu.Lock()
				s.done[k] = true
				s.mu.Unlock()
				continue
			}
			// Leave some units to the other instances: after the first
			// unit of a scan, take more only if they are still free a
			// moment later.
			if acquired > 0 {
				time.Sleep(time.Duration(20+rand.IntN(30)) * time.Millisecond)
			}
			l, err := jsbus.Acquire(ctx, s.leases, leaseKey(s.cfg.stage, k.capture, k.gen, p), s.cfg.owner, s.cfg.ttl)
			if err != nil {
				s.log.Warn("acquire lease", "capture", k.capture, "partition", p, "err", err)
				continue
			}
			if l == nil {
				continue
			}
			acquired++
			s.mu.Lock()
			s.running[k] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go s.runUnit(ctx, st, k, l)
		}
	}
}

func (s *scheduler) runUnit(ctx context.Context, st *CaptureState, k unitKey, l *jsbus.Lease) {
	defer s.wg.Done()
	uctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-l.Lost():
			s.log.Warn("lease lost, giving the unit up", "capture", k.capture, "partition", k.part)
			cancel()
		case <-uctx.Done():
		}
	}()
	s.log.Info("unit started", "capture", k.capture, "gen", k.gen, "partition", k.part)
	err := s.cfg.run(uctx, st, k.part)
	cancel()
	if err == nil {
		err = markDone(context.Background(), s.captures, doneKey(s.cfg.stage, k.capture, k.gen, k.part))
	}
	rctx, rcancel := context.WithTimeout(context.Background(), s.c.Timeout())
	l.Release(rctx)
	rcancel()
	s.mu.Lock()
	delete(s.running, k)
	if err == nil {
		s.done[k] = true
	}
	s.mu.Unlock()
	switch {
	case err == nil:
		s.log.Info("unit done", "capture", k.capture, "gen", k.gen, "partition", k.part)
	case errors.Is(err, context.Canceled):
	default:
		s.log.Error("unit failed, will retry", "capture", k.capture, "partition", k.part, "err", err)
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// How many messages readOrdered's consumers buffer: FRAMES batches (and
// report chunks) are up to BatchBytes, so 32 of them make the 8 MiB of the
// fetches; DECODED batches of one partition are small (a few KiB: 256
// frames' spans split among the partitions), and a reader of every
// partition of a capture has up to partitions × the batches ingest runs
// ahead; records batches fall between.
const (
	frameMsgs   = 32
	decodedMsgs = 512
	recordMsgs  = 256
)

// readOrdered reads the messages of stream matching filters from the
// start, in stream order, through an ordered consumer, calling fn until it
// returns stop or an error, or ctx ends. The consumer buffers up to
// maxMsgs messages, fetched maxBytes at most at a time (which must hold
// the largest message).
func readOrdered(ctx context.Context, c *jsbus.Conn, stream string, filters []string, maxMsgs, maxBytes int,
	fn func(jetstream.Msg) (stop bool, err error)) error {
	cons, err := c.JS.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: filters,
		DeliverPolicy: jetstream.DeliverAllPolicy, InactiveThreshold: time.Minute})
	if err != nil {
		return fmt.Errorf("read %s %v: %w", stream, filters, err)
	}
	// A message count, not a byte limit alone: with that, nats.go sizes
	// the channel it buffers messages in for a million of them (8 MiB of
	// pointers per consumer, which every GC cycle scans: 145 MiB of the
	// live heap of an embedded run with reassembly and tracing).
	it, err := cons.Messages(jetstream.PullMaxMessagesWithBytesLimit(maxMsgs, maxBytes),
		jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(2*time.Second))
	if err != nil {
		return fmt.Errorf("read %s %v: %w", stream, filters, err)
	}
	defer it.Stop()
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			it.Stop()
		case <-stopped:
		}
	}()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return ctx.Err()
			}
			return fmt.Errorf("read %s %v: %w", stream, filters, err)
		}
		stop, err := fn(m)
		if err != nil || stop {
			return err
		}
	}
}

// reorder restores input order over the messages of one partition: it
// holds what arrives early and hands out batches by increasing sequence,
// dropping duplicates.
type reorder[T any] struct {
	next    uint64
	pending map[uint64]T
}

func newReorder[T any]() *reorder[T] { return &reorder[T]{next: 1, pending: map[uint64]T{}} }

// put stores v under seq unless it was seen; it reports whether v is new.
func (r *reorder[T]) put(seq uint64, v T) bool {
	if seq < r.next {
		return false
	}
	if _, ok := r.pending[seq]; ok {
		return false
	}
	r.pending[seq] = v
	return true
}

// ready reports whether the next batch in order is there.
func (r *reorder[T]) ready() bool {
	_, ok := r.pending[r.next]
	return ok
}

// pop hands out the next batch in order (ready must be true).
func (r *reorder[T]) pop() T {
	v := r.pending[r.next]
	delete(r.pending, r.next)
	r.next++
	return v
}

var _ = bus.Version
