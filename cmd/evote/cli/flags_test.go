package cli

import (
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// A flag's value name is the first back-quoted word of its usage, else
// its type (pflag.UnquoteUsage): a usage that quotes a command in back
// quotes shows it as the value (`--authority-key evote up`). Every flag
// of every command shows an upper-case name it chose (`FILE`, `ID`) or
// its type's.
func TestFlagValueNames(t *testing.T) {
	chosen := regexp.MustCompile(`^[A-Z][A-Z0-9_]*(\.[A-Z0-9]+)?$`)
	typed := regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
	root := newRoot(strings.NewReader(""), io.Discard, io.Discard)
	seen := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			seen++
			name, _ := pflag.UnquoteUsage(f)
			switch {
			case strings.Contains(f.Usage, "`"):
				if !chosen.MatchString(name) {
					t.Errorf("%s --%s: value name %q (from its usage %q) is not an upper-case name", c.CommandPath(), f.Name, name, f.Usage)
				}
			case name != "" && !typed.MatchString(name):
				t.Errorf("%s --%s: value name %q", c.CommandPath(), f.Name, name)
			}
		}
		c.LocalFlags().VisitAll(check)
		c.PersistentFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if seen < 50 {
		t.Fatalf("only %d flags seen: the walk missed commands", seen)
	}
}
