package bus

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/decoder"
)

func sampleDecodedBatch() *DecodedBatch {
	return &DecodedBatch{V: Version, Capture: "c1", Gen: 2, Partition: 3, Partitions: 8,
		Mark: Mark{Seq: 9, Index: 2304, Sec: -5, Nsec: 7, Advance: true},
		End:  &CaptureEnd{V: 1, Capture: "c1", Seq: 10, Frames: 2304, Err: "cut"},
		Frames: []DecodedFrame{
			{Frame: Frame{Index: 1, Sec: 1 << 40, Nsec: 999999999, Digits: 9, CapLen: 3, OrigLen: 70000, LinkType: 1, Interface: 1, Data: []byte{1, 2, 3}},
				Chain: "Ethernet:IPv4", Layers: []LayerSpan{{Proto: decoder.ProtoEthernet, Off: 0, Hdr: 14, End: 3}},
				Error: &LayerError{Layer: "ipv4", Offset: 14, Kind: "truncated", Reason: "truncated: x"}, Fragment: true},
			{Frame: Frame{Index: 2, Data: []byte{}}, Stopped: true},
		}}
}

func TestDecodeDecodedBatchMatchesMsgpack(t *testing.T) {
	in := sampleDecodedBatch()
	data, err := msgpack.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var got DecodedBatch
	if err := DecodeDecodedBatch(data, &got); err != nil {
		t.Fatal(err)
	}
	want := *in
	want.Frames = append([]DecodedFrame(nil), in.Frames...)
	for i := range want.Frames {
		want.Frames[i].Chain = "" // skipped: the reporter rebuilds it
	}
	for i := range got.Frames {
		if got.Frames[i].Data == nil {
			got.Frames[i].Data = []byte{}
		}
		if want.Frames[i].Data == nil {
			want.Frames[i].Data = []byte{}
		}
	}
	if !reflect.DeepEqual(&got, &want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}

	var fb FrameBatch
	src := FrameBatch{V: 1, Capture: "c1", Seq: 4, Frames: []Frame{in.Frames[0].Frame, {Index: 2, Sec: -1, Data: bytes.Repeat([]byte{7}, 300)}}}
	data, _ = msgpack.Marshal(&src)
	if err := DecodeFrameBatch(data, &fb); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fb, src) {
		t.Fatalf("frame batch: got %+v want %+v", fb, src)
	}
}

// v1Frame is a DecodedFrame of schema version 1, which carried its report
// tree.
type v1Frame struct {
	DecodedFrame
	Tree TreeValue `msgpack:"tree"`
}

type v1Batch struct {
	V          int         `msgpack:"v"`
	Capture    string      `msgpack:"capture"`
	Partition  int         `msgpack:"partition"`
	Partitions int         `msgpack:"partitions"`
	Mark       Mark        `msgpack:"mark"`
	Frames     []v1Frame   `msgpack:"frames"`
	End        *CaptureEnd `msgpack:"end"`
}

// TestDecodeDecodedBatchV1: a version-1 batch, whose frames carry report
// trees, still reads: the trees are skipped (consumers rebuild them), and
// msgpack.Unmarshal into the version-2 types ignores them too.
func TestDecodeDecodedBatchV1(t *testing.T) {
	in := sampleDecodedBatch()
	v1 := v1Batch{V: 1, Capture: in.Capture, Partition: in.Partition, Partitions: in.Partitions, Mark: in.Mark}
	for _, f := range in.Frames {
		v1.Frames = append(v1.Frames, v1Frame{DecodedFrame: f, Tree: TreeValue{sampleTree()}})
	}
	data, err := msgpack.Marshal(&v1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("Ethernet:IPv4:TCP")) {
		t.Fatal("the version-1 message carries no tree")
	}
	for _, read := range []func([]byte, *DecodedBatch) error{DecodeDecodedBatch, func(b []byte, d *DecodedBatch) error { return msgpack.Unmarshal(b, d) }} {
		var got DecodedBatch
		if err := read(data, &got); err != nil {
			t.Fatal(err)
		}
		if err := CheckVersion(got.V); err != nil {
			t.Fatal(err)
		}
		if len(got.Frames) != 2 || got.Frames[0].Index != 1 || len(got.Frames[0].Layers) != 1 || got.Frames[0].Error == nil || !got.Frames[1].Stopped {
			t.Fatalf("version-1 batch read as %+v", got)
		}
	}
	if CheckVersion(Version+1) == nil || CheckVersion(0) == nil {
		t.Fatal("CheckVersion accepts unknown versions")
	}
}

func FuzzDecodeDecodedBatch(f *testing.F) {
	data, _ := msgpack.Marshal(sampleDecodedBatch())
	f.Add(data)
	fb, _ := msgpack.Marshal(&FrameBatch{V: 1, Frames: []Frame{{Index: 1, Data: []byte{1}}}})
	f.Add(fb)
	f.Fuzz(func(t *testing.T, b []byte) {
		var d DecodedBatch
		if DecodeDecodedBatch(b, &d) == nil {
			for _, fr := range d.Frames {
				var p decoder.Packet
				_ = fr.Packet(&p) // spans are checked against the frame, never trusted
			}
		}
		var x FrameBatch
		_ = DecodeFrameBatch(b, &x)
	})
}

// TestAppendFrameBatch: what AppendFrameBatch writes reads back, with
// msgpack.Unmarshal and DecodeFrameBatch, as the batch it was given, over
// every integer width and sign.
func TestAppendFrameBatch(t *testing.T) {
	in := FrameBatch{V: Version, Capture: "c1", Seq: 1 << 33, Frames: []Frame{
		{Index: 1, Sec: -1, Nsec: 999999999, Digits: 9, CapLen: 3, OrigLen: 70000, LinkType: 1, Interface: 0, Data: []byte{1, 2, 3}},
		{Index: 200, Sec: -200, Nsec: 65535, Digits: 6, CapLen: 70000, OrigLen: 1<<32 - 1, LinkType: 113, Interface: 256, Data: bytes.Repeat([]byte{7}, 70000)},
		{Index: 1 << 40, Sec: -1 << 40, Nsec: 31, CapLen: 300, Data: bytes.Repeat([]byte{9}, 300)},
		{Index: 127, Sec: 1 << 40, Data: []byte{}},
		{Index: 128, Sec: -40000, Data: nil},
		{Index: 129, Sec: -3000000000},
	}}
	data := AppendFrameBatch([]byte{0xff}, &in)[1:]
	var viaLib FrameBatch
	if err := msgpack.Unmarshal(data, &viaLib); err != nil {
		t.Fatal(err)
	}
	var viaFast FrameBatch
	if err := DecodeFrameBatch(data, &viaFast); err != nil {
		t.Fatal(err)
	}
	for _, got := range []*FrameBatch{&viaLib, &viaFast} {
		for i := range got.Frames { // msgpack reads an empty bin as an empty slice
			if len(got.Frames[i].Data) == 0 && in.Frames[i].Data == nil {
				got.Frames[i].Data = nil
			}
		}
		if !reflect.DeepEqual(*got, in) {
			t.Fatalf("got %+v\nwant %+v", *got, in)
		}
	}
	lib, _ := msgpack.Marshal(&in)
	if len(lib) != len(data) {
		t.Logf("library encoding %d bytes, fast %d", len(lib), len(data))
	}
}

// TestFrameBatchWriter: the writer encodes the same bytes as
// AppendFrameBatch, for any capture id length and batch size, with its
// buffer reused from one batch to the next.
func TestFrameBatchWriter(t *testing.T) {
	frames := []Frame{
		{Index: 1, Sec: -1, Nsec: 999999999, Digits: 9, CapLen: 3, OrigLen: 70000, LinkType: 1, Data: []byte{1, 2, 3}},
		{Index: 200, Sec: -200, Nsec: 65535, Digits: 6, CapLen: 70000, OrigLen: 1<<32 - 1, LinkType: 113, Interface: 256, Data: bytes.Repeat([]byte{7}, 70000)},
		{Index: 1 << 40, Sec: -1 << 40, Nsec: 31, CapLen: 300, Data: bytes.Repeat([]byte{9}, 300)},
		{Index: 127, Sec: 1 << 40, Data: []byte{}},
		{Index: 128, Sec: -40000, Data: nil},
	}
	var fw FrameBatchWriter
	var buf []byte
	for _, capture := range []string{"c", strings.Repeat("x", 64)} {
		for _, n := range []int{0, 1, 5, 16, 300} {
			in := FrameBatch{V: Version, Capture: capture, Seq: uint64(n) << 30, Frames: []Frame{}}
			fw.Reset(buf, capture)
			for i := 0; i < n; i++ {
				f := frames[i%len(frames)]
				f.Index = uint64(i)
				in.Frames = append(in.Frames, f)
				fw.Add(&f)
			}
			if fw.Len() != n {
				t.Fatalf("Len %d, want %d", fw.Len(), n)
			}
			got := fw.Bytes(in.V, in.Seq)
			if want := AppendFrameBatch(nil, &in); !bytes.Equal(got, want) {
				t.Fatalf("capture %q, %d frames: writer and AppendFrameBatch differ", capture, n)
			}
			buf = fw.Buffer()
		}
	}
}

// TestDecodeKeysInAnyOrder: the readers match the keys the services write
// at their usual places as bytes; a message with the same fields in
// another order (here sorted by name, integers re-encoded) reads the same.
func TestDecodeKeysInAnyOrder(t *testing.T) {
	resort := func(t *testing.T, v any) []byte {
		t.Helper()
		data, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var generic map[string]any
		if err := msgpack.Unmarshal(data, &generic); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		enc := msgpack.NewEncoder(&buf)
		enc.SetSortMapKeys(true)
		if err := enc.Encode(generic); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(buf.Bytes(), data) {
			t.Fatal("the keys kept their order")
		}
		return buf.Bytes()
	}
	in := sampleDecodedBatch()
	in.Frames = append(in.Frames, in.Frames...) // the fast path again after the slow one
	var want, got DecodedBatch
	data, _ := msgpack.Marshal(in)
	if err := DecodeDecodedBatch(data, &want); err != nil {
		t.Fatal(err)
	}
	if err := DecodeDecodedBatch(resort(t, in), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, &want) {
		t.Fatalf("decoded batch, sorted keys: got %+v\nwant %+v", got, want)
	}

	src := &FrameBatch{V: 1, Capture: "c1", Seq: 4, Frames: []Frame{in.Frames[0].Frame, {Index: 2, Sec: -1, Data: bytes.Repeat([]byte{7}, 300)}}}
	var fbWant, fbGot FrameBatch
	if err := DecodeFrameBatch(AppendFrameBatch(nil, src), &fbWant); err != nil {
		t.Fatal(err)
	}
	if err := DecodeFrameBatch(resort(t, src), &fbGot); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fbGot, fbWant) {
		t.Fatalf("frame batch, sorted keys: got %+v want %+v", fbGot, fbWant)
	}
}

// FuzzFrameBatchWriter: for frames of any fields and sizes, the writer
// encodes what AppendFrameBatch encodes, and DecodeFrameBatch reads it
// back as the frames given.
func FuzzFrameBatchWriter(f *testing.F) {
	f.Add("c1", uint64(1), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32})
	f.Add(strings.Repeat("x", 64), uint64(1)<<40, bytes.Repeat([]byte{0xff}, 300))
	f.Fuzz(func(t *testing.T, capture string, seq uint64, data []byte) {
		if len(capture) > 64 {
			capture = capture[:64]
		}
		// Each frame takes its fields from 33 bytes of data and as many
		// bytes of it as its first byte says.
		var in FrameBatch
		in.V, in.Capture, in.Seq, in.Frames = Version, capture, seq, []Frame{}
		var fw FrameBatchWriter
		fw.Reset(nil, capture)
		for len(data) >= 33 {
			u := func(i int) uint64 { return binary.BigEndian.Uint64(data[i : i+8]) }
			fr := Frame{Index: u(1), Sec: int64(u(9)), Nsec: uint32(u(17)), Digits: data[25], CapLen: uint32(u(17) >> 32),
				OrigLen: uint32(u(25)), LinkType: uint32(u(25) >> 32), Interface: uint32(data[0])}
			n := min(int(data[0]), len(data)-33)
			fr.Data = data[33 : 33+n]
			data = data[33+n:]
			in.Frames = append(in.Frames, fr)
			fw.Add(&fr)
		}
		got := fw.Bytes(in.V, in.Seq)
		if want := AppendFrameBatch(nil, &in); !bytes.Equal(got, want) {
			t.Fatalf("writer and AppendFrameBatch differ for %d frames", len(in.Frames))
		}
		var back FrameBatch
		if err := DecodeFrameBatch(got, &back); err != nil {
			t.Fatal(err)
		}
		if len(back.Frames) == 0 {
			back.Frames = []Frame{} // an empty array reads as no slice
		}
		if !reflect.DeepEqual(back, in) {
			t.Fatalf("read back %+v\nwant %+v", back, in)
		}
	})
}
