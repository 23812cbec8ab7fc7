package services

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
)

// writeFetched copies a finished report of the format o.Format to o.Output.
func writeFetched(ctx context.Context, c *jsbus.Conn, o *ExtractOptions, done *bus.ReportDone) error {
	format := o.Format.String()
	if o.Output == "-" {
		w := o.Stdout
		if w == nil {
			w = os.Stdout
		}
		return FetchReport(ctx, c, done, format, w)
	}
	if dir := filepath.Dir(o.Output); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create report folder: %w", err)
		}
	}
	f, err := os.Create(o.Output)
	if err != nil {
		return fmt.Errorf("create report: %w", err)
	}
	if err := FetchReport(ctx, c, done, format, f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
