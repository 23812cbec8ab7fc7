package decoder

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
)

// SSH (RFC 4253), per segment: the version banner ("SSH-2.0-OpenSSH_9.2p1
// Debian-2", section 4.2) and the binary packets of the key exchange,
// which travel in clear until NEWKEYS:
//
//	uint32    packet_length  (of what follows, not the MAC)
//	byte      padding_length
//	byte[n1]  payload; n1 = packet_length - padding_length - 1
//	byte[n2]  random padding; n2 = padding_length
//	byte[m]   mac
//
// A segment is SSH when it starts with the banner (any port), when it is
// on port 22 and starts with a plausible packet header, or when it holds a
// whole KEXINIT (any port). A KEXINIT's name-lists are reported with the
// HASSH fingerprint of its sender (github.com/salesforce/hassh): "hassh"
// for a client, "hassh_server" for a server, the server being the side on
// port 22, else the side with the lower port (a decoder of single frames
// has no conversation to ask). After NEWKEYS packets are encrypted, their
// length with them: a packet whose header does not fit is reported
// encrypted.
const (
	sshMaxPacket = 256 << 10 // RFC 4253 requires 35,000; implementations send more
	sshKexInit   = 20
)

var sshMsgNames = [...]string{1: "DISCONNECT", 2: "IGNORE", 3: "UNIMPLEMENTED", 4: "DEBUG", 5: "SERVICE_REQUEST",
	6: "SERVICE_ACCEPT", 7: "EXT_INFO", 20: "KEXINIT", 21: "NEWKEYS", 30: "KEX_ECDH_INIT", 31: "KEX_ECDH_REPLY",
	32: "KEX_DH_GEX_INIT", 33: "KEX_DH_GEX_REPLY", 34: "KEX_DH_GEX_REQUEST", 50: "USERAUTH_REQUEST",
	51: "USERAUTH_FAILURE", 52: "USERAUTH_SUCCESS", 53: "USERAUTH_BANNER"}

// sshKexLists names the ten name-lists of a KEXINIT, in order.
var sshKexLists = [...]string{"kex_algorithms", "server_host_key_algorithms", "encryption_client_to_server",
	"encryption_server_to_client", "mac_client_to_server", "mac_server_to_client", "compression_client_to_server",
	"compression_server_to_client", "languages_client_to_server", "languages_server_to_client"}

// sshPacketAt reports whether b starts with a plausible binary packet
// header: a length within bounds and a padding of 4 bytes or more that
// leaves room for a message code.
func sshPacketAt(b []byte) bool {
	if len(b) < 6 {
		return false
	}
	n, pad := binary.BigEndian.Uint32(b), uint32(b[4])
	return n >= 5 && n <= sshMaxPacket && pad >= 4 && pad < n-1
}

// sshKexInitLists returns the ten name-lists of a KEXINIT payload (from
// its message code on), or false.
func sshKexInitLists(payload []byte) ([10][]byte, bool) {
	var lists [10][]byte
	if len(payload) < 1+16 || payload[0] != sshKexInit {
		return lists, false
	}
	b := payload[17:]
	for i := range lists {
		if len(b) < 4 || uint64(binary.BigEndian.Uint32(b)) > uint64(len(b)-4) {
			return lists, false
		}
		n := int(binary.BigEndian.Uint32(b))
		lists[i], b = b[4:4+n], b[4+n:]
	}
	return lists, len(b) >= 5 // first_kex_packet_follows, reserved
}

// sshPayload returns the payload of the packet at the start of b, when
// the segment holds it whole.
func sshPayload(b []byte) ([]byte, bool) {
	if !sshPacketAt(b) {
		return nil, false
	}
	n, pad := int(binary.BigEndian.Uint32(b)), int(b[4])
	if 4+n > len(b) {
		return nil, false
	}
	return b[5 : 4+n-pad], true
}

// isSSHStart reports whether a TCP payload between ports src and dst is
// SSH (see the top of this file).
func isSSHStart(src, dst uint16, b []byte) bool {
	if bytes.HasPrefix(b, []byte("SSH-")) {
		return true
	}
	if (src == 22 || dst == 22) && sshPacketAt(b) {
		return true
	}
	if p, ok := sshPayload(b); ok {
		_, ok = sshKexInitLists(p)
		return ok
	}
	return false
}

func decodeSSH(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if bytes.HasPrefix(b, []byte("SSH-")) {
		n := len(b)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			n = i + 1
		}
		l.Hdr = uint32(n)
		if n == len(b) {
			return ProtoNone, nil
		}
		return ProtoRaw, nil // packets after the banner, in the same segment
	}
	if len(b) == 0 {
		return ProtoNone, truncated(1, 0)
	}
	l.Hdr = uint32(len(b))
	return ProtoNone, nil
}

// sshFromServer reports whether the SSH layer l was sent by the server:
// from port 22, else from the lower port.
func sshFromServer(p *Packet, l *Layer) bool {
	src, dst, ok := tcpPorts(p, l)
	switch {
	case !ok:
		return false
	case src == 22:
		return true
	case dst == 22:
		return false
	}
	return src < dst
}

func fieldsSSH(t *Tree, p *Packet, l *Layer) {
	b := p.Data[l.Off : l.Off+l.Hdr]
	if bytes.HasPrefix(b, []byte("SSH-")) {
		line := bytes.TrimRight(b, "\r\n")
		t.StringBytes("protocol", line)
		// SSH-protoversion-softwareversion SP comments
		rest := line[4:]
		if i := bytes.IndexByte(rest, '-'); i >= 0 {
			t.StringBytes("version", rest[:i])
			sw, comments, _ := bytes.Cut(rest[i+1:], []byte(" "))
			t.StringBytes("software", sw)
			t.StringBytes("comments", comments)
		}
		return
	}
	server := sshFromServer(p, l)
	t.Array("packets")
	for len(b) > 0 {
		t.Object("")
		if !sshPacketAt(b) {
			t.Bool("encrypted", true)
			t.Uint("length", uint64(len(b)))
			t.Close()
			break
		}
		n, pad := binary.BigEndian.Uint32(b), b[4]
		t.Uint("packet_length", uint64(n))
		t.Uint("padding_length", uint64(pad))
		if 4+int(n) > len(b) {
			t.Enum("message_code", uint64(b[5]), tableName(sshMsgNames[:], int(b[5])))
			t.Bool("truncated", true) // goes on in the next segment
			t.Close()
			break
		}
		payload := b[5 : 4+int(n)-int(pad)]
		t.Enum("message_code", uint64(payload[0]), tableName(sshMsgNames[:], int(payload[0])))
		if lists, ok := sshKexInitLists(payload); ok {
			t.Bytes("cookie", payload[1:17])
			for i, name := range sshKexLists {
				t.StringBytes(name, lists[i])
			}
			t.Bool("first_kex_packet_follows", payload[len(payload)-5] != 0)
			// HASSH: kex;encryption;mac;compression of the sender's direction.
			k := 2
			key := "hassh"
			if server {
				k, key = 3, "hassh_server"
			}
			algs := bytes.Join([][]byte{lists[0], lists[k], lists[k+2], lists[k+4]}, []byte(";"))
			sum := md5.Sum(algs)
			t.StringBytes(key+"_algorithms", algs)
			t.String(key, hex.EncodeToString(sum[:]))
		}
		t.Close()
		b = b[4+int(n):]
	}
	t.Close()
}
