package services

import (
	"context"

	"github.com/pcapflow/pcapflow/bus/jsbus"
)

// statefulStages lists the partitioned stages of this build.
func statefulStages() []string { return nil }

// statefulStage returns the runner of a partitioned stage, nil if unknown.
func statefulStage(c *jsbus.Conn, stage string, cfg StageConfig) func(context.Context) error {
	return nil
}
