package bus

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/tracer"
)

// fuzzDecode checks that decode, given any input, returns without a panic
// and allocates no more than allocBound.
func fuzzDecode(f *testing.F, seeds [][]byte, decode func(data []byte)) {
	for _, s := range seeds {
		f.Add(s)
	}
	for _, s := range hostileMessages() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if n := allocated(func() { decode(data) }); n > allocBound(len(data)) {
			t.Fatalf("%d bytes allocated for a %d-byte message", n, len(data))
		}
	})
}

// fuzzUnmarshal is fuzzDecode for a type the services read with
// Unmarshal: what it accepts, msgpack.Unmarshal reads the same way.
func fuzzUnmarshal[T any](f *testing.F, seeds []string, then func(t *testing.T, v *T)) {
	all := messageSeeds(f)
	var in [][]byte
	for _, s := range seeds {
		in = append(in, all[s])
	}
	var v T // the first seed is a T, the others other messages
	if err := Unmarshal(in[0], &v); err != nil {
		f.Fatalf("seed %s: %v", seeds[0], err)
	}
	fuzzDecode(f, in, func(data []byte) {
		var got T
		if Unmarshal(data, &got) != nil {
			return
		}
		var want T
		if err := msgpack.Unmarshal(data, &want); err != nil || !reflect.DeepEqual(&got, &want) {
			panic("Unmarshal and msgpack.Unmarshal disagree")
		}
		if then != nil {
			then(nil, &got)
		}
	})
}

func FuzzUnmarshalCaptureMeta(f *testing.F) {
	fuzzUnmarshal[CaptureMeta](f, []string{"meta", "end"}, func(_ *testing.T, m *CaptureMeta) {
		_ = m.Options.Validate()
		_ = m.Meta.IngestMeta()
	})
}

func FuzzUnmarshalCaptureEnd(f *testing.F) {
	fuzzUnmarshal[CaptureEnd](f, []string{"end", "meta"}, func(_ *testing.T, e *CaptureEnd) {
		if e.Meta != nil {
			_ = e.Meta.IngestMeta()
		}
	})
}

func FuzzUnmarshalReportDone(f *testing.F) {
	fuzzUnmarshal[ReportDone](f, []string{"done"}, nil)
}

// FuzzUnmarshalRecordBatch reads a record batch and its records and
// statistics as the reporter does.
func FuzzUnmarshalRecordBatch(f *testing.F) {
	fuzzUnmarshal[RecordBatch](f, []string{"records", "record0", "record3", "stats"}, func(_ *testing.T, b *RecordBatch) {
		for _, wr := range b.Records {
			_ = Unmarshal(wr.Record, &reassembler.Record{})
			_ = Unmarshal(wr.Record, &tracer.Flow{})
		}
		_ = Unmarshal(b.Stats, &reassembler.Stats{})
	})
}

// FuzzUnmarshalRecord reads one record as each stage's record type.
func FuzzUnmarshalRecord(f *testing.F) {
	fuzzUnmarshal[reassembler.Record](f, []string{"record0", "record1", "record2", "record3"}, nil)
}

func FuzzUnmarshalFlow(f *testing.F) {
	fuzzUnmarshal[tracer.Flow](f, []string{"record3", "record0"}, nil)
}

func FuzzUnmarshalStats(f *testing.F) {
	fuzzUnmarshal[reassembler.Stats](f, []string{"stats"}, nil)
}

// FuzzAppendJSON prints any message as `pcapflow subscribe` does.
func FuzzAppendJSON(f *testing.F) {
	var seeds [][]byte
	for _, s := range messageSeeds(f) {
		seeds = append(seeds, s)
	}
	seeds = append(seeds, marshal(f, sampleDecodedBatch()), AppendFrameBatch(nil, &FrameBatch{V: Version, Capture: "c",
		Seq: 1, Frames: []Frame{{Index: 1, Sec: 2, Data: []byte{1, 2}}}}))
	fuzzDecode(f, seeds, func(data []byte) { _, _ = AppendJSON(nil, data) })
}

// FuzzDecodeFrameBatch reads a frame batch as the decoder service does.
func FuzzDecodeFrameBatch(f *testing.F) {
	seeds := [][]byte{
		AppendFrameBatch(nil, &FrameBatch{V: Version, Capture: "c1", Seq: 1 << 33, Frames: []Frame{
			{Index: 1, Sec: -1, Nsec: 999999999, Digits: 9, CapLen: 3, OrigLen: 70000, LinkType: 1, Data: []byte{1, 2, 3}},
			{Index: 128, Sec: -40000, Data: nil}}}),
		marshal(f, &FrameBatch{V: 1, Capture: "c2", Seq: 2, Frames: []Frame{{Index: 5, Data: bytes.Repeat([]byte{7}, 300)}}}),
	}
	var b FrameBatch
	fuzzDecode(f, seeds, func(data []byte) { _ = DecodeFrameBatch(data, &b) })
}
