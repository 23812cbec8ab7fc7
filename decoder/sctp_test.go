package decoder

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sctpChunk builds a chunk, padded to 4 bytes.
func sctpChunk(typ, flags uint8, value []byte) []byte {
	b := []byte{typ, flags, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(4+len(value)))
	b = append(b, value...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func sctpPacket(vtag uint32, chunks ...[]byte) []byte {
	b := make([]byte, sctpHdrLen)
	binary.BigEndian.PutUint16(b, 2905)
	binary.BigEndian.PutUint16(b[2:], 36412)
	binary.BigEndian.PutUint32(b[4:], vtag)
	binary.BigEndian.PutUint32(b[8:], 0xdeadbeef)
	return append(b, slices.Concat(chunks...)...)
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// flatten lists the values under the node at path as "a.b[1].c=v" lines.
func flatten(tr *Tree, path ...string) []string {
	n := tr.Lookup(path...)
	if n == nil {
		return nil
	}
	i := 0
	for j := range tr.Nodes {
		if &tr.Nodes[j] == n {
			i = j
		}
	}
	var out []string
	var walk func(lo, hi int, prefix string)
	walk = func(lo, hi int, prefix string) {
		k := 0
		for j := lo; j < hi; j = int(tr.Nodes[j].End) {
			nd := &tr.Nodes[j]
			name := prefix + "." + nd.Key()
			if nd.Key() == "" {
				name = fmt.Sprintf("%s[%d]", prefix, k)
			}
			k++
			switch nd.Kind {
			case KindObject, KindArray:
				walk(j+1, int(nd.End), name)
			case KindBytes:
				out = append(out, fmt.Sprintf("%s=%x", name, nd.Bin()))
			case KindString:
				out = append(out, name+"="+nd.Str())
			case KindIPv4, KindIPv6:
				out = append(out, name+"="+net.IP(nd.Bin()).String())
			case KindMAC:
				out = append(out, name+"="+net.HardwareAddr(nd.Bin()).String())
			case KindInt:
				out = append(out, fmt.Sprintf("%s=%d", name, int64(nd.Num)))
			case KindTime:
				out = append(out, fmt.Sprintf("%s=%d.%09d", name, nd.Num, nd.Nsec()))
			default:
				out = append(out, fmt.Sprintf("%s=%d", name, nd.Num))
			}
		}
	}
	walk(i+1, int(n.End), "")
	return out
}

func TestSCTPChunks(t *testing.T) {
	init := sctpChunk(1, 0, slices.Concat(be32(0x11223344), be32(106496), be16(10), be16(65535), be32(7),
		be16(5), be16(8), []byte{192, 0, 2, 1}, // IPv4 address parameter
		be16(0xc000), be16(5), []byte{1})) // ECN-capable-ish parameter with 1 byte (padded)
	data1 := sctpChunk(0, 0x3, slices.Concat(be32(100), be16(1), be16(2), be32(60), []byte("ngap")))
	data2 := sctpChunk(0, 0x4|0x2, slices.Concat(be32(101), be16(3), be16(0), be32(46), []byte("diameter!")))
	sack := sctpChunk(3, 0, slices.Concat(be32(99), be32(65536), be16(1), be16(1), be16(2), be16(3), be32(97)))
	abort := sctpChunk(6, 1, slices.Concat(be16(13), be16(8), []byte("oops")))
	for _, c := range []struct {
		name  string
		pkt   []byte
		want  []string
		chain string
	}{
		{"init", sctpPacket(0, init), []string{
			".srcport=2905", ".dstport=36412", ".vtag=0", ".checksum=3735928559",
			".chunks[0].type=1", ".chunks[0].name=INIT", ".chunks[0].flags=0", ".chunks[0].length=33",
			".chunks[0].init_tag=287454020", ".chunks[0].a_rwnd=106496", ".chunks[0].outbound_streams=10",
			".chunks[0].inbound_streams=65535", ".chunks[0].initial_tsn=7",
			".chunks[0].params[0].type=5", ".chunks[0].params[0].length=8", ".chunks[0].params[0].value=c0000201",
			".chunks[0].params[1].type=49152", ".chunks[0].params[1].length=5", ".chunks[0].params[1].value=01",
		}, "Ethernet:IPv4:SCTP"},
		{"two data chunks and a sack", sctpPacket(7, data1, data2, sack), []string{
			".srcport=2905", ".dstport=36412", ".vtag=7", ".checksum=3735928559",
			".chunks[0].type=0", ".chunks[0].name=DATA", ".chunks[0].flags=3", ".chunks[0].length=20",
			".chunks[0].immediate=0", ".chunks[0].unordered=0", ".chunks[0].beginning=1", ".chunks[0].ending=1",
			".chunks[0].tsn=100", ".chunks[0].stream_id=1", ".chunks[0].stream_seq=2", ".chunks[0].ppid=60",
			".chunks[0].data=6e676170",
			".chunks[1].type=0", ".chunks[1].name=DATA", ".chunks[1].flags=6", ".chunks[1].length=25",
			".chunks[1].immediate=0", ".chunks[1].unordered=1", ".chunks[1].beginning=1", ".chunks[1].ending=0",
			".chunks[1].tsn=101", ".chunks[1].stream_id=3", ".chunks[1].stream_seq=0", ".chunks[1].ppid=46",
			".chunks[1].data=6469616d6574657221",
			".chunks[2].type=3", ".chunks[2].name=SACK", ".chunks[2].flags=0", ".chunks[2].length=24",
			".chunks[2].cum_tsn_ack=99", ".chunks[2].a_rwnd=65536",
			".chunks[2].gap_blocks[0].start=2", ".chunks[2].gap_blocks[0].end=3", ".chunks[2].dup_tsns[0]=97",
		}, "Ethernet:IPv4:SCTP"},
		{"abort", sctpPacket(9, abort), []string{
			".srcport=2905", ".dstport=36412", ".vtag=9", ".checksum=3735928559",
			".chunks[0].type=6", ".chunks[0].name=ABORT", ".chunks[0].flags=1", ".chunks[0].length=12",
			".chunks[0].t=1", ".chunks[0].causes[0].type=13", ".chunks[0].causes[0].length=8", ".chunks[0].causes[0].value=6f6f7073",
		}, "Ethernet:IPv4:SCTP"},
		{"a data chunk shorter than its fixed fields", sctpPacket(1, sctpChunk(0, 3, []byte{1, 2})), []string{
			".srcport=2905", ".dstport=36412", ".vtag=1", ".checksum=3735928559",
			".chunks[0].type=0", ".chunks[0].name=DATA", ".chunks[0].flags=3", ".chunks[0].length=6",
			".chunks[0].error=chunk value shorter than its fixed fields", ".chunks[0].value=0102",
		}, "Ethernet:IPv4:SCTP"},
	} {
		p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(132, c.pkt)))
		if got := p.Chain(); got != c.chain || p.Failed() {
			t.Errorf("%s: chain %q (err %v), want %q", c.name, got, &p.Err, c.chain)
		}
		if got := flatten(tr, "ethernet", "ipv4", "sctp"); !slices.Equal(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
		if f, ok := p.Flow(); !ok || f.SrcPort != 2905 || f.DstPort != 36412 || f.Proto != 132 {
			t.Errorf("%s: flow %+v", c.name, f)
		}
	}
}

// TestSCTPMalformed: a chunk length below 4 or past the packet fails the
// layer with the common header still reported.
func TestSCTPMalformed(t *testing.T) {
	short := sctpPacket(5, []byte{0, 3, 0, 2})
	long := sctpPacket(5, []byte{0, 3, 0, 200, 1, 2, 3, 4})
	for _, c := range []struct {
		name string
		pkt  []byte
		err  string
	}{
		{"length 2", short, "chunk at offset 12: length 2 below 4"},
		{"length 200", long, "need 200 bytes, have 8"},
		{"cut common header", sctpPacket(5)[:10], "need 12 bytes, have 10"},
	} {
		p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(132, c.pkt)))
		if !p.Failed() || !strings.Contains(p.Err.Error(), c.err) {
			t.Errorf("%s: error %v, want %q", c.name, &p.Err, c.err)
		}
		if len(c.pkt) >= sctpHdrLen {
			tbUint(t, tr, 5, "ethernet", "ipv4", "sctp", "vtag")
		}
	}
}

// TestSCTPCorpus: tcpdump's isup.pcap (M3UA over SCTP) against tshark 4.0
// (tshark -o sctp.relative_tsns:FALSE -T fields -e sctp.verification_tag
// -e sctp.chunk_type -e sctp.chunk_length -e sctp.data_sid -e
// sctp.data_ssn -e sctp.data_payload_proto_id -e sctp.checksum).
func TestSCTPCorpus(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "corpus", "raw", "tcpdump__isup.pcap")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("corpus not beside the project: %v", err)
	}
	want := []string{
		"e50 0 100 6 42 3 b0b01883", "7df33f49 0 44 0 643 3 9720ae1", "7df33f49 0 40 0 644 3 dd2f0877",
		"7df33f49 0 40 0 645 3 dce60852", "e50 0 44 6 43 3 e48e08d5", "7df33f49 0 40 0 646 3 dd47085b",
	}
	// A classic pcap, big-endian headers (a1 b2 c3 d4), Ethernet.
	var got []string
	off := 24
	for off+16 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[off+8:]))
		frame := b[off+16 : off+16+n]
		off += 16 + n
		_, tr := tbDecode(t, frame)
		s := func(k string) uint64 { return tr.Lookup("ethernet", "ipv4", "sctp", k).Num }
		c := func(k string) uint64 { return tr.Lookup("ethernet", "ipv4", "sctp", "chunks", "", k).Num }
		got = append(got, fmt.Sprintf("%x %d %d %d %d %d %x", s("vtag"), c("type"), c("length"), c("stream_id"), c("stream_seq"), c("ppid"), s("checksum")))
	}
	if !slices.Equal(got, want) {
		t.Errorf("frames:\n got %q\nwant %q", got, want)
	}
}
