package wallet_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goCommand finds the go command. The test fails, never skips, without
// it: the wasm build is the wallet's contract with the browser.
func goCommand(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	const fallback = "/usr/local/go/bin/go"
	if _, err := os.Stat(fallback); err == nil {
		return fallback
	}
	t.Fatal("the go command is neither on PATH nor at " + fallback + "; the wasm build test needs it")
	return ""
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod above the wallet package: %v", err)
	}
	return dir
}

func wasmCommand(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.Command(goCommand(t), args...)
	cmd.Dir = moduleRoot(t)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	return cmd
}

// TestWasmBuild builds the wallet and the election package for the
// browser (GOOS=js GOARCH=wasm).
func TestWasmBuild(t *testing.T) {
	cmd := wasmCommand(t, "build", "-o", os.DevNull, "./wallet/", "./election/")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go build ./wallet/ ./election/: %v\n%s", err, out.Bytes())
	}
}

// TestWasmDependencies fails if the wasm build of the wallet pulls in what
// a browser must not carry: SQLite, HTTP servers, configuration,
// consensus, or the node's evote packages.
func TestWasmDependencies(t *testing.T) {
	cmd := wasmCommand(t, "list", "-deps", "./wallet/")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, stderr.Bytes())
	}
	deps := strings.Fields(string(out))
	forbidden := []string{
		"database/sql", "net/http", "github.com/mattn/go-sqlite3", "github.com/spf13", "github.com/cometbft",
		"github.com/evote/evote/chain", "github.com/evote/evote/observer", "github.com/evote/evote/web", "github.com/evote/evote/cmd",
	}
	found := false
	for _, d := range deps {
		found = found || d == "github.com/evote/evote/wallet"
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("the wasm wallet depends on %s", d)
			}
		}
	}
	if !found {
		t.Fatal("go list -deps did not list the wallet itself")
	}
}
