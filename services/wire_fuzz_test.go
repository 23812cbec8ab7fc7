package services

import (
	"bytes"
	"reflect"
	"runtime"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/tracer"
)

// FuzzUnmarshalServiceWire reads any input as the services' own bus
// types: a registry entry (CaptureState) and a flow record with its file
// frames (wireFlow). Whatever bus.Unmarshal accepts, msgpack reads the
// same way; nothing allocates more than a constant per input byte.
func FuzzUnmarshalServiceWire(f *testing.F) {
	for _, v := range []any{
		&CaptureState{V: bus.Version, Capture: "c1", Gen: 3, Options: bus.Options{Layer: "network", Partitions: 4,
			Formats: []string{"json"}, Trace: &tracer.Config{}, FlowFiles: true, Extra: map[string]string{"a": "b"}}},
		&wireFlow{Flow: &tracer.Flow{At: 9, First: 1, Version: 4, Proto: 6, Src: []byte{1, 2, 3, 4}, Dst: []byte{5, 6, 7, 8},
			State: "SF", Frames: []uint64{1, 9}}, FileFrames: []uint64{1, 2, 9}, FileFramesTruncated: true},
	} {
		data, err := msgpack.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	claim := []byte{0xff, 0xff, 0xff, 0xf0}
	f.Add(bytes.Join([][]byte{{0x81, 0xab}, []byte("file_frames"), {0xdd}, claim}, nil))
	f.Add(bytes.Join([][]byte{{0x81, 0xa7}, []byte("options"), {0x81, 0xa5}, []byte("extra"), {0xdf}, claim}, nil))
	f.Add(bytes.Join([][]byte{{0x81, 0xa3}, []byte("src"), {0xc6}, claim, {1}}, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		var st, st2 CaptureState
		if bus.Unmarshal(data, &st) == nil {
			if err := msgpack.Unmarshal(data, &st2); err != nil || !reflect.DeepEqual(st, st2) {
				t.Fatalf("registry entry: bus.Unmarshal and msgpack.Unmarshal disagree (%v)", err)
			}
			_ = st.Options.Validate()
		}
		w, w2 := wireFlow{Flow: &tracer.Flow{}}, wireFlow{Flow: &tracer.Flow{}}
		if bus.Unmarshal(data, &w) == nil {
			if err := msgpack.Unmarshal(data, &w2); err != nil || !reflect.DeepEqual(w, w2) {
				t.Fatalf("flow record: bus.Unmarshal and msgpack.Unmarshal disagree (%v)", err)
			}
		}
		runtime.ReadMemStats(&b)
		if n := b.TotalAlloc - a.TotalAlloc; n > 1<<20+1024*uint64(len(data)) {
			t.Fatalf("%d bytes allocated for a %d-byte message", n, len(data))
		}
	})
}
