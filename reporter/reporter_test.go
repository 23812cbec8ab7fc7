package reporter

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reporter/reportertest"
	"howett.net/plist"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// kindsTree builds a block with every Kind, nesting, empty containers and
// awkward strings.
func kindsTree(t *decoder.Tree) {
	t.Reset()
	t.Object("scalars")
	t.Bool("yes", true)
	t.Bool("no", false)
	t.Int("neg", -42)
	t.Int("min", -9223372036854775808)
	t.Uint("max", 18446744073709551615)
	t.Uint("zero", 0)
	t.String("text", "hello, world")
	t.String("empty", "")
	t.Null("nothing")
	t.Close()
	t.Object("addresses")
	t.IPv4("v4", []byte{192, 0, 2, 1})
	t.IPv6("v6", []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	t.IPv6("mapped", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1})
	t.IPv6("zeros", []byte{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xa6, 0x87, 0xf9, 0x27, 0x93, 0x16, 0xee})
	t.MAC("mac", []byte{0x40, 0x33, 0x1a, 0xd1, 0x85, 0x1c})
	t.Close()
	t.Enum("type", 34525, "IPv6")
	t.Enum("unknown", 7, "")
	t.Enum("long_enum", 3, "A rather long enumeration name that wraps around")
	t.Time("time_us", 1511106545, 471719000, 6)
	t.Time("time_ns", 1511106545, 471719123, 9)
	t.Time("time_s", 0, 0, 0)
	t.Time("time_neg", -1, 500000000, 3)
	t.Time("time_far", 1<<40, 5, 9)
	t.Bytes("short", []byte{0x87, 0x00, 0x0e, 0xaa})
	t.Bytes("sixteen", bytes.Repeat([]byte{0xab}, 16))
	t.Bytes("long", []byte("0123456789abcdefghijklmnopqrstuvwxyz!"))
	t.Bytes("nobytes", nil)
	t.String("quote", "say \"hi\" \\ <tag> & 'x'\r\n\tend")
	t.String("control", "a\x00b\x01c\x1fd\x7fe")
	t.String("invalid_utf8", "ok\xff\xfe\xc3(bad)")
	t.String("unicode", "héllo wörld ✓ \uFFFE")
	t.String("long_text", "The quick brown fox jumps over the lazy dog and keeps running far away")
	t.String("long_word", "Supercalifragilisticexpialidocious_and_then_some_more_characters")
	t.Object("empty_object")
	t.Close()
	t.Array("empty_array")
	t.Close()
	t.Array("list")
	t.Uint("", 1)
	t.String("", "two")
	t.Null("")
	t.String("", "an array item that is long enough to be wrapped over lines")
	t.Bytes("", bytes.Repeat([]byte{1, 2, 3}, 7))
	t.Object("")
	t.Uint("a", 1)
	t.Array("inner")
	t.Bool("", true)
	t.Close()
	t.Close()
	t.Object("")
	t.String("last", "item")
	t.Close()
	t.Close()
	t.Object("nested")
	t.Object("deeper")
	t.Object("deepest")
	t.String("k", "v")
	t.Close()
	t.Uint("after", 1)
	t.Close()
	t.Close()
}

// render writes the given blocks in format f and returns the document.
func render(tb testing.TB, f Format, blocks ...func(*decoder.Tree) string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, f)
	var tree decoder.Tree
	for _, b := range blocks {
		name := b(&tree)
		if err := w.Block(name, &tree); err != nil {
			tb.Fatalf("Block(%q): %v", name, err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

func kindsBlock(t *decoder.Tree) string { kindsTree(t); return "Kinds" }
func emptyBlock(t *decoder.Tree) string { t.Reset(); return "Empty" }

var formats = []Format{JSON, Plist, Text}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\n%s", name, firstDiff(want, got))
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\n-want " + w + "\n+got  " + g
		}
	}
	return "(same lines)"
}

func itoa(i int) string { return string(FrameName(nil, uint64(i))[len("Frame "):]) }

func TestGoldenKinds(t *testing.T) {
	for _, f := range formats {
		t.Run(f.String(), func(t *testing.T) {
			golden(t, "kinds"+f.Ext(), render(t, f, kindsBlock, emptyBlock, kindsBlock))
		})
	}
}

func TestValidAndSameFacts(t *testing.T) {
	j := render(t, JSON, kindsBlock, emptyBlock)
	p := render(t, Plist, kindsBlock, emptyBlock)
	if err := reportertest.SameFacts(j, p); err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(j) || !utf8.Valid(p) {
		t.Fatal("report is not valid UTF-8")
	}
	keys, err := reportertest.Keys(j)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "Kinds,Empty" {
		t.Errorf("JSON block order %v", keys)
	}
	text := render(t, Text, kindsBlock, emptyBlock)
	if err := reportertest.TextSameFacts(text, j); err != nil {
		t.Error(err)
	}
	if got := reportertest.TextBlocks(text); strings.Join(got, ",") != "Kinds,Empty -> {}" {
		t.Errorf("text blocks %q", got)
	}
	if !utf8.Valid(text) {
		t.Error("text report is not valid UTF-8")
	}
}

func TestJSONValues(t *testing.T) {
	doc, err := reportertest.ParseJSON(render(t, JSON, kindsBlock))
	if err != nil {
		t.Fatal(err)
	}
	k := doc["Kinds"].(map[string]any)
	sc := k["scalars"].(map[string]any)
	ad := k["addresses"].(map[string]any)
	for _, c := range []struct {
		got  any
		want string
	}{
		{sc["neg"], "-42"},
		{sc["min"], "-9223372036854775808"},
		{sc["max"], "18446744073709551615"},
		{sc["nothing"], "<nil>"},
		{sc["yes"], "true"},
		{ad["v4"], "192.0.2.1"},
		{ad["v6"], "2001:db8::1"},
		{ad["mapped"], "::ffff:10.0.0.1"},
		{ad["zeros"], "fe80::a6:87f9:2793:16ee"},
		{ad["mac"], "40:33:1a:d1:85:1c"},
		{k["type"], "IPv6 [34525]"},
		{k["unknown"], "Unknown [7]"},
		{k["time_us"], "2017-11-19T15:49:05.471719Z"},
		{k["time_ns"], "2017-11-19T15:49:05.471719123Z"},
		{k["time_s"], "1970-01-01T00:00:00Z"},
		{k["time_neg"], "1969-12-31T23:59:59.500Z"},
		{k["short"], "87000eaa"},
		{k["nobytes"], ""},
		{k["quote"], "say \"hi\" \\ <tag> & 'x'\r\n\tend"},
		{k["control"], "a\x00b\x01c\x1fd\x7fe"},
		{k["invalid_utf8"], "ok\uFFFD\uFFFD\uFFFD(bad)"},
		{k["unicode"], "héllo wörld ✓ \uFFFE"},
	} {
		if got := stringOf(c.got); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func stringOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	return "?"
}

func TestPlistValues(t *testing.T) {
	doc, err := reportertest.ParsePlist(render(t, Plist, kindsBlock))
	if err != nil {
		t.Fatal(err)
	}
	k := doc["Kinds"].(map[string]any)
	sc := k["scalars"].(map[string]any)
	if _, ok := sc["nothing"]; ok {
		t.Error("null member present in plist dict")
	}
	if got := sc["max"]; got != uint64(18446744073709551615) {
		t.Errorf("max = %#v", got)
	}
	if got := sc["min"]; got != int64(-9223372036854775808) {
		t.Errorf("min = %#v", got)
	}
	if got := k["time_us"].(time.Time); !got.Equal(time.Unix(1511106545, 0)) {
		t.Errorf("time_us = %v", got)
	}
	if got := k["time_neg"].(time.Time); !got.Equal(time.Unix(-1, 0)) {
		t.Errorf("time_neg = %v", got)
	}
	if got := k["short"].([]byte); !bytes.Equal(got, []byte{0x87, 0, 0x0e, 0xaa}) {
		t.Errorf("short = %x", got)
	}
	// XML 1.0 forbids these characters: they are left out.
	if got := k["control"]; got != "abcd\x7fe" {
		t.Errorf("control = %q", got)
	}
	if got := k["quote"]; got != "say \"hi\" \\ <tag> & 'x'\r\n\tend" {
		t.Errorf("quote = %q", got)
	}
	if got := k["unicode"]; got != "héllo wörld ✓ " {
		t.Errorf("unicode = %q", got)
	}
	list := k["list"].([]any)
	if list[2] != "" {
		t.Errorf("null array item = %#v, want empty string", list[2])
	}
}

func TestTextLayout(t *testing.T) {
	var tree decoder.Tree
	tree.Object("outer")
	tree.Enum("type", 2048, "EtherType::Internet_Protocol_version_4")
	tree.Bytes("packet", bytes.Repeat([]byte{0xaa}, 20))
	tree.Close()
	tree.Array("items")
	tree.Bytes("", bytes.Repeat([]byte{0xbb}, 17))
	tree.Uint("", 4)
	tree.Close()
	tree.String("last", "x")
	var buf bytes.Buffer
	w := NewWriter(&buf, Text)
	if err := w.Block("Frame 1", &tree); err != nil {
		t.Fatal(err)
	}
	if err := w.Block("Frame 2", &tree); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	const block = `
  |-- outer
  |     |-- type
  |     |     |--> EtherType::Internet_Protocol_version_4
  |     |          [2048]
  |     |-- packet
  |           |--> aa aa aa aa aa aa aa aa aa aa aa aa aa aa aa aa
  |                aa aa aa aa
  |-- items
  |     |--> bb bb bb bb bb bb bb bb bb bb bb bb bb bb bb bb
  |     |    bb
  |     |--> 4
  |-- last -> x
`
	want := "Frame 1" + block + "\nFrame 2" + block
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// TestTextWrapAlignment checks that every continuation line of a wrapped
// value starts in the column of the value's first line, and that wrapped
// lines hold at most textWidth characters (hexPerLine bytes for hex).
func TestTextWrapAlignment(t *testing.T) {
	text := render(t, Text, kindsBlock)
	lines := strings.Split(string(text), "\n")
	wrapped := 0
	for i, l := range lines {
		j := strings.Index(l, "|--> ")
		if j < 0 {
			continue
		}
		col := j + len("|--> ")
		for k := i; k < len(lines); k++ {
			c := lines[k]
			if k > i {
				if strings.Contains(c, "|-") || c == "" {
					break
				}
				wrapped++
				if len(c) <= col || strings.Trim(c[:col], " |") != "" || c[col-1] != ' ' || c[col] == ' ' {
					t.Errorf("line %d not aligned with column %d: %q", k+1, col, c)
					continue
				}
			}
			v := c[col:]
			limit := textWidth
			if isHexLine(v) {
				limit = 3*hexPerLine - 1
			}
			if n := len([]rune(v)); n > limit {
				t.Errorf("line %d: %d characters: %q", k+1, n, c)
			}
		}
	}
	if wrapped < 6 {
		t.Errorf("only %d continuation lines checked", wrapped)
	}
}

func isHexLine(s string) bool {
	for i, c := range s {
		if i%3 == 2 && c != ' ' || i%3 != 2 && !strings.ContainsRune(hexDigits, c) {
			return false
		}
	}
	return true
}

func TestWrapText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{strings.Repeat("x", 40), strings.Repeat("x", 40)},
		{strings.Repeat("x", 41), strings.Repeat("x", 40) + "|x"},
		{"AppType::PORT_55232_tcp [unknown [55232 - tcp]]", "AppType::PORT_55232_tcp [unknown [55232|- tcp]]"},
		{"aaa " + strings.Repeat("b", 45), "aaa|" + strings.Repeat("b", 40) + "|bbbbb"},
		{"ééééééééééééééééééééééééééééééééééééééééé", "éééééééééééééééééééééééééééééééééééééééé|é"},
	} {
		var e textEncoder
		e.ctx = []byte(ctxSpaces)
		got := string(e.wrapText(nil, []byte(c.in), true))
		got = strings.TrimPrefix(got, "\n"+ctxSpaces+"  |--> ")
		got = strings.ReplaceAll(got, "\n"+ctxSpaces+"       ", "|")
		if got != c.want {
			t.Errorf("wrap %q:\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestEpochAndTime(t *testing.T) {
	for _, c := range []struct {
		sec        int64
		nsec       uint32
		digits     int
		epoch, rfc string
	}{
		{1511106545, 471719000, 6, "1511106545.471719", "2017-11-19T15:49:05.471719Z"},
		{1511106549, 913720000, 6, "1511106549.913720", "2017-11-19T15:49:09.913720Z"},
		{1, 5, 9, "1.000000005", "1970-01-01T00:00:01.000000005Z"},
		{0, 0, 0, "0", "1970-01-01T00:00:00Z"},
		{-1, 250000000, 3, "-0.750", "1969-12-31T23:59:59.250Z"},
		{-2, 0, 2, "-2.00", "1969-12-31T23:59:58.00Z"},
		{4102444800, 0, 1, "4102444800.0", "2100-01-01T00:00:00.0Z"},
	} {
		if got := string(appendEpoch(nil, c.sec, c.nsec, c.digits)); got != c.epoch {
			t.Errorf("epoch(%d,%d,%d) = %q, want %q", c.sec, c.nsec, c.digits, got, c.epoch)
		}
		got := string(appendTime(nil, c.sec, c.nsec, c.digits))
		if got != c.rfc {
			t.Errorf("time(%d,%d,%d) = %q, want %q", c.sec, c.nsec, c.digits, got, c.rfc)
		}
		if _, err := time.Parse(time.RFC3339Nano, got); err != nil {
			t.Errorf("%q is not RFC 3339: %v", got, err)
		}
	}
}

func TestOpenContainerRejected(t *testing.T) {
	var tree decoder.Tree
	tree.Object("open")
	for _, f := range formats {
		w := NewWriter(&bytes.Buffer{}, f)
		if err := w.Block("x", &tree); err == nil || !strings.Contains(err.Error(), "left open") {
			t.Errorf("%v: Block with an open container: %v", f, err)
		}
	}
}

func TestEmptyReport(t *testing.T) {
	for _, f := range formats {
		var buf bytes.Buffer
		w := NewWriter(&buf, f)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Block("late", &decoder.Tree{}); err != ErrClosed {
			t.Errorf("%v: Block after Close: %v", f, err)
		}
		switch f {
		case JSON:
			if _, err := reportertest.ParseJSON(buf.Bytes()); err != nil {
				t.Error(err)
			}
		case Plist:
			if _, err := reportertest.ParsePlist(buf.Bytes()); err != nil {
				t.Error(err)
			}
		case Text:
			if buf.Len() != 0 {
				t.Errorf("empty text report %q", buf.String())
			}
		}
	}
	w := NewWriter(&bytes.Buffer{}, Format(99))
	if err := w.Block("x", &decoder.Tree{}); err == nil {
		t.Error("unknown format accepted")
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, os.ErrClosed
}

func TestWriteErrorIsSticky(t *testing.T) {
	var tree decoder.Tree
	kindsTree(&tree)
	fw := &failWriter{}
	w := NewWriter(fw, JSON)
	var err error
	for i := 0; i < 200 && err == nil; i++ {
		err = w.Block("Kinds", &tree)
	}
	if err == nil {
		err = w.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "write report") {
		t.Fatalf("error = %v", err)
	}
	if w.Close() == nil || fw.n != 1 {
		t.Errorf("after a failed write: Close nil or %d writes", fw.n)
	}
}

// TestZeroAllocs guards the steady state: rendering a block allocates
// nothing in any format.
func TestZeroAllocs(t *testing.T) {
	var tree decoder.Tree
	kindsTree(&tree)
	for _, f := range formats {
		w := NewWriter(discard{}, f)
		w.Block("Kinds", &tree) // warm up buffers
		allocs := testing.AllocsPerRun(200, func() {
			if err := w.Block("Kinds", &tree); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%v: %.1f allocations per block, want 0", f, allocs)
		}
	}
}

// discard is io.Discard without its ReadFrom (irrelevant here) and with a
// concrete type, so escape analysis does not blame the sink.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestFilesWriter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	for _, f := range formats {
		fw, err := NewFilesWriter(dir, f)
		if err != nil {
			t.Fatal(err)
		}
		var tree decoder.Tree
		tree.String("h", "header")
		if err := fw.Header(HeaderName, &tree); err != nil {
			t.Fatal(err)
		}
		for i := uint64(1); i <= 3; i++ {
			kindsTree(&tree)
			if err := fw.Block(string(FrameName(nil, i)), &tree); err != nil {
				t.Fatal(err)
			}
		}
		if err := fw.Close(); err != nil {
			t.Fatal(err)
		}
		for i := uint64(1); i <= 3; i++ {
			name := filepath.Join(dir, string(FrameName(nil, i))+f.Ext())
			doc, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			// Each file equals a one-frame streamed report.
			want := render(t, f, func(t *decoder.Tree) string {
				t.Reset()
				t.String("h", "header")
				return HeaderName
			}, func(t *decoder.Tree) string { kindsTree(t); return string(FrameName(nil, i)) })
			if !bytes.Equal(doc, want) {
				t.Errorf("%s differs from the streamed document:\n%s", name, firstDiff(want, doc))
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 9 {
		t.Errorf("%d files, want 9", len(entries))
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), "..") {
			t.Errorf("bad file name %q", e.Name())
		}
	}
}

func TestAppendFileName(t *testing.T) {
	for in, want := range map[string]string{"Frame 1": "Frame 1", "a/b": "a_b", "..": "_", "": "_", "x\ny": "x_y"} {
		if got := string(appendFileName(nil, in)); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"json": JSON, "PLIST": Plist, "tree": Text, "text": Text, "txt": Text} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) succeeded")
	}
}

// FuzzStrings checks that any key or string value yields a valid JSON
// document and a valid plist holding the same text (up to the documented
// replacements).
func FuzzStrings(f *testing.F) {
	for _, s := range []string{"", "plain", "\x00\x01\r\n", "\xff\xfe", "<&>\"'", "\uFFFE\uFFFF", "é✓"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, key, val string) {
		if key == "e" || key == "a" {
			// The tree below already has these keys: a duplicate key is
			// the caller's error, and JSON parsers keep only one value.
			return
		}
		var tree decoder.Tree
		tree.String(key, val)
		tree.Enum("e", 1, val)
		tree.Array("a")
		tree.String("", val)
		tree.Close()
		block := func(t *decoder.Tree) string { return "B" }
		j := renderTree(t, JSON, &tree, block)
		var doc map[string]map[string]any
		if err := json.Unmarshal(j, &doc); err != nil {
			t.Fatalf("invalid JSON: %v\n%s", err, j)
		}
		if got, want := doc["B"][replaceInvalid(key)], replaceInvalid(val); got != want {
			t.Errorf("JSON value %q, want %q", got, want)
		}
		p := renderTree(t, Plist, &tree, block)
		var pdoc map[string]any
		if _, err := plist.Unmarshal(p, &pdoc); err != nil {
			t.Fatalf("invalid plist: %v\n%s", err, p)
		}
		tx := renderTree(t, Text, &tree, block)
		if !utf8.Valid(tx) {
			t.Errorf("text is not valid UTF-8: %q", tx)
		}
	})
}

// replaceInvalid replaces every byte that is not part of valid UTF-8 by
// U+FFFD, one replacement per byte (strings.ToValidUTF8 would collapse
// runs).
func replaceInvalid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func renderTree(tb testing.TB, f Format, tree *decoder.Tree, name func(*decoder.Tree) string) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf, f)
	if err := w.Block(name(tree), tree); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
