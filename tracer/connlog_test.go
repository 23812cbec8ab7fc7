package tracer

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/pcapflow/pcapflow/decoder/craft"
)

// TestConnLog: the flows of testdata/tls.pcap as a Zeek conn.log: Zeek's
// header lines, as many columns in every line as #fields names and #types
// types, TLS as Zeek's "ssl" service, unset columns "-", capture times in
// #open and #close; an ICMP echo flow with Zeek's type and code as ports.
func TestConnLog(t *testing.T) {
	var buf bytes.Buffer
	cl := NewConnLog(&buf)
	for _, f := range traceCapture(t, "../testdata/tls.pcap", Config{}) {
		if err := cl.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	c := newCapture(t)
	c.add(&craft.IPv4{Src: cli, Dst: srv}, &craft.ICMP{Type: 8, ID: 7, Seq: 1})
	c.add(&craft.IPv4{Src: srv, Dst: cli}, &craft.ICMP{Type: 0, ID: 7, Seq: 1})
	for _, f := range run(t, Config{}, c.frames, 0) {
		cl.Write(f)
	}
	if err := cl.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	head := []string{"#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tconn",
		"#open\t2026-12-07-21-39-06"}
	if !slices.Equal(lines[:6], head) {
		t.Errorf("header %q, want %q", lines[:6], head)
	}
	fields, types := strings.Split(lines[6], "\t"), strings.Split(lines[7], "\t")
	if fields[0] != "#fields" || types[0] != "#types" || len(fields) != 22 || len(types) != 22 {
		t.Fatalf("#fields %q\n#types %q", fields, types)
	}
	rows := lines[8 : len(lines)-1]
	want := []string{
		"1796679546.937704\tC1\t127.0.0.1\t49282\t127.0.0.1\t18443\ttcp\tssl\t0.012301\t399\t5980\tSF\t-\t-\t-\tShADadFf\t10\t-\t7\t-\t-",
		"1796679546.981858\tC18\t127.0.0.1\t49296\t127.0.0.1\t18443\ttcp\tssl\t0.002406\t410\t5822\tSF\t-\t-\t-\tShADadfF\t10\t-\t9\t-\t-",
		"1796679547.013856\tC37\t127.0.0.1\t49308\t127.0.0.1\t18443\ttcp\tssl\t0.000442\t134\t7\tSF\t-\t-\t-\tShADadfF\t5\t-\t5\t-\t-",
		"1709294400.000000\tC1\t192.0.2.1\t8\t198.51.100.7\t0\ticmp\t-\t0.010000\t0\t0\tOTH\t-\t-\t-\tDd\t1\t-\t1\t-\t-",
	}
	if !slices.Equal(rows, want) {
		t.Errorf("rows:\n got %q\nwant %q", rows, want)
	}
	for _, r := range rows {
		if n := len(strings.Split(r, "\t")); n != len(fields)-1 {
			t.Errorf("%d columns, want %d: %q", n, len(fields)-1, r)
		}
	}
	if last := lines[len(lines)-1]; last != "#close\t2026-12-07-21-39-07" {
		t.Errorf("last line %q", last)
	}
}
