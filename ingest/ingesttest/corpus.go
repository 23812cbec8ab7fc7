// Package ingesttest holds what the project's tests share about captures:
// where the public test corpus (../shared/corpus beside the repository) is.
package ingesttest

import (
	"os"
	"path/filepath"
	"testing"
)

// CorpusDir returns the shared corpus directory (raw/, expected/,
// MANIFEST.tsv), found beside the repository root (the directory holding
// go.mod), or skips the test when it is absent. The corpus is read in place
// and never copied into the repository.
func CorpusDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("corpus not found: no go.mod above the test's directory")
		}
		dir = parent
	}
	corpus := filepath.Join(dir, "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(corpus, "MANIFEST.tsv")); err != nil {
		t.Skipf("corpus not found at %s", corpus)
	}
	return corpus
}
