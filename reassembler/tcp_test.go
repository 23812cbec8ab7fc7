package reassembler

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/decoder/craft"
)

// conversation builds the frames of one TCP connection: handshake, the
// client's bytes in segments of cseg bytes, the server's in segments of
// sseg bytes, then FIN from both sides and the last ACK.
type conversation struct {
	t          testing.TB
	cisn, sisn uint32
	c, s       []byte
	swap       bool // the client has the higher address
}

func (cv *conversation) pkt(fromClient bool, seq, ack uint32, flags uint16, pl []byte) []byte {
	src, dst, sp, dp := a4, b4, uint16(40000), uint16(80)
	if cv.swap {
		src, dst = b4, a4
	}
	if !fromClient {
		src, dst, sp, dp = dst, src, 80, 40000
	}
	return build(cv.t, &craft.IPv4{TTL: 64, Src: src, Dst: dst}, &craft.TCP{SrcPort: sp, DstPort: dp, Seq: seq, Ack: ack, Flags: flags, Window: 65535}, craft.Payload(pl))
}

func (cv *conversation) handshake() [][]byte {
	return [][]byte{
		cv.pkt(true, cv.cisn, 0, craft.SYN, nil),
		cv.pkt(false, cv.sisn, cv.cisn+1, craft.SYN|craft.ACK, nil),
		cv.pkt(true, cv.cisn+1, cv.sisn+1, craft.ACK, nil),
	}
}

// data returns the data segments of one side cut every n bytes.
func (cv *conversation) data(fromClient bool, n int) [][]byte {
	b, isn, peer := cv.c, cv.cisn, cv.sisn
	if !fromClient {
		b, isn, peer = cv.s, cv.sisn, cv.cisn
	}
	var out [][]byte
	for off := 0; off < len(b); off += n {
		e := min(off+n, len(b))
		out = append(out, cv.pkt(fromClient, isn+1+uint32(off), peer+1, craft.ACK|craft.PSH, b[off:e]))
	}
	return out
}

func (cv *conversation) fins() [][]byte {
	cf := cv.cisn + 1 + uint32(len(cv.c))
	sf := cv.sisn + 1 + uint32(len(cv.s))
	return [][]byte{
		cv.pkt(true, cf, sf, craft.FIN|craft.ACK, nil),
		cv.pkt(false, sf, cf+1, craft.FIN|craft.ACK, nil),
	}
}

func (cv *conversation) lastACK() []byte {
	cf := cv.cisn + 1 + uint32(len(cv.c))
	sf := cv.sisn + 1 + uint32(len(cv.s))
	return cv.pkt(true, cf+1, sf+1, craft.ACK, nil)
}

const (
	req1 = "GET /a HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n"
	req2 = "POST /b HTTP/1.1\r\nHost: example.com\r\nContent-Length: 11\r\n\r\nhello world"
	req3 = "HEAD /c HTTP/1.1\r\nHost: example.com\r\n\r\n"
	rsp1 = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n"
	rsp2 = "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone"
	rsp3 = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
)

func newConversation(t testing.TB, cisn, sisn uint32) *conversation {
	return &conversation{t: t, cisn: cisn, sisn: sisn,
		c: []byte(req1 + req2 + req3), s: []byte(rsp1 + rsp2 + rsp3)}
}

func TestStreamInOrderHTTP(t *testing.T) {
	for i, isn := range []uint32{1000, 0xffffff80, 1000} { // the second wraps
		cv := newConversation(t, isn, isn^0x5a5a5a5a)
		cv.swap = i == 2 // the client is the higher address: canonical order and sides differ
		f := newFeeder(t, Config{Analyse: true})
		var frames [][]byte
		frames = append(frames, cv.handshake()...)
		frames = append(frames, cv.data(true, 17)...)
		frames = append(frames, cv.data(false, 23)...)
		frames = append(frames, cv.fins()...)
		frames = append(frames, cv.lastACK())
		for _, b := range frames {
			f.feed(b)
		}
		recs := f.flush()
		ss := streams(recs)
		if len(ss) != 1 {
			t.Fatalf("isn %#x: %d streams, want 1", isn, len(ss))
		}
		s := ss[0]
		if !s.Complete || s.End != "fin" || s.SrcPort != 40000 {
			t.Errorf("complete=%v end=%q srcport=%d", s.Complete, s.End, s.SrcPort)
		}
		sameBytes(t, "client stream", s.Dirs[0].Data, cv.c)
		sameBytes(t, "server stream", s.Dirs[1].Data, cv.s)
		if !s.Dirs[0].SYN || s.Dirs[0].ISN != isn {
			t.Errorf("ISN %#x syn=%v", s.Dirs[0].ISN, s.Dirs[0].SYN)
		}
		var got []string
		for _, r := range recs {
			if m := r.Message; m != nil {
				got = append(got, fmt.Sprintf("%s %s%d %d %q %v", m.Kind, m.Method, m.Status, m.BodyLen, m.Body, m.Complete))
			}
		}
		want := []string{
			`request GET0 0 "" true`,
			`request POST0 11 "hello world" true`,
			`request HEAD0 0 "" true`,
			`response 200 12 "hello, world" true`,
			`response 201 4 "done" true`,
			`response 200 0 "" true`,
		}
		if !slices.Equal(got, want) {
			t.Errorf("isn %#x messages:\n got %q\nwant %q", isn, got, want)
		}
		// Frames of the first request: the segments covering its bytes.
		for _, r := range recs {
			if r.Message != nil && r.Seq == 1 {
				n := (len(req1) + 16) / 17
				if len(r.Message.Frames) != n || r.Message.Frames[0] != 4 {
					t.Errorf("request 1 frames %v, want %d from 4", r.Message.Frames, n)
				}
			}
		}
	}
}

// TestStreamAnyOrder: after the handshake, data segments, FINs,
// duplicates and overlapping re-segmentations in random order give the
// same streams and messages as in order.
func TestStreamAnyOrder(t *testing.T) {
	cv := newConversation(t, 0xfffffff0, 77)
	ref := func(frames [][]byte) []Record {
		f := newFeeder(t, Config{Analyse: true})
		for _, b := range frames {
			f.feed(b)
		}
		return f.flush()
	}
	var body [][]byte
	body = append(body, cv.data(true, 13)...)
	body = append(body, cv.data(false, 29)...)
	alt := append(cv.data(true, 7), cv.data(false, 41)...)
	want := ref(slices.Concat(cv.handshake(), body, cv.fins(), [][]byte{cv.lastACK()}))
	wantS := streams(want)[0]
	wantM := messages(want)
	for seed := uint64(0); seed < 300; seed++ {
		r := rand.New(rand.NewPCG(seed, 3))
		seq := slices.Concat(body, cv.fins())
		for range r.IntN(5) {
			seq = append(seq, body[r.IntN(len(body))])
		}
		for range r.IntN(5) {
			seq = append(seq, alt[r.IntN(len(alt))])
		}
		r.Shuffle(len(seq), func(i, j int) { seq[i], seq[j] = seq[j], seq[i] })
		got := ref(slices.Concat(cv.handshake(), seq, [][]byte{cv.lastACK()}))
		ss := streams(got)
		if len(ss) != 1 {
			t.Fatalf("seed %d: %d streams", seed, len(ss))
		}
		s := ss[0]
		if !s.Complete || s.End != "fin" {
			t.Errorf("seed %d: complete=%v end=%q", seed, s.Complete, s.End)
		}
		for d := range 2 {
			sameBytes(t, fmt.Sprintf("seed %d dir %d", seed, d), s.Dirs[d].Data, wantS.Dirs[d].Data)
			if s.Dirs[d].Differs || len(s.Dirs[d].Gaps) > 0 {
				t.Errorf("seed %d dir %d: differs=%v gaps=%v", seed, d, s.Dirs[d].Differs, s.Dirs[d].Gaps)
			}
		}
		if gm := messages(got); !slices.Equal(gm, wantM) {
			t.Errorf("seed %d: messages\n got %q\nwant %q", seed, gm, wantM)
		}
	}
}

func messages(recs []Record) []string {
	var out []string
	for _, r := range recs {
		if m := r.Message; m != nil {
			out = append(out, fmt.Sprintf("%d %s %s %s %d %q %d", m.Dir, m.Kind, m.Method, m.URI, m.Status, m.Body, m.Length))
		}
	}
	return out
}

func TestStreamGapStrict(t *testing.T) {
	cv := newConversation(t, 1, 2)
	seg := cv.data(true, 10)
	for _, strict := range []bool{false, true} {
		f := newFeeder(t, Config{Strict: strict, Analyse: true})
		for _, b := range cv.handshake() {
			f.feed(b)
		}
		for i, b := range seg {
			if i != 3 {
				f.feed(b)
			}
		}
		for _, b := range cv.fins() {
			f.feed(b)
		}
		ss := streams(f.flush())
		if !strict {
			if len(ss) != 0 || f.r.Stats().StreamsDropped != 1 {
				t.Errorf("non-strict: %d streams, %d dropped", len(ss), f.r.Stats().StreamsDropped)
			}
			continue
		}
		if len(ss) != 1 {
			t.Fatalf("strict: %d streams", len(ss))
		}
		d := ss[0].Dirs[0]
		if ss[0].Complete || len(d.Gaps) != 1 || d.Gaps[0] != (Gap{Offset: 30, Len: 10}) {
			t.Errorf("complete=%v gaps=%v", ss[0].Complete, d.Gaps)
		}
		want := slices.Concat(cv.c[:30], cv.c[40:])
		sameBytes(t, "data around the gap", d.Data, want)
		if d.Length != uint64(len(cv.c)-10) {
			t.Errorf("length %d", d.Length)
		}
	}
}

func TestStreamRetransmissionDiffers(t *testing.T) {
	cv := newConversation(t, 1, 2)
	f := newFeeder(t, Config{})
	for _, b := range cv.handshake() {
		f.feed(b)
	}
	seg := cv.data(true, 10)
	for _, b := range seg {
		f.feed(b)
	}
	f.feed(seg[2]) // identical retransmission
	f.feed(cv.pkt(true, cv.cisn+1+20, cv.sisn+1, craft.ACK, []byte("XXXXXXXXXX")))
	f.feed(cv.pkt(false, cv.sisn+1, 0, craft.RST, nil))
	ss := streams(f.flush())
	if len(ss) != 1 {
		t.Fatalf("%d streams", len(ss))
	}
	s := ss[0]
	d := s.Dirs[0]
	if s.End != "rst" || d.Retransmissions != 2 || d.Overlaps != 1 || !d.Differs {
		t.Errorf("end=%q retrans=%d overlaps=%d differs=%v", s.End, d.Retransmissions, d.Overlaps, d.Differs)
	}
	sameBytes(t, "first wins", d.Data, cv.c)
}

func TestStreamMidConnection(t *testing.T) {
	cv := newConversation(t, 1, 2)
	f := newFeeder(t, Config{Strict: true})
	seg := cv.data(false, 10)
	for _, b := range seg[2:] {
		f.feed(b)
	}
	ss := streams(f.flush())
	if len(ss) != 1 {
		t.Fatalf("%d streams", len(ss))
	}
	s := ss[0]
	// Server spoke first: it is Src (no SYN to tell otherwise).
	if s.Complete || s.Dirs[0].SYN || s.End != "end of capture" || s.SrcPort != 80 {
		t.Errorf("complete=%v syn=%v end=%q srcport=%d", s.Complete, s.Dirs[0].SYN, s.End, s.SrcPort)
	}
	sameBytes(t, "mid-stream data", s.Dirs[0].Data, cv.s[20:])
}

// TestStreamHugeGap: a stream that jumps far ahead and keeps sending stays
// under the caps, and the record says where bytes are missing.
func TestStreamHugeGap(t *testing.T) {
	const pendCap, keep = 64 << 10, 32 << 10
	f := newFeeder(t, Config{Strict: true, MaxPendingBytes: pendCap, MaxStreamBytes: keep, MaxSegments: 1024})
	cv := newConversation(t, 100, 200)
	for _, b := range cv.handshake() {
		f.feed(b)
	}
	chunk := pattern(1400, 9)
	total := 0
	peak := 0
	for i := range 20000 { // 28 MB after a 1 GB hole
		seq := cv.cisn + 1 + 1<<30 + uint32(i*len(chunk))
		f.feed(cv.pkt(true, seq, cv.sisn+1, craft.ACK, chunk))
		total += len(chunk)
		if _, m := f.r.Memory(); m > peak {
			peak = m
		}
	}
	limit := 2*(pendCap+keep) + 2*24*1024 + 2*8*1024 + 4096
	if peak > limit {
		t.Errorf("stream memory peaked at %d, limit %d", peak, limit)
	}
	ss := streams(f.flush())
	if len(ss) != 1 {
		t.Fatalf("%d streams", len(ss))
	}
	d := ss[0].Dirs[0]
	if len(d.Gaps) != 1 || d.Gaps[0].Offset != 0 || d.Gaps[0].Len != 1<<30 || d.Length != uint64(total) || !d.Truncated || len(d.Data) != keep {
		t.Errorf("gaps=%v length=%d truncated=%v data=%d", d.Gaps, d.Length, d.Truncated, len(d.Data))
	}
	t.Logf("peak stream memory %d bytes for %d bytes after a 1 GiB gap", peak, total)
}

func TestFTPControl(t *testing.T) {
	cv := &conversation{t: t, cisn: 10, sisn: 20,
		c: []byte("USER anonymous\r\nPASS x@y\r\nRETR file.txt\r\nQUIT\r\n"),
		s: []byte("220 Welcome\r\n331 Password required\r\n230-Line one\r\nLine two\r\n230 Logged in\r\n150 Opening\r\n226 Done\r\n221 Bye\r\n")}
	// Port 21 instead of 80.
	f := newFeeder(t, Config{Analyse: true})
	rewrite := func(b []byte) []byte {
		b = slices.Clone(b)
		for _, o := range []int{20, 22} {
			if b[o] == 0 && b[o+1] == 80 {
				b[o+1] = 21
			}
		}
		return b
	}
	for _, b := range slices.Concat(cv.handshake(), cv.data(true, 9), cv.data(false, 11), cv.fins()) {
		f.feed(rewrite(b)) // TCP checksum no longer matches; not checked
	}
	var got []string
	for _, r := range f.flush() {
		if m := r.Message; m != nil {
			got = append(got, strings.TrimSpace(fmt.Sprintf("%s %s %s %d %s", m.Kind, m.Command, m.Arg, m.Code, strings.ReplaceAll(m.Text, "\n", "|"))))
		}
	}
	want := []string{"command USER anonymous 0", "command PASS x@y 0", "command RETR file.txt 0", "command QUIT  0",
		"reply   220 Welcome", "reply   331 Password required", "reply   230 Line one|Line two|Logged in",
		"reply   150 Opening", "reply   226 Done", "reply   221 Bye"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestStreamAnyOrderWithHandshake: the handshake itself shuffled among the
// data (a direction's bytes arriving before its SYN are held and rebased),
// with only the FINs kept last, gives the in-order streams and messages.
func TestStreamAnyOrderWithHandshake(t *testing.T) {
	cv := newConversation(t, 0x7ffffff0, 0xfffffff0)
	cv.swap = true
	feed := func(frames [][]byte) []Record {
		f := newFeeder(t, Config{Analyse: true})
		for _, b := range frames {
			f.feed(b)
		}
		return f.flush()
	}
	body := slices.Concat(cv.handshake(), cv.data(true, 11), cv.data(false, 31))
	want := feed(slices.Concat(body, cv.fins(), [][]byte{cv.lastACK()}))
	wantS := streams(want)[0]
	wantM := messages(want)
	for seed := uint64(0); seed < 300; seed++ {
		r := rand.New(rand.NewPCG(seed, 5))
		seq := slices.Clone(body)
		r.Shuffle(len(seq), func(i, j int) { seq[i], seq[j] = seq[j], seq[i] })
		got := feed(slices.Concat(seq, cv.fins(), [][]byte{cv.lastACK()}))
		ss := streams(got)
		if len(ss) != 1 {
			t.Fatalf("seed %d: %d streams", seed, len(ss))
		}
		s := ss[0]
		if !s.Complete || s.SrcPort != wantS.SrcPort || !slices.Equal(s.Src, wantS.Src) {
			t.Errorf("seed %d: complete=%v src=%v:%d, want %v:%d", seed, s.Complete, s.Src, s.SrcPort, wantS.Src, wantS.SrcPort)
		}
		for d := range 2 {
			sameBytes(t, fmt.Sprintf("seed %d dir %d", seed, d), s.Dirs[d].Data, wantS.Dirs[d].Data)
			if s.Dirs[d].ISN != wantS.Dirs[d].ISN || len(s.Dirs[d].Gaps) > 0 {
				t.Errorf("seed %d dir %d: isn %#x gaps %v", seed, d, s.Dirs[d].ISN, s.Dirs[d].Gaps)
			}
		}
		if gm := messages(got); !slices.Equal(gm, wantM) {
			t.Errorf("seed %d: messages\n got %q\nwant %q", seed, gm, wantM)
		}
	}
}

// TestStreamsStable runs the stream tests with StableFrames: the bytes
// referenced in the frames give the same records as the bytes copied.
func TestStreamsStable(t *testing.T) {
	feedStable = true
	t.Cleanup(func() { feedStable = false })
	for name, test := range map[string]func(*testing.T){
		"InOrderHTTP":           TestStreamInOrderHTTP,
		"AnyOrder":              TestStreamAnyOrder,
		"GapStrict":             TestStreamGapStrict,
		"RetransmissionDiffers": TestStreamRetransmissionDiffers,
		"MidConnection":         TestStreamMidConnection,
		"HugeGap":               TestStreamHugeGap,
		"FTPControl":            TestFTPControl,
		"AnyOrderWithHandshake": TestStreamAnyOrderWithHandshake,
	} {
		t.Run(name, test)
	}
}

// TestStreamJoinData: with StableFrames, a record's directions hold pieces
// of the frames; JoinData joins both into one reused buffer (Data then
// aliases it), growing it only when a stream needs more.
func TestStreamJoinData(t *testing.T) {
	var buf []byte
	for i, n := range []int{40, 7, 90} {
		cv := newConversation(t, uint32(1000*i), 77)
		f := newFeeder(t, Config{StableFrames: true})
		var got *Stream
		f.emitTo = func(r Record) {
			if r.Stream == nil {
				return
			}
			if r.Stream.Dirs[0].Data != nil {
				t.Fatal("stable record holds a copy: Data set before joining")
			}
			buf = r.Stream.JoinData(buf)
			got = r.Stream
			sameBytes(t, "client", got.Dirs[0].Data, cv.c)
			sameBytes(t, "server", got.Dirs[1].Data, cv.s)
			if len(buf) != len(cv.c)+len(cv.s) {
				t.Errorf("joined %d bytes, want %d", len(buf), len(cv.c)+len(cv.s))
			}
		}
		for _, b := range cv.handshake() {
			f.feed(b)
		}
		for _, b := range cv.data(true, n) {
			f.feed(b)
		}
		for _, b := range cv.data(false, n+3) {
			f.feed(b)
		}
		for _, b := range cv.fins() {
			f.feed(b)
		}
		f.feed(cv.lastACK())
		f.flush()
		if got == nil {
			t.Fatalf("stream %d not emitted", i)
		}
	}
}
