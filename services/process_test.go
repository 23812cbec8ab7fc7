package services

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/tracer"
)

// The tests of this file run the pipeline as separate OS processes of the
// pcapflow binary, built once: a NATS server (pcapflow serve --bus-only)
// and services (pcapflow service STAGE), as a deployment would.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func pcapflowBin(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pcapflow-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "pcapflow")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/pcapflow/pcapflow/cmd/pcapflow").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func startProc(t *testing.T, dir, name string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pcapflowBin(t), args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), "PCAPFLOW_LOG_LEVEL=info")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { cmd.Wait(); lf.Close(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits for the process to drain and exit.
func (p *proc) stop(t *testing.T) {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Errorf("%s did not stop on SIGTERM within 20s", p.name)
		p.kill()
	}
}

type deployment struct {
	t      *testing.T
	dir    string
	data   string
	listen string
	url    string
	server *proc
	n      int
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startDeployment starts a server and the services: decoders, reassemblers,
// tracers and reporters.
func startDeployment(t *testing.T, decoders, reassemblers, tracers, reporters int) *deployment {
	dir := t.TempDir()
	port := freePort(t)
	d := &deployment{t: t, dir: dir, data: filepath.Join(dir, "data"), listen: "127.0.0.1:" + strconv.Itoa(port)}
	d.url = "nats://" + d.listen
	d.startServer()
	for range decoders {
		d.service("decoder")
	}
	for range reassemblers {
		d.service("reassembler")
	}
	for range tracers {
		d.service("tracer")
	}
	for range reporters {
		d.service("reporter")
	}
	return d
}

func (d *deployment) startServer() {
	d.server = startProc(d.t, d.dir, "server", "serve", "--bus-only", "--data", d.data, "--listen", d.listen)
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := exec.Command(pcapflowBin(d.t), "health", "--nats", d.url, "--timeout", "1s").CombinedOutput()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("server not healthy: %v %s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// service starts one more instance of a stage.
func (d *deployment) service(stage string) *proc {
	d.n++
	name := fmt.Sprintf("%s-%d", stage, d.n)
	ready := filepath.Join(d.dir, name+".ready")
	p := startProc(d.t, d.dir, name, "service", stage, "--nats", d.url, "--ack-wait", "2s", "--lease-ttl", "3s", "--ready", ready)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			return p
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(p.log)
			d.t.Fatalf("%s not ready: %s", name, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *deployment) dumpLogs() {
	d.dumpState()
	es, _ := os.ReadDir(d.dir)
	for _, e := range es {
		if filepath.Ext(e.Name()) == ".log" {
			b, _ := os.ReadFile(filepath.Join(d.dir, e.Name()))
			if len(b) > 3000 {
				b = b[len(b)-3000:]
			}
			d.t.Logf("--- %s\n%s", e.Name(), b)
		}
	}
}

// dumpState logs the streams and the decoders' consumer.
func (d *deployment) dumpState() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := jsbus.Connect(ctx, jsbus.ConnConfig{URL: d.url}, slog.New(slog.DiscardHandler))
	if err != nil {
		return
	}
	defer c.NC.Close()
	for _, name := range bus.Streams {
		if s, err := c.JS.Stream(ctx, name); err == nil {
			d.t.Logf("stream %s: %d msgs", name, s.CachedInfo().State.Msgs)
		}
	}
	if cons, err := c.JS.Consumer(ctx, bus.StreamFrames, bus.DecoderDurable); err == nil {
		ci := cons.CachedInfo()
		d.t.Logf("decoder consumer: pending %d, ack pending %d, waiting %d, redelivered %d", ci.NumPending, ci.NumAckPending, ci.NumWaiting, ci.NumRedelivered)
	}
}

func withReassemblyAndTrace(o *ExtractOptions) {
	o.Reassembly = reassembler.Config{IPv4: true, IPv6: true, TCP: true, Strict: true, Analyse: true}
	o.Trace = &tracer.Config{}
}

// TestProcessesEquivalence: one server, three decoders, two reassemblers,
// two tracers and one reporter, each its own process, produce the inline
// engine's reports byte for byte, and again after a replay.
func TestProcessesEquivalence(t *testing.T) {
	d := startDeployment(t, 3, 2, 2, 1)
	defer func() {
		if t.Failed() {
			d.dumpLogs()
		}
	}()
	dir := t.TempDir()
	ins := []string{genCapture(t, dir, 4000, 21, false)}
	if cd := corpusDirOrEmpty(); cd != "" {
		for _, n := range []string{"zeek__ipv4__fragmented-1.pcap", "dpkt__http.pcap", "gopacket__pcapgo__tests__le__test010.pcapng", "dpkt__truncated_dns.pcap"} {
			if _, err := os.Stat(filepath.Join(cd, n)); err == nil {
				ins = append(ins, filepath.Join(cd, n))
			}
		}
	}
	for i, in := range ins {
		f := []reporter.Format{reporter.JSON, reporter.Plist, reporter.Text}[i%3]
		t.Run(filepath.Base(in), func(t *testing.T) {
			compareEngines(t, d.url, in, f, decoder.Options{}, withReassemblyAndTrace)
		})
	}
	t.Run("plain", func(t *testing.T) { compareEngines(t, d.url, ins[0], reporter.Text, decoder.Options{}) })
	t.Run("replay", func(t *testing.T) {
		want := runEngine(t, EngineInline, ins[0], reporter.JSON, decoder.Options{}, withReassemblyAndTrace)
		c := connectTo(t, d.url)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		opts := ExtractOptions{Format: reporter.JSON}
		withReassemblyAndTrace(&opts)
		r, rc, err := ingest.Open(ins[0], ingest.ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if _, err := Ingest(ctx, c, r, "replaytest", BusOptions(&opts)); err != nil {
			t.Fatal(err)
		}
		for gen := uint32(0); gen < 2; gen++ {
			if gen == 1 {
				if g, err := Replay(ctx, c, "replaytest", 2); err != nil || g != 1 {
					t.Fatalf("replay: gen %d, %v", g, err)
				}
			}
			done, err := WaitReport(ctx, c, "replaytest", gen)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := FetchReport(ctx, c, done, "json", &buf); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want.out) {
				t.Fatalf("generation %d: report differs from inline at byte %d", gen, firstDiff(buf.Bytes(), want.out))
			}
		}
	})
}

func corpusDirOrEmpty() string {
	wd, _ := os.Getwd()
	d := filepath.Join(wd, "..", "..", "shared", "corpus", "raw")
	if _, err := os.Stat(d); err != nil {
		return ""
	}
	return d
}

func connectTo(t *testing.T, url string) *jsbus.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := jsbus.Connect(ctx, jsbus.ConnConfig{URL: url}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// faultRun extracts a large capture through the deployment while fault
// runs, and compares the report with the inline engine's.
func faultRun(t *testing.T, d *deployment, frames int, fault func()) {
	in := genCapture(t, t.TempDir(), frames, 33, false)
	want := runEngine(t, EngineInline, in, reporter.JSON, decoder.Options{}, withReassemblyAndTrace)
	res := make(chan engineRun, 1)
	go func() { res <- runEngine(t, d.url, in, reporter.JSON, decoder.Options{}, withReassemblyAndTrace) }()
	fault()
	var got engineRun
	select {
	case got = <-res:
	case <-time.After(45 * time.Second):
		d.dumpLogs()
		t.Fatal("no report within 3 minutes")
	}
	if got.err != nil {
		d.dumpLogs()
		t.Fatalf("extract: %v", got.err)
	}
	if !bytes.Equal(got.out, want.out) {
		d.dumpLogs()
		t.Fatalf("report differs from inline (%d vs %d bytes) at byte %d", len(got.out), len(want.out), firstDiff(got.out, want.out))
	}
	if got.stats.Frames != uint64(frames) {
		t.Fatalf("%d frames reported, want %d", got.stats.Frames, frames)
	}
}

// progressed waits until the deployment has decoded something of the
// capture being extracted (a DECODED message exists).
func progressed(t *testing.T, url string, after time.Duration) {
	c := connectTo(t, url)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s, err := c.JS.Stream(ctx, bus.StreamDecoded)
		if err == nil && s.CachedInfo().State.Msgs > 50 {
			cancel()
			time.Sleep(after)
			return
		}
		cancel()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("nothing decoded within 30s")
}

// TestProcessesKillDecoderAndReassembler: SIGKILL a decoder and a
// reassembler in the middle of a capture, restart them: the report is the
// inline engine's, no frame lost or doubled.
func TestProcessesKillDecoderAndReassembler(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: separate processes and a large capture")
	}
	d := startDeployment(t, 0, 0, 0, 1)
	dec := []*proc{d.service("decoder"), d.service("decoder")}
	ra := []*proc{d.service("reassembler"), d.service("reassembler")}
	d.service("tracer")
	faultRun(t, d, 60000, func() {
		progressed(t, d.url, 300*time.Millisecond)
		dec[0].kill()
		ra[0].kill()
		t.Log("killed a decoder and a reassembler")
		time.Sleep(500 * time.Millisecond)
		d.service("decoder")
		d.service("reassembler")
	})
	_ = dec[1]
	_ = ra[1]
}

// TestProcessesRestartServer: restart the NATS server (file storage) in the
// middle of a capture: the services and the client reconnect and the
// report is the inline engine's.
func TestProcessesRestartServer(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: separate processes and a large capture")
	}
	d := startDeployment(t, 2, 1, 1, 1)
	faultRun(t, d, 40000, func() {
		progressed(t, d.url, 300*time.Millisecond)
		d.server.stop(t)
		t.Log("server stopped")
		time.Sleep(time.Second)
		d.startServer()
		t.Log("server restarted")
	})
}
