package tracer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/reporter"
)

// FuzzTracer drives the flow table, the deadline heap and flow reuse with
// packet sequences the fuzzer chooses: a few hosts and ports (so that
// 5-tuples recur), TCP flags in any order, idle gaps that cross the
// timeouts, a tiny MaxFlows (evictions) and Advance at any point. Whatever
// the sequence, every packet lands in exactly one flow record, each flow's
// frames are in order, and Flush leaves nothing open.
func FuzzTracer(f *testing.F) {
	f.Add([]byte{0x03, 0x01, 0x12, 0x04, 0, 0, 0, 0x0a, 0x21, 0x04, 0, 0, 1, 0x01, 0x31, 0, 0, 0, 0})
	f.Add([]byte{0x81, 0x40, 0x05, 0x00, 0x10, 0x20, 0x02, 0xc9, 0x0a, 0xff, 0x30, 0x40, 0x03})
	f.Add(append([]byte{0x13}, bytes.Repeat([]byte{0x84, 0x04, 0x1f, 0, 1}, 12)...)) // one UDP flow of 12 frames: spilled
	f.Fuzz(fuzzTracer)
}

func fuzzTracer(t *testing.T, in []byte) {
	{
		if len(in) < 1 {
			return
		}
		hdr := in[0]
		in = in[1:]
		cfg := Config{
			MaxFlows:       1 + int(hdr&7),
			Unidirectional: hdr&8 != 0,
			TCPIdle:        time.Minute,
			UDPIdle:        30 * time.Second,
		}
		hosts4 := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("10.0.0.1")}
		hosts6 := []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("2001:db8::7"), netip.MustParseAddr("fe80::1")}
		ports := []uint16{80, 53, 40000, 40001}
		flagSets := []uint16{craft.SYN, craft.SYN | craft.ACK, craft.ACK, craft.ACK | craft.PSH, craft.FIN | craft.ACK, craft.RST, craft.RST | craft.ACK, craft.FIN,
			0, craft.SYN | craft.FIN, craft.ACK | craft.URG, craft.SYN | craft.RST, craft.ACK, craft.ACK | craft.PSH, craft.FIN | craft.ACK | craft.PSH, craft.ECE}
		gaps := []time.Duration{10 * time.Millisecond, time.Second, 6 * time.Second, 2 * time.Minute}

		// With 0x10, the flows' frames also go into per-flow JSON reports,
		// spooled in memory up to a few frames, then in files, and rendered
		// by workers.
		var sink *FileSink
		if hdr&0x10 != 0 {
			sink = &FileSink{Dir: t.TempDir(), Format: "json", SpoolMemory: 400, Workers: 2, MaxOpen: 2,
				NewReport: func(w io.Writer) reporter.Writer { return reporter.NewWriter(w, reporter.JSON) }}
			cfg.Sink = sink
		}
		tr := New(cfg)
		dec := decoder.New(decoder.Options{})
		var p decoder.Packet
		var flows []*Flow
		emit := func(fl *Flow) { flows = append(flows, fl) }
		now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
		var n uint64
		var last reporter.FrameInfo
		for len(in) >= 5 && n < 400 {
			b := in[:5]
			in = in[5:]
			hosts := hosts4
			if b[0]&0x40 != 0 {
				hosts = hosts6
			}
			src, dst := hosts[b[0]&3], hosts[b[0]>>2&3]
			var ip craft.Layer = &craft.IPv4{TTL: 64, Src: src, Dst: dst}
			if src.Is6() {
				ip = &craft.IPv6{HopLimit: 64, Src: src, Dst: dst}
			}
			sp, dp := ports[b[1]&3], ports[b[1]>>2&3]
			pl := craft.Payload(make([]byte, int(b[2]&31)))
			var l4 craft.Layer
			if b[0]&0x80 != 0 {
				l4 = &craft.UDP{SrcPort: sp, DstPort: dp}
			} else {
				seq := uint32(b[3]) << 24
				l4 = &craft.TCP{SrcPort: sp, DstPort: dp, Seq: seq, Ack: seq + 1, Flags: flagSets[b[1]>>4], Window: 1000}
			}
			frame, err := craft.Build(&craft.Ethernet{Src: craft.MAC{2, 0, 0, 0, 0, 1}, Dst: craft.MAC{2, 0, 0, 0, 0, 2}}, ip, l4, pl)
			if err != nil {
				t.Fatal(err)
			}
			now = now.Add(gaps[b[2]>>5&3])
			n++
			fi := reporter.FrameInfo{Index: n, Sec: now.Unix(), Nsec: uint32(now.Nanosecond()), Digits: 6, CapLen: uint32(len(frame)), OrigLen: uint32(len(frame))}
			dec.Decode(frame, 1, &p)
			tr.Add(fi, &p, emit)
			last = fi
			if b[4]&3 == 0 {
				tr.Advance(fi.Sec, fi.Nsec, fi.Index, emit)
			}
		}
		// As the engines do: the clock moves to the last frame, then Flush.
		tr.Advance(last.Sec, last.Nsec, last.Index, emit)
		tr.Flush(emit)
		if err := tr.Err(); err != nil {
			t.Fatal(err)
		}
		if tr.Open() != 0 {
			t.Fatalf("%d flows open after Flush", tr.Open())
		}
		seen := make([]bool, n+1)
		var pkts uint64
		for _, fl := range flows {
			pkts += fl.OrigPkts + fl.RespPkts
			if len(fl.Frames) == 0 || fl.Frames[0] != fl.First || !slices.IsSorted(fl.Frames) {
				t.Fatalf("flow first %d: frames %v", fl.First, fl.Frames)
			}
			if uint64(len(fl.Frames)) != fl.OrigPkts+fl.RespPkts {
				t.Fatalf("flow first %d: %d frames listed, %d+%d packets", fl.First, len(fl.Frames), fl.OrigPkts, fl.RespPkts)
			}
			for _, x := range fl.Frames {
				if x == 0 || x > n || seen[x] {
					t.Fatalf("frame %d listed twice or out of range (%s)", x, describe(flows))
				}
				seen[x] = true
			}
			if fl.At < fl.Frames[len(fl.Frames)-1] {
				t.Fatalf("flow first %d ended at %d before its last frame %d", fl.First, fl.At, fl.Frames[len(fl.Frames)-1])
			}
		}
		if pkts != n {
			t.Fatalf("%d packets fed, %d in flow records (%s)", n, pkts, describe(flows))
		}
		if sink != nil {
			if err := sink.Close(); err != nil {
				t.Fatal(err)
			}
			for _, fl := range flows {
				b, err := os.ReadFile(filepath.Join(sink.Dir, fl.FileName()+".json"))
				if err != nil {
					t.Fatal(err)
				}
				var doc map[string]json.RawMessage
				if err := json.Unmarshal(b, &doc); err != nil {
					t.Fatalf("report of flow first %d: %v", fl.First, err)
				}
				if len(doc) != len(fl.Frames)+1 {
					t.Fatalf("report of flow first %d: %d blocks, want %d frames and Flow", fl.First, len(doc), len(fl.Frames))
				}
			}
			if m := sink.spooled.Load(); m != 0 {
				t.Fatalf("%d spooled bytes held after Close", m)
			}
		}
	}
}

func describe(flows []*Flow) string {
	s := ""
	for i, fl := range flows {
		if i == 8 {
			return s + fmt.Sprintf(" ... %d flows", len(flows))
		}
		s += summary(fl) + "; "
	}
	return s
}
