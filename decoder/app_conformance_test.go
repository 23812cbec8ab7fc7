package decoder_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/decoder/craft"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/ingest/ingesttest"
)

// tlsFrames decodes a capture and returns, by frame number, whether the
// frame has a TLS layer, and whether its TCP payload starts with a TLS
// record header.
func tlsFrames(t *testing.T, path string) (tls, header map[int]bool) {
	t.Helper()
	r, c, err := ingest.Open(path, ingest.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tls, header = map[int]bool{}, map[int]bool{}
	dec := decoder.New(decoder.Options{})
	var (
		f ingest.Frame
		p decoder.Packet
	)
	for {
		if err := r.Next(&f); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Logf("%s: %v", filepath.Base(path), err)
			}
			return tls, header
		}
		dec.Decode(f.Data, f.LinkType, &p)
		n := int(f.Index)
		tls[n] = p.FindLast(decoder.ProtoTLS) >= 0
		if i := p.FindLast(decoder.ProtoTCP); i >= 0 {
			l := &p.Layers[i]
			header[n] = decoder.TLSRecordAt(p.Data[l.Off+l.Hdr : l.End])
		}
	}
}

// TestTLSCapture: in testdata/tls.pcap (TLS on port 18443, see
// testdata/README.md) the frames with a TLS layer are those tshark 4.0
// calls tls with TCP reassembly off (-o tcp.desegment_tcp_streams:FALSE,
// frame.protocols).
func TestTLSCapture(t *testing.T) {
	tls, _ := tlsFrames(t, "../testdata/tls.pcap")
	var got []int
	for n, ok := range tls {
		if ok {
			got = append(got, n)
		}
	}
	slices.Sort(got)
	want := []int{4, 6, 8, 9, 10, 11, 12, 14, 21, 23, 25, 26, 27, 29, 30, 31, 33, 40, 42}
	if !slices.Equal(got, want) {
		t.Errorf("TLS frames %v, tshark's %v", got, want)
	}
}

// TestTLSCorpusFrames compares, on every corpus capture not tagged
// malformed, the frames with a TLS layer with those tshark calls tls
// (expected/*.frames.jsonl, TCP reassembly off). tshark knows the
// conversation, a decoder of single frames does not, which makes two
// differences, and only those are allowed: a segment that continues a
// record (its payload does not start with a record header) is TLS
// "Continuation Data" to tshark and raw TCP payload here; and tshark does
// not dissect the payload of a segment it flags as a retransmission or out
// of order (expected/*.tcp_analysis.tsv).
func TestTLSCorpusFrames(t *testing.T) {
	dir := ingesttest.CorpusDir(t)
	tags := manifestTags(t, dir)
	var agree, continuation, retrans, files int
	for name := range tags {
		if hasTag(tags[name], "malformed") {
			continue
		}
		want := map[int]bool{}
		eb, err := os.ReadFile(filepath.Join(dir, "expected", name+".frames.jsonl"))
		if err != nil {
			continue
		}
		any := false
		for _, line := range strings.Split(strings.TrimSpace(string(eb)), "\n") {
			var m map[string][]string
			if json.Unmarshal([]byte(line), &m) != nil || len(m["frame.number"]) == 0 {
				continue
			}
			n, _ := strconv.Atoi(m["frame.number"][0])
			want[n] = len(m["frame.protocols"]) > 0 && slices.Contains(strings.Split(m["frame.protocols"][0], ":"), "tls")
			any = any || want[n]
		}
		flagged := map[int]bool{}
		if f, err := os.Open(filepath.Join(dir, "expected", name+".tcp_analysis.tsv")); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				c := strings.Split(sc.Text(), "\t")
				if n, err := strconv.Atoi(c[0]); err == nil && (strings.Contains(c[len(c)-1], "retransmission") || strings.Contains(c[len(c)-1], "out-of-order")) {
					flagged[n] = true
				}
			}
			f.Close()
		}
		tls, header := tlsFrames(t, filepath.Join(dir, "raw", name))
		if any {
			files++
		}
		for n, w := range want {
			g, ok := tls[n]
			switch {
			case !ok || g == w:
				agree++
			case w && !header[n]:
				continuation++
			case g && flagged[n]:
				retrans++
			default:
				t.Errorf("%s frame %d: TLS %v, tshark %v", name, n, g, w)
			}
		}
	}
	if files < 4 {
		t.Errorf("%d corpus captures with TLS, want 4", files)
	}
	t.Logf("%d frames agree; %d continuation segments and %d retransmissions tshark names tls and we do not, or the reverse", agree, continuation, retrans)
}

// protoFrames returns the frame numbers of a capture, whether each has a
// layer of protocol pr, and the decoded report tree of each.
func protoFrames(t *testing.T, path string, pr decoder.Proto) (map[int]bool, map[int]*decoder.Tree) {
	t.Helper()
	r, c, err := ingest.Open(path, ingest.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	has, trees := map[int]bool{}, map[int]*decoder.Tree{}
	dec := decoder.New(decoder.Options{})
	var (
		f ingest.Frame
		p decoder.Packet
	)
	for r.Next(&f) == nil {
		dec.Decode(f.Data, f.LinkType, &p)
		n := int(f.Index)
		if has[n] = p.FindLast(pr) >= 0; has[n] {
			tr := new(decoder.Tree)
			p.Fields(tr)
			trees[n] = tr
		}
	}
	return has, trees
}

// TestDHCPCorpus: on every corpus capture not tagged malformed (nor listed
// in testdata/known-differences.tsv for every field: tshark's frame
// numbers are off there), the frames with a DHCP layer are those tshark
// 4.0 calls dhcp (frame.protocols), among them messages cut short by the
// snapshot length; and
// the DHCP exchange of pypcapkit__dhcp.pcapng has tshark's values
// (dhcp.type, dhcp.id, dhcp.hw.mac_addr, dhcp.ip.your, dhcp.option.dhcp,
// .requested_ip_address, .dhcp_server_id, .ip_address_lease_time).
func TestDHCPCorpus(t *testing.T) {
	dir := ingesttest.CorpusDir(t)
	tags := manifestTags(t, dir)
	known := knownDifferences(t)
	frames := 0
	for name := range tags {
		if _, shifted := known[[2]string{name, "*"}]; hasTag(tags[name], "malformed") || shifted {
			continue
		}
		eb, err := os.ReadFile(filepath.Join(dir, "expected", name+".frames.jsonl"))
		if err != nil {
			continue
		}
		has, _ := protoFrames(t, filepath.Join(dir, "raw", name), decoder.ProtoDHCP)
		for _, line := range strings.Split(strings.TrimSpace(string(eb)), "\n") {
			var m map[string][]string
			if json.Unmarshal([]byte(line), &m) != nil || len(m["frame.number"]) == 0 {
				continue
			}
			n, _ := strconv.Atoi(m["frame.number"][0])
			want := len(m["frame.protocols"]) > 0 && slices.Contains(strings.Split(m["frame.protocols"][0], ":"), "dhcp")
			if got, ok := has[n]; ok && got != want {
				t.Errorf("%s frame %d: DHCP %v, tshark %v", name, n, got, want)
			}
			if want {
				frames++
			}
		}
	}
	if frames < 20 {
		t.Errorf("%d DHCP frames in the corpus, want 20 or more", frames)
	}
	_, trees := protoFrames(t, filepath.Join(dir, "raw", "pypcapkit__dhcp.pcapng"), decoder.ProtoDHCP)
	want := []string{
		"op=1 xid=15645 chaddr=00:0b:82:01:fc:42 yiaddr=0.0.0.0 type=1 requested=0.0.0.0",
		"op=2 xid=15645 chaddr=00:0b:82:01:fc:42 yiaddr=192.168.0.10 type=2 lease=3600 server=192.168.0.1",
		"op=1 xid=15646 chaddr=00:0b:82:01:fc:42 yiaddr=0.0.0.0 type=3 requested=192.168.0.10 server=192.168.0.1",
		"op=2 xid=15646 chaddr=00:0b:82:01:fc:42 yiaddr=192.168.0.10 type=5 lease=3600 server=192.168.0.1",
	}
	for i, w := range want {
		tr := trees[i+1]
		if tr == nil {
			t.Fatalf("frame %d: no DHCP", i+1)
		}
		f := flat(tr, "ethernet", "ipv4", "udp", "dhcp")
		got := fmt.Sprintf("op=%s xid=%s chaddr=%s yiaddr=%s", f[".op"], f[".xid"], f[".chaddr"], f[".yiaddr"])
		for k := 0; f[fmt.Sprintf(".options[%d].code", k)] != ""; k++ {
			v := f[fmt.Sprintf(".options[%d].value", k)]
			switch f[fmt.Sprintf(".options[%d].code", k)] {
			case "53":
				got += " type=" + v
			case "50":
				got += " requested=" + v
			case "54":
				got += " server=" + v
			case "51":
				got += " lease=" + v
			}
		}
		if got != w {
			t.Errorf("frame %d: %s\nwant %s", i+1, got, w)
		}
	}
}

// flat returns the values under path in tr by their paths below it
// (".options[0].code"), as decoder's flatten writes them.
func flat(tr *decoder.Tree, path ...string) map[string]string {
	out := map[string]string{}
	for _, kv := range decoder.Flatten(tr, path...) {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// TestIPCompCorpus: the IPComp payloads of libpcap's AH-IPcomp captures
// (DEFLATE, under negotiated CPIs) decompress to the inner datagrams tshark
// 4.0 shows: for every IPComp frame, the inner addresses, TCP ports and
// sequence number and HTTP method are tshark's innermost values
// (expected/*.frames.jsonl). The frame's layers end at IPComp; the inner
// datagram is in its report block.
func TestIPCompCorpus(t *testing.T) {
	dir := ingesttest.CorpusDir(t)
	n := 0
	for _, c := range []struct{ file, ip, src, dst string }{
		{"libpcap__AH-IPcomp-IPv4.pcap", "ipv4", "ip.src", "ip.dst"},
		{"libpcap__AH-IPcomp-IPv6.pcap", "ipv6", "ipv6.src", "ipv6.dst"},
	} {
		eb, err := os.ReadFile(filepath.Join(dir, "expected", c.file+".frames.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		exp := map[int]map[string][]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(eb)), "\n") {
			var m map[string][]string
			if json.Unmarshal([]byte(line), &m) == nil && len(m["frame.number"]) > 0 {
				k, _ := strconv.Atoi(m["frame.number"][0])
				exp[k] = m
			}
		}
		_, trees := protoFrames(t, filepath.Join(dir, "raw", c.file), decoder.ProtoIPComp)
		for k, tr := range trees {
			n++
			f := flat(tr, "ethernet", c.ip, "ah", "ipcomp")
			in := ".decompressed." + c.ip
			got := fmt.Sprintf("%s>%s %s>%s seq %s %s", f[in+".src"], f[in+".dst"], f[in+".tcp.srcport"], f[in+".tcp.dstport"],
				f[in+".tcp.seq"], f[in+".tcp.http.request.method"])
			w := exp[k]
			last := func(key string) string {
				if v := w[key]; len(v) > 0 {
					return v[len(v)-1]
				}
				return ""
			}
			want := fmt.Sprintf("%s>%s %s>%s seq %s %s", last(c.src), last(c.dst), last("tcp.srcport"), last("tcp.dstport"),
				last("tcp.seq_raw"), last("http.request.method"))
			if !strings.Contains(w["frame.protocols"][0], "ipcomp") || got != want {
				t.Errorf("%s frame %d: %s, tshark %s (%s)", c.file, k, got, want, w["frame.protocols"][0])
			}
		}
	}
	if n != 11 {
		t.Errorf("%d IPComp frames, want the 11 tshark decompresses", n)
	}
}

// TestNTPGenerated: in 20,000 generated frames (seed 3) the frames with an
// NTP layer are the 243 tshark 4.0 calls ntp, and a server reply has
// tshark's values (ntp.flags.mode, .stratum, .ppoll, .refid, the four
// timestamps).
func TestNTPGenerated(t *testing.T) {
	frames, err := craft.GenerateFrames(craft.GenerateOptions{Seed: 3, Frames: 20000})
	if err != nil {
		t.Fatal(err)
	}
	dec := decoder.New(decoder.Options{})
	var p decoder.Packet
	n := 0
	for i := range frames {
		dec.Decode(frames[i].Data, frames[i].LinkType, &p)
		if p.FindLast(decoder.ProtoNTP) < 0 {
			continue
		}
		n++
		if frames[i].Index != 320 {
			continue
		}
		var tr decoder.Tree
		p.Fields(&tr)
		f := flat(&tr, "ethernet", "ipv4", "udp", "ntp")
		got := fmt.Sprint(f[".mode"], " ", f[".stratum"], " ", f[".poll"], " ", f[".reference_id"], " ", f[".reference_time"], " ",
			f[".origin_time"], " ", f[".receive_time"], " ", f[".transmit_time"])
		want := "4 2 6 192.0.2.123 1709294400.942143705 1709294400.422377842 1709294400.552100528 1709294400.682728343"
		if got != want {
			t.Errorf("frame 320: %s\nwant %s", got, want)
		}
	}
	if n != 243 {
		t.Errorf("%d NTP frames, tshark 243", n)
	}
}

// TestSSHCapture: testdata/ssh.pcap (OpenSSH 9.2 ssh against sshd on
// loopback port 22, see testdata/README.md). The frames with an SSH layer,
// their message codes and the HASSH fingerprints are tshark 4.0's
// (frame.protocols, ssh.message_code, ssh.kex.hassh, ssh.kex.hasshserver);
// tshark also calls the encrypted packets after NEWKEYS (frames 16, 18,
// 19, 20) ssh: it knows the conversation, and a decoder of single frames
// cannot tell their bytes from any other.
func TestSSHCapture(t *testing.T) {
	has, trees := protoFrames(t, "../testdata/ssh.pcap", decoder.ProtoSSH)
	var frames []int
	for n, ok := range has {
		if ok {
			frames = append(frames, n)
		}
	}
	slices.Sort(frames)
	if want := []int{4, 6, 8, 9, 11, 12, 14}; !slices.Equal(frames, want) {
		t.Errorf("SSH frames %v, want %v", frames, want)
	}
	want := map[int]string{
		4:  "banner OpenSSH_9.2p1 Debian-2+deb12u10",
		6:  "banner OpenSSH_9.2p1 Debian-2+deb12u10",
		8:  "20 hassh=472b5de333ad665af5cbf10ff892c4df",
		9:  "20 hassh_server=425d29fe50d8e4f5e37efb6e24bcf660",
		11: "30",
		12: "31 21",
		14: "21",
	}
	for n, w := range want {
		f := flat(trees[n], "ethernet", "ipv4", "tcp", "ssh")
		got := ""
		if sw := f[".software"]; sw != "" {
			got = "banner " + sw + " " + f[".comments"]
		}
		for k := 0; f[fmt.Sprintf(".packets[%d].message_code", k)] != ""; k++ {
			if k > 0 {
				got += " "
			}
			got += f[fmt.Sprintf(".packets[%d].message_code", k)]
			if h := f[fmt.Sprintf(".packets[%d].hassh", k)]; h != "" {
				got += " hassh=" + h
			}
			if h := f[fmt.Sprintf(".packets[%d].hassh_server", k)]; h != "" {
				got += " hassh_server=" + h
			}
		}
		if got != w {
			t.Errorf("frame %d: %q, want %q", n, got, w)
		}
	}
}
