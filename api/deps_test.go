package api_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// forbidden are what api must not depend on: the node (chain, web, cmd),
// CometBFT, SQLite and viper. The browser's wallet builds it for
// WebAssembly.
var forbidden = []string{
	"github.com/evote/evote/chain",
	"github.com/evote/evote/web",
	"github.com/evote/evote/cmd",
	"github.com/cometbft",
	"github.com/mattn/go-sqlite3",
	"github.com/spf13",
}

// TestDependencies builds api for js/wasm and checks what it imports,
// directly or not.
func TestDependencies(t *testing.T) {
	env := append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	list := exec.Command("go", "list", "-deps", ".")
	list.Env = env
	out, err := list.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("api depends on %s", dep)
			}
		}
	}
	build := exec.Command("go", "build", "-o", os.DevNull, ".")
	build.Env = env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go build ./api: %v\n%s", err, out)
	}
}
