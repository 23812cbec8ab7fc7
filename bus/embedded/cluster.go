package embedded

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster makes the embedded server one node of a NATS cluster (JetStream
// clustered with RAFT: streams with 3 replicas survive the loss of a node).
type Cluster struct {
	// Name is the cluster's name, the same on every node.
	Name string
	// ServerName is this node's name, unique in the cluster.
	ServerName string
	// Listen is the route address, "0.0.0.0:6222" by default.
	Listen string
	// Routes are the route URLs of the nodes (nats-route://host:6222);
	// listing this node too is harmless.
	Routes []string
	// User and Password authenticate the routes between the nodes.
	User, Password string
}

// applyCluster configures opts for c (nothing when c is nil).
func applyCluster(c *Cluster, opts *server.Options) error {
	if c == nil {
		return nil
	}
	if c.Name == "" || c.ServerName == "" {
		return errors.New("embedded nats: a cluster needs a cluster name and a unique server name")
	}
	if len(c.Password) < MinPasswordLen {
		return fmt.Errorf("embedded nats: the cluster route password needs at least %d characters", MinPasswordLen)
	}
	listen := c.Listen
	if listen == "" {
		listen = "0.0.0.0:6222"
	}
	host, port, err := splitListen(listen)
	if err != nil {
		return fmt.Errorf("embedded nats: cluster %w", err)
	}
	user := c.User
	if user == "" {
		user = "route"
	}
	opts.ServerName = c.ServerName
	opts.Cluster = server.ClusterOpts{Name: c.Name, Host: host, Port: port, Username: user, Password: c.Password}
	for _, r := range c.Routes {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		u, err := url.Parse(r)
		if err != nil || u.Host == "" {
			return fmt.Errorf("embedded nats: route %q: want nats-route://host:port", r)
		}
		u.User = url.UserPassword(user, c.Password)
		opts.Routes = append(opts.Routes, u)
	}
	return nil
}
