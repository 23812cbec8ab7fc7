package tracer_test

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/tracer"
)

// A TCP connection (handshake, one request and answer, FIN both ways) and
// a DNS query with its answer, traced into flow records after Zeek's
// conn.log.
func Example() {
	cli, srv := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	eth := &craft.Ethernet{Src: craft.MAC{2, 0, 0, 0, 0, 1}, Dst: craft.MAC{2, 0, 0, 0, 0, 2}}
	tcp := func(src, dst netip.Addr, sp, dp uint16, seq, ack uint32, flags uint16, data string) []byte {
		b, _ := craft.Build(eth, &craft.IPv4{Src: src, Dst: dst}, &craft.TCP{SrcPort: sp, DstPort: dp, Seq: seq, Ack: ack, Flags: flags, Window: 512}, craft.Payload(data))
		return b
	}
	udp := func(src, dst netip.Addr, sp, dp uint16, data string) []byte {
		b, _ := craft.Build(eth, &craft.IPv4{Src: src, Dst: dst}, &craft.UDP{SrcPort: sp, DstPort: dp}, craft.Payload(data))
		return b
	}
	frames := [][]byte{
		tcp(cli, srv, 40000, 80, 100, 0, craft.SYN, ""),
		tcp(srv, cli, 80, 40000, 900, 101, craft.SYN|craft.ACK, ""),
		tcp(cli, srv, 40000, 80, 101, 901, craft.ACK, ""),
		udp(cli, srv, 5353, 53, "query"),
		tcp(cli, srv, 40000, 80, 101, 901, craft.ACK|craft.PSH, "GET / HTTP/1.0\r\n\r\n"),
		udp(srv, cli, 53, 5353, "answer"),
		tcp(srv, cli, 80, 40000, 901, 119, craft.ACK|craft.PSH|craft.FIN, "HTTP/1.0 204 No Content\r\n\r\n"),
		tcp(cli, srv, 40000, 80, 119, 929, craft.ACK|craft.FIN, ""),
		tcp(srv, cli, 80, 40000, 929, 120, craft.ACK, ""),
	}

	tr := tracer.New(tracer.Config{})
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	emit := func(f *tracer.Flow) {
		fmt.Printf("%s %s %v:%d > %v:%d state=%s history=%s end=%q orig=%d/%dB resp=%d/%dB frames=%v\n",
			f.Name(), f.ProtoName(), netip.AddrFrom4([4]byte(f.Src)), f.SrcPort, netip.AddrFrom4([4]byte(f.Dst)), f.DstPort,
			f.State, f.History, f.End, f.OrigPkts, f.OrigPayload, f.RespPkts, f.RespPayload, f.Frames)
	}
	for i, b := range frames {
		dec.Decode(b, 1, &p) // LINKTYPE_ETHERNET
		tr.Add(reporter.FrameInfo{Index: uint64(i + 1), Sec: 1700000000 + int64(i), Digits: 6,
			CapLen: uint32(len(b)), OrigLen: uint32(len(b))}, &p, emit)
	}
	// The end of the capture: the TCP flow, closed by FIN both ways, waits
	// no longer for late packets (Config.CloseDelay); the UDP flow ends.
	tr.Flush(emit)
	// Output:
	// Flow 1 TCP 192.0.2.1:40000 > 192.0.2.2:80 state=SF history=ShADdfFa end="fin" orig=4/18B resp=3/27B frames=[1 2 3 5 7 8 9]
	// Flow 4 UDP 192.0.2.1:5353 > 192.0.2.2:53 state=SF history=Dd end="end of capture" orig=1/5B resp=1/6B frames=[4 6]
}

// Per-flow files: a FileSink as the Tracer's Sink writes each flow's
// frames into a file named as PyPCAPKit names them, here a JSON report of
// the flow's frames decoded, then its record.
func ExampleFileSink() {
	dir, _ := os.MkdirTemp("", "flows")
	defer os.RemoveAll(dir)
	sink := &tracer.FileSink{Dir: dir, Format: "json",
		NewReport: func(w io.Writer) reporter.Writer { return reporter.NewWriter(w, reporter.JSON) }}
	tr := tracer.New(tracer.Config{Sink: sink})

	cli, srv := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	for i, b := range [][]byte{
		mustBuild(&craft.IPv4{Src: cli, Dst: srv}, &craft.UDP{SrcPort: 5353, DstPort: 53}, craft.Payload("query")),
		mustBuild(&craft.IPv4{Src: srv, Dst: cli}, &craft.UDP{SrcPort: 53, DstPort: 5353}, craft.Payload("answer")),
	} {
		dec.Decode(b, 228, &p) // LINKTYPE_IPV4
		tr.Add(reporter.FrameInfo{Index: uint64(i + 1), Sec: 1700000000, Nsec: uint32(i) * 1000, Digits: 6,
			CapLen: uint32(len(b)), OrigLen: uint32(len(b))}, &p, func(*tracer.Flow) {})
	}
	tr.Flush(func(*tracer.Flow) {})
	if err := tr.Err(); err != nil {
		fmt.Println(err)
	}
	if err := sink.Close(); err != nil { // waits for the reports
		fmt.Println(err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, n := range names {
		fmt.Println(filepath.Base(n))
	}
	// Output:
	// 192.0.2.1_5353-192.0.2.2_53-1700000000.000000.json
}

func mustBuild(layers ...craft.Layer) []byte {
	b, err := craft.Build(layers...)
	if err != nil {
		panic(err)
	}
	return b
}
