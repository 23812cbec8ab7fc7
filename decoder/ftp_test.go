package decoder

import (
	"slices"
	"testing"
)

// TestFTPControl: commands and replies of an FTP control connection, one
// or several lines a segment. The same payloads, written to a pcap, are
// what tshark 4.0 dissects as ftp (frame.protocols eth:ethertype:ip:tcp:ftp,
// with the same first command, argument, reply code and text).
func TestFTPControl(t *testing.T) {
	for _, c := range []struct {
		src, dst uint16
		payload  string
		want     []string
	}{
		{21, 40000, "220 (vsFTPd 3.0.3)\r\n", []string{".type=response", ".lines[0].code=220", ".lines[0].continued=0", ".lines[0].text=(vsFTPd 3.0.3)"}},
		{40000, 21, "USER anonymous\r\n", []string{".type=request", ".lines[0].command=USER", ".lines[0].arg=anonymous"}},
		{40000, 21, "PASV\r\nRETR file name.txt\r\n", []string{".type=request", ".lines[0].command=PASV", ".lines[0].arg=",
			".lines[1].command=RETR", ".lines[1].arg=file name.txt"}},
		{21, 40000, "211-Features:\r\n EPRT\r\n MDTM\r\n211 End\r\n", []string{".type=response",
			".lines[0].code=211", ".lines[0].continued=1", ".lines[0].text=Features:",
			".lines[1].text= EPRT", ".lines[2].text= MDTM",
			".lines[3].code=211", ".lines[3].continued=0", ".lines[3].text=End"}},
		{21, 40000, "221 Goodbye.", []string{".type=response", ".lines[0].code=221", ".lines[0].continued=0", ".lines[0].text=Goodbye."}},
		{21, 40000, "200", []string{".type=response", ".lines[0].code=200", ".lines[0].continued=0", ".lines[0].text="}},
	} {
		p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(c.src, c.dst, 1, 1, TCPAck|TCPPsh, nil, []byte(c.payload)))))
		if got := p.Chain(); got != "Ethernet:IPv4:TCP:FTP" || p.Failed() {
			t.Errorf("%q: chain %q (err %v)", c.payload, got, &p.Err)
		}
		if got := flatten(tr, "ethernet", "ipv4", "tcp", "ftp"); !slices.Equal(got, c.want) {
			t.Errorf("%q:\n got %q\nwant %q", c.payload, got, c.want)
		}
	}
}

// TestFTPBinaryTail: the lines of text are FTP, what follows the first
// binary line is raw payload.
func TestFTPBinaryTail(t *testing.T) {
	p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(40000, 21, 1, 1, TCPAck|TCPPsh, nil, []byte("PORT 1,2,3,4,5,6\r\nNOOP\r\n\x00\x01binary\r\nQUIT\r\n")))))
	if got := p.Chain(); got != "Ethernet:IPv4:TCP:FTP" || p.Failed() {
		t.Fatalf("chain %q (err %v)", got, &p.Err)
	}
	want := []string{".type=request", ".lines[0].command=PORT", ".lines[0].arg=1,2,3,4,5,6", ".lines[1].command=NOOP", ".lines[1].arg=",
		".raw=000162696e6172790d0a515549540d0a"}
	if got := flatten(tr, "ethernet", "ipv4", "tcp", "ftp"); !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

// TestFTPNotFTP: on port 21, what does not start like a command or a reply
// is not FTP: a TLS ClientHello after AUTH TLS is TLS, binary or a long
// word stays raw TCP payload.
func TestFTPNotFTP(t *testing.T) {
	hello := tbTCP(40000, 21, 1, 1, TCPAck|TCPPsh, nil, []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"))
	if p, _ := tbDecode(t, tbEth(0x0800, tbIPv4(6, hello))); p.Chain() != "Ethernet:IPv4:TCP:TLS" {
		t.Errorf("ClientHello after AUTH TLS: chain %q", p.Chain())
	}
	for _, payload := range []string{"\x17\x03\x03\x00\x20", "ABCDEF x\r\n", "12a ok\r\n", "US", "LIST \x00\r\n", "220 \x00ok\r\n"} {
		p, _ := tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(40000, 21, 1, 1, TCPAck|TCPPsh, nil, []byte(payload)))))
		if got := p.Chain(); got != "Ethernet:IPv4:TCP" {
			t.Errorf("%q: chain %q", payload, got)
		}
	}
	// Not on port 21: never FTP.
	p, _ := tbDecode(t, tbEth(0x0800, tbIPv4(6, tbTCP(40000, 2121, 1, 1, TCPAck|TCPPsh, nil, []byte("USER a\r\n")))))
	if got := p.Chain(); got != "Ethernet:IPv4:TCP" {
		t.Errorf("port 2121: chain %q", got)
	}
}
