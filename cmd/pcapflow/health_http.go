package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// httpHealth checks a NATS server's monitoring endpoint: GET
// http://addr/healthz must answer 200 (JetStream up and current, in a
// cluster with its leader), and readyFile, when not empty, must exist: the
// file "pcapflow serve --ready" writes once it has declared the streams, so
// that stages depending on a healthy server never declare them first (with
// one replica, in a cluster). It needs no
// credentials, so the server's own container can probe itself (the
// monitoring port stays on its loopback).
func httpHealth(addr, readyFile string, timeout time.Duration) error {
	if readyFile != "" {
		if _, err := os.Stat(readyFile); err != nil {
			return fmt.Errorf("health: streams not declared yet: %w", err)
		}
	}
	url := addr
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	if !strings.Contains(url, "/healthz") {
		url = strings.TrimSuffix(url, "/") + "/healthz"
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s: %s %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
