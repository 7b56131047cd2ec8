package chain

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// errInjected is the store write error the tests inject.
var errInjected = errors.New("injected write error")

// waitHalted waits for n to halt with cause, and checks that Readiness
// reports it.
func waitHalted(t *testing.T, n *Node, cause HaltCause, timeout time.Duration) Halt {
	t.Helper()
	waitFor(t, timeout, "the node to halt with "+string(cause), func() bool {
		h, ok := n.Halted()
		return ok && h.Cause == cause
	})
	h, _ := n.Halted()
	r := n.Readiness()
	if r.Ready || !r.Halted || r.Cause != cause || r.Reason == "" {
		t.Fatalf("readiness of a node halted with %s: %+v", cause, r)
	}
	return h
}

// TestHaltOnStoreWriteError: a node whose store fails to write a block
// halts, not ready, with cause store-error; with the error a full disk
// (ENOSPC), disk-full. Its consensus does not go on.
func TestHaltOnStoreWriteError(t *testing.T) {
	for _, c := range []struct {
		err   error
		cause HaltCause
	}{
		{errInjected, HaltStoreError},
		{fmt.Errorf("write data/evote.db-wal: %w", syscall.ENOSPC), HaltDiskFull},
	} {
		t.Run(string(c.cause), func(t *testing.T) {
			var fail atomic.Bool
			n, err := openNode(initHome(t), Options{NewMachine: newTestMachine, LogOutput: testLog(),
				StoreWriteFault: func(int64) error {
					if fail.Load() {
						return c.err
					}
					return nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			if err := n.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { n.Stop() })
			submitAndWait(t, n, setTx(testKey(1), "a", "1"))
			if _, ok := n.Halted(); ok || !n.Readiness().Ready {
				t.Fatalf("a healthy node: %+v", n.Readiness())
			}
			fail.Store(true)
			if _, _, err := n.Submit(context.Background(), setTx(testKey(2), "b", "2")); err != nil {
				t.Fatal(err)
			}
			h := waitHalted(t, n, c.cause, 20*time.Second)
			if h.Since.IsZero() || time.Since(h.Since) > time.Minute {
				t.Fatalf("halt since %v", h.Since)
			}
			top := committedHeight(t, n)
			time.Sleep(1500 * time.Millisecond)
			if got := committedHeight(t, n); got != top {
				t.Fatalf("the halted node committed block %d", got)
			}
			if h2, _ := n.Halted(); h2.Cause != c.cause {
				t.Fatalf("the halt changed to %+v", h2)
			}
		})
	}
}

// TestHaltOnDiskFull puts a node's home on a small tmpfs and fills it
// under load: the node halts with disk-full, whichever write fails first
// (the app's SQLite store, or CometBFT's consensus log). It needs to mount a tmpfs (root, or a
// container allowed to).
func TestHaltOnDiskFull(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("cannot mount a tmpfs here (run as root, or where mounting is allowed): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	home := filepath.Join(dir, "node")
	base := freeBase(t, 2)
	if err := Init(home, "solo", InitOptions{ChainID: testChainID, AppState: testAppState,
		P2PAddr: fmt.Sprintf("tcp://127.0.0.1:%d", base), RPCAddr: fmt.Sprintf("tcp://127.0.0.1:%d", base+1)}); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, home)
	submitAndWait(t, n, setTx(testKey(1), "first", "1"))
	// Leave the node a little room, then write transactions with large
	// values until it halts.
	filler := filepath.Join(dir, "filler")
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	if err := os.WriteFile(filler, make([]byte, max(0, free-3<<20)), 0o600); err != nil {
		t.Fatal(err)
	}
	value := string(make([]byte, 64<<10))
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; ; i++ {
		if h, ok := n.Halted(); ok {
			if h.Cause != HaltDiskFull {
				t.Fatalf("halted with %+v", h)
			}
			t.Logf("halted after %d transactions: %s: %s", i, h.Cause, h.Reason)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the node did not halt on a full disk")
		}
		// Errors are expected as the disk fills (CometBFT's own writes).
		n.Submit(context.Background(), setTx(testKey(byte(2+i%200)), fmt.Sprintf("k%d", i), value))
		time.Sleep(20 * time.Millisecond)
	}
	if r := n.Readiness(); r.Ready || !r.Halted {
		t.Fatalf("readiness: %+v", r)
	}
}

// An altered store found at the next block, a node cut off from its peers
// and --exit-on-halt are tested with four validators of the real binary
// (test/halt_test.go): stopping one of several in-process nodes while its
// peers catch up from it can panic inside CometBFT v0.38 ("leveldb:
// closed", the consensus reactor reading a closed block store), which
// would end this package's whole test process.
