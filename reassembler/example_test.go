package reassembler_test

import (
	"fmt"
	"net/netip"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
)

// A UDP datagram split into three fragments, fed out of order.
func Example() {
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	dgram, _ := craft.Build(&craft.IPv4{ID: 7, Src: src, Dst: dst}, &craft.UDP{SrcPort: 53, DstPort: 5353}, craft.Payload(make([]byte, 1200)))
	frags, _ := craft.FragmentIPv4(dgram, 500)

	r := reassembler.New(reassembler.Config{IPv4: true})
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	emit := func(rec reassembler.Record) {
		d := rec.Datagram
		fmt.Printf("%s: complete=%v length=%d frames=%v at=%d\n", rec.Name(), d.Complete, d.Length, d.Frames, rec.At)
	}
	for i, idx := range []int{2, 0, 1} {
		dec.Decode(frags[idx], 228, &p) // LINKTYPE_IPV4
		r.Add(reporter.FrameInfo{Index: uint64(i + 1), Sec: 1700000000}, &p, emit)
	}
	r.Flush(emit)
	// Output:
	// Datagram 1: complete=true length=1208 frames=[1 2 3] at=3
}
