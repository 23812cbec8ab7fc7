package services

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
)

// slowWriter sleeps before its first write: a consumer (a pipe, a slow
// disk) that makes a download last longer than the client's API timeout.
type slowWriter struct {
	buf   bytes.Buffer // not embedded: io.Copy would use its ReadFrom
	delay time.Duration
}

func (w *slowWriter) Write(b []byte) (int, error) {
	if w.delay > 0 {
		time.Sleep(w.delay)
		w.delay = 0
	}
	return w.buf.Write(b)
}

// TestFetchReportOutlastsAPITimeout: a report whose download lasts longer
// than the connection's API timeout is fetched whole (nats.go's
// ObjectStore.Get gives up then: a 1M-frame report failed with "read pipe:
// i/o timeout"); a download that stalls fails with a clear error.
func TestFetchReportOutlastsAPITimeout(t *testing.T) {
	s := startServer(t)
	c, ctx := setupConn(t, s, jsbus.ConnConfig{Timeout: 500 * time.Millisecond})
	_, _, store, err := c.Buckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 3<<20+17)
	rand.New(rand.NewSource(1)).Read(data)
	put := func(name string) *bus.ReportDone {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if _, err := store.Put(pctx, jetstream.ObjectMeta{Name: name}, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		return &bus.ReportDone{Capture: "fetchtest", Files: []bus.ReportFile{{Format: "json", Object: name, Size: int64(len(data))}}}
	}

	done := put("fetchtest/report.json")
	w := &slowWriter{delay: 1500 * time.Millisecond}
	// As the commands call it: a context without a deadline.
	if err := FetchReport(context.Background(), c, done, "json", w); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.buf.Bytes(), data) {
		t.Fatalf("fetched %d bytes, not the %d put", w.buf.Len(), len(data))
	}

	// The chunks of an object purged under its metadata: nothing arrives.
	done = put("fetchtest/stalled.json")
	info, err := store.GetInfo(ctx, "fetchtest/stalled.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.JS.Stream(ctx, jsbus.ObjectStream(bus.ReportBucket))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSubject(jsbus.ObjectChunks(bus.ReportBucket, info.NUID))); err != nil {
		t.Fatal(err)
	}
	defer func(d time.Duration) { fetchStall = d }(fetchStall)
	fetchStall = 300 * time.Millisecond
	err = FetchReport(context.Background(), c, done, "json", &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "no data for 300ms after 0 of") {
		t.Fatalf("stalled download: got %v", err)
	}
}

// failingStore refuses the first fails puts, as a busy server does ("429
// too many requests", a stalled async publish).
type failingStore struct {
	jetstream.ObjectStore
	fails, calls int
}

func (s *failingStore) Put(ctx context.Context, meta jetstream.ObjectMeta, r io.Reader) (*jetstream.ObjectInfo, error) {
	s.calls++
	if s.fails > 0 {
		s.fails--
		io.CopyN(io.Discard, r, 1000) // a put that failed part way
		return nil, errors.New("nats: API error: code=429 err_code=10167 description=too many requests")
	}
	return s.ObjectStore.Put(ctx, meta, r)
}

// TestPutFileRetries: a report put that the server refuses is put again
// from the start of the rendered file, not rendered again; after
// putAttempts refusals the error says so.
func TestPutFileRetries(t *testing.T) {
	s := startServer(t)
	c, ctx := setupConn(t, s, jsbus.ConnConfig{})
	store, cleanup, err := c.ReportStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	data := make([]byte, 1<<20+3)
	rand.New(rand.NewSource(2)).Read(data)
	f, err := os.CreateTemp(t.TempDir(), "report")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(data)
	defer func(w time.Duration) { putRetryWait = w }(putRetryWait)
	putRetryWait = time.Millisecond

	fs := &failingStore{ObjectStore: store, fails: 2}
	if err := putFile(ctx, fs, "puttest/report.json", f, c.Log); err != nil {
		t.Fatal(err)
	}
	got, err := store.GetBytes(ctx, "puttest/report.json")
	if err != nil {
		t.Fatal(err)
	}
	if fs.calls != 3 || !bytes.Equal(got, data) {
		t.Fatalf("%d puts, %d bytes stored (want 3 puts, the %d bytes of the file)", fs.calls, len(got), len(data))
	}
	fs = &failingStore{ObjectStore: store, fails: putAttempts}
	err = putFile(ctx, fs, "puttest/refused.json", f, c.Log)
	if err == nil || fs.calls != putAttempts || !strings.Contains(err.Error(), "too many requests") {
		t.Fatalf("refused every time: %d puts, error %v", fs.calls, err)
	}
}
