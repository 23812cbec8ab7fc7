package reportertest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// textNode is one line of a tree text report with what nests under it.
type textNode struct {
	key      string
	named    bool     // "|-- key" (else an array item "|-->")
	scalar   *string  // the value after "->" on the same line
	lines    []string // a wrapped value: its lines
	children []*textNode
	depth    int
}

// parseText parses a tree text report into its blocks, in order. It knows
// the layout only from the markers: members "|-- key[ -> value]", items
// "|--> value" ("|--> --" for a container item), continuation lines of a
// wrapped value aligned with the value's first line.
func parseText(text []byte) ([]*textNode, error) {
	var blocks []*textNode
	var stack []*textNode // stack[d] is the node whose children are at depth d
	wrapCol := -1         // text column of the value being wrapped
	var wrapping *textNode
	for n, line := range strings.Split(string(text), "\n") {
		if line == "" {
			wrapCol = -1
			continue
		}
		if line[0] != ' ' { // a block name
			name, val, ok := strings.Cut(line, " -> ")
			b := &textNode{key: name, named: true, depth: -1}
			if ok {
				b.scalar = &val
			}
			blocks = append(blocks, b)
			stack = []*textNode{b}
			wrapCol = -1
			continue
		}
		if wrapCol > 0 && len(line) > wrapCol && strings.Trim(line[:wrapCol], " |") == "" && line[wrapCol] != ' ' {
			wrapping.lines = append(wrapping.lines, line[wrapCol:])
			continue
		}
		wrapCol = -1
		p := strings.IndexFunc(line, func(r rune) bool { return r != ' ' && r != '|' })
		if p < 3 || line[p-1] != '|' || (p-3)%6 != 0 || !strings.HasPrefix(line[p:], "--") {
			return nil, fmt.Errorf("line %d: no member or item marker: %q", n+1, line)
		}
		depth := (p - 3) / 6
		if depth >= len(stack) {
			return nil, fmt.Errorf("line %d: nested too deep: %q", n+1, line)
		}
		parent := stack[depth]
		node := &textNode{depth: depth}
		rest := line[p:]
		switch {
		case strings.HasPrefix(rest, "--> "):
			v := rest[len("--> "):]
			if v != "--" {
				node.lines = []string{v}
				wrapCol, wrapping = p+len("--> "), node
			}
		case strings.HasPrefix(rest, "-- "):
			node.named = true
			key, val, ok := strings.Cut(rest[len("-- "):], " -> ")
			node.key = key
			if ok {
				node.scalar = &val
			}
		default:
			return nil, fmt.Errorf("line %d: bad marker: %q", n+1, line)
		}
		parent.children = append(parent.children, node)
		stack = append(stack[:depth+1], node)
	}
	return blocks, nil
}

// TextSameFacts parses a tree text report and the JSON report of the same
// capture and reports the first fact on which they differ. Text and JSON
// values are compared without white space (text wraps long values and
// turns control characters into spaces or \xNN).
func TextSameFacts(text, jsonDoc []byte) error {
	blocks, err := parseText(text)
	if err != nil {
		return err
	}
	keys, err := Keys(jsonDoc)
	if err != nil {
		return err
	}
	j, err := ParseJSON(jsonDoc)
	if err != nil {
		return err
	}
	if len(keys) != len(blocks) {
		return fmt.Errorf("%d text blocks, %d JSON blocks", len(blocks), len(keys))
	}
	for i, b := range blocks {
		if b.key != keys[i] {
			return fmt.Errorf("block %d: text %q, JSON %q", i+1, b.key, keys[i])
		}
		if err := compareText(b.key, b, j[keys[i]]); err != nil {
			return err
		}
	}
	return nil
}

// compareText compares the value of text node t with the JSON value j.
func compareText(path string, t *textNode, j any) error {
	switch jv := j.(type) {
	case map[string]any:
		if len(jv) == 0 {
			return scalarIs(path, t, "{}")
		}
		seen := map[string]bool{}
		for _, c := range t.children {
			if !c.named {
				return fmt.Errorf("%s: array item where JSON has an object", path)
			}
			cj, ok := jv[c.key]
			if !ok {
				return fmt.Errorf("%s/%s: in text, not in JSON", path, c.key)
			}
			if seen[c.key] {
				return fmt.Errorf("%s: duplicate key %q", path, c.key)
			}
			seen[c.key] = true
			if err := compareText(path+"/"+c.key, c, cj); err != nil {
				return err
			}
		}
		if len(seen) != len(jv) {
			return fmt.Errorf("%s: %d members in text, %d in JSON", path, len(seen), len(jv))
		}
		return nil
	case []any:
		if len(jv) == 0 {
			return scalarIs(path, t, "[]")
		}
		if len(t.children) != len(jv) {
			return fmt.Errorf("%s: %d items in text, %d in JSON", path, len(t.children), len(jv))
		}
		for i, c := range t.children {
			if c.named {
				return fmt.Errorf("%s[%d]: member where JSON has an item", path, i)
			}
			if err := compareText(fmt.Sprintf("%s[%d]", path, i), c, jv[i]); err != nil {
				return err
			}
		}
		return nil
	}
	// A scalar: on the member's line, as the lines of an item, or wrapped
	// as the single item under a member.
	var got string
	switch {
	case t.scalar != nil:
		got = *t.scalar
	case t.lines != nil:
		got = strings.Join(t.lines, "")
	case len(t.children) == 1 && !t.children[0].named && t.children[0].lines != nil:
		got = strings.Join(t.children[0].lines, "")
	default:
		return fmt.Errorf("%s: no value in text for JSON %v", path, j)
	}
	var want string
	switch jv := j.(type) {
	case nil:
		want = "NIL"
	case bool:
		want = fmt.Sprint(jv)
	case json.Number:
		want = jv.String()
	case string:
		want = textClean(jv)
		if want == "" {
			want = `""`
		}
	default:
		return fmt.Errorf("%s: unexpected JSON value %T", path, j)
	}
	if noSpace(got) != noSpace(want) {
		return fmt.Errorf("%s: text %q, JSON %q", path, got, want)
	}
	return nil
}

func scalarIs(path string, t *textNode, want string) error {
	got := strings.Join(t.lines, "")
	if t.scalar != nil {
		got = *t.scalar
	}
	if got != want || len(t.children) > 0 {
		return fmt.Errorf("%s: text does not show an empty container %s", path, want)
	}
	return nil
}

// textClean applies the text renderer's replacements: white space controls
// become spaces, other controls \xNN.
func textClean(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func noSpace(s string) string { return strings.ReplaceAll(s, " ", "") }
