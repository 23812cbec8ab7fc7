package bus

import (
	"bytes"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/decoder"
)

func sampleTree() *decoder.Tree {
	t := &decoder.Tree{}
	t.Time("time", 1700000000, 123456000, 6)
	t.Uint("len", 60)
	t.Int("delta", -5)
	t.Int("zero", 0)
	t.String("protocols", "Ethernet:IPv4:TCP")
	t.Object("ethernet")
	t.MAC("dst", []byte{0, 1, 2, 0xaa, 0xbb, 0xcc})
	t.Enum("type", 0x0800, "IPv4")
	t.Object("ipv4")
	t.IPv4("src", []byte{10, 0, 0, 1})
	t.IPv6("dst", []byte{0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	t.Bool("df", true)
	t.Null("opt")
	t.Array("flags")
	t.String("", "syn")
	t.Uint("", 7)
	t.Object("")
	t.Close()
	t.Close()
	t.Enum("proto", 253, "")
	t.Bytes("payload", []byte{1, 2, 3})
	t.Bytes("empty", nil)
	t.Close()
	t.Close()
	return t
}

func TestTreeRoundTrip(t *testing.T) {
	in := sampleTree()
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	if err := EncodeTree(e, in); err != nil {
		t.Fatal(err)
	}
	out := &decoder.Tree{}
	if err := DecodeTree(msgpack.NewDecoder(bytes.NewReader(buf.Bytes())), out); err != nil {
		t.Fatal(err)
	}
	if len(out.Nodes) != len(in.Nodes) {
		t.Fatalf("got %d nodes, want %d", len(out.Nodes), len(in.Nodes))
	}
	for i := range in.Nodes {
		a, b := in.Nodes[i], out.Nodes[i]
		want := a
		switch a.Kind {
		case decoder.KindIPv4, decoder.KindIPv6, decoder.KindMAC, decoder.KindEnum:
			var wt decoder.Tree
			wt.String(a.Key(), string(AppendRendered(nil, &a)))
			want = wt.Nodes[0]
			want.End = a.End
		}
		if b.Key() != want.Key() || b.Kind != want.Kind || b.Num != want.Num || b.Str() != want.Str() ||
			!bytes.Equal(b.Bin(), want.Bin()) || b.Nsec() != want.Nsec() || b.Digits != want.Digits || b.End != want.End {
			t.Errorf("node %d: got %+v, want %+v", i, b, want)
		}
	}
	for _, c := range []struct {
		path []string
		want string
	}{
		{[]string{"ethernet", "dst"}, "00:01:02:aa:bb:cc"},
		{[]string{"ethernet", "type"}, "IPv4 [2048]"},
		{[]string{"ethernet", "ipv4", "src"}, "10.0.0.1"},
		{[]string{"ethernet", "ipv4", "dst"}, "2001:db8::1"},
		{[]string{"ethernet", "ipv4", "proto"}, "Unknown [253]"},
	} {
		if n := out.Lookup(c.path...); n == nil || n.Str() != c.want {
			t.Errorf("%v: got %+v, want %q", c.path, n, c.want)
		}
	}
	// Encoding the decoded tree gives the same bytes: the encoding is a
	// fixed point, which is what lets a reporter downstream render the
	// same output.
	var buf2 bytes.Buffer
	if err := EncodeTree(msgpack.NewEncoder(&buf2), out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Errorf("re-encoding differs")
	}
}

func TestDecodeTreeRejectsGarbage(t *testing.T) {
	for _, in := range [][]byte{
		{0x81, 0xa1, 'a', 0xca, 0, 0, 0, 0}, // float
		{0x81, 0xa1, 'a', 0xd4, 5, 0},       // unknown ext
		{0x81, 0xa1, 'a'},                   // truncated
		{0x81, 0x01, 0x01},                  // non-string key
		{0xdf, 0xff, 0xff, 0xff, 0xff},      // huge map, no content
	} {
		if err := DecodeTree(msgpack.NewDecoder(bytes.NewReader(in)), &decoder.Tree{}); err == nil {
			t.Errorf("%x: no error", in)
		}
	}
}

func FuzzDecodeTree(f *testing.F) {
	var buf bytes.Buffer
	_ = EncodeTree(msgpack.NewEncoder(&buf), sampleTree())
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		tr := &decoder.Tree{}
		if err := DecodeTree(msgpack.NewDecoder(bytes.NewReader(b)), tr); err != nil {
			return
		}
		var out bytes.Buffer
		if err := EncodeTree(msgpack.NewEncoder(&out), tr); err != nil {
			t.Fatalf("re-encode a decoded tree: %v", err)
		}
	})
}

// TestEncodeLayerFields: a layer's event fields are its own fields, without
// the object of the layer it carries; the innermost layer keeps all of its
// object.
func TestEncodeLayerFields(t *testing.T) {
	tree := sampleTree()
	p := &decoder.Packet{N: 2}
	p.Layers[0].Proto = decoder.ProtoEthernet
	p.Layers[1].Proto = decoder.ProtoIPv4
	fields := func(n int) map[string]any {
		var buf bytes.Buffer
		if err := EncodeLayerFields(msgpack.NewEncoder(&buf), tree, p, n); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := msgpack.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	eth := fields(0)
	if len(eth) != 2 || eth["dst"] != "00:01:02:aa:bb:cc" || eth["type"] != "IPv4 [2048]" || eth["ipv4"] != nil {
		t.Fatalf("ethernet fields %v", eth)
	}
	ip := fields(1)
	if len(ip) != 8 || ip["src"] != "10.0.0.1" || ip["payload"] == nil {
		t.Fatalf("ipv4 fields %v", ip)
	}
	if m := fields(2); m != nil {
		t.Fatalf("a layer past the packet has fields %v", m)
	}
	// A layer whose object is missing is nil, not an error.
	p.Layers[1].Proto = decoder.ProtoIPv6
	if m := fields(1); m != nil {
		t.Fatalf("missing layer object gave %v", m)
	}
	if eth := fields(0); len(eth) != 3 {
		t.Fatalf("ethernet without a nested ipv6 object: %v", eth)
	}
}
