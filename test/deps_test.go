package test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The dependency guard keeps the design's import rules (DESIGN.md, "Layout and
// dependency direction"): tally imports only circl, filippo.io/edwards25519
// and the standard library (plus circl's own dependencies), and the pure
// packages, election, tally and trustee, import no server, database, configuration or
// consensus code.

const module = "github.com/evote/evote"

// tallyAllowed are the non-standard import path prefixes tally may depend on:
// circl and its own dependencies, and edwards25519 for the verification path.
var tallyAllowed = []string{
	module + "/tally",
	module + "/internal/wire",
	"github.com/cloudflare/circl",
	"filippo.io/edwards25519",
	"golang.org/x/crypto",
	"golang.org/x/sys",
	"github.com/bwesterb/go-ristretto",
}

// pureForbidden are the import path prefixes that election and tally must
// never depend on.
var pureForbidden = []string{
	"net/http",
	"database/sql",
	"github.com/spf13",
	"github.com/cometbft",
}

// pureEvote are the evote packages each pure package may depend on.
var pureEvote = map[string][]string{
	"tally":    {module + "/tally", module + "/internal/wire"},
	"election": {module + "/election", module + "/tally", module + "/internal/wire"},
	"trustee":  {module + "/trustee", module + "/wallet", module + "/election", module + "/tally", module + "/internal/wire"},
}

// ioImports are the standard packages a package that does no I/O at all
// (trustee: no files, no network, no clock, randomness given) must not
// import itself. Its dependencies may (fmt imports os), but it may not.
var ioImports = []string{"os", "net", "io/fs", "io/ioutil", "path/filepath", "crypto/rand", "math/rand", "syscall", "os/exec", "log"}

// ioViolation says why the package that imports imports must not, or "".
func ioViolation(imports []string) string {
	for _, imp := range imports {
		if underAny(imp, ioImports) {
			return "imports " + imp + ": it does no I/O (no files, no network, no clock, no randomness of its own)"
		}
	}
	return ""
}

// dep is one line of `go list -deps`.
type dep struct {
	path     string
	standard bool
	imports  []string
}

// under reports whether path is prefix or a package below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func underAny(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if under(path, p) {
			return true
		}
	}
	return false
}

// tallyViolation says why tally must not depend on d, or "" if it may.
func tallyViolation(d dep) string {
	if d.standard || underAny(d.path, tallyAllowed) {
		return ""
	}
	return "tally may import only the standard library, circl (and its dependencies) and filippo.io/edwards25519"
}

// pureViolation says why the pure package pkg ("tally" or "election") must
// not depend on d, or "" if it may.
func pureViolation(pkg string, d dep) string {
	if underAny(d.path, pureForbidden) {
		return pkg + " is pure: no HTTP, SQL, configuration or consensus code"
	}
	if under(d.path, module) && !underAny(d.path, pureEvote[pkg]) {
		return pkg + " may import no evote package above it"
	}
	return ""
}

// report fails the test for every dependency that violates the rule and is
// imported by at least one package that does not: the forbidden packages'
// own dependencies would only repeat the same finding.
func report(t *testing.T, pkg string, deps []dep, violation func(dep) string) {
	t.Helper()
	bad := map[string]bool{}
	for _, d := range deps {
		if violation(d) != "" {
			bad[d.path] = true
		}
	}
	for _, d := range deps {
		why := violation(d)
		if why == "" {
			continue
		}
		var by []string
		for _, imp := range deps {
			if !bad[imp.path] && slices.Contains(imp.imports, d.path) {
				by = append(by, imp.path)
			}
		}
		if len(by) > 0 {
			t.Errorf("%s depends on %s (imported by %s): %s", pkg, d.path, strings.Join(by, ", "), why)
		}
	}
}

// moduleRoot walks up from the working directory to the directory that holds
// go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod in the working directory or above it")
		}
		dir = parent
	}
}

// goCommand finds the go command. The guard fails, never skips, without it:
// a guard that silently does nothing guards nothing.
func goCommand(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	const fallback = "/usr/local/go/bin/go"
	if _, err := os.Stat(fallback); err == nil {
		return fallback
	}
	t.Fatal("the go command is neither on PATH nor at " + fallback + "; the dependency guard needs it")
	return ""
}

// listDeps runs `go list -deps` on pattern from the module root.
func listDeps(t *testing.T, root, pattern string) []dep {
	t.Helper()
	cmd := exec.Command(goCommand(t), "list", "-deps",
		"-f", `{{.ImportPath}} {{.Standard}} {{join .Imports " "}}`, pattern)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pattern, err, stderr.Bytes())
	}
	var deps []dep
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || (f[1] != "true" && f[1] != "false") {
			t.Fatalf("go list -deps %s: unexpected line %q", pattern, line)
		}
		deps = append(deps, dep{path: f[0], standard: f[1] == "true", imports: f[2:]})
	}
	return deps
}

// watchInputs reads the directory tree of pkg and stats go.mod and go.sum.
// go test caches a passing result keyed on the files the test itself opened;
// the go list subprocess is invisible to it, so without this a stale "ok
// (cached)" could hide an import added since the last run.
func watchInputs(t *testing.T, root, pkg string) {
	t.Helper()
	err := filepath.WalkDir(filepath.Join(root, pkg), func(path string, d os.DirEntry, err error) error {
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// hasGoFiles reports whether dir holds at least one .go file.
func hasGoFiles(t *testing.T, dir string) bool {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m) > 0
}

// checkListed fails unless deps contains path, so that an empty or wrong
// listing cannot pass unnoticed.
func checkListed(t *testing.T, deps []dep, path string) {
	t.Helper()
	for _, d := range deps {
		if d.path == path {
			return
		}
	}
	t.Fatalf("go list -deps did not list %s itself", path)
}

func TestTallyImportsOnlyCirclAndStandardLibrary(t *testing.T) {
	root := moduleRoot(t)
	watchInputs(t, root, "tally")
	deps := listDeps(t, root, "./tally/...")
	checkListed(t, deps, module+"/tally")
	report(t, "tally", deps, tallyViolation)
}

func TestPurePackagesImportNoIO(t *testing.T) {
	root := moduleRoot(t)
	for _, pkg := range []string{"tally", "election", "trustee"} {
		t.Run(pkg, func(t *testing.T) {
			if !hasGoFiles(t, filepath.Join(root, pkg)) {
				t.Fatalf("%s/ has no Go files: the guard would check nothing", pkg)
			}
			watchInputs(t, root, pkg)
			deps := listDeps(t, root, "./"+pkg+"/...")
			checkListed(t, deps, module+"/"+pkg)
			report(t, pkg, deps, func(d dep) string { return pureViolation(pkg, d) })
		})
	}
}

func TestTrusteeDoesNoIO(t *testing.T) {
	root := moduleRoot(t)
	watchInputs(t, root, "trustee")
	deps := listDeps(t, root, "./trustee")
	checkListed(t, deps, module+"/trustee")
	for _, d := range deps {
		if d.path == module+"/trustee" {
			if why := ioViolation(d.imports); why != "" {
				t.Errorf("trustee %s", why)
			}
		}
	}
}

// above are the evote packages above chain in the layout: chain must not
// depend on them.
var above = []string{module + "/cmd", module + "/web", module + "/observer"}

// chainViolation says why chain must not depend on d, or "" if it may.
func chainViolation(d dep) string {
	if underAny(d.path, above) {
		return "chain may not import cmd, web or observer (they are above it)"
	}
	return ""
}

func TestChainImportsNothingAbove(t *testing.T) {
	root := moduleRoot(t)
	watchInputs(t, root, "chain")
	deps := listDeps(t, root, "./chain/...")
	checkListed(t, deps, module+"/chain")
	report(t, "chain", deps, chainViolation)
}

// TestGuardRules checks the rules themselves on made-up dependencies.
func TestGuardRules(t *testing.T) {
	for _, tc := range []struct {
		d           dep
		tally, pure bool // whether tally may depend on d, whether a pure package may
	}{
		{dep{path: "crypto/sha512", standard: true}, true, true},
		{dep{path: "net/http", standard: true}, true, false},
		{dep{path: "net/http/httptest", standard: true}, true, false},
		{dep{path: "database/sql/driver", standard: true}, true, false},
		{dep{path: "github.com/cloudflare/circl/group"}, true, true},
		{dep{path: "github.com/cloudflare/circlx"}, false, true},
		{dep{path: "filippo.io/edwards25519/field"}, true, true},
		{dep{path: "golang.org/x/crypto/sha3"}, true, true},
		{dep{path: "golang.org/x/sys/cpu"}, true, true},
		{dep{path: "github.com/bwesterb/go-ristretto/edwards25519"}, true, true},
		{dep{path: "github.com/spf13/viper"}, false, false},
		{dep{path: "github.com/cometbft/cometbft/abci/types"}, false, false},
		{dep{path: "github.com/gorilla/websocket"}, false, true},
		{dep{path: module + "/tally"}, true, true},
		{dep{path: module + "/chain"}, false, false},
	} {
		if got := tallyViolation(tc.d) == ""; got != tc.tally {
			t.Errorf("tally may depend on %s: got %v, want %v", tc.d.path, got, tc.tally)
		}
		if got := pureViolation("tally", tc.d) == ""; got != tc.pure {
			t.Errorf("pure package may depend on %s: got %v, want %v", tc.d.path, got, tc.pure)
		}
	}
	if pureViolation("election", dep{path: module + "/tally"}) != "" {
		t.Error("election may depend on tally")
	}
	if pureViolation("trustee", dep{path: module + "/wallet"}) != "" || pureViolation("trustee", dep{path: module + "/chain"}) == "" {
		t.Error("trustee may depend on wallet, not on chain")
	}
	if ioViolation([]string{"fmt", "crypto/rand"}) == "" || ioViolation([]string{"fmt", "io", "time"}) != "" {
		t.Error("the I/O rule: crypto/rand is I/O, fmt, io and time (for its types) are not")
	}
	if pureViolation("tally", dep{path: module + "/election"}) == "" {
		t.Error("tally may not depend on election")
	}
	for path, ok := range map[string]bool{
		module + "/election":                     true,
		"github.com/cometbft/cometbft/node":      true,
		module + "/web":                          false,
		module + "/observer/feed":                false,
		module + "/cmd/evote":                    false,
		module + "/webx":                         true,
		"github.com/mattn/go-sqlite3":            true,
		"github.com/evote/evote/observerandmore": true,
	} {
		if got := chainViolation(dep{path: path}) == ""; got != ok {
			t.Errorf("chain may depend on %s: got %v, want %v", path, got, ok)
		}
	}
}
