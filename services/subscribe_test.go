package services

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
)

// startServer starts an embedded JetStream server for a test.
func startServer(t testing.TB) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// TestSubscribeTCPEvents subscribes a plain nats.go client to the
// documented TCP event subject of one capture and checks that it receives
// exactly the TCP layers of that capture, read with msgpack and the
// documented field names only (docs/events.md).
func TestSubscribeTCPEvents(t *testing.T) {
	s := startServer(t)
	in := genCapture(t, t.TempDir(), 2000, 11, false)

	// What the capture holds, from the library.
	var want []uint64
	for d, err := range Frames(in, decoder.Options{}) {
		if err != nil {
			t.Fatal(err)
		}
		if d.Packet.Find(decoder.ProtoTCP) >= 0 {
			want = append(want, d.Frame.Index)
		}
	}
	if len(want) == 0 {
		t.Fatal("generated capture has no TCP")
	}

	// A plain subscriber, as a user would write it.
	sub, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var mu sync.Mutex
	var got []uint64
	var bad []string
	_, err = sub.Subscribe("pcapflow.event.subtest.transport.tcp", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		var ev map[string]any
		if err := msgpack.Unmarshal(m.Data, &ev); err != nil {
			bad = append(bad, err.Error())
			return
		}
		if v, _ := asUint(ev["v"]); v != bus.Version {
			bad = append(bad, "schema version")
		}
		if ev["proto"] != "tcp" || ev["capture"] != "subtest" {
			bad = append(bad, "proto/capture fields")
		}
		evs, _ := ev["events"].([]any)
		for _, e := range evs {
			em, _ := e.(map[string]any)
			idx, ok := asUint(em["index"])
			layer, _ := em["layer"].([]any)
			fields, _ := em["fields"].(map[string]any)
			if !ok || len(layer) != 4 || layer[0] != "tcp" || fields == nil || fields["srcport"] == nil {
				bad = append(bad, "event fields")
				continue
			}
			// Only the layer's own fields: not the object of a protocol
			// it carries.
			for k, v := range fields {
				if _, isObj := v.(map[string]any); isObj && isProto(k) {
					bad = append(bad, "event fields nest layer "+k)
				}
			}
			got = append(got, idx)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	sub.Flush()

	nc, _ := nats.Connect(s.ClientURL())
	c, err := jsbus.New(nc, jsbus.ConnConfig{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Setup(ctx, jsbus.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	dctx, dstop := context.WithCancel(ctx)
	ddone := make(chan error, 1)
	go func() { ddone <- NewDecoder(c, DecoderConfig{}).Run(dctx) }()
	// Another capture at the same time must not leak into the subject.
	for _, id := range []string{"subtest", "other"} {
		r, rc, err := ingest.Open(in, ingest.ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Ingest(ctx, c, r, id, BusOptions(&ExtractOptions{})); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // anything extra would arrive now
	dstop()
	<-ddone
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("undecodable events: %v", bad[:min(len(bad), 5)])
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("got %d TCP events, want %d (first got %v, want %v)", len(got), len(want), got[:min(5, len(got))], want[:5])
	}
}

func asUint(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int8:
		return uint64(x), x >= 0
	case int16:
		return uint64(x), x >= 0
	case int32:
		return uint64(x), x >= 0
	case int64:
		return uint64(x), x >= 0
	}
	return 0, false
}

func isProto(key string) bool {
	_, ok := decoder.ParseProto(key)
	return ok
}

// setupConn connects a test to s with cfg and declares the streams; the
// context bounds the test's calls (a minute).
func setupConn(t *testing.T, s *server.Server, cfg jsbus.ConnConfig) (*jsbus.Conn, context.Context) {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	c, err := jsbus.New(nc, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	if err := c.Setup(ctx, jsbus.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	return c, ctx
}

// TestDecoderNoEvents checks DecoderConfig.NoEvents (serve and service
// decoder --no-events): the decoded batches are stored, the per-protocol
// event subjects stay empty; without it they fill.
func TestDecoderNoEvents(t *testing.T) {
	s := startServer(t)
	in := genCapture(t, t.TempDir(), 1000, 12, false)
	c, ctx := setupConn(t, s, jsbus.ConnConfig{})
	count := func(subject string) uint64 {
		st, err := c.JS.Stream(ctx, bus.StreamDecoded)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject))
		if err != nil {
			t.Fatal(err)
		}
		var n uint64
		for _, m := range info.State.Subjects {
			n += m
		}
		return n
	}
	for _, noEvents := range []bool{true, false} {
		capture := "noev-" + strconv.FormatBool(noEvents)
		r, rc, err := ingest.Open(in, ingest.ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Ingest(ctx, c, r, capture, BusOptions(&ExtractOptions{})); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		d := NewDecoder(c, DecoderConfig{NoEvents: noEvents, Durable: "dec-" + capture, Filter: bus.Frames(capture), StopAfterEnd: true})
		if err := d.Run(ctx); err != nil {
			t.Fatal(err)
		}
		decoded, events := count(bus.DecodedAll(capture)), count(bus.EventRoot+"."+capture+".>")
		if decoded == 0 {
			t.Fatalf("%s: nothing decoded", capture)
		}
		if noEvents != (events == 0) {
			t.Fatalf("NoEvents %v: %d event messages stored (%d decoded batches)", noEvents, events, decoded)
		}
	}
}
