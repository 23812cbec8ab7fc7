// Package reportertest checks reports for tests: it parses JSON reports
// with encoding/json and plist reports with howett.net/plist, and compares
// the two to show that they carry the same facts.
package reportertest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"howett.net/plist"
)

// ParseJSON parses a JSON report strictly: one value, nothing after it,
// numbers kept exact (json.Number).
func ParseJSON(doc []byte) (map[string]any, error) {
	if !json.Valid(doc) {
		return nil, fmt.Errorf("invalid JSON")
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v map[string]any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("parse JSON: %w", err)
	}
	if d.More() {
		return nil, fmt.Errorf("parse JSON: data after the top-level object")
	}
	if err := duplicateKeys(doc); err != nil {
		return nil, err
	}
	return v, nil
}

// duplicateKeys reports the first object that holds a key twice: valid
// JSON syntax, but a parser keeps one of the values and the fact is lost.
func duplicateKeys(doc []byte) error {
	d := json.NewDecoder(bytes.NewReader(doc))
	type frame struct {
		object bool
		keys   map[string]bool
		path   string
		expect bool // next string token in an object is a key
	}
	var stack []*frame
	path := ""
	for {
		tok, err := d.Token()
		if err != nil {
			return nil // EOF (syntax was checked before)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		isKey := top != nil && top.object && top.expect
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.object {
					top.expect = true
				}
				stack = append(stack, &frame{object: v == '{', keys: map[string]bool{}, path: path, expect: true})
			default:
				stack = stack[:len(stack)-1]
				if len(stack) > 0 {
					path = stack[len(stack)-1].path
				}
			}
			continue
		case string:
			if isKey {
				if top.keys[v] {
					return fmt.Errorf("parse JSON: duplicate key %q in %s", v, top.path+"/")
				}
				top.keys[v] = true
				top.expect = false
				path = top.path + "/" + v
				continue
			}
		}
		if top != nil && top.object {
			top.expect = true
		}
	}
}

// ParsePlist parses an XML plist report and checks that it is one.
func ParsePlist(doc []byte) (map[string]any, error) {
	var v map[string]any
	format, err := plist.Unmarshal(doc, &v)
	if err != nil {
		return nil, fmt.Errorf("parse plist: %w", err)
	}
	if format != plist.XMLFormat {
		return nil, fmt.Errorf("parse plist: format %d, want XML", format)
	}
	return v, nil
}

// SameFacts parses a JSON and a plist report of the same capture and
// reports the first difference between them, or nil. The mapping between
// the two is the reporter's: bytes are hex in JSON and <data> in plist;
// times are RFC 3339 strings in JSON and <date> (whole seconds) in plist;
// JSON null members are absent from plist dicts (and are "" in arrays);
// characters XML 1.0 forbids are absent from plist strings.
func SameFacts(jsonDoc, plistDoc []byte) error {
	j, err := ParseJSON(jsonDoc)
	if err != nil {
		return err
	}
	p, err := ParsePlist(plistDoc)
	if err != nil {
		return err
	}
	return compare("", j, p)
}

func compare(path string, j, p any) error {
	switch pv := p.(type) {
	case map[string]any:
		jv, ok := j.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: plist has a dict, JSON has %T", path, j)
		}
		for _, k := range sortedKeys(jv) {
			if jv[k] == nil {
				if _, ok := pv[k]; ok {
					return fmt.Errorf("%s/%s: JSON null but present in plist", path, k)
				}
				continue
			}
			pk, ok := pv[k]
			if !ok {
				return fmt.Errorf("%s/%s: missing from plist", path, k)
			}
			if err := compare(path+"/"+k, jv[k], pk); err != nil {
				return err
			}
		}
		for _, k := range sortedKeys(pv) {
			if _, ok := jv[k]; !ok {
				return fmt.Errorf("%s/%s: missing from JSON", path, k)
			}
		}
		return nil
	case []any:
		jv, ok := j.([]any)
		if !ok {
			return fmt.Errorf("%s: plist has an array, JSON has %T", path, j)
		}
		if len(jv) != len(pv) {
			return fmt.Errorf("%s: %d items in JSON, %d in plist", path, len(jv), len(pv))
		}
		for i := range jv {
			ji := jv[i]
			if ji == nil {
				ji = "" // a null array item is an empty string in plist
			}
			if err := compare(fmt.Sprintf("%s[%d]", path, i), ji, pv[i]); err != nil {
				return err
			}
		}
		return nil
	case []byte:
		js, ok := j.(string)
		if !ok {
			return fmt.Errorf("%s: plist has data, JSON has %T", path, j)
		}
		if got := hex.EncodeToString(pv); got != js {
			return fmt.Errorf("%s: JSON hex %q, plist data %q", path, js, got)
		}
		return nil
	case time.Time:
		js, ok := j.(string)
		if !ok {
			return fmt.Errorf("%s: plist has a date, JSON has %T", path, j)
		}
		jt, err := time.Parse(time.RFC3339Nano, js)
		if err != nil {
			return fmt.Errorf("%s: JSON time %q: %v", path, js, err)
		}
		if !jt.Truncate(time.Second).Equal(pv) {
			return fmt.Errorf("%s: JSON time %s, plist date %s", path, js, pv.Format(time.RFC3339))
		}
		return nil
	case bool:
		if jv, ok := j.(bool); !ok || jv != pv {
			return fmt.Errorf("%s: JSON %v, plist %v", path, j, pv)
		}
		return nil
	case string:
		if jv, ok := j.(string); !ok || xmlChars(jv) != pv {
			return fmt.Errorf("%s: JSON %#v, plist %q", path, j, pv)
		}
		return nil
	case uint64, int64:
		jn, ok := j.(json.Number)
		if !ok {
			return fmt.Errorf("%s: plist integer %v, JSON %T", path, pv, j)
		}
		want, ok1 := new(big.Int).SetString(jn.String(), 10)
		got, _ := new(big.Int).SetString(fmt.Sprint(pv), 10)
		if !ok1 || want.Cmp(got) != 0 {
			return fmt.Errorf("%s: JSON %s, plist %v", path, jn, pv)
		}
		return nil
	}
	return fmt.Errorf("%s: unexpected plist value %T", path, p)
}

// xmlChars leaves out of s the characters XML 1.0 forbids, as the plist
// renderer does.
func xmlChars(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Keys returns the member names of the top-level object of a JSON report,
// in document order (maps lose it).
func Keys(jsonDoc []byte) ([]string, error) {
	d := json.NewDecoder(bytes.NewReader(jsonDoc))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("report is not a JSON object")
	}
	var keys []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// TextBlocks returns the block names of a tree text report, in order: the
// lines that start at column 0.
func TextBlocks(text []byte) []string {
	var names []string
	for _, line := range strings.Split(string(text), "\n") {
		if line != "" && line[0] != ' ' {
			names = append(names, line)
		}
	}
	return names
}
