package jsbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Publisher publishes messages with acknowledgement, asynchronously within
// the connection's window, and tells when all of them are stored. It is
// not safe for concurrent use: give each worker its own.
type Publisher struct {
	c       *Conn
	pending []pending
}

type pending struct {
	msg *nats.Msg
	ack jetstream.PubAckFuture
}

// NewPublisher returns a publisher on c.
func (c *Conn) NewPublisher() *Publisher { return &Publisher{c: c} }

// Publish starts publishing data on subject under the message id msgID
// (the Nats-Msg-Id header). data must not change until Wait returns.
func (p *Publisher) Publish(subject, msgID string, data []byte) error {
	m := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	m.Header.Set(jetstream.MsgIDHeader, msgID)
	f, err := p.c.JS.PublishMsgAsync(m)
	if err != nil {
		// The window is full beyond the stall wait, or the connection is
		// down: Wait retries it synchronously.
		f = nil
	}
	p.pending = append(p.pending, pending{msg: m, ack: f})
	return nil
}

// Wait returns once every message published since the last Wait is stored
// (a duplicate counts as stored), retrying the failed ones with the same
// message id until ctx ends. Its error is ctx's or a permanent rejection.
func (p *Publisher) Wait(ctx context.Context) error {
	defer func() { p.pending = p.pending[:0] }()
	for i := range p.pending {
		pd := &p.pending[i]
		if pd.ack != nil {
			select {
			case <-pd.ack.Ok():
				continue
			case err := <-pd.ack.Err():
				if permanent(err) {
					return fmt.Errorf("publish %s: %w", pd.msg.Subject, err)
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := p.retry(ctx, pd.msg); err != nil {
			return err
		}
	}
	return nil
}

// retry publishes m synchronously until it is stored.
func (p *Publisher) retry(ctx context.Context, m *nats.Msg) error {
	wait := 100 * time.Millisecond
	for {
		cctx, cancel := context.WithTimeout(ctx, p.c.Timeout())
		_, err := p.c.JS.PublishMsg(cctx, m)
		cancel()
		if err == nil {
			return nil
		}
		if permanent(err) {
			return fmt.Errorf("publish %s: %w", m.Subject, err)
		}
		p.c.Log.Warn("publish failed, retrying", "subject", m.Subject, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("publish %s: %w (last error: %v)", m.Subject, ctx.Err(), err)
		case <-time.After(wait):
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// permanent reports errors that retrying cannot fix.
func permanent(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// 503 (no responders / no leader) and timeouts are transient; a
		// rejected message (too large, no stream, wrong sequence) is not.
		return apiErr.Code != 503 && apiErr.Code != 408 && apiErr.Code != 0
	}
	return errors.Is(err, nats.ErrMaxPayload) || errors.Is(err, nats.ErrBadSubject) || errors.Is(err, nats.ErrConnectionClosed)
}
