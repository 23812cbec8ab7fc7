package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/services"
	"github.com/pcapflow/pcapflow/tracer"
)

// natsFlags are the connection flags of every bus command, each with an
// environment fallback.
type natsFlags struct {
	url, user, password, token, creds, ca, cert, key string
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func addNATSFlags(fs *flag.FlagSet) *natsFlags {
	n := &natsFlags{}
	fs.StringVar(&n.url, "nats", envOr(services.EnvNATSURL, "nats://127.0.0.1:4222"), "NATS server URL (env "+services.EnvNATSURL+")")
	fs.StringVar(&n.user, "user", os.Getenv(services.EnvUser), "NATS user (env "+services.EnvUser+")")
	fs.StringVar(&n.password, "password", os.Getenv(services.EnvPassword), "NATS password (env "+services.EnvPassword+")")
	fs.StringVar(&n.token, "token", os.Getenv(services.EnvToken), "NATS token (env "+services.EnvToken+")")
	fs.StringVar(&n.creds, "creds", os.Getenv(services.EnvCreds), "NATS credentials file (env "+services.EnvCreds+")")
	fs.StringVar(&n.ca, "tls-ca", os.Getenv(services.EnvCA), "PEM file of the CA of the server's TLS certificate (env "+services.EnvCA+")")
	fs.StringVar(&n.cert, "tls-cert", os.Getenv(services.EnvCert), "client TLS certificate (env "+services.EnvCert+")")
	fs.StringVar(&n.key, "tls-key", os.Getenv(services.EnvKey), "client TLS key (env "+services.EnvKey+")")
	return n
}

func (n *natsFlags) config(name string) jsbus.ConnConfig {
	return jsbus.ConnConfig{URL: n.url, User: n.user, Password: n.password, Token: n.token, Creds: n.creds,
		CA: n.ca, Cert: n.cert, Key: n.key, Name: name}
}

// connect dials the server, waiting up to wait for it to come up.
func (n *natsFlags) connect(ctx context.Context, name string, wait time.Duration, log *slog.Logger) (*jsbus.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return jsbus.Connect(cctx, n.config(name), log)
}

// newLogger returns the structured logger of the long-running commands:
// JSON lines on stderr, level from PCAPFLOW_LOG_LEVEL (debug, info, warn,
// error).
func newLogger() *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(envOr("PCAPFLOW_LOG_LEVEL", "info")))
	return slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lv}))
}

// signalContext is cancelled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func parseFlags(fs *flag.FlagSet, args []string, usage, example string) (bool, error) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, usage)
		fs.PrintDefaults()
		fmt.Fprint(w, example)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, usageError{err.Error()}
	}
	return false, nil
}

const serviceUsage = `Usage: pcapflow service STAGE [flags]

Run one stage of the pipeline against a NATS server with JetStream. STAGE is
ingest, decoder, reassembler, tracer or reporter. Run as many decoders as you
like; reassemblers, tracers and reporters share their partitions or captures,
one owner at a time, and take over those of an instance that dies.
SIGTERM or SIGINT drains the stage (work in hand is finished) and exits.
Logs are JSON lines on stderr (PCAPFLOW_LOG_LEVEL=debug|info|warn|error).

Flags:
`

const serviceExample = `
Example:
  pcapflow service decoder --nats nats://127.0.0.1:4222 --ready /tmp/decoder.ready
  pcapflow service reporter --out ./reports
  pcapflow service ingest --spool ./captures
`

// runService implements "pcapflow service STAGE".
func runService(args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprint(stdout, serviceUsage)
			return nil
		}
		return usageError{"a stage is required: " + strings.Join(services.Stages(), ", ")}
	}
	stage := args[0]
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	nf := addNATSFlags(fs)
	workers := fs.Int("workers", 2, "decoder: batches decoded at once by this instance")
	ackWait := fs.Duration("ack-wait", 30*time.Second, "decoder: redeliver a batch not acknowledged within this time")
	noEvents := fs.Bool("no-events", os.Getenv("PCAPFLOW_NO_EVENTS") != "", "decoder: publish no per-protocol events (pcapflow.event.>) that no one subscribes to: less server CPU, storage and memory (env PCAPFLOW_NO_EVENTS)")
	out := fs.String("out", os.Getenv("PCAPFLOW_OUT"), "reporter: also write reports to DIR/<capture>/report.<ext> (env PCAPFLOW_OUT)")
	spool := fs.String("spool", os.Getenv("PCAPFLOW_SPOOL"), "ingest: folder whose capture files are ingested (env PCAPFLOW_SPOOL)")
	formats := fs.String("formats", envOr("PCAPFLOW_FORMATS", "json"), "ingest: report formats of spooled captures (json,plist,tree)")
	reasm := fs.String("reassemble", os.Getenv("PCAPFLOW_REASSEMBLE"), "ingest: reassembly of spooled captures: ipv4,ipv6,tcp (env PCAPFLOW_REASSEMBLE)")
	trace := fs.Bool("trace", os.Getenv("PCAPFLOW_TRACE") != "", "ingest: trace the flows of spooled captures (env PCAPFLOW_TRACE)")
	ready := fs.String("ready", os.Getenv("PCAPFLOW_READY_FILE"), "write this file once the stage runs (a readiness probe)")
	leaseTTL := fs.Duration("lease-ttl", 6*time.Second, "reassembler/tracer/reporter: lease lifetime without renewal")
	if help, err := parseFlags(fs, args[1:], serviceUsage, serviceExample); help || err != nil {
		return err
	}
	rc, err := reassemblyConfig(*reasm, false, false)
	if err != nil {
		return usageError{err.Error()}
	}
	log := newLogger().With("service", stage)
	ctx, cancel := signalContext()
	defer cancel()
	c, err := nf.connect(ctx, "pcapflow-"+stage, 60*time.Second, log)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Setup(ctx, jsbus.StreamConfig{LeaseTTL: *leaseTTL}); err != nil {
		return err
	}
	cfg := services.StageConfig{
		Decoder:   services.DecoderConfig{Workers: *workers, AckWait: *ackWait, NoEvents: *noEvents},
		Reporter:  services.ReporterConfig{OutDir: *out},
		SpoolDir:  *spool,
		Options:   bus.Options{Formats: strings.Split(*formats, ","), Reassembly: rc},
		LeaseTTL:  *leaseTTL,
		ReadyFile: *ready,
	}
	if *trace {
		cfg.Options.Trace = &tracer.Config{}
	}
	log.Info("service starting", "url", c.NC.ConnectedUrlRedacted())
	err = services.RunStage(ctx, c, stage, cfg)
	log.Info("service stopped", "err", err)
	return err
}

const healthUsage = `Usage: pcapflow health [flags]

Exit 0 when the NATS server answers and JetStream is enabled, 1 otherwise: a
health check that needs no shell (FROM scratch images).

Flags:
`

// runHealth implements "pcapflow health".
func runHealth(args []string) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	nf := addNATSFlags(fs)
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	httpAddr := fs.String("http", "", "check the monitoring endpoint HOST:PORT/healthz instead (no credentials; see health_http.go)")
	readyFile := fs.String("ready-file", "", "with --http: also require this file (written by serve --ready once the streams are declared)")
	if help, err := parseFlags(fs, args, healthUsage, "\nExample:\n  pcapflow health --nats nats://127.0.0.1:4222\n  pcapflow health --http 127.0.0.1:8222\n"); help || err != nil {
		return err
	}
	if *httpAddr != "" {
		return httpHealth(*httpAddr, *readyFile, *timeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c, err := nf.connect(ctx, "pcapflow-health", *timeout, nil)
	if err != nil {
		return err
	}
	defer c.NC.Close()
	if _, err := c.JS.AccountInfo(ctx); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
