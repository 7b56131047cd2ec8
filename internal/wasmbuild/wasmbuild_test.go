package wasmbuild

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// forbidden are what the browser's modules must not pull in: the node
// (chain, the server side of web, cmd), CometBFT (headers and commits are
// read by observer/cmtlite), SQLite, viper, and net/http (package api,
// whose client needs it, is left out of both).
var forbidden = []string{
	"github.com/evote/evote/chain",
	"github.com/evote/evote/cmd",
	"github.com/evote/evote/web",
	"github.com/cometbft", // headers and commits are read by observer/cmtlite
	"google.golang.org/grpc",
	"github.com/mattn/go-sqlite3",
	"github.com/spf13",
	"net/http",
	"github.com/evote/evote/api",
}

// TestDependencies lists what the verifier module imports, directly or
// not, as make wasm builds it.
func TestDependencies(t *testing.T) {
	for _, m := range Modules {
		dependencies(t, m.Package)
	}
}

func dependencies(t *testing.T, pkg string) {
	list := exec.Command("go", "list", "-deps", pkg)
	list.Env = append(os.Environ(), Env...)
	out, err := list.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == pkg {
			continue
		}
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}

// TestBuild builds the modules twice into directories and requires the
// same bytes (the build is reproducible), a gzip that decompresses to the
// module, and the toolchain's wasm_exec.js.
func TestBuild(t *testing.T) {
	ctx := t.Context()
	dirs := []string{t.TempDir(), t.TempDir()}
	var mods [][]byte
	for _, dir := range dirs {
		sizes, err := Build(ctx, "../..", dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range Modules {
			mods = append(mods, checkModule(t, filepath.Join(dir, m.File), sizes[m.File]))
			// What a voter downloads before the wallet works, or an
			// official before the console does: the budget is 2 MB
			// compressed.
			if sz := sizes[m.File]; (m.File == WalletWasmGz || m.File == ConsoleWasmGz) && sz.Gzip > maxModuleGzip {
				t.Errorf("%s: %d bytes compressed, over the budget of %d", m.File, sz.Gzip, maxModuleGzip)
			}
		}
	}
	for i := range Modules {
		if !bytes.Equal(mods[i], mods[len(Modules)+i]) {
			t.Errorf("two builds of %s differ", Modules[i].Package)
		}
	}
	want, err := WasmExecJS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dirs[0], WasmExec))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("wasm_exec.js is not the toolchain's (%v)", err)
	}
}

// maxModuleGzip is the budget of the wallet's and the console's modules,
// compressed.
const maxModuleGzip = 2_000_000

// checkModule reads a gzip-compressed module written by Build.
func checkModule(t *testing.T, path string, sz Sizes) []byte {
	gz, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(mod) != sz.Raw || len(gz) != sz.Gzip {
		t.Errorf("sizes %+v, files %d and %d bytes", sz, len(mod), len(gz))
	}
	if !bytes.HasPrefix(mod, []byte("\x00asm")) {
		t.Errorf("not a wasm module: %x", mod[:min(8, len(mod))])
	}
	return mod
}

// TestSignatureRuleInWasm runs election's signature-rule tests (the twelve
// edge cases of "Taming the many EdDSAs", and the identity key's empty
// signature) compiled for the browser (js/wasm, as the modules are) under
// Node.js, which .ci/run installs with npm: the verifier in the browser
// gives each case the verdict the node gives.
func TestSignatureRuleInWasm(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("no node on PATH: install Node.js (apt-get install nodejs npm)")
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	execWasm := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "go_js_wasm_exec")
	cmd := exec.CommandContext(t.Context(), "go", "test", "-count=1", "-v", "-exec", execWasm,
		"-run", "^(TestSignatureRule|TestIdentityKeyForgesNothing)$", "github.com/evote/evote/election")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "PATH="+filepath.Dir(node)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the signature rule in js/wasm: %v\n%s", err, out)
	}
	for _, want := range []string{"--- PASS: TestSignatureRule", "--- PASS: TestIdentityKeyForgesNothing"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Fatalf("js/wasm run lacks %q:\n%s", want, out)
		}
	}
}
