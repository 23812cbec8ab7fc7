package services

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/ingest"
)

// CaptureIDFromName derives a capture id from a file name: lower case,
// characters outside a-z0-9-_ replaced by '-', at most 64 characters.
func CaptureIDFromName(name string) string {
	base := strings.ToLower(strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)))
	b := []byte(base)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	if len(b) == 0 {
		return NewCaptureID()
	}
	return string(b)
}

// runSpool ingests every capture file that appears in dir (polling once a
// second) and moves it to dir/done (dir/failed when it is not a capture).
// Its capture id is derived from its name.
func runSpool(ctx context.Context, c *jsbus.Conn, dir string, opts bus.Options) error {
	for _, sub := range []string{"done", "failed"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	for {
		es, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("spool %s: %w", dir, err)
		}
		for _, e := range es {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(dir, e.Name())
			capture := CaptureIDFromName(e.Name())
			to := "done"
			if err := ingestFile(ctx, c, p, capture, opts); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				c.Log.Error("ingest failed", "file", p, "capture", capture, "err", err)
				to = "failed"
			} else {
				c.Log.Info("ingested", "file", p, "capture", capture)
			}
			_ = os.Rename(p, filepath.Join(dir, to, e.Name()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func ingestFile(ctx context.Context, c *jsbus.Conn, path, capture string, opts bus.Options) error {
	r, rc, err := ingest.Open(path, ingest.ReaderOptions{})
	if err != nil {
		return err
	}
	defer rc.Close()
	st, err := Ingest(ctx, c, r, capture, opts)
	if err != nil {
		return err
	}
	if st.ReadErr != nil && !errors.Is(st.ReadErr, context.Canceled) {
		c.Log.Warn("capture cut short", "file", path, "err", st.ReadErr)
	}
	return nil
}
