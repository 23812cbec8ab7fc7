package bus

import (
	"errors"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
)

// TestDecodedFramePacket: a decoded frame survives the wire with its
// spans, flags and error (reason text and sentinel), so stateful consumers
// rebuild the decoder's Packet without decoding again.
func TestDecodedFramePacket(t *testing.T) {
	// Ethernet + IPv4 header cut short: the IPv4 layer fails.
	data := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45, 0, 0, 40, 0, 0}
	var p decoder.Packet
	decoder.New(decoder.Options{}).Decode(data, ingest.LinkEthernet, &p)
	if !p.Failed() {
		t.Fatal("want a decoding error for a cut IPv4 header")
	}
	f := ingest.Frame{Index: 7, Sec: 1, Nsec: 2, Digits: 6, CapLen: uint32(len(data)), OrigLen: 60, LinkType: ingest.LinkEthernet, Data: data}
	df := DecodedFrameOf(&f, &p)
	b, err := msgpack.Marshal(&df)
	if err != nil {
		t.Fatal(err)
	}
	var back DecodedFrame
	if err := msgpack.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	var q decoder.Packet
	if err := back.Packet(&q); err != nil {
		t.Fatal(err)
	}
	if q.N != p.N || q.Layers != p.Layers || q.Fragment != p.Fragment || q.Stopped != p.Stopped || q.LinkType != p.LinkType {
		t.Fatalf("packet differs: %+v vs %+v", q, p)
	}
	if q.Err.Proto != p.Err.Proto || q.Err.Offset != p.Err.Offset || q.Err.Err.Error() != p.Err.Err.Error() {
		t.Fatalf("error differs: %v vs %v", q.Err, p.Err)
	}
	if errors.Is(p.Err.Err, decoder.ErrTruncated) != errors.Is(q.Err.Err, decoder.ErrTruncated) {
		t.Fatal("sentinel lost")
	}
	if back.Chain != "Ethernet:IPv4" {
		t.Fatalf("chain %q", back.Chain)
	}
	// A Packet reused for another frame is that frame's: no error, flags
	// or layers of the previous one (the layers past N are not part of it).
	ok := DecodedFrame{Frame: Frame{Data: data[:14], LinkType: ingest.LinkEthernet}, Stopped: true,
		Layers: []LayerSpan{{Proto: decoder.ProtoEthernet, Off: 0, Hdr: 14, End: 14}}}
	if err := ok.Packet(&q); err != nil {
		t.Fatal(err)
	}
	if q.Failed() || q.N != 1 || q.Layers[0] != decoder.Layer(ok.Layers[0]) || !q.Stopped || q.Fragment || len(q.Data) != 14 {
		t.Fatalf("reused packet: %+v", q)
	}
	// A span outside the frame is refused, not trusted.
	back.Layers[0].End = 1000
	if err := back.Packet(&q); err == nil {
		t.Fatal("a span outside the frame was accepted")
	}
}

func TestAppendJSON(t *testing.T) {
	var tree decoder.Tree
	tree.Time("time", 1700000000, 5, 6)
	tree.Bytes("data", []byte{0xab, 0xcd})
	tree.String("q", "a\"b")
	ev := LayerEvent{Index: 3, Fields: TreeValue{&tree}}
	b, err := msgpack.Marshal(&ev)
	if err != nil {
		t.Fatal(err)
	}
	js, err := AppendJSON(nil, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"index":3`, `"time":{"sec":1700000000,"nsec":5,"digits":6}`, `"data":"abcd"`, `"q":"a\"b"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("%s: missing %s", js, want)
		}
	}
}

func TestSubjects(t *testing.T) {
	if got := Event("c1", decoder.ProtoTCP); got != "pcapflow.event.c1.transport.tcp" {
		t.Errorf("Event: %s", got)
	}
	if got := Decoded("c1", 3); got != "pcapflow.decoded.c1.3" {
		t.Errorf("Decoded: %s", got)
	}
	if CaptureOf("pcapflow.decoded.c1.3") != "c1" {
		t.Error("CaptureOf")
	}
	for _, bad := range []string{"", "A", "a.b", "a*", strings.Repeat("a", 65)} {
		if ValidCapture(bad) == nil {
			t.Errorf("ValidCapture(%q) accepted", bad)
		}
	}
	// Symmetric routing lives in decoder.Flow.AddrHash; PartitionOf only
	// reduces it, deterministically and in range.
	for h := uint32(0); h < 1000; h += 7 {
		if p := PartitionOf(h, 8); p < 0 || p >= 8 || p != PartitionOf(h, 8) {
			t.Fatal("PartitionOf out of range")
		}
	}
}
