package cli

import (
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/internal/localnet"
	"github.com/evote/evote/web"
)

// TestNodeStopsWithAnIdleConnection: a client connection that never sends a
// request (a browser opens some ahead) does not make stopping the node fail,
// nor wait longer than the grace for requests under way.
func TestNodeStopsWithAnIdleConnection(t *testing.T) {
	base, err := localnet.FreePortBlock(3)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tn := TestnetConfig{Validators: 1, Dir: dir, ChainID: "evote-stop-test", BasePort: base, HTTPPort: base + 2}
	if err := writeTestnet(tn, io.Discard); err != nil {
		t.Fatal(err)
	}
	rn, err := startNode(NodeConfig{Home: filepath.Join(dir, "node0"), HTTPAddr: "127.0.0.1:0", LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(rn.url, "http://"))
	if err != nil {
		rn.stop()
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if err := rn.stop(); err != nil {
		t.Fatalf("stop with an idle connection open: %v", err)
	}
	if d := time.Since(start); d > web.ShutdownGrace+5*time.Second {
		t.Fatalf("stop took %v", d)
	}
}
