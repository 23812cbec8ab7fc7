package jsbus

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Lease is ownership of one key of the lease bucket: a partition of a
// capture for a stateful stage, or a capture for the reporter. Its owner
// renews it every third of the bucket TTL; when the owner dies the key
// expires and another instance can take it. Lost is closed when renewal
// fails (another owner may hold it by then): the owner must stop working
// on it at once.
type Lease struct {
	kv     jetstream.KeyValue
	key    string
	rev    uint64
	lost   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// Acquire tries to take key for owner. It returns nil, nil when someone
// else holds it.
func Acquire(ctx context.Context, kv jetstream.KeyValue, key, owner string, ttl time.Duration) (*Lease, error) {
	rev, err := kv.Create(ctx, key, []byte(owner))
	if errors.Is(err, jetstream.ErrKeyExists) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	l := &Lease{kv: kv, key: key, rev: rev, lost: make(chan struct{}), cancel: cancel, done: make(chan struct{})}
	go l.renew(rctx, owner, ttl/3)
	return l, nil
}

func (l *Lease) renew(ctx context.Context, owner string, every time.Duration) {
	defer close(l.done)
	t := time.NewTicker(every)
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		uctx, cancel := context.WithTimeout(ctx, every)
		rev, err := l.kv.Update(uctx, l.key, []byte(owner), l.rev)
		cancel()
		if err == nil {
			l.rev = rev
			failures = 0
			continue
		}
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			close(l.lost) // someone else took it after it expired
			return
		}
		// A transient failure (server restarting): keep trying while the
		// key could still be ours.
		failures++
		if failures >= 3 {
			close(l.lost)
			return
		}
	}
}

// Lost is closed when the lease could not be renewed.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Release stops renewing and deletes the key if it is still ours.
func (l *Lease) Release(ctx context.Context) {
	l.cancel()
	<-l.done
	select {
	case <-l.lost:
		return
	default:
	}
	_ = l.kv.Delete(ctx, l.key, jetstream.LastRevision(l.rev))
}
