package bus

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/tracer"
)

// allocBound is what decoding len bytes may allocate: the msgpack library
// turns every input byte into at most a zeroed struct or a map entry
// (an array of n nils into n zero structs), so a constant per byte, and
// nothing that follows a length a header claims.
func allocBound(n int) uint64 { return 1<<20 + 1024*uint64(n) }

func sampleMeta() Meta {
	return Meta{Format: "pcapng", Name: "a.pcapng", BigEndian: true, Magic: []byte{0x0a, 0x0d, 0x0d, 0x0a},
		VersionMajor: 1, SnapLen: 65535, LinkType: 1,
		Sections: []Section{{BigEndian: true, VersionMajor: 1, Length: -1, Options: []Option{{Code: 2, Value: []byte("x86")}}}},
		Interfaces: []Interface{{ID: 0, LinkType: 1, SnapLen: 262144, Digits: 9, TSResol: 9, TSOffset: -3, Name: "eth0",
			Options: []Option{{Code: 9, Value: []byte{9}}}}}}
}

func sampleRecords() []any {
	return []any{
		&reassembler.Record{Kind: reassembler.KindDatagram, At: 9, First: 3, Seq: 1, Datagram: &reassembler.Datagram{
			Version: 4, Src: []byte{10, 0, 0, 1}, Dst: []byte{10, 0, 0, 2}, Protocol: 17, ID: 77, Frames: []uint64{3, 9},
			Sec: 5, Nsec: 6, Complete: true, Length: 3000, LengthSet: true, Holes: []reassembler.Hole{{Start: 8, End: 0}},
			Payload: []byte("payload"), Chunks: []reassembler.Chunk{{Offset: 8, Data: []byte("chunk")}}}},
		&reassembler.Record{Kind: reassembler.KindStream, At: 20, First: 4, Stream: &reassembler.Stream{
			Version: 6, Src: make([]byte, 16), Dst: make([]byte, 16), SrcPort: 80, DstPort: 5555, End: "fin",
			Dirs: []reassembler.StreamDir{{SYN: true, ISN: 7, Length: 3, Data: []byte("GET"), Frames: []uint64{4, 5}}, {}}}},
		&reassembler.Record{Kind: reassembler.KindMessage, At: 21, First: 4, Message: &reassembler.Message{
			Proto: "HTTP", Kind: "request", Frames: []uint64{4}, Method: "GET", URI: "/",
			Headers: []reassembler.Header{{Name: "Host", Value: "x"}}, Body: []byte("b"), BodyLen: 1}},
		&tracer.Flow{At: 30, First: 1, Version: 4, Proto: 6, Src: []byte{1, 2, 3, 4}, Dst: []byte{5, 6, 7, 8},
			SrcPort: 1234, DstPort: 80, State: "SF", History: "ShADadFf", End: "fin", Frames: []uint64{1, 2, 30}},
	}
}

func marshal(t testing.TB, v any) []byte {
	data, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// messageSeeds returns real encodings of the messages the services decode
// with Unmarshal.
func messageSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{
		"meta": marshal(t, &CaptureMeta{V: Version, Capture: "c1", Meta: sampleMeta(), Options: Options{Layer: "transport",
			Protocol: "tcp", Partitions: 4, Formats: []string{"json", "tree"}, FlowFiles: true,
			Reassembly: &reassembler.Config{}, Trace: &tracer.Config{}, Extra: map[string]string{"k": "v"}}}),
		"end": marshal(t, &CaptureEnd{V: Version, Capture: "c1", Seq: 4, Frames: 300, Batches: 3, Sec: 1, Nsec: 2,
			Err: "truncated", Meta: &Meta{Format: "pcap", Magic: []byte{0xd4, 0xc3, 0xb2, 0xa1}}}),
		"done": marshal(t, &ReportDone{V: Version, Capture: "c1", Gen: 1, Frames: 300, DecodeErrors: 2,
			Files: []ReportFile{{Format: "json", Object: "c1.1.json", Size: 1 << 20}}}),
		"stats": marshal(t, &reassembler.Stats{Fragments: 3, Datagrams: 1, Segments: 9, Gaps: 1}),
	}
	rb := RecordBatch{V: Version, Capture: "c1", Gen: 1, Stage: "reassembler", Partition: 2,
		Mark: Mark{Seq: 3, Index: 256, Advance: true}, End: true, Stats: seeds["stats"]}
	for i, r := range sampleRecords() {
		rec := marshal(t, r)
		seeds["record"+string(rune('0'+i))] = rec
		rb.Records = append(rb.Records, WireRecord{Phase: uint8(i % 3), Record: rec})
	}
	seeds["records"] = marshal(t, &rb)
	return seeds
}

// hostileMessages claim about 4 GiB of str, bin, array or map in a few
// bytes, or nest deeper than any message does, at the places the
// services' message types hold such values.
func hostileMessages() map[string][]byte {
	claim := []byte{0xff, 0xff, 0xff, 0xf0}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	key := func(k string) []byte { return append([]byte{0xa0 | byte(len(k))}, k...) }
	return map[string][]byte{
		"str":            cat([]byte{0x81}, key("capture"), []byte{0xdb}, claim, []byte("abc")),
		"meta magic bin": cat([]byte{0x81}, key("meta"), []byte{0x81}, key("magic"), []byte{0xc6}, claim, []byte("abc")),
		"interfaces":     cat([]byte{0x81}, key("meta"), []byte{0x81}, key("interfaces"), []byte{0xdd}, claim),
		"formats":        cat([]byte{0x81}, key("options"), []byte{0x81}, key("formats"), []byte{0xdd}, claim),
		"extra map":      cat([]byte{0x81}, key("options"), []byte{0x81}, key("extra"), []byte{0xdf}, claim),
		"records":        cat([]byte{0x81}, key("records"), []byte{0xdd}, claim),
		"record bin":     cat([]byte{0x81}, key("records"), []byte{0x91, 0x81}, key("record"), []byte{0xc6}, claim),
		"files":          cat([]byte{0x81}, key("files"), []byte{0xdd}, claim),
		"frames":         cat([]byte{0x81}, key("frames"), []byte{0xdd}, claim),
		"payload":        cat([]byte{0x81}, key("datagram"), []byte{0x81}, key("payload"), []byte{0xc6}, claim),
		"ext":            cat([]byte{0x81}, key("capture"), []byte{0xc9}, claim, []byte{1}),
		"deep record":    cat([]byte{0x81}, key("records"), []byte{0x91, 0x81}, key("record"), bytes.Repeat([]byte{0x91}, 1000), []byte{0xc0}),
	}
}

// unmarshalAll decodes data with Unmarshal into every type the services
// read from the bus with the msgpack library, as they do.
func unmarshalAll(data []byte) error {
	var errs []error
	var rb RecordBatch
	targets := []any{&CaptureMeta{}, &CaptureEnd{}, &ReportDone{}, &rb, &reassembler.Record{}, &tracer.Flow{}, &reassembler.Stats{}}
	for _, v := range targets {
		errs = append(errs, Unmarshal(data, v))
	}
	for _, wr := range rb.Records {
		errs = append(errs, Unmarshal(wr.Record, &reassembler.Record{}), Unmarshal(wr.Record, &tracer.Flow{}))
	}
	if len(rb.Stats) > 0 {
		errs = append(errs, Unmarshal(rb.Stats, &reassembler.Stats{}))
	}
	for _, err := range errs {
		if err == nil {
			return nil
		}
	}
	return errs[0]
}

func TestUnmarshalHostile(t *testing.T) {
	for name, in := range hostileMessages() {
		var err error
		n := allocated(func() { err = unmarshalAll(in) })
		if err == nil {
			t.Errorf("%s: a type read a hostile message", name)
		}
		if n > allocBound(len(in)) {
			t.Errorf("%s: %d bytes allocated for a %d-byte message", name, n, len(in))
		}
		if err != nil && !strings.Contains(err.Error(), "bad message") {
			t.Errorf("%s: error %q does not say the message is bad", name, err)
		}
	}
	var j []byte
	for name, in := range hostileMessages() {
		var err error
		n := allocated(func() { j, err = AppendJSON(j[:0], in) })
		if err == nil {
			t.Errorf("json %s: printed a hostile message", name)
		}
		if n > allocBound(len(in)) {
			t.Errorf("json %s: %d bytes allocated for a %d-byte message", name, n, len(in))
		}
	}
}

// TestUnmarshalMatchesMsgpack: Unmarshal reads every real message as
// msgpack.Unmarshal does, and CheckMessage accepts every prefix that
// holds a whole value only.
func TestUnmarshalMatchesMsgpack(t *testing.T) {
	types := map[string]func() any{
		"meta": func() any { return &CaptureMeta{} }, "end": func() any { return &CaptureEnd{} },
		"done": func() any { return &ReportDone{} }, "stats": func() any { return &reassembler.Stats{} },
		"records": func() any { return &RecordBatch{} }, "record0": func() any { return &reassembler.Record{} },
		"record1": func() any { return &reassembler.Record{} }, "record2": func() any { return &reassembler.Record{} },
		"record3": func() any { return &tracer.Flow{} },
	}
	for name, data := range messageSeeds(t) {
		want, got := types[name](), types[name]()
		if err := msgpack.Unmarshal(data, want); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := Unmarshal(data, got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read as %+v, msgpack reads %+v", name, got, want)
		}
		if reflect.DeepEqual(got, types[name]()) {
			t.Errorf("%s: read as a zero value", name)
		}
		for i := 0; i < len(data); i++ {
			if CheckMessage(data[:i]) == nil {
				t.Errorf("%s: CheckMessage accepts the first %d of %d bytes", name, i, len(data))
			}
		}
	}
	// Nesting up to MaxDepth is accepted, one more level is not.
	deep := append(bytes.Repeat([]byte{0x91}, MaxDepth), 0xc0)
	if err := CheckMessage(deep); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
	if CheckMessage(append([]byte{0x91}, deep...)) == nil {
		t.Errorf("%d levels accepted", MaxDepth+1)
	}
	// Bytes after the value are left to the caller, as msgpack.Unmarshal does.
	if err := CheckMessage([]byte{0x92, 1, 2, 3}); err != nil {
		t.Errorf("trailing byte: %v", err)
	}
}

// TestDecodedBatchDeepRaw: the end marker and decoding errors of a
// decoded batch, read with the msgpack library, nest at most MaxDepth
// deep: msgpack skips an unknown field by recursion, one call per level
// (8M levels in an 8 MB message overflowed the goroutine's 1 GB stack).
func TestDecodedBatchDeepRaw(t *testing.T) {
	deep := append(bytes.Repeat([]byte{0x91}, 10000), 0xc0)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for name, in := range map[string][]byte{
		"end":   cat([]byte{0x81, 0xa3, 'e', 'n', 'd', 0x81, 0xa1, 'x'}, deep),
		"error": cat([]byte{0x81, 0xa6, 'f', 'r', 'a', 'm', 'e', 's', 0x91, 0x81, 0xa5, 'e', 'r', 'r', 'o', 'r', 0x81, 0xa1, 'x'}, deep),
	} {
		var d DecodedBatch
		if err := DecodeDecodedBatch(in, &d); err == nil || !strings.Contains(err.Error(), "nested") {
			t.Errorf("%s: %d levels read (error %v)", name, len(deep), err)
		}
	}
}

// TestUnmarshalInterfaceField: a value for an interface field (the
// tracer's Sink, which never travels) is an error; msgpack panicked in
// reflect.Set (found by FuzzUnmarshalServiceWire in a registry entry).
func TestUnmarshalInterfaceField(t *testing.T) {
	in := []byte("\x81\xa7options\x81\xa5trace\x81\xa4Sink\x01")
	for _, v := range []any{&CaptureMeta{}, &struct {
		Options Options `msgpack:"options"`
	}{}} {
		err := Unmarshal(in, v)
		if err == nil || !strings.Contains(err.Error(), "bad message") {
			t.Errorf("%T: error %v", v, err)
		}
	}
	// A nil Sink, as every encoder writes it, still reads.
	var m CaptureMeta
	if err := Unmarshal([]byte("\x81\xa7options\x81\xa5trace\x81\xa4Sink\xc0"), &m); err != nil || m.Options.Trace == nil {
		t.Errorf("nil Sink: %v, %+v", err, m.Options)
	}
}

// TestAppendJSONNestedKeys: a map key that is a map is refused. Printed
// as JSON text and quoted, keys nested n deep took 2^n bytes (a 679-byte
// message found by FuzzAppendJSON took the worker past 24 GB); a scalar
// key is still printed, quoted.
func TestAppendJSONNestedKeys(t *testing.T) {
	const n = 40
	in := append(bytes.Repeat([]byte{0x81}, n), 0xc0)
	in = append(in, bytes.Repeat([]byte{0xc0}, n)...)
	var err error
	if a := allocated(func() { _, err = AppendJSON(nil, in) }); a > allocBound(len(in)) {
		t.Errorf("%d bytes allocated for a %d-byte message", a, len(in))
	}
	if err == nil {
		t.Error("a map key that is a map was printed")
	}
	if j, err := AppendJSON(nil, []byte{0x81, 0x01, 0x02}); err != nil || string(j) != `{"1":2}` {
		t.Errorf("scalar key: %s, %v", j, err)
	}
}
