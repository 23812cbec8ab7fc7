package reassembler

import (
	"bytes"
	"slices"
	"strconv"

	"github.com/pcapflow/pcapflow/decoder"
)

// Kind is the type of a Record.
type Kind uint8

const (
	KindDatagram Kind = iota + 1 // a reassembled IPv4/IPv6 datagram
	KindStream                   // a reassembled TCP connection (both directions)
	KindMessage                  // an application message (HTTP, FTP) of a stream
)

// Record is one output of a Reassembler. Exactly one of Datagram, Stream
// and Message is set, as Kind says.
//
// Ordering: At is the frame index at which the record was emitted (the
// completing frame, or the atIndex given to Advance or Flush). First is the
// first frame of the datagram or stream the record belongs to, which is
// unique in a capture, and Seq numbers the messages of one stream from 1
// (0 for the datagram or stream itself). Sorting by (At, First, Seq) — see
// Less — gives one order whatever the partitioning of the frames.
type Record struct {
	Kind     Kind      `msgpack:"kind"`
	At       uint64    `msgpack:"at"`
	First    uint64    `msgpack:"first"`
	Seq      uint32    `msgpack:"seq"`
	Datagram *Datagram `msgpack:"datagram,omitempty"`
	Stream   *Stream   `msgpack:"stream,omitempty"`
	Message  *Message  `msgpack:"message,omitempty"`
}

// Less orders records by (At, First, Seq).
func Less(a, b *Record) bool {
	if a.At != b.At {
		return a.At < b.At
	}
	if a.First != b.First {
		return a.First < b.First
	}
	return a.Seq < b.Seq
}

// Name is the report block name of the record: "Datagram 12",
// "Stream 3", "HTTP 3.1" (stream's first frame, message number).
func (r *Record) Name() string {
	switch r.Kind {
	case KindDatagram:
		return "Datagram " + strconv.FormatUint(r.First, 10)
	case KindStream:
		return "Stream " + strconv.FormatUint(r.First, 10)
	case KindMessage:
		p := "Message"
		if r.Message != nil {
			p = r.Message.Proto
		}
		return p + " " + strconv.FormatUint(r.First, 10) + "." + strconv.FormatUint(uint64(r.Seq), 10)
	}
	return "Record"
}

// Fields writes the record as a report block into t.
func (r *Record) Fields(t *decoder.Tree) {
	switch {
	case r.Datagram != nil:
		r.Datagram.Fields(t)
	case r.Stream != nil:
		r.Stream.Fields(t)
	case r.Message != nil:
		r.Message.Fields(t)
	}
}

func framesField(t *decoder.Tree, key string, frames []uint64) {
	t.Array(key)
	for _, f := range frames {
		t.Uint("", f)
	}
	t.Close()
}

func addrField(t *decoder.Tree, key string, a []byte) {
	if len(a) == 4 {
		t.IPv4(key, a)
	} else {
		t.IPv6(key, a)
	}
}

// ipProto maps an IP protocol number to the decoder protocol that parses
// a reassembled payload.
func ipProto(n uint8) decoder.Proto {
	switch n {
	case 1:
		return decoder.ProtoICMP
	case 2:
		return decoder.ProtoIGMP
	case 4:
		return decoder.ProtoIPv4
	case 6:
		return decoder.ProtoTCP
	case 17:
		return decoder.ProtoUDP
	case 41:
		return decoder.ProtoIPv6
	case 47:
		return decoder.ProtoGRE
	case 50:
		return decoder.ProtoESP
	case 51:
		return decoder.ProtoAH
	case 58:
		return decoder.ProtoICMPv6
	case 60:
		return decoder.ProtoIPv6Opts
	case 43:
		return decoder.ProtoIPv6Route
	}
	return decoder.ProtoRaw
}

// fieldsDecoder decodes reassembled payloads for reports. A Decoder holds
// no per-frame state, so one is shared.
var fieldsDecoder = decoder.New(decoder.Options{})

// Clone returns a deep copy of r that owns all its bytes: what a consumer
// that keeps a record past the emit call must keep (see the package doc on
// ownership). A Message's TLS record is shared, not copied: it owns its
// bytes from the start and is never changed.
func (r Record) Clone() Record {
	if d := r.Datagram; d != nil {
		c := *d
		c.Src, c.Dst, c.Payload = bytes.Clone(d.Src), bytes.Clone(d.Dst), bytes.Clone(d.Payload)
		c.Frames, c.Holes = slices.Clone(d.Frames), slices.Clone(d.Holes)
		c.Chunks = slices.Clone(d.Chunks)
		for i := range c.Chunks {
			c.Chunks[i].Data = bytes.Clone(c.Chunks[i].Data)
		}
		r.Datagram = &c
	}
	if s := r.Stream; s != nil {
		c := *s
		c.Src, c.Dst = bytes.Clone(s.Src), bytes.Clone(s.Dst)
		c.Dirs = slices.Clone(s.Dirs)
		for i := range c.Dirs {
			d := &c.Dirs[i]
			d.SHA256 = bytes.Clone(d.SHA256)
			if d.pieces != nil {
				d.Bytes() // joined into a buffer of the clone's own
			} else {
				d.Data = bytes.Clone(d.Data)
			}
			d.Gaps, d.Frames, d.Segments = slices.Clone(d.Gaps), slices.Clone(d.Frames), slices.Clone(d.Segments)
		}
		r.Stream = &c
	}
	if m := r.Message; m != nil {
		c := *m
		c.Frames, c.Headers, c.Body = slices.Clone(m.Frames), slices.Clone(m.Headers), bytes.Clone(m.Body)
		if h := m.H2; h != nil {
			hc := *h
			hc.Settings = slices.Clone(h.Settings)
			hc.Block, hc.Opaque, hc.Debug, hc.Payload = bytes.Clone(h.Block), bytes.Clone(h.Opaque), bytes.Clone(h.Debug), bytes.Clone(h.Payload)
			c.H2 = &hc
		}
		r.Message = &c
	}
	return r
}
