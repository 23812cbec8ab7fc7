package decoder

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// QUIC (RFC 9000), per datagram: the long-header packets a UDP datagram
// on port 443 carries (several may be coalesced). Short-header (1-RTT)
// packets carry nothing in clear but a connection ID whose length only the
// connection knows: they are not decoded.
//
//	Long Header Packet {
//	  Header Form (1) = 1, Fixed Bit (1) = 1, Long Packet Type (2),
//	  Type-Specific Bits (4), Version (32),
//	  Destination Connection ID Length (8), Destination Connection ID (0..160),
//	  Source Connection ID Length (8), Source Connection ID (0..160),
//	  Initial: Token Length (i), Token (..); Initial, 0-RTT, Handshake:
//	  Length (i), Packet Number (8..32), Packet Payload (..)
//	}
//
// The protection of Initial packets derives from the Destination
// Connection ID of the client's first Initial (RFC 9001, section 5.2),
// which that packet carries: the client's first Initials of QUIC version
// 1 are decrypted, their frames listed, and the TLS ClientHello their
// CRYPTO frames carry (joined by offset within the packet) decoded with
// its server name, ALPN and JA3, as for TLS over TCP. The server's
// Initials, and the client's after the server chose a connection ID, are
// protected with keys from a DCID they do not carry: a decoder of single
// datagrams reports them not decrypted.
const (
	quicV1     = 0x00000001
	quicMaxCID = 20
	// quicMaxCrypto bounds the CRYPTO bytes joined from one packet.
	quicMaxCrypto = 16 << 10
)

// quicV1Salt is the Initial salt of QUIC version 1 (RFC 9001, section 5.2).
var quicV1Salt = []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c,
	0xad, 0xcc, 0xbb, 0x7f, 0x0a}

var quicLongTypes = [...]string{"Initial", "0-RTT", "Handshake", "Retry"}

// quicVarint reads a variable-length integer (RFC 9000, section 16).
func quicVarint(b []byte) (uint64, int, bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	n := 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0, false
	}
	v := uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n, true
}

// quicPacket is a parsed long header.
type quicPacket struct {
	typ        uint8
	version    uint32
	dcid, scid []byte
	token      []byte
	pnOff      int // offset of the packet number in the packet
	end        int // the packet's length (the whole rest for Retry and version negotiation)
}

// quicLong parses the long-header packet at the start of b.
func quicLong(b []byte) (quicPacket, bool) {
	var q quicPacket
	if len(b) < 7 || b[0]&0x80 == 0 {
		return q, false
	}
	q.typ, q.version = b[0]>>4&3, binary.BigEndian.Uint32(b[1:])
	i := 5
	for _, cid := range []*[]byte{&q.dcid, &q.scid} {
		if i >= len(b) || b[i] > quicMaxCID || i+1+int(b[i]) > len(b) {
			return q, false
		}
		*cid, i = b[i+1:i+1+int(b[i])], i+1+int(b[i])
	}
	if q.version == 0 || q.typ == 3 { // version negotiation, Retry: the rest of the datagram
		q.end = len(b)
		return q, true
	}
	if q.typ == 0 {
		n, k, ok := quicVarint(b[i:])
		if !ok || uint64(len(b)-i-k) < n {
			return q, false
		}
		q.token, i = b[i+k:i+k+int(n)], i+k+int(n)
	}
	n, k, ok := quicVarint(b[i:])
	if !ok || uint64(len(b)-i-k) < n || n < 1 {
		return q, false
	}
	q.pnOff, q.end = i+k, i+k+int(n)
	return q, true
}

// isQUIC reports whether a UDP payload on port 443 starts with a long
// header of a known version (1, 2 or a draft), or is version negotiation.
func isQUIC(b []byte) bool {
	if len(b) < 7 || b[0]&0xc0 != 0xc0 && !(b[0]&0x80 != 0 && binary.BigEndian.Uint32(b[1:]) == 0) {
		return false
	}
	switch v := binary.BigEndian.Uint32(b[1:]); {
	case v == 0, v == quicV1, v == 0x6b3343cf, v>>8 == 0xff0000:
	default:
		return false
	}
	_, ok := quicLong(b)
	return ok
}

func decodeQUIC(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	n := 0
	for n < len(b) {
		q, ok := quicLong(b[n:])
		if !ok {
			break
		}
		n += q.end
	}
	if n == 0 {
		return ProtoNone, malformed("no quic long header")
	}
	l.Hdr = uint32(n)
	if n == len(b) {
		return ProtoNone, nil
	}
	return ProtoRaw, nil // a short-header packet coalesced after, or padding
}

func fieldsQUIC(t *Tree, p *Packet, l *Layer) {
	b := p.Data[l.Off : l.Off+l.Hdr]
	t.Array("packets")
	for len(b) > 0 {
		q, ok := quicLong(b)
		if !ok {
			break
		}
		t.Object("")
		if q.version == 0 {
			t.String("packet_type", "Version Negotiation")
		} else {
			t.String("packet_type", quicLongTypes[q.typ])
		}
		t.Uint("version", uint64(q.version))
		t.Bytes("dcid", q.dcid)
		t.Bytes("scid", q.scid)
		if q.typ == 0 && q.version != 0 {
			t.Bytes("token", q.token)
		}
		if q.pnOff > 0 {
			t.Uint("length", uint64(q.end-q.pnOff))
		}
		if q.typ == 0 && q.version == quicV1 {
			quicInitialFields(t, b[:q.end], q)
		}
		t.Close()
		b = b[q.end:]
	}
	t.Close()
}

// quicKeys are the packet protection keys of one side of an Initial.
type quicKeys struct{ key, iv, hp []byte }

// hkdfExpandLabel is TLS 1.3's HKDF-Expand-Label with an empty context
// (RFC 8446, section 7.1).
func hkdfExpandLabel(secret []byte, label string, n int) []byte {
	info := make([]byte, 0, 4+6+len(label))
	info = binary.BigEndian.AppendUint16(info, uint16(n))
	info = append(info, byte(6+len(label)))
	info = append(info, "tls13 "...)
	info = append(info, label...)
	info = append(info, 0)
	out, _ := hkdf.Expand(sha256.New, secret, string(info), n)
	return out
}

// quicInitialKeys derives the client's or the server's Initial keys from
// the Destination Connection ID of the client's first Initial.
func quicInitialKeys(dcid []byte, server bool) quicKeys {
	initial, _ := hkdf.Extract(sha256.New, dcid, quicV1Salt)
	label := "client in"
	if server {
		label = "server in"
	}
	secret := hkdfExpandLabel(initial, label, 32)
	return quicKeys{hkdfExpandLabel(secret, "quic key", 16), hkdfExpandLabel(secret, "quic iv", 12), hkdfExpandLabel(secret, "quic hp", 16)}
}

// quicOpen removes the header protection of an Initial packet pkt and
// decrypts its payload; it returns the packet number and the plaintext.
func quicOpen(pkt []byte, pnOff int, k quicKeys) (uint64, []byte, bool) {
	if pnOff+4+16 > len(pkt) {
		return 0, nil, false
	}
	hp, err := aes.NewCipher(k.hp)
	if err != nil {
		return 0, nil, false
	}
	var mask [16]byte
	hp.Encrypt(mask[:], pkt[pnOff+4:pnOff+4+16])
	first := pkt[0] ^ mask[0]&0x0f
	pnLen := int(first&3) + 1
	header := slices.Clone(pkt[:pnOff+pnLen])
	header[0] = first
	var pn uint64
	for i := range pnLen {
		header[pnOff+i] ^= mask[1+i]
		pn = pn<<8 | uint64(header[pnOff+i])
	}
	block, err := aes.NewCipher(k.key)
	if err != nil {
		return 0, nil, false
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return 0, nil, false
	}
	nonce := slices.Clone(k.iv)
	for i := range 8 {
		nonce[len(nonce)-1-i] ^= byte(pn >> (8 * i))
	}
	plain, err := aead.Open(nil, nonce, pkt[pnOff+pnLen:], header)
	if err != nil {
		return 0, nil, false
	}
	return pn, plain, true
}

// quicInitialFields decrypts a client's first Initial and writes its
// packet number, frames and TLS hello.
func quicInitialFields(t *Tree, pkt []byte, q quicPacket) {
	pn, plain, ok := quicOpen(pkt, q.pnOff, quicInitialKeys(q.dcid, false))
	t.Bool("decrypted", ok)
	if !ok {
		return
	}
	t.Uint("packet_number", pn)
	// The frames; CRYPTO data joined by offset.
	var crypto [quicMaxCrypto]byte
	have := 0 // contiguous bytes from offset 0
	var spans [][2]uint64
	t.Array("frames")
frames:
	for b := plain; len(b) > 0; {
		typ, n, ok := quicVarint(b)
		if !ok {
			break
		}
		b = b[n:]
		switch typ {
		case 0: // PADDING: the run of zero bytes
			k := 0
			for k < len(b) && b[k] == 0 {
				k++
			}
			b = b[k:]
			t.String("", "PADDING")
			continue
		case 1:
			t.String("", "PING")
			continue
		case 2, 3: // ACK: largest, delay, range count, first range, ranges, ECN counts
			var v [4]uint64
			t.String("", "ACK")
			for i := range v {
				if v[i], n, ok = quicVarint(b); !ok {
					break frames
				}
				b = b[n:]
			}
			k := 2 * v[2] // gap and range per further range
			if typ == 3 {
				k += 3 // ECN counts
			}
			for ; k > 0; k-- {
				if _, n, ok = quicVarint(b); !ok {
					break frames
				}
				b = b[n:]
			}
			continue
		case 6: // CRYPTO: offset, length, data
			t.String("", "CRYPTO")
			off, n1, ok1 := quicVarint(b)
			if !ok1 {
				break frames
			}
			l, n2, ok2 := quicVarint(b[n1:])
			if !ok2 || uint64(len(b)-n1-n2) < l {
				break frames
			}
			data := b[n1+n2 : n1+n2+int(l)]
			b = b[n1+n2+int(l):]
			if off <= quicMaxCrypto && l <= quicMaxCrypto-off {
				copy(crypto[off:], data)
				spans = append(spans, [2]uint64{off, off + l})
			}
			continue
		case 0x1c, 0x1d:
			t.String("", "CONNECTION_CLOSE")
			break frames
		}
		t.String("", "unknown") // a frame this list does not parse ends the list
		break
	}
	t.Close()
	// The contiguous CRYPTO bytes from offset 0.
	slices.SortFunc(spans, func(a, b [2]uint64) int { return int(a[0]) - int(b[0]) })
	for _, s := range spans {
		if s[0] > uint64(have) {
			break
		}
		have = max(have, int(s[1]))
	}
	hs := crypto[:have]
	if len(hs) >= 4 && (hs[0] == 1 || hs[0] == 2) {
		n := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
		t.Object("handshake")
		t.Enum("type", uint64(hs[0]), TLSHandshakeName(hs[0]))
		t.Uint("length", uint64(n))
		switch h, err := ParseTLSHello(hs[4:min(len(hs), 4+n)], hs[0] == 1); {
		case 4+n > len(hs):
			t.Bool("truncated", true) // goes on in the next Initial
		case err != "":
			t.String("error", err)
		default:
			h.Fields(t, hs[0] == 1)
		}
		t.Close()
	}
}
