package decoder

import (
	"errors"
	"slices"
	"testing"
)

// TestNTP: a client request with unset timestamps and a stratum-1 source
// code, a control (ntpq) and a private (ntpdc) message, extension bytes
// left raw, and what is not NTP on port 123.
func TestNTP(t *testing.T) {
	client := make([]byte, ntpHdrLen)
	client[0], client[1], client[2], client[3] = 0x23, 1, 6, 0xe9 // v4, client; stratum 1
	copy(client[12:], "GPS")
	client[6] = 0x80 // root delay 0.5 s (16.16)
	client[40], client[41], client[42], client[43] = 0xe9, 0x8a, 0x4e, 0x00
	p, tr := tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(40000, 123, append(client, 1, 2, 3, 4)))))
	if p.Chain() != "Ethernet:IPv4:UDP:NTP" || p.Failed() {
		t.Fatalf("chain %q, err %v", p.Chain(), &p.Err)
	}
	got := flatten(tr, "ethernet", "ipv4", "udp", "ntp")
	want := []string{".li=0", ".version=4", ".mode=3", ".stratum=1", ".poll=6", ".precision=-23", ".root_delay_us=500000",
		".root_dispersion_us=0", ".reference_id=GPS", ".reference_time=0", ".origin_time=0", ".receive_time=0",
		".transmit_time=1709166464.000000000", ".raw=01020304"}
	if !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	control := []byte{0x16, 0x82, 0, 1, 0x06, 0x15, 0, 0, 0, 0, 0, 4, 'a', '=', '1', ','}
	_, tr = tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(123, 40000, control))))
	if got := flatten(tr, "ethernet", "ipv4", "udp", "ntp"); !slices.Contains(got, ".opcode=2") || !slices.Contains(got, ".response=1") ||
		!slices.Contains(got, ".count=4") || !slices.Contains(got, ".raw=613d312c") {
		t.Errorf("control: %q", got)
	}
	private := []byte{0x97, 0x00, 0x03, 0x2a, 0, 0, 0, 0}
	_, tr = tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(123, 40000, private))))
	if got := flatten(tr, "ethernet", "ipv4", "udp", "ntp"); !slices.Contains(got, ".mode=7") || !slices.Contains(got, ".request_code=42") {
		t.Errorf("private: %q", got)
	}
	// Cut short: the layer fails as truncated.
	var q Packet
	New(Options{}).DecodeFrom(client[:30], ProtoNTP, &q)
	if !errors.Is(q.Err.Err, ErrTruncated) {
		t.Errorf("30 bytes: err %v", &q.Err)
	}
	// Not NTP: version 0, mode 0, a header shorter than its mode's.
	for _, b := range [][]byte{append([]byte{0x03}, client[1:]...), append([]byte{0x20}, client[1:]...), client[:20]} {
		if p, _ := tbDecode(t, tbEth(0x0800, tbIPv4(17, tbUDP(40000, 123, b)))); p.Chain() != "Ethernet:IPv4:UDP" {
			t.Errorf("%x...: chain %q", b[:4], p.Chain())
		}
	}
}

func FuzzNTP(f *testing.F) {
	f.Add(make([]byte, ntpHdrLen))
	f.Add([]byte{0x16, 0x82, 0, 1, 0x06, 0x15, 0, 0, 0, 0, 0, 4, 'a', '=', '1', ','})
	f.Add([]byte{0x97, 0x00, 0x03, 0x2a, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, ProtoNTP, data)
		fuzzDecode(t, ProtoUDP, tbUDP(40000, 123, data))
	})
}
