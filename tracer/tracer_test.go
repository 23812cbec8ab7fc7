package tracer

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/reporter"
)

var (
	cli  = netip.MustParseAddr("192.0.2.1")
	srv  = netip.MustParseAddr("198.51.100.7")
	cli6 = netip.MustParseAddr("2001:db8::1")
	srv6 = netip.MustParseAddr("2001:db8::2")
)

type frame struct {
	data []byte
	sec  int64
	nsec uint32
}

// capture accumulates frames (Ethernet) with increasing timestamps.
type capture struct {
	t      testing.TB
	frames []frame
	now    time.Time
}

func newCapture(t testing.TB) *capture {
	return &capture{t: t, now: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *capture) add(layers ...craft.Layer) {
	c.t.Helper()
	all := append([]craft.Layer{&craft.Ethernet{Src: craft.MAC{2, 0, 0, 0, 0, 1}, Dst: craft.MAC{2, 0, 0, 0, 0, 2}}}, layers...)
	b, err := craft.Build(all...)
	if err != nil {
		c.t.Fatal(err)
	}
	c.frames = append(c.frames, frame{b, c.now.Unix(), uint32(c.now.Nanosecond())})
	c.now = c.now.Add(10 * time.Millisecond)
}

func (c *capture) wait(d time.Duration) { c.now = c.now.Add(d) }

func (c *capture) tcp(from, to netip.Addr, sp, dp uint16, seq, ack uint32, flags uint16, pl string) {
	ip := func(s, d netip.Addr) craft.Layer {
		if s.Is6() {
			return &craft.IPv6{HopLimit: 64, Src: s, Dst: d}
		}
		return &craft.IPv4{TTL: 64, Src: s, Dst: d}
	}
	c.add(ip(from, to), &craft.TCP{SrcPort: sp, DstPort: dp, Seq: seq, Ack: ack, Flags: flags, Window: 1000}, craft.Payload(pl))
}

// session adds a full TCP session: handshake, request, response, FINs.
func (c *capture) session(a, b netip.Addr, sp uint16, isn uint32) {
	c.tcp(a, b, sp, 80, isn, 0, craft.SYN, "")
	c.tcp(b, a, 80, sp, 9000, isn+1, craft.SYN|craft.ACK, "")
	c.tcp(a, b, sp, 80, isn+1, 9001, craft.ACK, "")
	c.tcp(a, b, sp, 80, isn+1, 9001, craft.ACK|craft.PSH, "GET / HTTP/1.1\r\n\r\n")
	c.tcp(b, a, 80, sp, 9001, isn+19, craft.ACK|craft.PSH, "HTTP/1.1 204 No Content\r\n\r\n")
	c.tcp(a, b, sp, 80, isn+19, 9028, craft.FIN|craft.ACK, "")
	c.tcp(b, a, 80, sp, 9028, isn+20, craft.FIN|craft.ACK, "")
	c.tcp(a, b, sp, 80, isn+20, 9029, craft.ACK, "")
}

// run feeds the capture to a tracer, calling Advance every batch frames.
func run(t testing.TB, cfg Config, frames []frame, batch int) []*Flow {
	tr := New(cfg)
	out := feed(tr, frames, batch)
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// feed feeds frames to tr as the engines do (Advance every batch frames,
// 0: never, then Flush) and returns the flow records.
func feed(tr *Tracer, frames []frame, batch int) []*Flow {
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	var out []*Flow
	emit := func(f *Flow) { out = append(out, f) }
	for i, f := range frames {
		dec.Decode(f.data, 1, &p)
		fi := reporter.FrameInfo{Index: uint64(i + 1), Sec: f.sec, Nsec: f.nsec, Digits: 6, CapLen: uint32(len(f.data)), OrigLen: uint32(len(f.data))}
		tr.Add(fi, &p, emit)
		if batch > 0 && (i+1)%batch == 0 {
			tr.Advance(f.sec, f.nsec, fi.Index, emit)
		}
	}
	if n := len(frames); batch > 0 && n%batch != 0 {
		tr.Advance(frames[n-1].sec, frames[n-1].nsec, uint64(n), emit)
	}
	tr.Flush(emit)
	return out
}

func summary(f *Flow) string {
	return fmt.Sprintf("%s %v:%d>%v:%d %s %s %s o=%d/%d r=%d/%d frames=%v at=%d",
		f.ProtoName(), addr(f.Src), f.SrcPort, addr(f.Dst), f.DstPort, f.State, f.History, f.End,
		f.OrigPkts, f.OrigPayload, f.RespPkts, f.RespPayload, f.Frames, f.At)
}

func addr(b []byte) netip.Addr {
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestTCPStates(t *testing.T) {
	c := newCapture(t)
	c.session(cli, srv, 40000, 100) // frames 1-8: SF
	c.tcp(cli, srv, 40001, 81, 5, 0, craft.SYN, "")
	c.tcp(srv, cli, 81, 40001, 0, 6, craft.RST|craft.ACK, "") // 9-10: REJ
	c.tcp(cli, srv, 40002, 82, 7, 0, craft.SYN, "")           // 11: S0
	c.tcp(srv, cli, 83, 40003, 50, 60, craft.SYN|craft.ACK, "")
	c.tcp(cli, srv, 40003, 83, 60, 51, craft.ACK, "") // 12-13: flipped, S? -> OTH-like
	c.tcp(cli6, srv6, 40004, 84, 1, 2, craft.ACK|craft.PSH, "x")
	c.tcp(srv6, cli6, 84, 40004, 2, 2, craft.ACK, "") // 14-15: midstream OTH
	got := run(t, Config{}, c.frames, 4)
	var s []string
	for _, f := range got {
		s = append(s, summary(f))
	}
	want := []string{
		"TCP 192.0.2.1:40000>198.51.100.7:80 SF ShADdFf fin o=5/18 r=3/27 frames=[1 2 3 4 5 6 7 8] at=15",
		"TCP 192.0.2.1:40001>198.51.100.7:81 REJ Sr rst o=1/0 r=1/0 frames=[9 10] at=15",
		"TCP 192.0.2.1:40002>198.51.100.7:82 S0 S end of capture o=1/0 r=0/0 frames=[11] at=15",
		"TCP 192.0.2.1:40003>198.51.100.7:83 OTH ^hA end of capture o=1/0 r=1/0 frames=[12 13] at=15",
		"TCP 2001:db8::1:40004>2001:db8::2:84 OTH Da end of capture o=1/1 r=1/0 frames=[14 15] at=15",
	}
	if !slices.Equal(s, want) {
		t.Errorf("got\n%s\nwant\n%s", join(s), join(want))
	}
}

func join(s []string) string {
	out := ""
	for _, x := range s {
		out += "  " + x + "\n"
	}
	return out
}

func TestTimeoutsAndReuse(t *testing.T) {
	c := newCapture(t)
	c.add(&craft.IPv4{Src: cli, Dst: srv}, &craft.UDP{SrcPort: 5000, DstPort: 53}, craft.Payload("q"))
	c.add(&craft.IPv4{Src: srv, Dst: cli}, &craft.UDP{SrcPort: 53, DstPort: 5000}, craft.Payload("answer"))
	c.add(&craft.IPv4{Src: cli, Dst: srv}, &craft.ICMP{Type: 8, ID: 77, Seq: 1}, craft.Payload("ping"))
	c.add(&craft.IPv4{Src: srv, Dst: cli}, &craft.ICMP{Type: 0, ID: 77, Seq: 1}, craft.Payload("ping"))
	c.wait(2 * time.Minute)
	// Same UDP 5-tuple after the 1 min timeout: a new flow.
	c.add(&craft.IPv4{Src: cli, Dst: srv}, &craft.UDP{SrcPort: 5000, DstPort: 53}, craft.Payload("q2"))
	// Port reuse: a session, then a new SYN with another ISN right after.
	c.session(cli, srv, 40000, 100)
	c.tcp(cli, srv, 40000, 80, 777777, 0, craft.SYN, "")
	got := run(t, Config{}, c.frames, 1)
	var s []string
	for _, f := range got {
		s = append(s, summary(f))
	}
	want := []string{
		"UDP 192.0.2.1:5000>198.51.100.7:53 SF Dd timeout o=1/1 r=1/6 frames=[1 2] at=5",
		"ICMP 192.0.2.1:77>198.51.100.7:77 OTH Dd timeout o=1/4 r=1/4 frames=[3 4] at=5",
		"TCP 192.0.2.1:40000>198.51.100.7:80 SF ShADdFf fin o=5/18 r=3/27 frames=[6 7 8 9 10 11 12 13] at=14",
		"UDP 192.0.2.1:5000>198.51.100.7:53 S0 D end of capture o=1/2 r=0/0 frames=[5] at=14",
		"TCP 192.0.2.1:40000>198.51.100.7:80 S0 S end of capture o=1/0 r=0/0 frames=[14] at=14",
	}
	if !slices.Equal(s, want) {
		t.Errorf("got\n%s\nwant\n%s", join(s), join(want))
	}
}

func TestUnidirectional(t *testing.T) {
	c := newCapture(t)
	c.session(cli, srv, 40000, 100)
	got := run(t, Config{Unidirectional: true, TCP: true}, c.frames, 0)
	if len(got) != 2 {
		t.Fatalf("%d flows, want 2", len(got))
	}
	if got[0].OrigPkts != 5 || got[0].RespPkts != 0 || got[1].OrigPkts != 3 || got[1].SrcPort != 80 {
		t.Errorf("got %s / %s", summary(got[0]), summary(got[1]))
	}
}

// TestPartitionIndependence: splitting frames over tracers by a symmetric
// address hash and merging by (At, First) gives the single tracer's output.
func TestPartitionIndependence(t *testing.T) {
	c := newCapture(t)
	for i := range 40 {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i), 1})
		c.session(a, srv, uint16(30000+i), uint32(i*1000))
		if i%7 == 0 {
			c.wait(6 * time.Minute)
		}
		if i%3 == 0 {
			c.add(&craft.IPv4{Src: a, Dst: srv}, &craft.UDP{SrcPort: 1, DstPort: 2}, craft.Payload("u"))
		}
	}
	const batch = 16
	want := run(t, Config{}, c.frames, batch)
	for _, parts := range []int{2, 3, 5} {
		dec := decoder.New(decoder.Options{})
		trs := make([]*Tracer, parts)
		for i := range trs {
			trs[i] = New(Config{})
		}
		var got []*Flow
		emit := func(f *Flow) { got = append(got, f) }
		var p decoder.Packet
		for i, f := range c.frames {
			dec.Decode(f.data, 1, &p)
			ip := p.Find(decoder.ProtoIPv4)
			h := decoder.IPv4(p.Bytes(ip))
			part := int(h.Src()[2]^h.Dst()[2]^h.Src()[3]^h.Dst()[3]) % parts
			fi := reporter.FrameInfo{Index: uint64(i + 1), Sec: f.sec, Nsec: f.nsec, Digits: 6, CapLen: uint32(len(f.data)), OrigLen: uint32(len(f.data))}
			trs[part].Add(fi, &p, emit)
			if (i+1)%batch == 0 || i == len(c.frames)-1 {
				for _, tr := range trs {
					tr.Advance(f.sec, f.nsec, fi.Index, emit)
				}
			}
		}
		for _, tr := range trs {
			tr.Flush(emit)
		}
		slices.SortStableFunc(got, func(a, b *Flow) int {
			if Less(a, b) {
				return -1
			}
			if Less(b, a) {
				return 1
			}
			return 0
		})
		if len(got) != len(want) {
			t.Fatalf("%d partitions: %d flows, want %d", parts, len(got), len(want))
		}
		for i := range got {
			if g, w := summary(got[i]), summary(want[i]); g != w {
				t.Errorf("%d partitions, flow %d:\n got %s\nwant %s", parts, i, g, w)
			}
		}
	}
}

func TestFlowMsgpack(t *testing.T) {
	c := newCapture(t)
	c.session(cli6, srv6, 40000, 1)
	flows := run(t, Config{}, c.frames, 0)
	if len(flows) != 1 {
		t.Fatalf("%d flows", len(flows))
	}
	b, err := msgpack.Marshal(flows[0])
	if err != nil {
		t.Fatal(err)
	}
	var back Flow
	if err := msgpack.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, flows[0]) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, *flows[0])
	}
	if got, want := back.FileName(), "2001_db8__1_40000-2001_db8__2_80-1709294400.000000"; got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
}
