package mutate

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

const sample = `// Code for the test.
package p

const limit = 3 + 1 // data, not a decision

func f(a, b int, ok bool) (int, string) {
	if a < b && !ok {
		return a - b, "x" + "y"
	}
	if a >= b || a == 0 {
		return a + b, ""
	}
	return 0, ""
}
`

// TestFileSites: every comparison, logical operator, sign and negation in
// a function is a site (constants and string concatenations are not), and
// each mutant is the source with exactly that operator changed, still
// parsing.
func TestFileSites(t *testing.T) {
	sites, err := FileSites("p.go", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range sites {
		got = append(got, s.From+">"+s.To)
		m, err := Apply([]byte(sample), s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parser.ParseFile(token.NewFileSet(), "p.go", m, 0); err != nil {
			t.Fatalf("the mutant %v does not parse: %v", s, err)
		}
		if strings.Count(string(m), "\n") != strings.Count(sample, "\n") || string(m) == sample {
			t.Fatalf("the mutant %v is not one change", s)
		}
	}
	want := "<><= &&>|| !> ->+ >=>> ||>&& ==>!= +>-"
	if strings.Join(got, " ") != want {
		t.Fatalf("sites %q, want %q", strings.Join(got, " "), want)
	}
	if sites[0].Line != 7 || sites[0].Source != "if a < b && !ok {" {
		t.Fatalf("the first site: %+v", sites[0])
	}
}

// TestApplyRefusesAStaleSite: a site that does not match the source is an
// error, never a silent change elsewhere.
func TestApplyRefusesAStaleSite(t *testing.T) {
	sites, err := FileSites("p.go", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	s := sites[0]
	s.Offset++
	if _, err := Apply([]byte(sample), s); err == nil {
		t.Fatal("a stale site was applied")
	}
	s.Offset = len(sample)
	if _, err := Apply([]byte(sample), s); err == nil {
		t.Fatal("a site past the end was applied")
	}
}
