package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pcapflow/pcapflow/bus/embedded"
	"github.com/pcapflow/pcapflow/bus/jsbus"
)

// clusterFromEnv returns the cluster settings of "pcapflow serve", nil
// unless PCAPFLOW_CLUSTER_NAME is set:
//
//	PCAPFLOW_CLUSTER_NAME      cluster name, the same on every node
//	PCAPFLOW_SERVER_NAME       this node's unique name
//	PCAPFLOW_CLUSTER_LISTEN    route address (default 0.0.0.0:6222)
//	PCAPFLOW_CLUSTER_ROUTES    comma-separated nats-route://host:6222 of the nodes
//	PCAPFLOW_CLUSTER_PASSWORD  password of the routes between the nodes
func clusterFromEnv() *embedded.Cluster {
	name := os.Getenv("PCAPFLOW_CLUSTER_NAME")
	if name == "" {
		return nil
	}
	return &embedded.Cluster{Name: name, ServerName: os.Getenv("PCAPFLOW_SERVER_NAME"),
		Listen: os.Getenv("PCAPFLOW_CLUSTER_LISTEN"), Routes: strings.Split(os.Getenv("PCAPFLOW_CLUSTER_ROUTES"), ","),
		Password: os.Getenv("PCAPFLOW_CLUSTER_PASSWORD")}
}

// setupFromEnv declares the streams with PCAPFLOW_STREAM_REPLICAS replicas
// (default 1, 3 in a cluster), retrying for up to two minutes: the nodes of
// a cluster must first elect a JetStream leader.
func setupFromEnv(ctx context.Context, c *jsbus.Conn, clustered bool, log *slog.Logger) error {
	sc := jsbus.StreamConfig{Replicas: 1}
	if clustered {
		sc.Replicas = 3
	}
	if v := os.Getenv("PCAPFLOW_STREAM_REPLICAS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			return fmt.Errorf("PCAPFLOW_STREAM_REPLICAS=%q: want 1 to 5", v)
		}
		sc.Replicas = n
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := c.Setup(sctx, sc)
		cancel()
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		log.Warn("declaring the streams, retrying", "replicas", sc.Replicas, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
