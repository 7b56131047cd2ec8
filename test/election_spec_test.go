package test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/evote/evote/election"
)

// These tests read the election pages of docs/spec and compare their
// tables with package election: a code or kind the spec does not list, or
// lists under another number or name, fails.

func readSpec(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "docs", "spec", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCodesSpec(t *testing.T) {
	rows := regexp.MustCompile("(?m)^\\| (\\d+) \\| `([a-z-]+)` \\| ?(yes)? ?\\|").FindAllStringSubmatch(readSpec(t, "codes.md"), -1)
	codes := election.Codes()
	if len(rows) != len(codes) {
		t.Fatalf("codes.md lists %d codes, election defines %d", len(rows), len(codes))
	}
	for i, r := range rows {
		n, _ := strconv.Atoi(r[1])
		c := codes[i]
		if uint32(c) != uint32(n) || c.String() != r[2] {
			t.Errorf("codes.md row %d: %s %s, election: %d %s", i, r[1], r[2], c, c)
		}
		if c.Transient() != (r[3] == "yes") {
			t.Errorf("codes.md: %s transient %q, election: %v", r[2], r[3], c.Transient())
		}
	}
}

func TestKindsSpec(t *testing.T) {
	rows := regexp.MustCompile("(?m)^\\| (\\d+) \\| `([a-z-]+)` \\| [^|]+\\| [^|]+\\| ([\\d,]+) \\|$").FindAllStringSubmatch(readSpec(t, "transactions.md"), -1)
	n := 0
	for k := election.Kind(1); k.Known(); k++ {
		n++
	}
	if len(rows) != n {
		t.Fatalf("transactions.md lists %d kinds, election defines %d", len(rows), n)
	}
	for _, r := range rows {
		num, _ := strconv.Atoi(r[1])
		k := election.Kind(num)
		size, _ := strconv.Atoi(regexp.MustCompile(",").ReplaceAllString(r[3], ""))
		if !k.Known() || k.String() != r[2] || k.MaxSize() != size {
			t.Errorf("transactions.md: kind %s %s at most %d; election: %s at most %d", r[1], r[2], size, k, k.MaxSize())
		}
	}
}
