package craft

import (
	"bytes"
	"testing"

	"github.com/pcapflow/pcapflow/ingest"
)

// TestGenerateFrames: the frames in memory are Generate's, in order, each
// with bytes of its own.
func TestGenerateFrames(t *testing.T) {
	o := GenerateOptions{Seed: 7, Frames: 500}
	fs, err := GenerateFrames(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 500 {
		t.Fatalf("%d frames", len(fs))
	}
	var buf bytes.Buffer
	if err := Generate(&buf, o); err != nil {
		t.Fatal(err)
	}
	r, err := ingest.NewReader(&buf, "gen", ingest.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var f ingest.Frame
	for i := range fs {
		if err := r.Next(&f); err != nil {
			t.Fatal(err)
		}
		g := fs[i]
		if g.Index != f.Index || g.Sec != f.Sec || g.Nsec != f.Nsec || g.LinkType != f.LinkType || !bytes.Equal(g.Data, f.Data) {
			t.Fatalf("frame %d differs from the capture's", i+1)
		}
	}
	// Distinct storage: writing one frame leaves the next unchanged.
	next := bytes.Clone(fs[1].Data)
	clear(fs[0].Data[:cap(fs[0].Data)])
	if !bytes.Equal(fs[1].Data, next) {
		t.Error("frames share storage")
	}
}
