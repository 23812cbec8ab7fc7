package decoder

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"testing"
)

// TestQUICInitialKeys: the Initial keys of RFC 9001 Appendix A.1 (client
// DCID 0x8394c8f03e515708).
func TestQUICInitialKeys(t *testing.T) {
	dcid, _ := hex.DecodeString("8394c8f03e515708")
	for _, c := range []struct {
		server      bool
		key, iv, hp string
	}{
		{false, "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2"},
		{true, "cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e", "c206b8d9b9f0f37644430b490eeaa314"},
	} {
		k := quicInitialKeys(dcid, c.server)
		if hex.EncodeToString(k.key) != c.key || hex.EncodeToString(k.iv) != c.iv || hex.EncodeToString(k.hp) != c.hp {
			t.Errorf("server %v: key %x iv %x hp %x", c.server, k.key, k.iv, k.hp)
		}
	}
}

// quicSeal builds a client Initial carrying frames, protected as RFC 9001
// section 5 says (written for the test): a 2-byte packet number, padded to
// 1,200 bytes.
func quicSeal(dcid, scid []byte, pn uint16, frames []byte) []byte {
	frames = append(frames, make([]byte, 1100-len(frames))...) // PADDING
	hdr := []byte{0xc1, 0, 0, 0, 1, byte(len(dcid))}
	hdr = append(append(hdr, dcid...), byte(len(scid)))
	hdr = append(append(hdr, scid...), 0) // no token
	length := 2 + len(frames) + 16
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(0x4000|length))
	pnOff := len(hdr)
	hdr = binary.BigEndian.AppendUint16(hdr, pn)
	k := quicInitialKeys(dcid, false)
	block, _ := aes.NewCipher(k.key)
	aead, _ := cipher.NewGCM(block)
	nonce := slices.Clone(k.iv)
	nonce[10] ^= byte(pn >> 8)
	nonce[11] ^= byte(pn)
	pkt := aead.Seal(slices.Clone(hdr), nonce, frames, hdr)
	hp, _ := aes.NewCipher(k.hp)
	var mask [16]byte
	hp.Encrypt(mask[:], pkt[pnOff+4:pnOff+20])
	pkt[0] ^= mask[0] & 0x0f
	pkt[pnOff] ^= mask[1]
	pkt[pnOff+1] ^= mask[2]
	return pkt
}

// quicCrypto builds a CRYPTO frame.
func quicCrypto(off int, data []byte) []byte {
	return append([]byte{6, 0x40 | byte(off>>8), byte(off), 0x40 | byte(len(data)>>8), byte(len(data))}, data...)
}

// TestQUIC: a client's first Initial whose ClientHello comes in two CRYPTO
// frames out of order is decrypted, and the hello read with its server
// name, ALPN and JA3; an Initial it cannot decrypt (another DCID's keys)
// is reported as such; what is not QUIC on port 443 stays raw. tshark 4.0
// decrypts the same packet (written to a pcap) to the same packet number,
// frames (6, 6, 1, 0), server name, ALPN and JA3 string.
func TestQUIC(t *testing.T) {
	hello := tlsMsg(1, append(append([]byte{3, 3}, make([]byte, 32)...),
		0, 0, 2, 0x13, 0x01, 1, 0,
		0, 27, // extensions
		0, 0, 0, 14, 0, 12, 0, 0, 9, 'q', 'u', 'i', 'c', '.', 't', 'e', 's', 't',
		0, 16, 0, 5, 0, 3, 2, 'h', '3'))
	dcid, scid := []byte{1, 2, 3, 4, 5, 6, 7, 8}, []byte{9, 9}
	frames := append(append(quicCrypto(20, hello[20:]), quicCrypto(0, hello[:20])...), 1)
	pkt := quicSeal(dcid, scid, 0, frames)
	p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(50000, 443, pkt))))
	if p.Chain() != "Ethernet:IPv4:UDP:QUIC" || p.Failed() {
		t.Fatalf("chain %q, err %v", p.Chain(), &p.Err)
	}
	got := flatten(tr, "ethernet", "ipv4", "udp", "quic")
	for _, w := range []string{".packets[0].packet_type=Initial", ".packets[0].version=1", ".packets[0].dcid=0102030405060708",
		".packets[0].scid=0909", ".packets[0].decrypted=1", ".packets[0].packet_number=0",
		".packets[0].frames[0]=CRYPTO", ".packets[0].frames[1]=CRYPTO", ".packets[0].frames[2]=PING", ".packets[0].frames[3]=PADDING",
		".packets[0].handshake.type=1", ".packets[0].handshake.server_name=quic.test", ".packets[0].handshake.alpn[0]=h3",
		".packets[0].handshake.ja3=771,4865,0-16,,"} {
		if !slices.Contains(got, w) {
			t.Errorf("no %s in %q", w, got)
		}
	}
	// The same packet under another DCID: the keys do not open it.
	bad := slices.Clone(pkt)
	bad[6] ^= 0xff
	_, tr = tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(50000, 443, bad))))
	if got := flatten(tr, "ethernet", "ipv4", "udp", "quic"); !slices.Contains(got, ".packets[0].decrypted=0") {
		t.Errorf("another DCID: %q", got)
	}
	for _, b := range [][]byte{make([]byte, 40), append([]byte{0xc0, 1, 2, 3, 4}, make([]byte, 40)...), pkt[:30]} {
		if p, _ := tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(50000, 443, b)))); p.Chain() != "Ethernet:IPv4:UDP" {
			t.Errorf("%x: chain %q", b[:5], p.Chain())
		}
	}
}

func FuzzQUIC(f *testing.F) {
	f.Add(quicSeal([]byte{1, 2, 3, 4}, nil, 1, append(quicCrypto(0, tlsMsg(1, []byte{3, 3})), 2, 0, 0, 0, 0)))
	f.Add([]byte{0x80, 0, 0, 0, 0, 1, 1, 1, 2, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, ProtoQUIC, data)
		fuzzDecode(t, ProtoUDP, tbUDP(50000, 443, data))
	})
}
