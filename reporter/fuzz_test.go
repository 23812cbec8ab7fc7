package reporter

import (
	"encoding/binary"
	"strconv"
	"testing"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reporter/reportertest"
)

// treeFromBytes builds an arbitrary (well-formed) Tree from fuzz input:
// each op byte adds a value of some kind, opens or closes a container.
// Object keys are unique within their object (duplicate keys are the
// decoder's bug to avoid, not the renderer's).
func treeFromBytes(t *decoder.Tree, in []byte) {
	t.Reset()
	take := func(n int) []byte {
		n = min(n, len(in))
		v := in[:n]
		in = in[n:]
		return v
	}
	var inArray []bool // per open container
	key := func(i int) string {
		if len(inArray) > 0 && inArray[len(inArray)-1] {
			return ""
		}
		return "k" + strconv.Itoa(i)
	}
	str := func() string {
		n := 0
		if len(in) > 0 {
			n = int(in[0]) % 64
			in = in[1:]
		}
		s := string(take(n))
		if s == "--" {
			s = "-x-" // the text format's container-item marker
		}
		return s
	}
	for i := 0; len(in) > 0 && len(t.Nodes) < 400; i++ {
		op := in[0] % 15
		in = in[1:]
		switch op {
		case 0, 1:
			if len(inArray) < 20 {
				if op == 0 {
					t.Object(key(i))
				} else {
					t.Array(key(i))
				}
				inArray = append(inArray, op == 1)
			}
		case 2:
			if len(inArray) > 0 {
				t.Close()
				inArray = inArray[:len(inArray)-1]
			}
		case 3:
			t.Null(key(i))
		case 4:
			t.Bool(key(i), len(in) > 0 && in[0]&1 == 1)
		case 5:
			var b [8]byte
			copy(b[:], take(8))
			t.Int(key(i), int64(binary.LittleEndian.Uint64(b[:])))
		case 6:
			var b [8]byte
			copy(b[:], take(8))
			t.Uint(key(i), binary.LittleEndian.Uint64(b[:]))
		case 7:
			t.String(key(i), str())
		case 8:
			t.Bytes(key(i), []byte(str()))
		case 9:
			t.IPv4(key(i), append([]byte(nil), take(4)...))
		case 10:
			t.IPv6(key(i), append([]byte(nil), take(16)...))
		case 11:
			t.MAC(key(i), []byte(str()))
		case 12:
			t.Enum(key(i), uint64(len(in)), str())
		case 13:
			var b [8]byte
			copy(b[:], take(8))
			sec := int64(binary.LittleEndian.Uint64(b[:])) >> 20 // about ±280,000 years
			t.Time(key(i), sec, uint32(len(in))*7919%1e9, uint8(len(in)%12))
		case 14:
			t.String(key(i), "")
		}
	}
	for range inArray {
		t.Close()
	}
}

// FuzzRender renders arbitrary trees in the three formats: JSON must parse
// with encoding/json, plist with howett.net/plist, and the three must carry
// the same facts.
func FuzzRender(f *testing.F) {
	f.Add([]byte{0, 7, 5, 'h', 'e', 'l', 'l', 'o', 1, 6, 1, 2, 3, 4, 5, 6, 7, 8, 2, 2})
	f.Add([]byte{1, 0, 3, 4, 1, 2, 2, 8, 40, 9, 1, 2, 3, 4, 10, 0xfe, 0x80})
	f.Add([]byte{13, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 12, 3, 0xff, 'a', '<'})
	f.Fuzz(func(t *testing.T, in []byte) {
		var tree decoder.Tree
		treeFromBytes(&tree, in)
		name := func(*decoder.Tree) string { return "Block" }
		j := renderTree(t, JSON, &tree, name)
		p := renderTree(t, Plist, &tree, name)
		x := renderTree(t, Text, &tree, name)
		if err := reportertest.SameFacts(j, p); err != nil {
			t.Fatalf("JSON vs plist: %v\n%s\n%s", err, j, p)
		}
		if err := reportertest.TextSameFacts(x, j); err != nil {
			t.Fatalf("text vs JSON: %v\n%s\n%s", err, x, j)
		}
	})
}
