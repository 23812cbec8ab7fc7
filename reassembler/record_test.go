package reassembler

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/decoder"
)

// TestRecordsMsgpack: every record kind survives a msgpack round trip and
// renders the same report block afterwards.
func TestRecordsMsgpack(t *testing.T) {
	cv := newConversation(t, 1, 2)
	f := newFeeder(t, Config{Analyse: true, Strict: true})
	for _, b := range cv.handshake() {
		f.feed(b)
	}
	for _, b := range cv.data(true, 50) {
		f.feed(b)
	}
	for _, b := range cv.data(false, 50) {
		f.feed(b)
	}
	pkt, _ := udpDatagram(t, false, 2000, 9)
	for _, b := range fragments(t, false, pkt, 576) {
		f.feed(b)
	}
	recs := f.flush()
	kinds := map[Kind]bool{}
	for _, r := range recs {
		kinds[r.Kind] = true
		b, err := msgpack.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		var back Record
		if err := msgpack.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		var t1, t2 decoder.Tree
		r.Fields(&t1)
		back.Fields(&t2)
		if back.At != r.At || back.First != r.First || back.Seq != r.Seq || back.Name() != r.Name() || !reflect.DeepEqual(t1.Nodes, t2.Nodes) {
			t.Errorf("%s: round trip changed the record", r.Name())
		}
	}
	if !kinds[KindDatagram] || !kinds[KindStream] || !kinds[KindMessage] {
		t.Errorf("kinds seen: %v", kinds)
	}
}

func TestLess16(t *testing.T) {
	var a, b [16]byte
	for i := range 16 {
		for _, d := range []byte{1, 0x80} {
			a, b = [16]byte{}, [16]byte{}
			b[i] = d
			a[15-i] = 0xff * byte(i&1)
			want := bytes.Compare(a[:], b[:]) < 0
			if got := less16(a, b); got != want {
				t.Errorf("less16(%x, %x) = %v, want %v", a, b, got, want)
			}
			if got, want := less16(b, a), bytes.Compare(b[:], a[:]) < 0; got != want {
				t.Errorf("less16(%x, %x) = %v, want %v", b, a, got, want)
			}
		}
	}
	if less16(a, a) {
		t.Error("less16(a, a)")
	}
}
