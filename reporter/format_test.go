package reporter

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// The fast formatters must agree with the standard library's (the report
// bytes depend on it): these tests compare them value by value.

func TestAppendUintInt(t *testing.T) {
	vals := []uint64{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 9999, 10000, 10001, 65535, 99999, 100000,
		1<<31 - 1, 1 << 32, 1e15 - 1, 1e15, math.MaxInt64, math.MaxUint64 - 1, math.MaxUint64}
	for p := uint64(1); p < 1e19; p *= 10 {
		vals = append(vals, p-1, p, p+1)
	}
	for _, v := range vals {
		if got, want := string(appendUint([]byte("x"), v)), "x"+strconv.FormatUint(v, 10); got != want {
			t.Errorf("appendUint(%d) = %q, want %q", v, got, want)
		}
		i := int64(v)
		if got, want := string(appendInt(nil, i)), strconv.FormatInt(i, 10); got != want {
			t.Errorf("appendInt(%d) = %q, want %q", i, got, want)
		}
		if got, want := string(appendInt(nil, -i)), strconv.FormatInt(-i, 10); got != want {
			t.Errorf("appendInt(%d) = %q, want %q", -i, got, want)
		}
	}
	if got := string(appendInt(nil, math.MinInt64)); got != "-9223372036854775808" {
		t.Errorf("appendInt(MinInt64) = %q", got)
	}
}

func TestAppendHex(t *testing.T) {
	all := make([]byte, 256+19)
	for i := range all {
		all[i] = byte(i * 7)
	}
	for i := range 256 {
		all[i] = byte(i)
	}
	for n := 0; n <= len(all); n++ {
		for _, off := range []int{0, 1, 3} {
			if off > n {
				continue
			}
			v := all[off:n]
			if got, want := string(appendHex([]byte("p"), v)), "p"+hex.EncodeToString(v); got != want {
				t.Fatalf("appendHex(% x)\n got %q\nwant %q", v, got, want)
			}
		}
	}
}

func TestAppendMACAndIP(t *testing.T) {
	for n := 0; n <= 20; n++ {
		v := make([]byte, n)
		for i := range v {
			v[i] = byte(0xf0 + 3*i)
		}
		parts := make([]string, n)
		for i, c := range v {
			parts[i] = fmt.Sprintf("%02x", c)
		}
		if got, want := string(appendMAC([]byte("m"), v)), "m"+strings.Join(parts, ":"); got != want {
			t.Errorf("appendMAC(% x) = %q, want %q", v, got, want)
		}
	}
	for _, a := range []string{"0.0.0.0", "255.255.255.255", "10.1.2.3", "192.168.100.9", "1.20.200.0"} {
		ip := netip.MustParseAddr(a).As4()
		if got := string(appendIP([]byte("i"), ip[:])); got != "i"+a {
			t.Errorf("appendIP(%s) = %q", a, got)
		}
	}
	for _, a := range []string{"::", "::1", "fe80::1", "2001:db8::8:800:200c:417a", "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8"} {
		ip := netip.MustParseAddr(a).As16()
		if got := string(appendIP(nil, ip[:])); got != a {
			t.Errorf("appendIP(%s) = %q", a, got)
		}
	}
}

// jsonCharsRef is the byte-at-a-time definition of a JSON string's
// contents, which appendJSONString's fast path must match.
func jsonCharsRef(s string) string { return string(appendJSONChars(nil, s)) }

func TestAppendJSONString(t *testing.T) {
	special := []string{"\"", "\\", "\x00", "\x1f", "\n", "\t", " ", "~", "\x7f", "\x80", "\xff", "é", "\uFFFD", "✓", "\xe2\x9c"}
	for _, sp := range special {
		for pos := 0; pos <= 17; pos++ {
			s := strings.Repeat("a", pos) + sp + strings.Repeat("b", 17-pos)
			got := string(appendJSONString([]byte("<"), s))
			if want := "<\"" + jsonCharsRef(s) + "\""; got != want {
				t.Errorf("appendJSONString(%q) = %q, want %q", s, got, want)
			}
			var back string
			if err := json.Unmarshal([]byte(got[1:]), &back); err != nil {
				t.Errorf("appendJSONString(%q) = %q: %v", s, got, err)
			} else if want := replaceInvalid(s); back != want {
				t.Errorf("appendJSONString(%q) decodes to %q, want %q", s, back, want)
			}
		}
	}
	// Every byte value at every position of a word.
	for c := range 256 {
		for pos := range 8 {
			b := []byte("abcdefghij")
			b[pos] = byte(c)
			want := pos
			if jsonSafe[c] {
				want = len(b)
			}
			if got := jsonSafePrefix(string(b)); got != want {
				t.Fatalf("jsonSafePrefix(%q) = %d, want %d", b, got, want)
			}
		}
	}
}

func FuzzFormat(f *testing.F) {
	f.Add([]byte("plain key"), uint64(12345))
	f.Add([]byte("\x00\"\\\xff\xe2\x9c\x93 tail of a long string"), uint64(math.MaxUint64))
	f.Fuzz(func(t *testing.T, b []byte, v uint64) {
		s := string(b)
		if got, want := string(appendJSONString(nil, s)), "\""+jsonCharsRef(s)+"\""; got != want {
			t.Errorf("appendJSONString(%q) = %q, want %q", s, got, want)
		}
		if got, want := string(appendHex(nil, b)), hex.EncodeToString(b); got != want {
			t.Errorf("appendHex(%x) = %q", b, got)
		}
		if got, want := string(appendUint(nil, v)), strconv.FormatUint(v, 10); got != want {
			t.Errorf("appendUint(%d) = %q", v, got)
		}
	})
}
