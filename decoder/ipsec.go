package decoder

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
)

// IP Authentication Header (RFC 4302, section 2):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Next Header   |  Payload Len  |          RESERVED             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                 Security Parameters Index (SPI)               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Sequence Number Field                      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                Integrity Check Value-ICV (variable)           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Payload Len is the header length in 32-bit words minus 2, so the header
// is (len+2)*4 bytes. A Payload Len of 0 (8 bytes: no sequence number, no
// ICV) is not valid AH, but some stacks send it; it is decoded as the 8
// bytes it announces (Zeek's ipv6_zero_len_ah trace, which tshark reads the
// same way). In tunnel mode the next header is IPv4 (4) or IPv6 (41).
const (
	ahNext   = 0
	ahLen    = 1
	ahRes    = 2
	ahSPI    = 4
	ahSeq    = 8
	ahICV    = 12
	ahMinLen = 8
)

// AH is a view of an IP Authentication Header.
type AH []byte

func (h AH) NextHeader() uint8 { return h[ahNext] }
func (h AH) HdrLen() int       { return (int(h[ahLen]) + 2) * 4 }
func (h AH) Reserved() uint16  { return binary.BigEndian.Uint16(h[ahRes:]) }
func (h AH) SPI() uint32       { return binary.BigEndian.Uint32(h[ahSPI:]) }

// HasSeq reports whether the header is long enough to hold a sequence
// number (false only for the invalid zero-length form).
func (h AH) HasSeq() bool { return h.HdrLen() >= ahICV }

// Seq returns the sequence number (0 when HasSeq is false).
func (h AH) Seq() uint32 {
	if !h.HasSeq() {
		return 0
	}
	return binary.BigEndian.Uint32(h[ahSeq:])
}

// ICV returns the integrity check value (empty when HasSeq is false).
func (h AH) ICV() []byte {
	if !h.HasSeq() {
		return nil
	}
	return h[ahICV:h.HdrLen()]
}

func decodeAH(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < ahMinLen {
		return ProtoNone, truncated(ahMinLen, len(b))
	}
	n := AH(b).HdrLen()
	if n > len(b) {
		return ProtoNone, truncated(n, len(b))
	}
	l.Hdr = uint32(n)
	return ipProtoProto(b[ahNext]), nil
}

func fieldsAH(t *Tree, p *Packet, l *Layer) {
	h := AH(p.Data[l.Off : l.Off+l.Hdr])
	t.Enum("next", uint64(h.NextHeader()), ipProtoName(h.NextHeader()))
	t.Uint("length", uint64(h.HdrLen()))
	t.Uint("reserved", uint64(h.Reserved()))
	t.Uint("spi", uint64(h.SPI()))
	if !h.HasSeq() {
		t.Null("seq")
		t.Null("icv")
		return
	}
	t.Uint("seq", uint64(h.Seq()))
	t.Bytes("icv", h.ICV())
}

// Encapsulating Security Payload (RFC 4303, section 2):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|               Security Parameters Index (SPI)                 |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                      Sequence Number                          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|      Payload Data, Padding, Pad Length, Next Header, ICV      |
//	~            (encrypted: opaque without the keys)               ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Over UDP port 4500 (NAT traversal, RFC 3948) the same port also carries
// IKE, marked by a zero "SPI" (the 4-byte non-ESP marker), and NAT
// keepalives, a single 0xff byte. Both are recognised when the parent layer
// is UDP: the marker or the keepalive byte is the header and the rest is
// raw payload.
const (
	espSPI    = 0
	espSeq    = 4
	espHdrLen = 8

	espNonESPMarkerLen = 4
)

// ESP is a view of an ESP header.
type ESP []byte

func (h ESP) SPI() uint32 { return binary.BigEndian.Uint32(h[espSPI:]) }
func (h ESP) Seq() uint32 { return binary.BigEndian.Uint32(h[espSeq:]) }

func decodeESP(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	overUDP := p.N >= 2 && p.Layers[p.N-2].Proto == ProtoUDP
	if overUDP && len(b) == 1 && b[0] == 0xff {
		l.Hdr = 1 // NAT-keepalive (RFC 3948, 2.3)
		return ProtoNone, nil
	}
	if overUDP && len(b) >= espNonESPMarkerLen && binary.BigEndian.Uint32(b) == 0 {
		l.Hdr = espNonESPMarkerLen // non-ESP marker: IKE follows
		return ProtoRaw, nil
	}
	if len(b) < espHdrLen {
		return ProtoNone, truncated(espHdrLen, len(b))
	}
	l.Hdr = espHdrLen
	return ProtoRaw, nil
}

func fieldsESP(t *Tree, p *Packet, l *Layer) {
	b := p.Data[l.Off : l.Off+l.Hdr]
	switch len(b) {
	case 1:
		t.Bool("keepalive", true)
		return
	case espNonESPMarkerLen:
		t.Uint("spi", 0)
		t.Bool("non_esp_marker", true) // IKE (RFC 3948, 2.2)
		return
	}
	h := ESP(b)
	t.Uint("spi", uint64(h.SPI()))
	t.Uint("seq", uint64(h.Seq()))
}

// IP Payload Compression Protocol header (RFC 3173, section 2.2; IP
// protocol 108):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Next Header  |     Flags     | Compression Parameter Index   |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                   compressed payload ...
//
// The payload stays raw in the frame's layers: they are spans of the
// captured bytes. The report shows it decompressed when the algorithm is
// DEFLATE (RFC 2394; CPI 2, or a CPI the SA negotiated, 256 and up, for
// which DEFLATE is tried as tshark tries it): the inner datagram decoded
// from the next header, nested under "decompressed".
const (
	ipcompNext   = 0
	ipcompFlags  = 1
	ipcompCPI    = 2
	ipcompHdrLen = 4

	// ipcompMax bounds a decompressed payload: an IP datagram.
	ipcompMax = 65535
)

// IPComp is a view of an IPComp header.
type IPComp []byte

func (h IPComp) NextHeader() uint8 { return h[ipcompNext] }
func (h IPComp) Flags() uint8      { return h[ipcompFlags] }
func (h IPComp) CPI() uint16       { return binary.BigEndian.Uint16(h[ipcompCPI:]) }

func decodeIPComp(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if len(b) < ipcompHdrLen {
		return ProtoNone, truncated(ipcompHdrLen, len(b))
	}
	l.Hdr = ipcompHdrLen
	return ProtoRaw, nil
}

var ipcompAlgorithms = [...]string{1: "OUI", 2: "DEFLATE", 3: "LZS", 4: "LZJH"}

// innerDecoder decodes decompressed payloads for reports; it stops after
// an IPComp layer inside, so that decompression never nests.
var innerDecoder = New(Options{Protocol: ProtoIPComp})

func init() { fielders[ProtoIPComp] = fieldsIPComp }

func fieldsIPComp(t *Tree, p *Packet, l *Layer) {
	h := IPComp(p.Data[l.Off : l.Off+l.Hdr])
	t.Enum("next", uint64(h.NextHeader()), ipProtoName(h.NextHeader()))
	t.Uint("flags", uint64(h.Flags()))
	cpi := h.CPI()
	alg := "negotiated"
	if cpi < 256 {
		alg = "unknown"
		if int(cpi) < len(ipcompAlgorithms) && ipcompAlgorithms[cpi] != "" {
			alg = ipcompAlgorithms[cpi]
		}
	}
	t.Enum("cpi", uint64(cpi), alg)
	if cpi != 2 && cpi < 256 {
		return
	}
	out, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(p.Data[l.Off+l.Hdr:l.End])), ipcompMax+1))
	switch {
	case err != nil:
		t.String("decompress_error", err.Error())
		return
	case len(out) > ipcompMax:
		t.String("decompress_error", fmt.Sprintf("decompressed payload over %d bytes", ipcompMax))
		return
	}
	t.Uint("decompressed_len", uint64(len(out)))
	var inner Packet
	innerDecoder.DecodeFrom(out, ipProtoProto(h.NextHeader()), &inner)
	t.Object("decompressed")
	inner.Fields(t)
	t.Close()
}
