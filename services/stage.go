package services

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
)

// Stages a `pcapflow service` can run.
const (
	StageIngest      = "ingest"
	StageDecoder     = "decoder"
	StageReassembler = "reassembler"
	StageTracer      = "tracer"
	StageReporter    = "reporter"
)

// StageConfig configures one long-running stage.
type StageConfig struct {
	Decoder  DecoderConfig
	Reporter ReporterConfig
	// SpoolDir is the ingest service's folder: every capture file put
	// there is ingested once, then moved to SpoolDir/done.
	SpoolDir string
	// Options are the processing options of the captures the ingest
	// service submits.
	Options   bus.Options
	LeaseTTL  time.Duration
	ReadyFile string // written once the stage runs, removed when it stops
}

// RunStage runs one stage until ctx ends, then drains it.
func RunStage(ctx context.Context, c *jsbus.Conn, stage string, cfg StageConfig) error {
	var run func(context.Context) error
	switch stage {
	case StageDecoder:
		run = NewDecoder(c, cfg.Decoder).Run
	case StageReporter:
		rc := cfg.Reporter
		if rc.LeaseTTL == 0 {
			rc.LeaseTTL = cfg.LeaseTTL
		}
		run = NewReporter(c, rc).Run
	case StageIngest:
		if cfg.SpoolDir == "" {
			return fmt.Errorf("service ingest: a spool folder is required")
		}
		run = func(ctx context.Context) error { return runSpool(ctx, c, cfg.SpoolDir, cfg.Options) }
	default:
		if r := statefulStage(c, stage, cfg); r != nil {
			run = r
			break
		}
		return fmt.Errorf("unknown stage %q (stages: %s)", stage, strings.Join(Stages(), ", "))
	}
	if cfg.ReadyFile != "" {
		if err := os.WriteFile(cfg.ReadyFile, []byte(stage+"\n"), 0o644); err != nil {
			return fmt.Errorf("write ready file: %w", err)
		}
		defer os.Remove(cfg.ReadyFile)
	}
	return run(ctx)
}

// Stages lists the stages of this build.
func Stages() []string {
	s := []string{StageIngest, StageDecoder}
	s = append(s, statefulStages()...)
	return append(s, StageReporter)
}
