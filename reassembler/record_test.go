package reassembler

import (
	"bytes"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/reporter"
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
		if back := roundTrip(t, r); back.At != r.At || back.First != r.First || back.Seq != r.Seq || back.Name() != r.Name() || !sameFields(r, back) {
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

// TestRecordLendAndClone: records lend buffers that later streams and
// datagrams reuse; a record encoded inside emit and its Clone encoded
// after the buffers were reused carry the same bytes.
func TestRecordLendAndClone(t *testing.T) {
	r := New(Config{Analyse: true, Strict: true})
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	var inside [][]byte
	var kept []Record
	emit := func(rec Record) {
		b, err := msgpack.Marshal(&rec)
		if err != nil {
			t.Fatal(err)
		}
		inside = append(inside, b)
		kept = append(kept, rec.Clone())
	}
	var idx uint64
	add := func(pkt []byte) {
		idx++
		dec.Decode(pkt, 101, &p)
		r.Add(reporter.FrameInfo{Index: idx, Sec: 1700000000}, &p, emit)
	}
	for i := range 3 { // each connection reuses the buffers of the one before
		cv := newConversation(t, 1000+uint32(i)*7919, 5000+uint32(i)*104729)
		cv.c = append(cv.c, pattern(3000+i*5000, uint64(i))...)
		for _, b := range cv.handshake() {
			add(b)
		}
		for _, b := range cv.data(true, 700) {
			add(b)
		}
		for _, b := range cv.data(false, 900) {
			add(b)
		}
		for _, b := range cv.fins() {
			add(b)
		}
		dgram := build(t, &craft.IPv4{ID: uint16(i + 1), Src: a4, Dst: b4}, &craft.UDP{SrcPort: 53, DstPort: 53}, craft.Payload(pattern(2500, uint64(i)+9)))
		frags, err := craft.FragmentIPv4(dgram, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range frags {
			add(b)
		}
	}
	r.Flush(emit)
	var streams, datagrams int
	for i, rec := range kept {
		if rec.Stream != nil {
			streams++
		}
		if rec.Datagram != nil {
			datagrams++
		}
		b, err := msgpack.Marshal(&rec)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, inside[i]) {
			t.Errorf("record %d (%s): its clone differs from what emit saw", i, rec.Name())
		}
	}
	if streams != 3 || datagrams != 3 {
		t.Errorf("%d streams and %d datagrams, want 3 and 3", streams, datagrams)
	}
}

// TestMessagesMsgpack: the HTTP/2 (decoded headers) and TLS messages of
// real captures survive a msgpack round trip: the bus carries them.
func TestMessagesMsgpack(t *testing.T) {
	n := 0
	for _, path := range []string{"../testdata/h2c-hpack.pcap", "../testdata/tls.pcap"} {
		for _, r := range runCapture(t, path, Config{TCP: true, Analyse: true, Strict: true}, 0) {
			if r.Message == nil {
				continue
			}
			n++
			if !sameFields(r, roundTrip(t, r)) {
				t.Errorf("%s %s: round trip changed the record", path, r.Name())
			}
		}
	}
	if n < 60 {
		t.Errorf("%d messages, want the captures' 60 or more", n)
	}
}

// sameTree reports whether two trees render the same: the same nodes, with
// values compared by content (an empty value and a missing one alike).
func sameTree(a, b *decoder.Tree) bool {
	if len(a.Nodes) != len(b.Nodes) {
		return false
	}
	for i := range a.Nodes {
		x, y := &a.Nodes[i], &b.Nodes[i]
		if x.Key() != y.Key() || x.Kind != y.Kind || x.Num != y.Num || x.End != y.End || x.Digits != y.Digits ||
			x.Nsec() != y.Nsec() || string(x.Value()) != string(y.Value()) {
			return false
		}
	}
	return true
}

// roundTrip returns r after a msgpack round trip, as the bus carries it.
func roundTrip(t *testing.T, r Record) Record {
	t.Helper()
	b, err := msgpack.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := msgpack.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

// sameFields reports whether two records render the same report block.
func sameFields(a, b Record) bool {
	var t1, t2 decoder.Tree
	a.Fields(&t1)
	b.Fields(&t2)
	return sameTree(&t1, &t2)
}
