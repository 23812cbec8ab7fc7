package reassembler

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/pcapflow/pcapflow/decoder"
)

// HTTP/2 (RFC 9113) in cleartext ("h2c"): a stream whose client direction
// starts with the connection preface (prior knowledge, section 3.3), or an
// HTTP/1.1 connection upgraded to it (a request with "Upgrade: h2c" and a
// "101 Switching Protocols" response with the same header; the client's
// preface then follows its request). From there each direction is read as
// a sequence of frames, one Message per frame (Proto "HTTP/2", Kind the
// frame type's name, as PyPCAPKit's HTTPv2 reports them); the preface is a
// Message of its own. Header blocks are reported as sent, HPACK-compressed,
// and decoded (hpack.go): the header list of a block (a HEADERS or
// PUSH_PROMISE frame and the CONTINUATION frames that end it) is the
// Headers of its first frame. A gap ends a direction's frames: nothing
// marks where the next frame starts.

// h2Preface is the client connection preface (RFC 9113 section 3.4).
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// h2FrameHeader is the size of a frame header.
const h2FrameHeader = 9

// maxH2Frames bounds the frames analysed per direction: a Message costs
// far more than a 9-byte frame.
const maxH2Frames = 1 << 16

// H2Frame is what an HTTP/2 frame says beyond its Message (Kind is its
// type's name).
type H2Frame struct {
	Type     uint8  `msgpack:"type"`
	Flags    uint8  `msgpack:"flags"`
	StreamID uint32 `msgpack:"stream_id"`
	// PayloadLen is the frame header's length: the payload after the
	// 9-byte header.
	PayloadLen uint32 `msgpack:"payload_len"`
	// PadLen is the padding (PADDED flag: DATA, HEADERS, PUSH_PROMISE).
	PadLen uint8 `msgpack:"pad_len"`
	// Priority (HEADERS with the PRIORITY flag, PRIORITY): Weight is the
	// field plus one (1 to 256).
	Exclusive  bool   `msgpack:"exclusive"`
	Dependency uint32 `msgpack:"dependency"`
	Weight     uint16 `msgpack:"weight"`
	// ErrorCode (RST_STREAM, GOAWAY), LastStreamID (GOAWAY), Increment
	// (WINDOW_UPDATE), PromisedID (PUSH_PROMISE).
	ErrorCode    uint32      `msgpack:"error_code"`
	LastStreamID uint32      `msgpack:"last_stream_id"`
	Increment    uint32      `msgpack:"increment"`
	PromisedID   uint32      `msgpack:"promised_id"`
	Settings     []H2Setting `msgpack:"settings,omitempty"`
	// Block is the header block fragment (HEADERS, PUSH_PROMISE,
	// CONTINUATION), Opaque PING's data, Debug GOAWAY's, Payload that of a
	// frame type without a parser here; each holds at most 64 KiB. A DATA
	// frame's data is the Message's Body.
	Block   []byte `msgpack:"block,omitempty"`
	Opaque  []byte `msgpack:"opaque,omitempty"`
	Debug   []byte `msgpack:"debug,omitempty"`
	Payload []byte `msgpack:"payload,omitempty"`

	// frag is the whole header block fragment while the stream is being
	// analysed (Block keeps at most 64 KiB of it), when the frame's payload
	// is well formed (hasFrag).
	frag    []byte
	hasFrag bool
}

// H2Setting is one parameter of a SETTINGS frame.
type H2Setting struct {
	ID    uint16 `msgpack:"id"`
	Value uint32 `msgpack:"value"`
}

var h2TypeNames = [...]string{"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY",
	"WINDOW_UPDATE", "CONTINUATION", "ALTSVC", "", "ORIGIN", "", "", "", "PRIORITY_UPDATE"}

// h2TypeName names a frame type ("0x2a" when unassigned).
func h2TypeName(t uint8) string {
	if int(t) < len(h2TypeNames) && h2TypeNames[t] != "" {
		return h2TypeNames[t]
	}
	return "0x" + strconv.FormatUint(uint64(t), 16)
}

// HTTP/2 frame flags.
const (
	h2EndStream  = 0x1 // DATA, HEADERS; ACK on SETTINGS and PING
	h2EndHeaders = 0x4
	h2Padded     = 0x8
	h2Priority   = 0x20
)

// h2Flags are the flags each frame type defines: the types as a bit set,
// the flag, its name (in the order reported).
var h2Flags = [...]struct {
	types uint16
	bit   uint8
	name  string
}{
	{1<<0 | 1<<1, h2EndStream, "END_STREAM"}, // DATA, HEADERS
	{1<<4 | 1<<6, h2EndStream, "ACK"},        // SETTINGS, PING
	{1<<1 | 1<<5 | 1<<9, h2EndHeaders, "END_HEADERS"},
	{1<<0 | 1<<1 | 1<<5, h2Padded, "PADDED"},
	{1 << 1, h2Priority, "PRIORITY"},
}

// h2FlagNames names the flags set, for the frame type t.
func h2FlagNames(t, f uint8) []string {
	var out []string
	for _, fl := range h2Flags {
		if t < 16 && fl.types&(1<<t) != 0 && f&fl.bit != 0 {
			out = append(out, fl.name)
		}
	}
	return out
}

var h2SettingNames = [...]string{1: "HEADER_TABLE_SIZE", 2: "ENABLE_PUSH", 3: "MAX_CONCURRENT_STREAMS",
	4: "INITIAL_WINDOW_SIZE", 5: "MAX_FRAME_SIZE", 6: "MAX_HEADER_LIST_SIZE", 8: "ENABLE_CONNECT_PROTOCOL",
	9: "NO_RFC7540_PRIORITIES"}

var h2ErrorNames = [...]string{"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
	"SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
	"CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"}

func nameOr(names []string, v uint32) string {
	if int64(v) < int64(len(names)) && names[v] != "" {
		return names[v]
	}
	return "unknown"
}

// isH2Upgrade reports whether an HTTP/1.1 message asks for, or accepts,
// the upgrade to h2c.
func isH2Upgrade(m *Message) bool {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, "Upgrade") {
			for _, p := range strings.Split(h.Value, ",") {
				if strings.EqualFold(strings.TrimSpace(p), "h2c") {
					return true
				}
			}
		}
	}
	return false
}

// analyseH2 returns the frames of direction dir of s from stream offset
// start (the preface first, for the client direction).
func analyseH2(s *Stream, dir int, start uint64) []*Message {
	d := &s.Dirs[dir]
	var out []*Message
	for _, sp := range spans(d) {
		end := sp.off + uint64(sp.end-sp.start)
		if start >= end {
			continue
		}
		if start < sp.off {
			break // a gap: the next frame boundary is unknown
		}
		b := d.Data[sp.start:sp.end]
		pos := int(start - sp.off)
		if dir == 0 && pos+len(h2Preface) <= len(b) && string(b[pos:pos+len(h2Preface)]) == h2Preface {
			out = append(out, &Message{Proto: "HTTP/2", Dir: 0, Kind: "preface", Offset: start,
				Length: uint64(len(h2Preface)), Complete: true})
			pos += len(h2Preface)
		}
		for pos < len(b) {
			m, n := parseH2(b[pos:])
			m.Dir = dir
			m.Offset = sp.off + uint64(pos)
			out = append(out, m)
			if n == 0 {
				break
			}
			pos += n
			if len(out) == maxH2Frames {
				m.Error = fmt.Sprintf("the first %d frames are analysed, not the rest", maxH2Frames)
				break
			}
		}
		break // frames do not go on past a gap
	}
	for _, m := range out {
		m.Frames = framesOf(d, m.Offset, m.Length)
	}
	return out
}

// parseH2 parses the frame at the start of b. It returns the Message and
// the bytes used (0 when the frame is cut short: then the Message is
// incomplete and spans the rest of b).
func parseH2(b []byte) (*Message, int) {
	m := &Message{Proto: "HTTP/2"}
	if len(b) < h2FrameHeader {
		m.Kind, m.Length = "fragment", uint64(len(b))
		m.Error = fmt.Sprintf("frame header cut short: %d of %d bytes", len(b), h2FrameHeader)
		return m, 0
	}
	f := &H2Frame{
		PayloadLen: uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]),
		Type:       b[3],
		Flags:      b[4],
		StreamID:   binary.BigEndian.Uint32(b[5:]) & 0x7fffffff,
	}
	m.H2, m.Kind = f, h2TypeName(f.Type)
	n := h2FrameHeader + int(f.PayloadLen)
	if n > len(b) {
		m.Length = uint64(len(b))
		m.Error = fmt.Sprintf("frame cut short: %d of %d bytes", len(b), n)
		return m, 0
	}
	m.Length, m.Complete = uint64(n), true
	p := b[h2FrameHeader:n]
	if err := f.parsePayload(m, p); err != "" {
		m.Error = err
	} else if err := f.check(); err != "" {
		m.Error = err
	}
	return m, n
}

// check returns what RFC 9113 section 6 forbids in a well-formed frame of
// a known type: the wrong stream, an acknowledgement with a payload, a
// zero window increment.
func (f *H2Frame) check() string {
	switch f.Type {
	case 0, 1, 2, 3, 5, 9: // DATA, HEADERS, PRIORITY, RST_STREAM, PUSH_PROMISE, CONTINUATION
		if f.StreamID == 0 {
			return h2TypeName(f.Type) + " on stream 0"
		}
	case 4, 6, 7: // SETTINGS, PING, GOAWAY
		if f.StreamID != 0 {
			return fmt.Sprintf("%s on stream %d, not 0", h2TypeName(f.Type), f.StreamID)
		}
		if f.Type == 4 && f.Flags&h2EndStream != 0 && f.PayloadLen != 0 {
			return "SETTINGS ACK with a payload"
		}
	case 8:
		if f.Increment == 0 {
			return "WINDOW_UPDATE with an increment of 0"
		}
	}
	return ""
}

// parsePayload reads the type's fields from payload p; it returns what
// makes the frame malformed, if anything.
func (f *H2Frame) parsePayload(m *Message, p []byte) string {
	unpad := func() ([]byte, string) {
		if f.Flags&h2Padded == 0 {
			return p, ""
		}
		if len(p) < 1 {
			return nil, "PADDED without a pad length"
		}
		f.PadLen = p[0]
		if int(f.PadLen) > len(p)-1 {
			return nil, fmt.Sprintf("padding of %d bytes in a %d-byte payload", f.PadLen, len(p))
		}
		return p[1 : len(p)-int(f.PadLen)], ""
	}
	priority := func(q []byte) {
		v := binary.BigEndian.Uint32(q)
		f.Exclusive, f.Dependency, f.Weight = v>>31 != 0, v&0x7fffffff, uint16(q[4])+1
	}
	fixed := func(want int) string {
		if len(p) != want {
			return fmt.Sprintf("%s payload of %d bytes, want %d", h2TypeName(f.Type), len(p), want)
		}
		return ""
	}
	switch f.Type {
	case 0: // DATA
		q, err := unpad()
		if err != "" {
			return err
		}
		m.BodyLen, m.Body = uint64(len(q)), capBody(q)
	case 1: // HEADERS
		q, err := unpad()
		if err != "" {
			return err
		}
		if f.Flags&h2Priority != 0 {
			if len(q) < 5 {
				return "PRIORITY flag without the 5 bytes of priority"
			}
			priority(q)
			q = q[5:]
		}
		f.Block, f.frag, f.hasFrag = capBody(q), q, true
	case 2: // PRIORITY
		if err := fixed(5); err != "" {
			return err
		}
		priority(p)
	case 3: // RST_STREAM
		if err := fixed(4); err != "" {
			return err
		}
		f.ErrorCode = binary.BigEndian.Uint32(p)
	case 4: // SETTINGS
		if len(p)%6 != 0 {
			return fmt.Sprintf("SETTINGS payload of %d bytes, not a multiple of 6", len(p))
		}
		for i := 0; i+6 <= len(p); i += 6 {
			f.Settings = append(f.Settings, H2Setting{ID: binary.BigEndian.Uint16(p[i:]), Value: binary.BigEndian.Uint32(p[i+2:])})
		}
	case 5: // PUSH_PROMISE
		q, err := unpad()
		if err != "" {
			return err
		}
		if len(q) < 4 {
			return "PUSH_PROMISE without a promised stream identifier"
		}
		f.PromisedID = binary.BigEndian.Uint32(q) & 0x7fffffff
		f.Block, f.frag, f.hasFrag = capBody(q[4:]), q[4:], true
	case 6: // PING
		if err := fixed(8); err != "" {
			return err
		}
		f.Opaque = p
	case 7: // GOAWAY
		if len(p) < 8 {
			return fmt.Sprintf("GOAWAY payload of %d bytes, want 8 or more", len(p))
		}
		f.LastStreamID = binary.BigEndian.Uint32(p) & 0x7fffffff
		f.ErrorCode = binary.BigEndian.Uint32(p[4:])
		f.Debug = capBody(p[8:])
	case 8: // WINDOW_UPDATE
		if err := fixed(4); err != "" {
			return err
		}
		f.Increment = binary.BigEndian.Uint32(p) & 0x7fffffff
	case 9: // CONTINUATION
		f.Block, f.frag, f.hasFrag = capBody(p), p, true
	default:
		f.Payload = capBody(p)
	}
	return ""
}

// fields writes the frame's part of the Message report block.
func (f *H2Frame) fields(t *decoder.Tree, m *Message) {
	t.Uint("type", uint64(f.Type))
	t.Uint("flags", uint64(f.Flags))
	t.Array("flag_names")
	for _, fl := range h2Flags {
		if f.Type < 16 && fl.types&(1<<f.Type) != 0 && f.Flags&fl.bit != 0 {
			t.String("", fl.name)
		}
	}
	t.Close()
	t.Uint("stream_id", uint64(f.StreamID))
	t.Uint("payload_len", uint64(f.PayloadLen))
	if f.Flags&h2Padded != 0 && (f.Type == 0 || f.Type == 1 || f.Type == 5) {
		t.Uint("pad_len", uint64(f.PadLen))
	}
	if f.Type == 2 || f.Type == 1 && f.Flags&h2Priority != 0 {
		t.Object("priority")
		t.Bool("exclusive", f.Exclusive)
		t.Uint("dependency", uint64(f.Dependency))
		t.Uint("weight", uint64(f.Weight))
		t.Close()
	}
	switch f.Type {
	case 0:
		t.Uint("body_len", m.BodyLen)
		t.Bytes("body", m.Body)
	case 1:
		t.Bytes("header_block", f.Block)
		headersField(t, m.Headers)
	case 9:
		t.Bytes("header_block", f.Block)
	case 3:
		t.Uint("error_code", uint64(f.ErrorCode))
		t.String("error_name", nameOr(h2ErrorNames[:], f.ErrorCode))
	case 4:
		t.Array("settings")
		for _, s := range f.Settings {
			t.Object("")
			t.Uint("id", uint64(s.ID))
			t.String("name", nameOr(h2SettingNames[:], uint32(s.ID)))
			t.Uint("value", uint64(s.Value))
			t.Close()
		}
		t.Close()
	case 5:
		t.Uint("promised_stream_id", uint64(f.PromisedID))
		t.Bytes("header_block", f.Block)
		headersField(t, m.Headers)
	case 6:
		t.Bytes("opaque", f.Opaque)
	case 7:
		t.Uint("last_stream_id", uint64(f.LastStreamID))
		t.Uint("error_code", uint64(f.ErrorCode))
		t.String("error_name", nameOr(h2ErrorNames[:], f.ErrorCode))
		t.Bytes("debug", f.Debug)
	case 8:
		t.Uint("increment", uint64(f.Increment))
	case 2: // the priority, above
	default:
		t.Bytes("payload", f.Payload)
	}
}

// h2Headers decodes the header blocks of the HTTP/2 frames among msgs
// (each direction's frames in stream order) into the Headers of the frames
// that start them. A direction's encoder may size its dynamic table up to
// the SETTINGS_HEADER_TABLE_SIZE its peer sent (in a SETTINGS frame, or in
// the HTTP2-Settings header of an upgrade request). A block that cannot be
// decoded carries the reason in its Error, and so do the direction's
// blocks after it: the table they refer to is unknown from there.
func h2Headers(msgs []*Message) {
	limit := [2]int{hpackDefaultTable, hpackDefaultTable}
	peerSetting := func(dir int, ss []H2Setting) {
		for _, s := range ss {
			if s.ID == 1 { // HEADER_TABLE_SIZE: what dir's peer may use
				limit[1-dir] = max(limit[1-dir], int(min(s.Value, hpackMaxTable)))
			}
		}
	}
	for _, m := range msgs {
		switch {
		case m.H2 != nil && m.H2.Type == 4 && m.H2.Flags&h2EndStream == 0:
			peerSetting(m.Dir&1, m.H2.Settings)
		case m.Proto == "HTTP" && m.Kind == "request":
			peerSetting(0, upgradeSettings(m))
		}
	}
	var (
		dec   [2]*hpackDecoder
		lost  [2]string   // why the direction's table is unknown
		open  [2]*Message // the first frame of the block being read
		block [2][]byte
	)
	addErr := func(m *Message, e string) {
		if m.Error != "" {
			e = m.Error + "; " + e
		}
		m.Error = e
	}
	// drop ends the open block of direction d undecoded: from there on
	// the table is unknown.
	drop := func(d int, why string) {
		if m := open[d]; m != nil {
			addErr(m, "header block not decoded: "+why)
			if lost[d] == "" {
				lost[d] = fmt.Sprintf("the block of stream %d at offset %d was not decoded", m.H2.StreamID, m.Offset)
			}
			open[d] = nil
		}
	}
	for _, m := range msgs {
		f := m.H2
		if m.Proto != "HTTP/2" || f == nil {
			continue
		}
		frag, ok := f.frag, f.hasFrag
		f.frag, f.hasFrag = nil, false
		d := m.Dir & 1
		switch f.Type {
		case 1, 5: // HEADERS, PUSH_PROMISE
			drop(d, fmt.Sprintf("a %s frame came before its END_HEADERS", h2TypeName(f.Type)))
			open[d], block[d] = m, block[d][:0]
		case 9: // CONTINUATION
			if open[d] == nil || open[d].H2.StreamID != f.StreamID {
				addErr(m, "CONTINUATION without a header block of its stream before it")
				continue
			}
		default:
			drop(d, fmt.Sprintf("a %s frame came before its END_HEADERS", h2TypeName(f.Type)))
			continue
		}
		switch {
		case !m.Complete:
			drop(d, "a frame of it is cut short")
			continue
		case !ok:
			drop(d, "a frame of it is malformed")
			continue
		case len(block[d])+len(frag) > hpackMaxBlock:
			drop(d, fmt.Sprintf("over %d bytes", hpackMaxBlock))
			continue
		}
		block[d] = append(block[d], frag...)
		if f.Flags&h2EndHeaders == 0 {
			continue
		}
		start := open[d]
		open[d] = nil
		if lost[d] != "" {
			addErr(start, "header block not decoded: "+lost[d])
			continue
		}
		if dec[d] == nil {
			dec[d] = newHPACKDecoder(limit[d])
		}
		hs, cut, err := dec[d].decode(block[d])
		start.Headers = hs
		if err != nil {
			addErr(start, err.Error())
			lost[d] = fmt.Sprintf("the block of stream %d at offset %d failed", start.H2.StreamID, start.Offset)
		} else if cut {
			addErr(start, fmt.Sprintf("header list over %d bytes: the first fields are kept", hpackMaxList))
		}
	}
	for d := range open {
		if open[d] != nil {
			addErr(open[d], "header block not decoded: it has no END_HEADERS")
		}
	}
}

// upgradeSettings returns the settings of an HTTP/1.1 request's
// HTTP2-Settings header (a SETTINGS payload in base64url, RFC 9113
// section 3.2.1), if it asks for h2c.
func upgradeSettings(m *Message) []H2Setting {
	v := headerValue(m.Headers, "HTTP2-Settings")
	if v == "" || !isH2Upgrade(m) {
		return nil
	}
	p, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(v), "="))
	if err != nil {
		return nil
	}
	var ss []H2Setting
	for i := 0; i+6 <= len(p); i += 6 {
		ss = append(ss, H2Setting{ID: binary.BigEndian.Uint16(p[i:]), Value: binary.BigEndian.Uint32(p[i+2:])})
	}
	return ss
}
