package tracer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reporter"
)

// interleaved builds n TCP sessions whose frames interleave, so that a
// small MaxOpen forces files to be closed and reopened.
func interleaved(t *testing.T, n int) []frame {
	var per [][]frame
	for i := range n {
		c := newCapture(t)
		c.now = c.now.Add(timeOffset(i))
		c.session(netip.AddrFrom4([4]byte{10, 1, 0, byte(i)}), srv, uint16(20000+i), uint32(i))
		per = append(per, c.frames)
	}
	var out []frame
	for j := 0; ; j++ {
		added := false
		for i := range per {
			if j < len(per[i]) {
				out = append(out, per[i][j])
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

func timeOffset(i int) time.Duration { return time.Duration(i) * time.Millisecond }

func TestFileSinkPcap(t *testing.T) {
	frames := interleaved(t, 6)
	for _, o := range []struct {
		big, nano bool
	}{{false, false}, {true, true}} {
		dir := t.TempDir()
		sink := &FileSink{Dir: dir, Format: "pcap", BigEndian: o.big, Nanosecond: o.nano, MaxOpen: 2}
		flows := run(t, Config{Sink: sink}, frames, 5)
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
		if len(flows) != 6 {
			t.Fatalf("%d flows", len(flows))
		}
		for _, fl := range flows {
			path := filepath.Join(dir, fl.FileName()+".pcap")
			r, c, err := ingest.Open(path, ingest.ReaderOptions{})
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if m := r.Meta(); m.BigEndian != o.big || m.Nanosecond != o.nano || m.LinkType != 1 {
				t.Errorf("%s: header big=%v nano=%v link=%d", path, m.BigEndian, m.Nanosecond, m.LinkType)
			}
			var f ingest.Frame
			i := 0
			for {
				if err := r.Next(&f); err != nil {
					if !errors.Is(err, io.EOF) {
						t.Fatalf("%s: %v", path, err)
					}
					break
				}
				if i >= len(fl.Frames) {
					t.Fatalf("%s: more frames than the flow", path)
				}
				want := frames[fl.Frames[i]-1]
				if string(f.Data) != string(want.data) || f.Sec != want.sec || f.Nsec != want.nsec {
					t.Errorf("%s record %d: bytes or time differ (%d.%09d vs %d.%09d)", path, i, f.Sec, f.Nsec, want.sec, want.nsec)
				}
				i++
			}
			c.Close()
			if i != len(fl.Frames) {
				t.Errorf("%s: %d records, flow has %d frames", path, i, len(fl.Frames))
			}
			// tcpdump reads the file back with as many records, when present
			// (.ci/run installs it and tshark).
			if tcpdump, err := exec.LookPath("tcpdump"); err == nil {
				out, err := exec.Command(tcpdump, "-nn", "-tt", "-r", path).Output()
				if err != nil {
					t.Errorf("tcpdump -r %s: %v", path, err)
				} else if n := len(strings.Split(strings.TrimSpace(string(out)), "\n")); n != len(fl.Frames) {
					t.Errorf("tcpdump reads %d records from %s, want %d", n, path, len(fl.Frames))
				}
			} else {
				t.Log("tcpdump not installed: its read-back is not checked")
			}
			// tshark reads the file back with the same frames, when present.
			if tshark, err := exec.LookPath("tshark"); err != nil {
				t.Log("tshark not installed: its read-back is not checked")
			} else {
				out, err := exec.Command(tshark, "-n", "-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len").Output()
				if err != nil {
					t.Errorf("tshark -r %s: %v", path, err)
					continue
				}
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				if len(lines) != len(fl.Frames) {
					t.Errorf("tshark reads %d frames from %s, want %d", len(lines), path, len(fl.Frames))
					continue
				}
				for k, l := range lines {
					want := frames[fl.Frames[k]-1]
					ts, n, _ := strings.Cut(l, "\t")
					wts := strconv.FormatInt(want.sec, 10) + "." + strconv.FormatUint(uint64(want.nsec)+1e9, 10)[1:]
					if ts != wts || n != strconv.Itoa(len(want.data)) {
						t.Errorf("tshark %s frame %d: %s, want %s\t%d", path, k+1, l, wts, len(want.data))
					}
				}
			}
		}
	}
}

func TestFileSinkJSON(t *testing.T) {
	frames := interleaved(t, 3)
	// Spooled in memory (the default), in files only, and in memory until
	// 300 bytes are held (a few frames), then in files; rendered by End or
	// by workers: the reports are the same.
	var first map[string][]byte
	for _, c := range []struct{ spool, workers int }{{0, 0}, {-1, 0}, {300, 0}, {0, 2}, {300, 3}} {
		dir := t.TempDir()
		sink := &FileSink{Dir: dir, Format: "json", MaxOpen: 1, SpoolMemory: c.spool, Workers: c.workers,
			NewReport: func(w io.Writer) reporter.Writer { return reporter.NewWriter(w, reporter.JSON) }}
		flows := run(t, Config{Sink: sink}, frames, 0)
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
		if n := sink.spooled.Load(); n != 0 {
			t.Errorf("%+v: %d bytes still held in memory", c, n)
		}
		files := map[string][]byte{}
		for _, fl := range flows {
			b, err := os.ReadFile(filepath.Join(dir, fl.FileName()+".json"))
			if err != nil {
				t.Fatal(err)
			}
			files[fl.FileName()] = b
			var doc map[string]any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatalf("%s: invalid JSON: %v", fl.FileName(), err)
			}
			for _, n := range fl.Frames {
				if _, ok := doc["Frame "+strconv.FormatUint(n, 10)]; !ok {
					t.Errorf("%s: no block for frame %d (keys %d)", fl.FileName(), n, len(doc))
				}
			}
			if _, ok := doc["Flow"]; !ok {
				t.Errorf("%s: no Flow block", fl.FileName())
			}
		}
		if first == nil {
			first = files
		} else if !maps.EqualFunc(first, files, bytes.Equal) {
			t.Errorf("%+v: reports differ from those spooled in memory by End", c)
		}
		// No spool files are left behind.
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".spool") {
				t.Errorf("spool file left: %s", e.Name())
			}
		}
	}
}

// TestFileSinkWorkerError: a report a worker cannot write (a folder is
// in its place) fails the trace: Close returns the error.
func TestFileSinkWorkerError(t *testing.T) {
	frames := interleaved(t, 3)
	newSink := func(dir string) *FileSink {
		return &FileSink{Dir: dir, Format: "json", Workers: 2,
			NewReport: func(w io.Writer) reporter.Writer { return reporter.NewWriter(w, reporter.JSON) }}
	}
	dir := t.TempDir()
	sink := newSink(dir)
	flows := run(t, Config{Sink: sink}, frames, 0)
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, flows[1].FileName()+".json"), 0o755); err != nil {
		t.Fatal(err)
	}
	sink = newSink(dir)
	tr := New(Config{Sink: sink})
	feed(tr, frames, 0)
	err := errors.Join(tr.Err(), sink.Close())
	if err == nil || strings.Count(err.Error(), flows[1].FileName()) != 1 {
		t.Fatalf("error %v, want one (once) about %s", err, flows[1].FileName())
	}
	for _, fl := range []*Flow{flows[0], flows[2]} {
		if _, err := os.Stat(filepath.Join(dir, fl.FileName()+".json")); err != nil {
			t.Errorf("the other flows' reports are written: %v", err)
		}
	}
}

// TestFileSinkSpoolSpill: with room in memory for part of a flow, the
// flow's spool moves to a file mid-flow and its report is whole.
func TestFileSinkSpoolSpill(t *testing.T) {
	frames := interleaved(t, 1)
	dir := t.TempDir()
	var created int
	sink := &FileSink{Dir: dir, Format: "tree", SpoolMemory: 2 * (spoolHdr + len(frames[0].data)),
		NewReport: func(w io.Writer) reporter.Writer { created++; return reporter.NewWriter(w, reporter.Text) }}
	flows := run(t, Config{Sink: sink}, frames, 0)
	spilled := sink.spills > 0
	if !spilled || len(flows) != 1 {
		t.Fatalf("spilled %v, %d flows", spilled, len(flows))
	}
	b, err := os.ReadFile(filepath.Join(dir, flows[0].FileName()+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "Frame "); got != len(frames) {
		t.Errorf("%d frame blocks, want %d", got, len(frames))
	}
	if created != 1 {
		t.Errorf("%d report writers made, want 1", created)
	}
}

// TestFileSinkFragments: a flow whose datagrams were fragmented gets every
// fragment in its pcap file, while its counters count each datagram once,
// at the frame that completed it (as tshark does).
func TestFileSinkFragments(t *testing.T) {
	c := newCapture(t)
	c.add(&craft.IPv4{Src: cli, Dst: srv}, &craft.UDP{SrcPort: 5000, DstPort: 53}, craft.Payload("query"))
	frags := c.addFragmented(craft.Payload(make([]byte, 3000)))
	dir := t.TempDir()
	sink := &FileSink{Dir: dir, Format: "pcap"}
	flows := run(t, Config{Sink: sink}, c.frames, 0)
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if len(flows) != 1 {
		t.Fatalf("%d flows", len(flows))
	}
	fl := flows[0]
	if fl.OrigPkts != 1 || fl.RespPkts != 1 || fl.RespPayload != 3000 {
		t.Errorf("counters: %s", summary(fl))
	}
	r, cl, err := ingest.Open(filepath.Join(dir, fl.FileName()+".pcap"), ingest.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var f ingest.Frame
	n := 0
	for r.Next(&f) == nil {
		if string(f.Data) != string(c.frames[n].data) {
			t.Errorf("record %d is not frame %d", n, n+1)
		}
		n++
	}
	if n != 1+len(frags) {
		t.Errorf("%d records, want %d (query + every fragment)", n, 1+len(frags))
	}
}

// TestFlowService: a flow's service lists the application protocols its
// packets carry, in the order first seen (as Zeek's conn.log service): a
// DNS answer that came in fragments is "dns" (read from the reassembled
// datagram), a TCP connection that sends no payload has none,
// an HTTP connection that switches to TLS is "http,tls", and a UDP flow of
// payload no decoder claims has none.
func TestFlowService(t *testing.T) {
	c := newCapture(t)
	answer := &craft.DNS{ID: 7, Response: true, Questions: []craft.DNSQuestion{{Name: "example.org", Type: 1, Class: 1}}}
	for i := range 120 {
		answer.Answers = append(answer.Answers, craft.DNSA("example.org", 60, netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})))
	}
	c.addFragmented(answer)
	c.add(&craft.IPv4{Src: cli, Dst: srv}, &craft.TCP{SrcPort: 40001, DstPort: 80, Flags: craft.SYN})
	c.add(&craft.IPv4{Src: cli, Dst: srv}, &craft.TCP{SrcPort: 40002, DstPort: 8080, Flags: craft.ACK | craft.PSH},
		craft.Payload("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org\r\n\r\n"))
	hello := []byte{22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0}
	c.add(&craft.IPv4{Src: cli, Dst: srv}, &craft.TCP{SrcPort: 40002, DstPort: 8080, Seq: 100, Flags: craft.ACK | craft.PSH}, craft.Payload(hello))
	c.add(&craft.IPv4{Src: cli, Dst: srv}, &craft.UDP{SrcPort: 6000, DstPort: 41000}, craft.Payload("opaque"))
	var got []string
	for _, fl := range run(t, Config{}, c.frames, 0) {
		got = append(got, fmt.Sprintf("%s %d>%d %q", fl.ProtoName(), fl.SrcPort, fl.DstPort, fl.Service))
	}
	want := []string{`UDP 53>5000 "dns"`, `TCP 40001>80 ""`, `TCP 40002>8080 "http,tls"`, `UDP 6000>41000 ""`}
	if !slices.Equal(got, want) {
		t.Errorf("flows %q, want %q", got, want)
	}
}

// addFragmented adds a UDP datagram from srv port 53 to cli port 5000
// carrying payload, in IPv4 fragments of at most 1,000 bytes, and returns
// them.
func (c *capture) addFragmented(payload craft.Layer) [][]byte {
	c.t.Helper()
	dgram, err := craft.Build(&craft.IPv4{ID: 99, Src: srv, Dst: cli}, &craft.UDP{SrcPort: 53, DstPort: 5000}, payload)
	if err != nil {
		c.t.Fatal(err)
	}
	frags, err := craft.FragmentIPv4(dgram, 1000)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, fr := range frags {
		c.add(craft.RawIP(fr))
	}
	return frags
}
