package decoder

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"
)

// sshPacket builds a binary packet with 4 bytes of padding.
func sshPacket(payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(payload)+5))
	b = append(b, 4)
	return append(append(b, payload...), 0, 0, 0, 0)
}

// kexInit builds a KEXINIT payload with the ten name-lists given.
func kexInit(lists ...string) []byte {
	b := append([]byte{sshKexInit}, make([]byte, 16)...)
	for _, l := range lists {
		b = binary.BigEndian.AppendUint32(b, uint32(len(l)))
		b = append(b, l...)
	}
	return append(b, 0, 0, 0, 0, 0)
}

// TestSSH: a banner with a KEXINIT in the same segment on another port
// (the banner is SSH, the packet after it raw); a client's KEXINIT alone
// on any port with its HASSH; a packet going on in the next segment; an
// encrypted segment on port 22; what is not SSH.
func TestSSH(t *testing.T) {
	kex := kexInit("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "aes256-ctr", "hmac-sha2-256", "hmac-sha1", "none", "zlib", "", "")
	p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(40000, 2222, 1, 1, TCPAck, nil, append([]byte("SSH-2.0-Go\r\n"), sshPacket(kex)...)))))
	if got := flatten(tr, "ethernet", "ipv4", "tcp", "ssh"); p.Chain() != "Ethernet:IPv4:TCP:SSH" ||
		!slices.Equal(got[:4], []string{".protocol=SSH-2.0-Go", ".version=2.0", ".software=Go", ".comments="}) || !strings.HasPrefix(got[4], ".raw=") {
		t.Errorf("banner: chain %q, %q", p.Chain(), got)
	}
	p, tr = tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(40000, 2222, 1, 1, TCPAck, nil, sshPacket(kex)))))
	got := flatten(tr, "ethernet", "ipv4", "tcp", "ssh")
	// hassh: md5("curve25519-sha256;aes128-ctr;hmac-sha2-256;none")
	for _, w := range []string{".packets[0].message_code=20", ".packets[0].kex_algorithms=curve25519-sha256",
		".packets[0].compression_server_to_client=zlib", ".packets[0].first_kex_packet_follows=0",
		".packets[0].hassh_algorithms=curve25519-sha256;aes128-ctr;hmac-sha2-256;none",
		".packets[0].hassh=e97d07603350d1111ec2b64bf25413c9"} {
		if !slices.Contains(got, w) {
			t.Errorf("KEXINIT: no %s in %q", w, got)
		}
	}
	if p.Chain() != "Ethernet:IPv4:TCP:SSH" {
		t.Errorf("KEXINIT: chain %q", p.Chain())
	}
	// The server's KEXINIT (from the lower port) gives hassh_server.
	_, tr = tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(2222, 40000, 1, 1, TCPAck, nil, sshPacket(kex)))))
	if got := flatten(tr, "ethernet", "ipv4", "tcp", "ssh"); !slices.Contains(got, ".packets[0].hassh_server_algorithms=curve25519-sha256;aes256-ctr;hmac-sha1;zlib") {
		t.Errorf("server KEXINIT: %q", got)
	}
	// A packet cut by the end of the segment, on port 22.
	_, tr = tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(40000, 22, 1, 1, TCPAck, nil, sshPacket(kex)[:100]))))
	if got := flatten(tr, "ethernet", "ipv4", "tcp", "ssh"); !slices.Contains(got, ".packets[0].truncated=1") || !slices.Contains(got, ".packets[0].message_code=20") {
		t.Errorf("cut short: %q", got)
	}
	// Not SSH: an encrypted segment on port 22 (no plausible header), an
	// incomplete KEXINIT off port 22, text.
	for _, c := range []struct {
		port uint16
		b    []byte
	}{{22, []byte{0x9c, 0x41, 0x07, 0xe2, 0x11, 0x5a, 0x33}}, {2222, sshPacket(kex)[:100]}, {2222, []byte("Some text\r\n")}} {
		if p, _ := tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(40000, c.port, 1, 1, TCPAck, nil, c.b)))); p.Chain() != "Ethernet:IPv4:TCP" {
			t.Errorf("port %d, %x: chain %q", c.port, c.b[:4], p.Chain())
		}
	}
}

func FuzzSSH(f *testing.F) {
	f.Add([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"))
	f.Add(sshPacket(kexInit("a", "b", "c", "d", "e", "f", "g", "h", "", "")))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, ProtoSSH, data)
		fuzzDecode(t, ProtoTCP, tbTCP(40000, 22, 1, 1, TCPAck, nil, data))
		fuzzDecode(t, ProtoTCP, tbTCP(40000, 2222, 1, 1, TCPAck, nil, data))
	})
}
