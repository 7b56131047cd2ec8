package tally

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// vectorFile returns the stored vector file at path after checking that it
// is exactly what the generator made from its seed; with update set it
// first rewrites the file. A difference means the encoding or the order in
// which randomness is drawn has changed: a format change needs a new
// version tag and new vectors (docs/spec/vectors.md).
func vectorFile(t *testing.T, path string, generated []byte, update bool, flagName string) []byte {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, generated, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with go test ./tally -run Vectors -%s)", err, flagName)
	}
	if !bytes.Equal(stored, generated) {
		t.Fatalf("%s differs from what its seed generates (regenerate with -%s only for a new format version)", path, flagName)
	}
	return stored
}
