package reassembler

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/decoder"
)

// h2frame builds an HTTP/2 frame.
func h2frame(typ, flags uint8, sid uint32, payload []byte) []byte {
	b := []byte{byte(len(payload) >> 16), byte(len(payload) >> 8), byte(len(payload)), typ, flags, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[5:], sid)
	return append(b, payload...)
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func setting(id uint16, v uint32) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint16(nil, id), v)
}

func cat(bs ...[]byte) []byte { return slices.Concat(bs...) }

// h2Summary renders what a test checks of a Message.
func h2Summary(m *Message) string {
	s := fmt.Sprintf("%d %s @%d+%d", m.Dir, m.Kind, m.Offset, m.Length)
	if f := m.H2; f != nil {
		s += fmt.Sprintf(" sid=%d flags=%s", f.StreamID, strings.Join(h2FlagNames(f.Type, f.Flags), "|"))
		switch f.Type {
		case 0:
			s += fmt.Sprintf(" pad=%d body=%q", f.PadLen, m.Body)
		case 1:
			s += fmt.Sprintf(" prio=%v/%d/%d block=%q", f.Exclusive, f.Dependency, f.Weight, f.Block)
		case 3:
			s += " " + nameOr(h2ErrorNames[:], f.ErrorCode)
		case 4:
			for _, st := range f.Settings {
				s += fmt.Sprintf(" %s=%d", nameOr(h2SettingNames[:], uint32(st.ID)), st.Value)
			}
		case 5:
			s += fmt.Sprintf(" promised=%d block=%q", f.PromisedID, f.Block)
		case 6:
			s += fmt.Sprintf(" opaque=%q", f.Opaque)
		case 7:
			s += fmt.Sprintf(" last=%d %s debug=%q", f.LastStreamID, nameOr(h2ErrorNames[:], f.ErrorCode), f.Debug)
		case 8:
			s += fmt.Sprintf(" inc=%d", f.Increment)
		default:
			s += fmt.Sprintf(" payload=%q", f.Payload)
		}
	}
	if !m.Complete {
		s += " incomplete"
	}
	if m.Error != "" {
		s += " error: " + m.Error
	}
	return s
}

// h2Stream is a stream of the two directions, each delivered by one frame
// (1 and 2).
func h2Stream(c, s []byte) *Stream {
	return &Stream{SrcPort: 40000, DstPort: 80, Dirs: []StreamDir{
		{Data: c, Length: uint64(len(c)), Segments: []Segment{{Frame: 1, Len: uint32(len(c))}}},
		{Data: s, Length: uint64(len(s)), Segments: []Segment{{Frame: 2, Len: uint32(len(s))}}},
	}}
}

var (
	h2Client = cat([]byte(h2Preface),
		h2frame(4, 0, 0, cat(setting(3, 100), setting(4, 65535))),
		h2frame(8, 0, 0, u32(15663105)),
		h2frame(1, h2EndStream|h2EndHeaders|h2Priority, 1, cat(u32(1<<31|3), []byte{15}, []byte("\x82\x86\x84"))),
		h2frame(4, h2EndStream, 0, nil),
		h2frame(6, 0, 0, []byte("12345678")),
		h2frame(7, 0, 0, cat(u32(1), u32(0), []byte("bye"))))
	h2Server = cat(
		h2frame(4, 0, 0, setting(5, 16384)),
		h2frame(4, h2EndStream, 0, nil),
		h2frame(1, h2EndHeaders, 1, []byte("\x88")),
		h2frame(0, h2EndStream|h2Padded, 1, cat([]byte{3}, []byte("hello"), []byte{0, 0, 0})),
		h2frame(3, 0, 3, u32(8)),
		h2frame(5, h2EndHeaders, 1, cat(u32(2), []byte("\x82"))),
		h2frame(0x2a, 0, 0, []byte("?")),
		h2frame(0, 0, 1, []byte("cut"))[:10])
)

var h2Want = []string{
	`0 preface @0+24`,
	`0 SETTINGS @24+21 sid=0 flags= MAX_CONCURRENT_STREAMS=100 INITIAL_WINDOW_SIZE=65535`,
	`0 WINDOW_UPDATE @45+13 sid=0 flags= inc=15663105`,
	`0 HEADERS @58+17 sid=1 flags=END_STREAM|END_HEADERS|PRIORITY prio=true/3/16 block="\x82\x86\x84"`,
	`0 SETTINGS @75+9 sid=0 flags=ACK`,
	`0 PING @84+17 sid=0 flags= opaque="12345678"`,
	`0 GOAWAY @101+20 sid=0 flags= last=1 NO_ERROR debug="bye"`,
	`1 SETTINGS @0+15 sid=0 flags= MAX_FRAME_SIZE=16384`,
	`1 SETTINGS @15+9 sid=0 flags=ACK`,
	`1 HEADERS @24+10 sid=1 flags=END_HEADERS prio=false/0/0 block="\x88"`,
	`1 DATA @34+18 sid=1 flags=END_STREAM|PADDED pad=3 body="hello"`,
	`1 RST_STREAM @52+13 sid=3 flags= CANCEL`,
	`1 PUSH_PROMISE @65+14 sid=1 flags=END_HEADERS promised=2 block="\x82"`,
	`1 0x2a @79+10 sid=0 flags= payload="?"`,
	`1 DATA @89+10 sid=1 flags= pad=0 body="" incomplete error: frame cut short: 10 of 12 bytes`,
}

// TestHTTP2PriorKnowledge: a client that starts with the preface; every
// frame type, padding, priority, an unassigned type, a frame cut by the
// end of the stream.
func TestHTTP2PriorKnowledge(t *testing.T) {
	msgs := Analyse(h2Stream(h2Client, h2Server))
	var got []string
	for _, m := range msgs {
		got = append(got, h2Summary(m))
		if want := []uint64{uint64(m.Dir + 1)}; !slices.Equal(m.Frames, want) {
			t.Errorf("%s: frames %v, want %v", h2Summary(m), m.Frames, want)
		}
		var tr decoder.Tree
		m.Fields(&tr)
	}
	if !slices.Equal(got, h2Want) {
		t.Errorf("messages:\n got %q\nwant %q", got, h2Want)
	}
	// One direction from a payload file.
	var pay []string
	for _, m := range AnalysePayload(h2Client) {
		pay = append(pay, h2Summary(m))
	}
	if !slices.Equal(pay, h2Want[:7]) {
		t.Errorf("payload file:\n got %q\nwant %q", pay, h2Want[:7])
	}
}

// TestHTTP2Upgrade: HTTP/1.1 with Upgrade: h2c, a 101 response, then the
// preface and frames; without the request's Upgrade header, a 101 does not
// switch.
func TestHTTP2Upgrade(t *testing.T) {
	req := "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
	rsp := "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
	c := cat([]byte(req), []byte(h2Preface), h2frame(4, 0, 0, nil))
	s := cat([]byte(rsp), h2frame(4, 0, 0, nil), h2frame(1, h2EndHeaders|h2EndStream, 1, []byte("\x88")))
	var got []string
	for _, m := range Analyse(h2Stream(c, s)) {
		got = append(got, m.Proto+" "+h2Summary(m))
	}
	want := []string{
		fmt.Sprintf("HTTP 0 request @0+%d", len(req)),
		fmt.Sprintf("HTTP/2 0 preface @%d+24", len(req)),
		fmt.Sprintf("HTTP/2 0 SETTINGS @%d+9 sid=0 flags=", len(req)+24),
		fmt.Sprintf("HTTP 1 response @0+%d", len(rsp)),
		fmt.Sprintf("HTTP/2 1 SETTINGS @%d+9 sid=0 flags=", len(rsp)),
		fmt.Sprintf(`HTTP/2 1 HEADERS @%d+10 sid=1 flags=END_STREAM|END_HEADERS prio=false/0/0 block="\x88"`, len(rsp)+9),
	}
	if !slices.Equal(got, want) {
		t.Errorf("upgraded:\n got %q\nwant %q", got, want)
	}
	plain := strings.Replace(req, "Upgrade: h2c\r\n", "", 1)
	for _, m := range Analyse(h2Stream(cat([]byte(plain), []byte(h2Preface)), []byte(rsp))) {
		if m.Proto == "HTTP/2" {
			t.Errorf("no upgrade asked, yet %s", h2Summary(m))
		}
	}
}

// TestHTTP2Malformed: wrong fixed sizes and padding are reported on the
// frame, and the frames after it are still read.
func TestHTTP2Malformed(t *testing.T) {
	c := cat([]byte(h2Preface),
		h2frame(6, 0, 0, []byte("short")),
		h2frame(0, h2Padded, 1, []byte{9, 'x'}),
		h2frame(4, 0, 0, []byte{1, 2, 3}),
		h2frame(8, 0, 0, u32(1)),
		h2frame(8, 0, 0, u32(0)),
		h2frame(4, h2EndStream, 0, setting(1, 1)),
		h2frame(6, 0, 5, []byte("12345678")),
		h2frame(0, 0, 0, []byte("x")),
		[]byte{0, 0})
	var got []string
	for _, m := range Analyse(h2Stream(c, nil)) {
		got = append(got, h2Summary(m))
	}
	want := []string{
		`0 preface @0+24`,
		`0 PING @24+14 sid=0 flags= opaque="" error: PING payload of 5 bytes, want 8`,
		`0 DATA @38+11 sid=1 flags=PADDED pad=9 body="" error: padding of 9 bytes in a 2-byte payload`,
		`0 SETTINGS @49+12 sid=0 flags= error: SETTINGS payload of 3 bytes, not a multiple of 6`,
		`0 WINDOW_UPDATE @61+13 sid=0 flags= inc=1`,
		`0 WINDOW_UPDATE @74+13 sid=0 flags= inc=0 error: WINDOW_UPDATE with an increment of 0`,
		`0 SETTINGS @87+15 sid=0 flags=ACK HEADER_TABLE_SIZE=1 error: SETTINGS ACK with a payload`,
		`0 PING @102+17 sid=5 flags= opaque="12345678" error: PING on stream 5, not 0`,
		`0 DATA @119+10 sid=0 flags= pad=0 body="x" error: DATA on stream 0`,
		`0 fragment @129+2 incomplete error: frame header cut short: 2 of 9 bytes`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("messages:\n got %q\nwant %q", got, want)
	}
}

// TestHTTP2Capture: testdata/h2c.pcap, real h2c traffic (nghttp fetching
// two files from nghttpd with prior knowledge, see testdata/README.md).
// The frames, their stream identifiers and payload lengths are tshark
// 4.0's (tshark -d tcp.port==18080,http2 -T fields -e frame.number -e
// http2.type -e http2.streamid -e http2.length); tshark lists a frame that
// two segments deliver at the second, pcapflow gives both.
func TestHTTP2Capture(t *testing.T) {
	recs := runCapture(t, "../testdata/h2c.pcap", Config{TCP: true, Analyse: true}, 0)
	var got []string
	for _, r := range recs {
		m := r.Message
		if m == nil {
			continue
		}
		var tr decoder.Tree
		m.Fields(&tr)
		s := fmt.Sprintf("%d %s %v", m.Dir, m.Kind, m.Frames)
		if m.H2 != nil {
			s += fmt.Sprintf(" sid=%d len=%d", m.H2.StreamID, m.H2.PayloadLen)
			if m.Kind == "DATA" && m.H2.StreamID == 13 && string(m.Body) != "hello from nghttpd\n" {
				t.Errorf("index.html body %q", m.Body)
			}
		}
		if !m.Complete || m.Error != "" {
			s += " " + m.Error
		}
		got = append(got, s)
	}
	want := []string{
		"0 preface [6]",
		"0 SETTINGS [6] sid=0 len=12",
		"0 PRIORITY [6] sid=3 len=5",
		"0 PRIORITY [6] sid=5 len=5",
		"0 PRIORITY [6] sid=7 len=5",
		"0 PRIORITY [6] sid=9 len=5",
		"0 PRIORITY [6] sid=11 len=5",
		"0 HEADERS [6] sid=13 len=39",
		"0 HEADERS [6] sid=15 len=22",
		"0 SETTINGS [8] sid=0 len=0",
		"0 GOAWAY [13] sid=0 len=8",
		"1 SETTINGS [4] sid=0 len=6",
		"1 SETTINGS [10] sid=0 len=0",
		"1 HEADERS [10] sid=13 len=92",
		"1 HEADERS [10] sid=15 len=21",
		"1 DATA [10] sid=13 len=19",
		"1 DATA [10] sid=15 len=16384",
		"1 DATA [10 11] sid=15 len=16384",
		"1 DATA [11] sid=15 len=6125",
	}
	if !slices.Equal(got, want) {
		t.Errorf("messages:\n got %q\nwant %q", got, want)
	}
	// The header blocks, decoded, as tshark decodes them (http2.header.name
	// and http2.header.value).
	req := func(path string) string {
		return fmt.Sprint(hdrs(":method", "GET", ":path", path, ":scheme", "http", ":authority", "127.0.0.1:18080",
			"accept", "*/*", "accept-encoding", "gzip, deflate", "user-agent", "nghttp2/1.52.0"))
	}
	rsp := func(length, typ string) string {
		return fmt.Sprint(hdrs(":status", "200", "server", "nghttpd nghttp2/1.52.0", "cache-control", "max-age=3600",
			"date", "Mon, 07 Dec 2026 20:03:54 GMT", "content-length", length, "last-modified", "Mon, 07 Dec 2026 20:03:52 GMT",
			"content-type", typ))
	}
	wantHeaders := []string{req("/index.html"), req("/numbers.txt"), rsp("19", "text/html"), rsp("38893", "text/plain")}
	var gotHeaders []string
	for _, r := range recs {
		if m := r.Message; m != nil && m.Kind == "HEADERS" {
			gotHeaders = append(gotHeaders, fmt.Sprint(m.Headers))
		}
	}
	if !slices.Equal(gotHeaders, wantHeaders) {
		t.Errorf("headers:\n got %q\nwant %q", gotHeaders, wantHeaders)
	}
}

// TestHTTP2HPACKCapture: testdata/h2c-hpack.pcap, real traffic that works
// the HPACK decoder (see testdata/README.md): the client's encoder table
// cut to 200 bytes and the server's to 300 (size updates, evictions),
// header blocks of 18 KB sent as HEADERS + CONTINUATION, Huffman-coded
// and raw strings, a UTF-8 value; then a PUT on a second connection.
//
// The headers are tshark 4.0's (tshark -d tcp.port==18081,http2 -T json
// --no-duplicate-keys, http2.header.name and .value per HEADERS frame),
// where tshark decodes them. It does not decode the first connection's
// responses (it shows no headers: it does not apply the client's
// SETTINGS_HEADER_TABLE_SIZE of 300 before the server's size update),
// and of the 18 KB blocks it shows the first 12 fields: the other four are
// what nghttp was told to send (--continuation sends six 4,096-byte
// continuation-test headers; -H the last three), and the block's bytes
// end with them. The responses' content-length is checked against the
// DATA received.
func TestHTTP2HPACKCapture(t *testing.T) {
	recs := runCapture(t, "../testdata/h2c-hpack.pcap", Config{TCP: true, Analyse: true}, 0)
	dash := strings.Repeat("-", 4096)
	req := func(method, path string, extra ...string) []Header {
		return append(hdrs(":method", method, ":path", path, ":scheme", "http", ":authority", "127.0.0.1:18081",
			"accept", "*/*", "accept-encoding", "gzip, deflate", "user-agent", "nghttp2/1.52.0"), hdrs(extra...)...)
	}
	cont := []string{"continuation-test-1", dash, "continuation-test-2", dash, "continuation-test-3", dash,
		"continuation-test-4", dash, "continuation-test-5", dash, "continuation-test-6", dash,
		"x-trace-id", "0123456789abcdef0123456789abcdef", "cookie", "session=Zm9vYmFyYmF6cXV4; theme=dark", "x-utf", "café"}
	rsp := func(date, length string) []Header {
		return hdrs(":status", "200", "server", "nghttpd nghttp2/1.52.0", "cache-control", "max-age=3600",
			"date", date, "content-length", length, "last-modified", "Mon, 07 Dec 2026 21:28:35 GMT", "content-type", "text/plain")
	}
	const date = "Mon, 07 Dec 2026 21:29:13 GMT"
	want := map[string][]Header{
		"0 0 13": req("GET", "/a.txt", cont...), "0 0 15": req("GET", "/a.txt", cont...),
		"0 0 17": req("GET", "/b.txt", cont...), "0 0 19": req("GET", "/b.txt", cont...),
		"0 1 13": rsp(date, "12"), "0 1 15": rsp(date, "12"), "0 1 17": rsp(date, "1092"), "0 1 19": rsp(date, "1092"),
		"1 0 13": req("PUT", "/a.txt", "content-length", "3000"), "1 1 13": rsp(date, "12"),
	}
	conn, blocks, data := -1, 0, map[string]uint64{}
	for _, r := range recs {
		if r.Stream != nil {
			conn++
		}
		m := r.Message
		if m == nil || m.H2 == nil {
			continue
		}
		if m.Error != "" {
			t.Errorf("%d %s: %s", conn, h2Summary(m), m.Error)
		}
		key := fmt.Sprintf("%d %d %d", conn, m.Dir, m.H2.StreamID)
		switch m.Kind {
		case "HEADERS":
			blocks++
			if w, ok := want[key]; !ok || !slices.Equal(m.Headers, w) {
				t.Errorf("%s: headers %.300q\nwant %.300q", key, m.Headers, w)
			}
		case "DATA":
			data[key] += m.BodyLen
		}
	}
	if blocks != len(want) {
		t.Errorf("%d header blocks, want %d", blocks, len(want))
	}
	for key, w := range want {
		if cl := headerValue(w, "content-length"); (cl != "" || data[key] > 0) && cl != fmt.Sprint(data[key]) {
			t.Errorf("%s: content-length %s, %d bytes of DATA", key, cl, data[key])
		}
	}
}

// TestHTTP2UpgradeSettings: the HTTP2-Settings header of an upgrade
// request is the client's first SETTINGS: its HEADER_TABLE_SIZE lets the
// server's encoder grow its table; without it the same block is refused.
func TestHTTP2UpgradeSettings(t *testing.T) {
	rsp := "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
	s := cat([]byte(rsp), h2frame(4, 0, 0, nil), h2frame(1, h2EndHeaders|h2EndStream, 1, []byte("\x3f\xe1\x3f\x88")))
	for _, c := range []struct{ settings, want string }{
		{"AAEAACAA", "[{:status 200}] "}, // HEADER_TABLE_SIZE 8192
		{"AAMAAABk", "[] hpack: offset 0: table size update to 8192, over the 4096 the peer allows"},
	} {
		req := "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: " + c.settings + "\r\n\r\n"
		var got []string
		for _, m := range Analyse(h2Stream(cat([]byte(req), []byte(h2Preface)), []byte(s))) {
			if m.Kind == "HEADERS" {
				got = append(got, fmt.Sprintf("%v %s", m.Headers, m.Error))
			}
		}
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("HTTP2-Settings %s: %q, want %q", c.settings, got, c.want)
		}
	}
}
