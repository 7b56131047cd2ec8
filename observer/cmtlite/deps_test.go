package cmtlite

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestWasmDeps: built for the browser (GOOS=js GOARCH=wasm), cmtlite pulls
// in nothing of CometBFT, gRPC, protobuf or net/http, and nothing beyond
// the standard library but filippo.io/edwards25519.
func TestWasmDeps(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goTool, "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list printed %q", out)
	}
	for _, d := range deps {
		first, _, _ := strings.Cut(d, "/")
		switch {
		case strings.HasPrefix(d, "github.com/cometbft"), strings.HasPrefix(d, "google.golang.org"),
			strings.HasPrefix(d, "github.com/cosmos"), strings.HasPrefix(d, "net/http"), d == "net":
			t.Errorf("cmtlite depends on %s", d)
		case strings.Contains(first, ".") && !strings.HasPrefix(d, "filippo.io/edwards25519") && d != "github.com/evote/evote/observer/cmtlite":
			t.Errorf("cmtlite depends on %s, outside the standard library", d)
		}
	}
}
