package test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The dependency guard keeps the design's import rules (DESIGN.md, "Layout and
// dependency direction"):
//   - an import only points down the layers: cmd > internal/demo >
//     internal/loadgen > internal/localnet > web > internal/harness (with
//     its synthetic records) > observer > api > chain > trustee > wallet >
//     election > tally > internal/wire, and nothing imports test/
//     (direction);
//   - observer, the verifier, imports no role's package (wallet, trustee);
//   - tally imports only circl, filippo.io/edwards25519 and the standard
//     library (plus circl's own dependencies);
//   - the pure packages, tally, election, wallet, trustee and api, do no I/O:
//     no server, database, process, configuration or consensus code, and none
//     of their evote packages imports os, net or a logger (api alone may use
//     net/http, for its client);
//   - chain reads no configuration: no viper, no cobra;
//   - the pure packages build with GOOS=js GOARCH=wasm without SQLite, viper
//     or CometBFT.
// Rules name packages that may not exist yet (trustee, api): they apply as
// soon as the package appears.

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

// layers are the evote packages from the top of the layout down; a package
// may import only packages of its own layer or below.
var layers = []string{"cmd", "internal/demo", "internal/loadgen", "internal/localnet", "web", "internal/harness", "observer", "api",
	"chain", "trustee", "wallet", "election", "tally", "internal/wire"}

// layerOf returns the rank of path's layer (0 is the top), or -1 if path is
// in none (another internal package, or not an evote package).
func layerOf(path string) int {
	for i, l := range layers {
		if under(path, module+"/"+l) {
			return i
		}
	}
	return -1
}

// directionViolation says why the package pkg (a layer name) must not depend
// on d, or "" if it may.
func directionViolation(pkg string, d dep) string {
	if under(d.path, module+"/test") {
		return "nothing imports test/"
	}
	if j := layerOf(d.path); j >= 0 && j < layerOf(module+"/"+pkg) {
		return fmt.Sprintf("%s is above %s in the layout: an import may only point down", layers[j], pkg)
	}
	return ""
}

// pure are the packages that do no I/O, and whether each must exist today.
var pure = []struct {
	pkg      string
	required bool
}{
	{"tally", true},
	{"election", true},
	{"wallet", true},
	{"trustee", true},
	{"api", false},
}

// pureForbidden are the import path prefixes a pure package must never
// depend on, even through another package.
var pureForbidden = []string{
	"net/http",
	"database/sql",
	"os/exec",
	"github.com/spf13",
	"github.com/cometbft",
	"github.com/mattn/go-sqlite3",
	"github.com/gorilla/websocket",
}

// apiAllowed are the prefixes of pureForbidden api may depend on: its client
// speaks HTTP.
var apiAllowed = []string{"net/http"}

// ioImports are the standard packages the evote packages of a pure package
// may not import themselves (the standard library uses some of them inside,
// fmt imports os, so they are checked on evote's own imports only).
var ioImports = []string{"os", "net", "io/ioutil", "syscall", "plugin", "log", "database/sql"}

// apiIOAllowed are the prefixes of ioImports api may import: net, for its
// client's transport.
var apiIOAllowed = []string{"net"}

// pureViolation says why the pure package pkg must not depend on d, or "" if
// it may.
func pureViolation(pkg string, d dep) string {
	if underAny(d.path, pureForbidden) && !(pkg == "api" && underAny(d.path, apiAllowed)) {
		return pkg + " is pure: no HTTP, SQL, process, configuration or consensus code"
	}
	if under(d.path, module) {
		for _, imp := range d.imports {
			if underAny(imp, ioImports) && !(pkg == "api" && underAny(imp, apiIOAllowed)) {
				return fmt.Sprintf("%s is pure: %s does I/O through %s", pkg, d.path, imp)
			}
		}
	}
	if why := directionViolation(pkg, d); why != "" {
		return pkg + " may import no evote package above it: " + why
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

// report fails the test for every dependency that violates the rule and is
// imported by at least one package that does not: the forbidden packages'
// own dependencies would only repeat the same finding. A violating package
// that nothing in deps imports (the package under test itself) is reported
// too.
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
		imported := false
		for _, imp := range deps {
			if slices.Contains(imp.imports, d.path) {
				imported = true
				if !bad[imp.path] {
					by = append(by, imp.path)
				}
			}
		}
		if !imported {
			t.Errorf("%s: %s: %s", pkg, d.path, why)
		} else if len(by) > 0 {
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

// listDeps runs `go list -deps` on pattern from the module root, with env
// added to the environment (GOOS and GOARCH for the wasm build).
func listDeps(t *testing.T, root, pattern string, env ...string) []dep {
	t.Helper()
	cmd := exec.Command(goCommand(t), "list", "-deps",
		"-f", `{{.ImportPath}} {{.Standard}} {{join .Imports " "}}`, pattern)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
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

// present reports whether the package directory pkg holds Go files; a
// required package without them fails the test, since the guard would check
// nothing.
func present(t *testing.T, root, pkg string, required bool) bool {
	t.Helper()
	if _, err := os.Stat(filepath.Join(root, pkg)); os.IsNotExist(err) && !required {
		return false
	}
	if !hasGoFiles(t, filepath.Join(root, pkg)) {
		if required {
			t.Fatalf("%s/ has no Go files: the guard would check nothing", pkg)
		}
		return false
	}
	return true
}

func TestPurePackagesImportNoIO(t *testing.T) {
	root := moduleRoot(t)
	for _, p := range pure {
		t.Run(p.pkg, func(t *testing.T) {
			if !present(t, root, p.pkg, p.required) {
				return // the rule applies once the package exists
			}
			watchInputs(t, root, p.pkg)
			deps := listDeps(t, root, "./"+p.pkg+"/...")
			checkListed(t, deps, module+"/"+p.pkg)
			report(t, p.pkg, deps, func(d dep) string { return pureViolation(p.pkg, d) })
		})
	}
}

// strictIOImports are the standard packages that trustee, which does no I/O
// at all (no files, no network, no clock, randomness given), must not import
// itself. Its dependencies may (fmt imports os), but it may not.
var strictIOImports = []string{"os", "net", "io/fs", "io/ioutil", "path/filepath", "crypto/rand", "math/rand", "syscall", "os/exec", "log"}

// strictIOViolation says why a package that imports imports does I/O, or "".
func strictIOViolation(imports []string) string {
	for _, imp := range imports {
		if underAny(imp, strictIOImports) {
			return "imports " + imp + ": it does no I/O (no files, no network, no clock, no randomness of its own)"
		}
	}
	return ""
}

func TestTrusteeDoesNoIO(t *testing.T) {
	root := moduleRoot(t)
	watchInputs(t, root, "trustee")
	deps := listDeps(t, root, "./trustee")
	checkListed(t, deps, module+"/trustee")
	for _, d := range deps {
		if d.path == module+"/trustee" {
			if why := strictIOViolation(d.imports); why != "" {
				t.Errorf("trustee %s", why)
			}
		}
	}
}

// above are the evote packages above chain in the layout: chain must not
// depend on them.
var above = []string{module + "/cmd", module + "/web", module + "/observer", module + "/internal/demo", module + "/internal/loadgen",
	module + "/internal/localnet", module + "/internal/harness"}

// wasmEnv is the environment of the browser build.
var wasmEnv = []string{"GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0"}

// The pure packages are what the browser runs (the wasm wallet, trustee and
// verifier): they build for GOOS=js GOARCH=wasm, and that build pulls in no
// SQLite, HTTP server, configuration or consensus code either (build tags
// can make its dependencies differ from the native build's).
func TestPurePackagesBuildForWasm(t *testing.T) {
	root := moduleRoot(t)
	var patterns []string
	for _, p := range pure {
		if !present(t, root, p.pkg, p.required) {
			continue
		}
		watchInputs(t, root, p.pkg)
		patterns = append(patterns, "./"+p.pkg+"/...")
		t.Run(p.pkg, func(t *testing.T) {
			deps := listDeps(t, root, "./"+p.pkg+"/...", wasmEnv...)
			checkListed(t, deps, module+"/"+p.pkg)
			report(t, p.pkg+" (js/wasm)", deps, func(d dep) string { return pureViolation(p.pkg, d) })
		})
	}
	cmd := exec.Command(goCommand(t), append([]string{"build"}, patterns...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), wasmEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("GOOS=js GOARCH=wasm go build %s: %v\n%s", strings.Join(patterns, " "), err, out)
	}
}

// Every layer imports only the layers below it.
func TestLayersImportOnlyDown(t *testing.T) {
	root := moduleRoot(t)
	for _, pkg := range layers {
		t.Run(pkg, func(t *testing.T) {
			if !present(t, root, pkg, false) {
				return // the rule applies once the package exists
			}
			watchInputs(t, root, pkg)
			deps := listDeps(t, root, "./"+pkg+"/...")
			checkListed(t, deps, module+"/"+pkg)
			report(t, pkg, deps, func(d dep) string { return directionViolation(pkg, d) })
		})
	}
}

// roles are the packages of the roles' protocols, which the verifier does
// not need: its tests build their records with internal/harness/synthetic.
var roles = []string{module + "/wallet", module + "/trustee"}

// observerViolation says why observer must not depend on d, or "".
func observerViolation(d dep) string {
	if underAny(d.path, roles) {
		return "observer is the verifier: it imports no role's package (the synthetic records are internal/harness/synthetic's)"
	}
	return ""
}

func TestObserverImportsNoRole(t *testing.T) {
	root := moduleRoot(t)
	watchInputs(t, root, "observer")
	deps := listDeps(t, root, "./observer/...")
	checkListed(t, deps, module+"/observer")
	report(t, "observer", deps, observerViolation)
}

// chainForbidden are what chain must not depend on beside the layers above
// it: configuration is read by cmd, which hands chain a plain struct.
var chainForbidden = []string{"github.com/spf13"}

// chainViolation says why chain must not depend on d, or "" if it may.
func chainViolation(d dep) string {
	if underAny(d.path, chainForbidden) {
		return "chain reads no configuration (no viper, no cobra): cmd fills its plain config struct"
	}
	return directionViolation("chain", d)
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
		{dep{path: "github.com/gorilla/websocket"}, false, false},
		{dep{path: "os/exec", standard: true}, true, false},
		{dep{path: "github.com/mattn/go-sqlite3"}, false, false},
		{dep{path: "os", standard: true}, true, true},                                     // fmt imports it
		{dep{path: "internal/poll", standard: true, imports: []string{"os"}}, true, true}, // so does the standard library
		{dep{path: module + "/tally", imports: []string{"os"}}, true, false},
		{dep{path: module + "/internal/wire", imports: []string{"net"}}, true, false},
		{dep{path: module + "/tally", imports: []string{"log/slog"}}, true, false},
		{dep{path: module + "/tally", imports: []string{"syscall"}}, true, false},
		{dep{path: module + "/test"}, false, false},
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
	if strictIOViolation([]string{"fmt", "crypto/rand"}) == "" || strictIOViolation([]string{"fmt", "io", "time"}) != "" {
		t.Error("the I/O rule: crypto/rand is I/O, fmt, io and time (for its types) are not")
	}
	if pureViolation("tally", dep{path: module + "/election"}) == "" {
		t.Error("tally may not depend on election")
	}
	for path, ok := range map[string]bool{
		module + "/election":                     true,
		module + "/trustee":                      true,
		"github.com/cometbft/cometbft/node":      true,
		module + "/api":                          false,
		"github.com/spf13/viper":                 false,
		"github.com/spf13/cobra":                 false,
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

// TestGuardRulesPerRole checks the rules of the packages beside tally on
// made-up dependencies: each rule fails on an edge that breaks it.
func TestGuardRulesPerRole(t *testing.T) {
	for _, tc := range []struct {
		pkg string
		d   dep
		ok  bool
	}{
		{"wallet", dep{path: module + "/election"}, true},
		{"wallet", dep{path: module + "/tally"}, true},
		{"wallet", dep{path: module + "/trustee"}, false},
		{"wallet", dep{path: module + "/chain"}, false},
		{"wallet", dep{path: module + "/wallet", imports: []string{"os"}}, false},
		{"wallet", dep{path: module + "/wallet", imports: []string{"encoding/json", "io"}}, true},
		{"wallet", dep{path: "net/http", standard: true}, false},
		{"wallet", dep{path: "golang.org/x/crypto/argon2"}, true},
		{"election", dep{path: module + "/wallet"}, false},
		{"election", dep{path: "github.com/spf13/viper"}, false},
		{"trustee", dep{path: module + "/wallet"}, true},
		{"trustee", dep{path: module + "/chain"}, false},
		{"trustee", dep{path: "github.com/cometbft/cometbft/types"}, false},
		{"trustee", dep{path: module + "/trustee", imports: []string{"net"}}, false},
		{"api", dep{path: module + "/chain"}, true},
		{"api", dep{path: module + "/observer"}, false},
		{"api", dep{path: "net/http", standard: true}, true},
		{"api", dep{path: module + "/api", imports: []string{"net/http", "net/url"}}, true},
		{"api", dep{path: module + "/api", imports: []string{"os"}}, false},
		{"api", dep{path: "database/sql", standard: true}, false},
		{"api", dep{path: "github.com/mattn/go-sqlite3"}, false},
		{"api", dep{path: "github.com/spf13/viper"}, false},
		{"api", dep{path: "github.com/cometbft/cometbft/types"}, false},
	} {
		if got := pureViolation(tc.pkg, tc.d) == ""; got != tc.ok {
			t.Errorf("%s may depend on %s (imports %v): got %v, want %v", tc.pkg, tc.d.path, tc.d.imports, got, tc.ok)
		}
	}
	for _, tc := range []struct {
		pkg, path string
		ok        bool
	}{
		{"cmd", module + "/web", true},
		{"cmd", module + "/internal/cometconf", true},
		{"web", module + "/cmd/evote/cli", false},
		{"web", module + "/observer", true},
		{"observer", module + "/web", false},
		{"observer", module + "/cmd", false},
		{"observer", module + "/api", true},
		{"observer", module + "/chain", true}, // the layer may (observer/feed reads the node); the verifier may not (TestVerifierBuildsForWasm)
		{"api", module + "/observer", false},
		{"api", module + "/chain", true},
		{"chain", module + "/api", false},
		{"chain", module + "/trustee", true},
		{"trustee", module + "/chain", false},
		{"trustee", module + "/wallet", true},
		{"wallet", module + "/trustee", false},
		{"election", module + "/wallet", false},
		{"tally", module + "/election", false},
		{"tally", module + "/internal/wire", true},
		{"internal/wire", module + "/tally", false},
		{"cmd", module + "/test", false},
		{"web", "github.com/gorilla/websocket", true},
	} {
		if got := directionViolation(tc.pkg, dep{path: tc.path}) == ""; got != tc.ok {
			t.Errorf("%s may import %s: got %v, want %v", tc.pkg, tc.path, got, tc.ok)
		}
	}
}

// verifierForbidden are what the verifier built for the browser must not
// pull in: the node (consensus, block store, peer-to-peer, SQLite) and the
// layers above it.
var verifierForbidden = []string{
	"github.com/mattn/go-sqlite3",
	"github.com/cometbft",
	"google.golang.org/grpc",
	"net/http",
	"github.com/spf13",
	module + "/chain",
	module + "/web",
	module + "/cmd",
}

// The verifier (package observer, without its node-side packages feed and
// live) is what the dashboard runs in the browser: it builds for GOOS=js
// GOARCH=wasm with nothing of CometBFT (it reads headers and commits with
// observer/cmtlite), of the node, or of an HTTP stack.
func TestVerifierBuildsForWasm(t *testing.T) {
	root := moduleRoot(t)
	watchInputs(t, root, "observer")
	env := wasmEnv
	deps := listDeps(t, root, "./observer", env...)
	checkListed(t, deps, module+"/observer")
	report(t, "observer (js/wasm)", deps, func(d dep) string {
		if underAny(d.path, verifierForbidden) {
			return "the verifier runs in the browser: no CometBFT, node, database, HTTP or configuration code"
		}
		return ""
	})
	cmd := exec.Command(goCommand(t), "build", "-o", os.DevNull, "./observer")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("GOOS=js GOARCH=wasm go build ./observer: %v\n%s", err, out)
	}
}
