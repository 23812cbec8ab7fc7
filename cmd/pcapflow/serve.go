package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pcapflow/pcapflow/bus/embedded"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/services"
)

const serveUsage = `Usage: pcapflow serve [flags]

The all-in-one: an embedded NATS server with JetStream (file storage in the
data folder, a client port for subscribers and other services) and every
stage of the pipeline, in one process. With --bus-only it runs only the
server, for deployments where each stage is its own container.
SIGTERM or SIGINT drains the stages, then stops the server.

Flags:
`

const serveExample = `
Example:
  pcapflow serve --data ./pcapflow-data --out ./reports &
  pcapflow ingest capture.pcap --wait -o ./out
  pcapflow subscribe 'pcapflow.event.*.transport.tcp' | jq .
`

// runServe implements "pcapflow serve".
func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	data := fs.String("data", envOr("PCAPFLOW_DATA", "pcapflow-data"), "JetStream storage folder (env PCAPFLOW_DATA)")
	listen := fs.String("listen", envOr("PCAPFLOW_LISTEN", "127.0.0.1:4222"), "client address (env PCAPFLOW_LISTEN)")
	httpAddr := fs.String("http", os.Getenv("PCAPFLOW_HTTP"), "monitoring address with /healthz, empty for none (env PCAPFLOW_HTTP)")
	busOnly := fs.Bool("bus-only", false, "run only the NATS server")
	user := fs.String("user", os.Getenv(services.EnvUser), "require this user from clients (env "+services.EnvUser+")")
	password := fs.String("password", os.Getenv(services.EnvPassword), "and this password (env "+services.EnvPassword+")")
	token := fs.String("token", os.Getenv(services.EnvToken), "or require this token (env "+services.EnvToken+")")
	out := fs.String("out", os.Getenv("PCAPFLOW_OUT"), "also write reports to DIR/<capture>/report.<ext> (env PCAPFLOW_OUT)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "decoder workers")
	noEvents := fs.Bool("no-events", os.Getenv("PCAPFLOW_NO_EVENTS") != "", "publish no per-protocol events (pcapflow.event.>) that no one subscribes to: less server CPU, storage and memory (env PCAPFLOW_NO_EVENTS)")
	ready := fs.String("ready", os.Getenv("PCAPFLOW_READY_FILE"), "write this file once serving")
	if help, err := parseFlags(fs, args, serveUsage, serveExample); help || err != nil {
		return err
	}
	log := newLogger().With("service", "serve")
	// Per-role users (PCAPFLOW_<ROLE>_PASSWORD, see bus/embedded/auth.go).
	users, err := embedded.RoleUsersFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	srv, err := embedded.Start(embedded.Config{DataDir: *data, Listen: *listen, HTTP: *httpAddr,
		User: *user, Password: *password, Token: *token, Users: users, Cluster: clusterFromEnv()})
	if err != nil {
		return err
	}
	defer srv.Stop()
	log.Info("nats server ready", "listen", srv.ClientURL(), "data", *data)
	ctx, cancel := signalContext()
	defer cancel()
	nc, err := srv.ConnectInProcess()
	if err != nil {
		return err
	}
	c, err := jsbus.New(nc, jsbus.ConnConfig{}, log)
	if err != nil {
		return err
	}
	defer c.Close()
	// Replicas and retries from the environment (serve_cluster.go).
	if err := setupFromEnv(ctx, c, clusterFromEnv() != nil, log); err != nil {
		return err
	}
	if *ready != "" {
		if err := os.WriteFile(*ready, []byte("serve\n"), 0o644); err != nil {
			return err
		}
		defer os.Remove(*ready)
	}
	if *busOnly {
		<-ctx.Done()
		log.Info("stopping")
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	cfg := services.StageConfig{Decoder: services.DecoderConfig{Workers: *workers, NoEvents: *noEvents}, Reporter: services.ReporterConfig{OutDir: *out},
		LeaseTTL: 6 * time.Second}
	for _, stage := range services.Stages() {
		if stage == services.StageIngest {
			continue
		}
		g.Go(func() error {
			nc, err := srv.ConnectInProcess()
			if err != nil {
				return err
			}
			sc, err := jsbus.New(nc, jsbus.ConnConfig{}, log)
			if err != nil {
				return err
			}
			defer sc.Close()
			if err := services.RunStage(gctx, sc, stage, cfg); err != nil && !errors.Is(err, gctx.Err()) {
				return fmt.Errorf("%s: %w", stage, err)
			}
			return nil
		})
	}
	err = g.Wait()
	log.Info("stopped", "err", err)
	return err
}
