// Package mutate finds the places in a package's Go source where a small
// deliberate fault can be put (a comparison turned, a condition negated,
// a sign changed) and writes the faulty file, so that a test run over the
// mutant shows whether any test notices. cmd/mutate runs the mutants with
// go test's -overlay, leaving the tree untouched; docs/testing.md records
// its score.
package mutate

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Site is one mutant: in File, the bytes [Offset, Offset+len(From)) read
// From and become To.
type Site struct {
	File   string // absolute path
	Line   int
	Offset int
	From   string
	To     string
	Source string // the line, trimmed, for the report
}

func (s Site) String() string {
	return fmt.Sprintf("%s:%d: %s → %s  (%s)", filepath.Base(s.File), s.Line, s.From, s.To, s.Source)
}

// swaps are the operator mutations: each operator and what it becomes.
var swaps = map[token.Token][]string{
	token.LSS:  {"<="},
	token.LEQ:  {"<"},
	token.GTR:  {">="},
	token.GEQ:  {">"},
	token.EQL:  {"!="},
	token.NEQ:  {"=="},
	token.LAND: {"||"},
	token.LOR:  {"&&"},
	token.ADD:  {"-"},
	token.SUB:  {"+"},
}

// Sites returns the mutants of the Go files of directory dir, tests and
// generated files excluded, in file and offset order.
func Sites(dir string) ([]Site, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Site
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		s, err := FileSites(name, src)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	return out, nil
}

// FileSites returns the mutants of one file's source.
func FileSites(name string, src []byte) ([]Site, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution|parser.ParseComments)
	if err != nil {
		return nil, err
	}
	if ast.IsGenerated(f) {
		return nil, nil
	}
	lines := strings.Split(string(src), "\n")
	var out []Site
	add := func(pos token.Pos, from, to string) {
		p := fset.Position(pos)
		out = append(out, Site{File: name, Line: p.Line, Offset: p.Offset, From: from, To: to, Source: strings.TrimSpace(lines[p.Line-1])})
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GenDecl:
			// Constants and variables at package level are data (tables,
			// sizes): a change there is a different program, not a fault
			// in a decision.
			return n.Tok != token.CONST
		case *ast.BinaryExpr:
			if isStringConcat(n) {
				return true
			}
			for _, to := range swaps[n.Op] {
				add(n.OpPos, n.Op.String(), to)
			}
		case *ast.UnaryExpr:
			if n.Op == token.NOT {
				add(n.OpPos, "!", "")
			}
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out, nil
}

// isStringConcat reports whether e is a + of which one side is a string
// literal: turning it into - does not compile.
func isStringConcat(e *ast.BinaryExpr) bool {
	if e.Op != token.ADD {
		return false
	}
	for _, x := range []ast.Expr{e.X, e.Y} {
		if l, ok := x.(*ast.BasicLit); ok && l.Kind == token.STRING {
			return true
		}
	}
	return false
}

// Apply returns src with site s's mutation made; it fails if src does not
// read s.From at s.Offset.
func Apply(src []byte, s Site) ([]byte, error) {
	end := s.Offset + len(s.From)
	if s.Offset < 0 || end > len(src) || string(src[s.Offset:end]) != s.From {
		return nil, fmt.Errorf("mutate: %s does not read %q at offset %d", s.File, s.From, s.Offset)
	}
	out := make([]byte, 0, len(src)+len(s.To))
	out = append(out, src[:s.Offset]...)
	out = append(out, s.To...)
	return append(out, src[end:]...), nil
}
