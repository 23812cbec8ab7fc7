package bus

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/decoder"
)

func sampleDecodedBatch() *DecodedBatch {
	t := sampleTree()
	return &DecodedBatch{V: 1, Capture: "c1", Gen: 2, Partition: 3, Partitions: 8,
		Mark: Mark{Seq: 9, Index: 2304, Sec: -5, Nsec: 7, Advance: true},
		End:  &CaptureEnd{V: 1, Capture: "c1", Seq: 10, Frames: 2304, Err: "cut"},
		Frames: []DecodedFrame{
			{Frame: Frame{Index: 1, Sec: 1 << 40, Nsec: 999999999, Digits: 9, CapLen: 3, OrigLen: 70000, LinkType: 1, Interface: 1, Data: []byte{1, 2, 3}},
				Chain: "Ethernet:IPv4", Layers: []LayerSpan{{Proto: decoder.ProtoEthernet, Off: 0, Hdr: 14, End: 3}},
				Error: &LayerError{Layer: "ipv4", Offset: 14, Kind: "truncated", Reason: "truncated: x"}, Fragment: true, Tree: TreeValue{t}},
			{Frame: Frame{Index: 2, Data: []byte{}}, Stopped: true, Tree: TreeValue{t}},
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
		want.Frames[i].Tree = TreeValue{}
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
