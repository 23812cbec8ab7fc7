package decoder

import (
	"os"
	"testing"

	"github.com/pcapflow/pcapflow/ingest"
)

func TestZZInetDebug(t *testing.T) {
	path := os.Getenv("INETDBG")
	if path == "" {
		t.Skip()
	}
	r, c, err := ingest.Open(path, ingest.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d := New(Options{})
	var f ingest.Frame
	var p Packet
	var tr Tree
	for r.Next(&f) == nil {
		d.Decode(f.Data, f.LinkType, &p)
		tr.Reset()
		p.Fields(&tr)
		t.Logf("frame %d %s\n%s", f.Index, p.Chain(), inetDump(&tr))
	}
}
