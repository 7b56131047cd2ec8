package chain

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/evote/evote/election"
)

// Where the child node of TestNodeKilledAnyMoment kills itself.
const (
	crashInEndBlock    = "endblock"    // block executed and staged, not committed
	crashAfterCommit   = "aftercommit" // SQLite committed, CometBFT's state not yet saved
	crashRandomly      = "random"      // the parent kills it at a random moment
	crashMinimumHeight = 3
)

// TestNodeKilledAnyMoment kills a node with SIGKILL while it commits a
// steady stream of transactions: inside FinalizeBlock (the block staged in
// SQLite, already in CometBFT's block store), right after the app's Commit
// (before CometBFT saves its state), and at random moments; it restarts
// the node from its home after each kill. After each self-inflicted kill it
// checks where the SQLite store stood; at the end, that the handshake
// brought the store and CometBFT's block store to the same height, that the
// state is whole, and that the node goes on committing.
func TestNodeKilledAnyMoment(t *testing.T) {
	if home := os.Getenv("EVOTE_TEST_KILL_NODE"); home != "" {
		killedNode(home, os.Getenv("EVOTE_TEST_CRASH"))
		return
	}
	home := initHome(t)
	for cycle, point := range []string{crashInEndBlock, crashAfterCommit, crashRandomly, crashInEndBlock} {
		started := filepath.Join(home, fmt.Sprintf("started-%d", cycle))
		marker := filepath.Join(home, fmt.Sprintf("crashed-%d", cycle))
		cmd := exec.Command(os.Args[0], "-test.run=^TestNodeKilledAnyMoment$")
		cmd.Env = append(os.Environ(), "EVOTE_TEST_KILL_NODE="+home, "EVOTE_TEST_CRASH="+point,
			"EVOTE_TEST_STARTED="+started, "EVOTE_TEST_MARKER="+marker)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var err error
		select {
		case err = <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("cycle %d (%s): the node did not crash in time\n%s", cycle, point, out.Bytes())
		case <-waitFile(started, point == crashRandomly):
			time.Sleep(time.Duration(500+rand.IntN(1500)) * time.Millisecond)
			cmd.Process.Signal(syscall.SIGKILL)
			err = <-exited
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("cycle %d (%s): %v, want killed\n%s", cycle, point, err, out.Bytes())
		}
		if point == crashRandomly {
			continue
		}
		b, err := os.ReadFile(marker)
		if err != nil {
			t.Fatalf("cycle %d (%s): no crash marker: %v\n%s", cycle, point, err, out.Bytes())
		}
		h, _ := strconv.ParseInt(string(b), 10, 64)
		want := h // crashAfterCommit: the store holds block h
		if point == crashInEndBlock {
			want = h - 1 // block h was staged, never committed
		}
		if got := storeHeight(t, home); got != want {
			t.Fatalf("cycle %d (%s at %d): the store is at %d, want %d", cycle, point, h, got, want)
		}
	}

	n := startNode(t, home)
	app := committedHeight(t, n)
	if store := n.CometBFT().BlockStore().Height(); app != store {
		t.Fatalf("after the handshake: app at height %d, block store at %d", app, store)
	}
	// Every accepted set wrote its key and counted it in the same
	// transaction: the two agree unless a block was half applied.
	var keys uint64
	err := n.App().Store().Reader().Iterate([]byte("d/"), func(k, v []byte) error {
		keys++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	count := mustGet(t, n.App().Store().Reader(), "count")
	if keys == 0 || len(count) != 8 || binary.BigEndian.Uint64(count) != keys {
		t.Fatalf("%d keys, count %x", keys, count)
	}
	r := submitAndWait(t, n, setTx(testKey(200), "after-crashes", "1"))
	if err := VerifyReceipt(r, genesisValidators(t, n), testChainID); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d blocks, %d transactions committed across 4 kills", app, keys)
}

// waitFile returns a channel closed once path exists; never, if !enabled.
func waitFile(path string, enabled bool) <-chan struct{} {
	c := make(chan struct{})
	if enabled {
		go func() {
			for {
				if _, err := os.Stat(path); err == nil {
					close(c)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	return c
}

// storeHeight is the committed height of home's SQLite store.
func storeHeight(t *testing.T, home string) int64 {
	t.Helper()
	s, err := OpenStore(filepath.Join(home, "data", StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := s.Meta()
	if err != nil {
		t.Fatal(err)
	}
	return m.Height
}

// killedNode is the child of TestNodeKilledAnyMoment: it runs the node of
// home and submits transactions until it is killed, by itself at the crash
// point or by the parent.
func killedNode(home, point string) {
	die := func(height int64) {
		os.WriteFile(os.Getenv("EVOTE_TEST_MARKER"), []byte(strconv.FormatInt(height, 10)), 0o600)
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	opts := Options{NewMachine: newTestMachine, LogOutput: testLog()}
	switch point {
	case crashInEndBlock:
		opts.NewMachine = func(appState json.RawMessage, chainID string) (StateMachine, error) {
			m, err := newTestMachine(appState, chainID)
			if err == nil {
				m.(*testMachine).onEndBlock = func(b election.Block, delivered int) {
					if b.Height >= crashMinimumHeight && delivered > 0 {
						die(b.Height)
					}
				}
			}
			return m, err
		}
	case crashAfterCommit:
		start := int64(-1)
		opts.afterCommit = func(height int64) {
			if start < 0 {
				start = height
			}
			if height >= max(start+2, crashMinimumHeight) {
				die(height)
			}
		}
	}
	n, err := openNode(home, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := n.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := os.WriteFile(os.Getenv("EVOTE_TEST_STARTED"), nil, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	run := time.Now().UnixNano()
	for i := 0; ; i++ {
		tx := setTx(testKey(byte(i)), fmt.Sprintf("%d/%d", run, i), "v")
		if _, _, err := n.Submit(context.Background(), tx); err != nil && !errors.Is(err, ErrMempoolFull) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if i%20 == 19 {
			time.Sleep(10 * time.Millisecond)
		}
	}
}
