package tracer

import (
	"bytes"
	"slices"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reassembler"
)

// TestGeneratedPartitions: on craft's realistic mix (HTTP over TCP with
// retransmissions and reordering, DNS, fragments, ICMP, IPv4 and IPv6),
// the reassembler and tracer records of 2 and 3 partitions — frames routed
// by a symmetric hash of the outer IP addresses, Advance at every batch
// boundary on every partition — merged by their (At, First, Seq) keys, are
// byte for byte those of a single instance.
func TestGeneratedPartitions(t *testing.T) {
	n := 30_000
	if testing.Short() {
		n = 5_000
	}
	frames := generated(t, n)
	dec := decoder.New(decoder.Options{})
	type keyed struct {
		at, first uint64
		seq       uint32
		kind      byte
		enc       []byte
	}
	runParts := func(parts int) []keyed {
		ras := make([]*reassembler.Reassembler, parts)
		trs := make([]*Tracer, parts)
		for i := range ras {
			ras[i] = reassembler.New(reassembler.Config{Strict: true, Analyse: true})
			trs[i] = New(Config{})
		}
		var out []keyed
		emitR := func(r reassembler.Record) {
			b, err := msgpack.Marshal(&r)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, keyed{r.At, r.First, r.Seq, 'r', b})
		}
		emitF := func(f *Flow) {
			b, err := msgpack.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, keyed{f.At, f.First, 0, 'f', b})
		}
		var p decoder.Packet
		for i := range frames {
			fr := &frames[i]
			dec.Decode(fr.data, fr.lt, &p)
			part := 0
			for j := 0; j < p.N; j++ {
				l := &p.Layers[j]
				var s, d []byte
				if b := p.Data[l.Off:l.End]; l.Proto == decoder.ProtoIPv4 && len(b) >= 20 {
					s, d = b[12:16], b[16:20]
				} else if l.Proto == decoder.ProtoIPv6 && len(b) >= 40 {
					s, d = b[8:24], b[24:40]
				} else {
					continue
				}
				h := 0
				for k := range s {
					h += int(s[k]) + int(d[k]) // symmetric
				}
				part = h % parts
				break
			}
			ras[part].Add(fr.fi, &p, emitR)
			trs[part].Add(fr.fi, &p, emitF)
			if (i+1)%256 == 0 || i == len(frames)-1 {
				for k := range parts {
					ras[k].Advance(fr.fi.Sec, fr.fi.Nsec, fr.fi.Index, emitR)
					trs[k].Advance(fr.fi.Sec, fr.fi.Nsec, fr.fi.Index, emitF)
				}
			}
		}
		for k := range parts {
			ras[k].Flush(emitR)
			trs[k].Flush(emitF)
		}
		slices.SortStableFunc(out, func(a, b keyed) int {
			switch {
			case a.kind != b.kind:
				return int(a.kind) - int(b.kind)
			case a.at != b.at:
				return cmpU(a.at, b.at)
			case a.first != b.first:
				return cmpU(a.first, b.first)
			}
			return cmpU(uint64(a.seq), uint64(b.seq))
		})
		return out
	}
	want := runParts(1)
	kinds := map[byte]int{}
	for _, k := range want {
		kinds[k.kind]++
	}
	if kinds['r'] == 0 || kinds['f'] == 0 {
		t.Fatalf("generated capture gave %d reassembly records and %d flows", kinds['r'], kinds['f'])
	}
	for _, parts := range []int{2, 3} {
		got := runParts(parts)
		if len(got) != len(want) {
			t.Fatalf("%d partitions: %d records, want %d", parts, len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i].enc, want[i].enc) {
				t.Fatalf("%d partitions: record %d (%c at=%d first=%d) differs", parts, i, got[i].kind, got[i].at, got[i].first)
			}
		}
	}
	t.Logf("%d frames: %d reassembly records, %d flows, identical for 1, 2, 3 partitions", n, kinds['r'], kinds['f'])
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
