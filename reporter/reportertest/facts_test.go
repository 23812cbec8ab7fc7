package reportertest

import (
	"strings"
	"testing"
)

func TestDuplicateKeys(t *testing.T) {
	for doc, want := range map[string]string{
		`{"a": {"x": 1, "y": [ {"x": 1}, {"x": 2} ], "z": {"x": 3}}}`:   "",
		`{"a": {"x": 1, "x": 2}}`:                                       `duplicate key "x"`,
		`{"a": [ {"k": 1, "k": 2} ]}`:                                   `duplicate key "k"`,
		`{"a": 1, "b": {"a": 2}, "a": 3}`:                               `duplicate key "a"`,
		`{"s": "x", "t": ["x", "x"], "u": {"x": "x"}, "v": {"x": "y"}}`: "",
	} {
		_, err := ParseJSON([]byte(doc))
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: error %v, want %q", doc, err, want)
		}
	}
}

func TestSameFactsDetectsDifferences(t *testing.T) {
	const plistHead = `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0">`
	good := plistHead + `<dict><key>B</key><dict><key>n</key><integer>1</integer><key>d</key><data>AQI=</data></dict></dict></plist>`
	if err := SameFacts([]byte(`{"B": {"n": 1, "d": "0102", "z": null}}`), []byte(good)); err != nil {
		t.Errorf("equal reports: %v", err)
	}
	for _, j := range []string{
		`{"B": {"n": 2, "d": "0102"}}`,
		`{"B": {"n": 1, "d": "0103"}}`,
		`{"B": {"n": 1}}`,
		`{"B": {"n": 1, "d": "0102", "e": 1}}`,
	} {
		if err := SameFacts([]byte(j), []byte(good)); err == nil {
			t.Errorf("%s: difference not found", j)
		}
	}
}

func TestTextSameFacts(t *testing.T) {
	j := `{"B": {"n": 1, "s": "a b", "o": {"x": true}, "a": [1, "two"], "e": {}}}`
	text := "B\n  |-- n -> 1\n  |-- s -> a b\n  |-- o\n  |     |-- x -> true\n  |-- a\n  |     |--> 1\n  |     |--> two\n  |-- e -> {}\n"
	if err := TextSameFacts([]byte(text), []byte(j)); err != nil {
		t.Errorf("equal reports: %v", err)
	}
	for _, bad := range []string{
		strings.Replace(text, "n -> 1", "n -> 2", 1),
		strings.Replace(text, "x -> true", "x -> false", 1),
		strings.Replace(text, "  |     |--> two\n", "", 1),
		strings.Replace(text, "  |-- e -> {}\n", "", 1),
	} {
		if err := TextSameFacts([]byte(bad), []byte(j)); err == nil {
			t.Errorf("difference not found in:\n%s", bad)
		}
	}
}
