package cli

import (
	"io"
	"net"
	"os"
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

// TestNodeFeedConfig: the feed's limits, the API's origins and the peer
// nodes come from flags, EVOTE_* variables and HOME/evote.yaml, and bad
// ones stop the node before it starts.
func TestNodeFeedConfig(t *testing.T) {
	home := t.TempDir()
	for _, args := range [][]string{
		{"--feed-origins", "observer.example.org"},
		{"--feed-max-clients", "-1"},
		{"--cometbft-metrics", "no-port"},
		{"--api-origins", "pages.example.org"},
		{"--api-origins", "*,https://pages.example.org"},
		{"--peer-nodes", "https://node-b.example.org/api/v1"},
		{"--tls-cert", "node.crt"},
	} {
		if code, _, errs := run(t, append([]string{"node", "--home", home}, args...)...); code != 1 || !strings.Contains(errs, "--") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	t.Setenv("EVOTE_FEED_BUFFER", "-2")
	if code, _, _ := run(t, "node", "--home", home); code != 1 {
		t.Errorf("EVOTE_FEED_BUFFER=-2: exit %d", code)
	}
	t.Setenv("EVOTE_FEED_BUFFER", "")
	if err := os.WriteFile(filepath.Join(home, "evote.yaml"), []byte("feed-socket-buffer: -3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := run(t, "node", "--home", home); code != 1 {
		t.Errorf("feed-socket-buffer: -3 in evote.yaml: exit %d", code)
	}
}
