package jsbus

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ConnConfig says how to reach a NATS server. The zero value connects to
// nats://127.0.0.1:4222 without credentials.
type ConnConfig struct {
	URL      string
	User     string
	Password string
	Token    string
	Creds    string // a .creds file (JWT and nkey seed)
	CA       string // PEM file of the CA that signed the server certificate
	Cert     string // client certificate and key, for mutual TLS
	Key      string
	Name     string // client name shown by the server
	// Timeout bounds JetStream API calls and publish acknowledgements
	// (default 10s).
	Timeout time.Duration
	// MaxPending bounds the asynchronous publishes in flight (default 4096).
	MaxPending int
}

// Validate checks the configuration.
func (c *ConnConfig) Validate() error {
	if (c.Cert == "") != (c.Key == "") {
		return errors.New("tls client certificate and key go together")
	}
	if c.Token != "" && c.User != "" {
		return errors.New("use a token or a user, not both")
	}
	return nil
}

func (c *ConnConfig) timeout() time.Duration {
	if c.Timeout <= 0 {
		return 10 * time.Second
	}
	return c.Timeout
}

// Conn is a NATS connection with its JetStream context.
type Conn struct {
	NC  *nats.Conn
	JS  jetstream.JetStream
	Log *slog.Logger
	cfg ConnConfig
}

// Connect dials the server; it retries the first connection until ctx ends
// and reconnects forever afterwards, logging every change.
func Connect(ctx context.Context, cfg ConnConfig, log *slog.Logger) (*Conn, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	url := cfg.URL
	if url == "" {
		url = nats.DefaultURL
	}
	opts := []nats.Option{nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond), nats.ReconnectBufSize(64 << 20)}
	if cfg.Name != "" {
		opts = append(opts, nats.Name(cfg.Name))
	}
	if cfg.User != "" {
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
	}
	if cfg.Token != "" {
		opts = append(opts, nats.Token(cfg.Token))
	}
	if cfg.Creds != "" {
		opts = append(opts, nats.UserCredentials(cfg.Creds))
	}
	if cfg.CA != "" || cfg.Cert != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.CA != "" {
			pem, err := os.ReadFile(cfg.CA)
			if err != nil {
				return nil, fmt.Errorf("read tls ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("read tls ca %s: no certificate", cfg.CA)
			}
			tc.RootCAs = pool
		}
		if cfg.Cert != "" {
			cert, err := tls.LoadX509KeyPair(cfg.Cert, cfg.Key)
			if err != nil {
				return nil, fmt.Errorf("load tls client certificate: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, nats.Secure(tc))
	}
	opts = append(opts, logHandlers(log)...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	// RetryOnFailedConnect returns at once: wait for the first connection
	// so that a wrong address or password is reported, not hidden.
	for !nc.IsConnected() {
		if err := nc.LastError(); err != nil && isAuthError(err) {
			nc.Close()
			return nil, fmt.Errorf("connect to %s: %w", url, err)
		}
		select {
		case <-ctx.Done():
			err := nc.LastError()
			nc.Close()
			if err == nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("connect to %s: %w", url, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return New(nc, cfg, log)
}

func isAuthError(err error) bool {
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) ||
		errors.Is(err, nats.ErrAuthRevoked) || errors.Is(err, nats.ErrAccountAuthExpired)
}

func logHandlers(log *slog.Logger) []nats.Option {
	if log == nil {
		return nil
	}
	return []nats.Option{
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Error("nats error", "subject", subj, "err", err)
		}),
	}
}

// New wraps an established connection (for example an in-process one to an
// embedded server).
func New(nc *nats.Conn, cfg ConnConfig, log *slog.Logger) (*Conn, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	maxPending := cfg.MaxPending
	if maxPending <= 0 {
		maxPending = 4096
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(maxPending),
		jetstream.WithPublishAsyncTimeout(cfg.timeout()),
		jetstream.WithDefaultTimeout(cfg.timeout()))
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return &Conn{NC: nc, JS: js, Log: log, cfg: cfg}, nil
}

// Timeout is the configured API and acknowledgement timeout.
func (c *Conn) Timeout() time.Duration { return c.cfg.timeout() }

// Close drains the connection: pending publishes and subscriptions finish,
// then it closes.
func (c *Conn) Close() {
	if c.NC.IsClosed() {
		return
	}
	done := make(chan struct{})
	c.NC.SetClosedHandler(func(*nats.Conn) { close(done) })
	if err := c.NC.Drain(); err != nil {
		c.NC.Close()
		return
	}
	select {
	case <-done:
	case <-time.After(c.Timeout()):
		c.NC.Close()
	}
}
