package services

import (
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/reporter"
)

// TestMsgWriterFrame: a DecodedFrame written by hand (pre-encoded keys)
// reads back with msgpack.Unmarshal as bus.DecodedFrameOf builds it, with
// and without the frame bytes, over the frames of a generated capture
// (every protocol, decoding errors included).
func TestMsgWriterFrame(t *testing.T) {
	frames, err := craft.GenerateFrames(craft.GenerateOptions{Seed: 3, Frames: 400, PcapNG: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 { // cut short: decoding errors
		f := frames[i]
		f.Data = f.Data[:min(len(f.Data), 14+i)]
		f.CapLen = uint32(len(f.Data))
		frames = append(frames, f)
	}
	dec := decoder.New(decoder.Options{})
	w := newMsgWriter()
	var p decoder.Packet
	failed := 0
	for i := range frames {
		f := &frames[i]
		dec.Decode(f.Data, f.LinkType, &p)
		if p.Failed() {
			failed++
		}
		want := bus.DecodedFrameOf(f, &p)
		for _, noData := range []bool{false, true} {
			w.reset()
			bf := bus.FrameOf(f)
			if err := w.frame(&bf, &p, reporter.AppendChain(nil, &p), noData); err != nil {
				t.Fatal(err)
			}
			var got bus.DecodedFrame
			if err := msgpack.Unmarshal(w.buf, &got); err != nil {
				t.Fatalf("frame %d: %v", f.Index, err)
			}
			wf := want
			if noData {
				wf.Data = nil
			}
			if !reflect.DeepEqual(got, wf) {
				t.Fatalf("frame %d (noData %v):\ngot  %+v\nwant %+v", f.Index, noData, got, wf)
			}
		}
	}
	if failed == 0 {
		t.Fatal("no frame with a decoding error: the error field went untested")
	}
}
