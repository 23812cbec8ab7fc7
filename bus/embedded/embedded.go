// Package embedded runs a NATS server with JetStream inside the pcapflow
// process: the bus of the embedded engine and of `pcapflow serve`.
package embedded

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Config configures the embedded server. The zero value is not usable:
// DataDir is required.
type Config struct {
	// DataDir holds JetStream's file storage.
	DataDir string
	// Listen is the client address, "127.0.0.1:4222" by default; a port of
	// -1 picks a free one; NoListen accepts in-process connections only.
	Listen   string
	NoListen bool
	// HTTP is the monitoring address (with /healthz), empty for none.
	HTTP string
	// User/Password or Token require clients to authenticate.
	User     string
	Password string
	Token    string
	// Users are per-role users with permissions (RoleUsersFromEnv); they
	// exclude User/Password/Token. The server's own in-process
	// connections then use an internal user (see auth.go).
	Users []*server.User
	// Cluster, when not nil, makes the server a cluster node (cluster.go).
	Cluster *Cluster
	// Log turns the server's own logging on.
	Log bool
	// MaxMemory and MaxStore bound JetStream (0: server defaults).
	MaxMemory int64
	MaxStore  int64
}

// Server is a running embedded server.
type Server struct {
	*server.Server
	internalPassword string // see auth.go
}

// Start starts the server and waits until it accepts connections.
func Start(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("embedded nats: a data directory is required")
	}
	opts := &server.Options{
		ServerName:         "pcapflow",
		JetStream:          true,
		StoreDir:           cfg.DataDir,
		JetStreamMaxMemory: cfg.MaxMemory,
		JetStreamMaxStore:  cfg.MaxStore,
		NoLog:              !cfg.Log,
		NoSigs:             true,
		MaxPayload:         8 << 20,
		Username:           cfg.User,
		Password:           cfg.Password,
		Authorization:      cfg.Token,
	}
	if cfg.NoListen {
		opts.DontListen = true
	} else {
		host, port, err := splitListen(cfg.Listen)
		if err != nil {
			return nil, err
		}
		opts.Host, opts.Port = host, port
	}
	if cfg.HTTP != "" {
		host, port, err := splitListen(cfg.HTTP)
		if err != nil {
			return nil, err
		}
		opts.HTTPHost, opts.HTTPPort = host, port
	}
	internalPW, err := applyUsers(&cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := applyCluster(cfg.Cluster, opts); err != nil {
		return nil, err
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	if cfg.Log {
		s.ConfigureLogger()
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, errors.New("embedded nats: not ready after 30s")
	}
	return &Server{Server: s, internalPassword: internalPW}, nil
}

func splitListen(addr string) (string, int, error) {
	if addr == "" {
		return "127.0.0.1", 4222, nil
	}
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("listen address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < -1 || port > 65535 {
		return "", 0, fmt.Errorf("listen address %q: bad port", addr)
	}
	return host, port, nil
}

// ConnectInProcess opens a client connection that does not go through the
// network.
func (s *Server) ConnectInProcess(opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.InProcessServer(s.Server), nats.MaxReconnects(-1)}, opts...)
	if s.internalPassword != "" {
		opts = append(opts, nats.UserInfo(internalUser, s.internalPassword))
	}
	return nats.Connect("", opts...)
}

// Stop shuts the server down and waits for it.
func (s *Server) Stop() {
	s.Shutdown()
	s.WaitForShutdown()
}
