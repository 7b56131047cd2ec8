package chain

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/evote/evote/internal/cometconf"
)

// TestRepairRebuildsTheStore: a node whose store is damaged is refused;
// Repair moves the store aside (kept for inspection), replays the node's
// own blocks into a new one and reaches the app hash the node had; the
// keys and the validator's last-sign state are untouched; the node starts
// and commits again.
func TestRepairRebuildsTheStore(t *testing.T) {
	home, st := stoppedHome(t)
	keep := map[string][]byte{}
	for _, f := range []string{"config/node_key.json", "config/priv_validator_key.json", "data/priv_validator_state.json"} {
		b, err := os.ReadFile(filepath.Join(home, f))
		if err != nil {
			t.Fatal(err)
		}
		keep[f] = b
	}
	garble(t, filepath.Join(home, "data", StoreFile))
	if _, err := openNode(home, Options{NewMachine: newTestMachine}); !errors.Is(err, ErrStoreDamaged) {
		t.Fatalf("NewNode on a damaged store: %v", err)
	}
	conf, err := cometconf.Load(home)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	r, err := Repair(conf, RepairOptions{Node: Options{NewMachine: newTestMachine}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Replayed || r.Height < st.Height || hex.EncodeToString(r.AppHash) != st.AppHash {
		t.Fatalf("repair: %+v; the node was at %d %s", r, st.Height, st.AppHash)
	}
	if r.Aside != filepath.Join(home, "data", "damaged-20261204T210000Z") || !slices.Contains(r.Moved, StoreFile) {
		t.Fatalf("moved %v to %s", r.Moved, r.Aside)
	}
	if _, err := os.Stat(filepath.Join(r.Aside, StoreFile)); err != nil {
		t.Fatalf("the damaged store is not kept: %v", err)
	}
	t.Logf("%+v", r)
	for f, b := range keep {
		if again, err := os.ReadFile(filepath.Join(home, f)); err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%s changed by the repair (%v)", f, err)
		}
	}
	n := startNode(t, home)
	got, err := n.Status(context.Background())
	if err != nil || got.AppHash != st.AppHash {
		t.Fatalf("after the repair: %+v %v, before %+v", got, err, st)
	}
	if v := mustGet(t, n.App().Store().Reader(), "d/k2"); string(v) != "v" {
		t.Fatalf("k2 = %q after the repair", v)
	}
	submitAndWait(t, n, setTx(testKey(1), "after", "v"))
}

// TestRepairRefuses: Repair refuses a running node's home, a rebuild from
// a damaged block store (that needs the peers), a repair from peers of a
// node that has none, and a damaged validator state; it moves nothing
// when it refuses.
func TestRepairRefuses(t *testing.T) {
	home, _ := stoppedHome(t)
	load := func(h string) *RepairOptions { return &RepairOptions{Node: Options{NewMachine: newTestMachine}} }
	repair := func(h string, o *RepairOptions) error {
		conf, err := cometconf.Load(h)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Repair(conf, *o)
		return err
	}
	noneMoved := func(t *testing.T, h string) {
		t.Helper()
		if m, _ := filepath.Glob(filepath.Join(h, "data", "damaged-*")); len(m) > 0 {
			t.Fatalf("a refused repair moved files: %v", m)
		}
	}

	t.Run("running", func(t *testing.T) {
		h := copyOf(t, home)
		n := startNode(t, h)
		defer n.Stop()
		if err := repair(h, load(h)); !errors.Is(err, ErrHomeInUse) {
			t.Fatalf("Repair of a running node: %v, want ErrHomeInUse", err)
		}
		o := load(h)
		o.FromPeers = true
		if err := repair(h, o); !errors.Is(err, ErrHomeInUse) {
			t.Fatalf("Repair --from-peers of a running node: %v, want ErrHomeInUse", err)
		}
		noneMoved(t, h)
	})
	t.Run("block store damaged", func(t *testing.T) {
		h := copyOf(t, home)
		flushJournal(t, h, "blockstore")
		eachFile(t, filepath.Join(h, "data", "blockstore.db"), truncate, ".ldb")
		if err := repair(h, load(h)); !errors.Is(err, ErrBlockStoreDamaged) {
			t.Fatalf("Repair on a damaged block store: %v, want ErrBlockStoreDamaged", err)
		}
		noneMoved(t, h)
	})
	t.Run("no peers", func(t *testing.T) {
		h := copyOf(t, home)
		o := load(h)
		o.FromPeers = true
		if err := repair(h, o); !errors.Is(err, ErrNoPeers) {
			t.Fatalf("Repair --from-peers with no peers: %v, want ErrNoPeers", err)
		}
		noneMoved(t, h)
	})
	t.Run("validator state damaged", func(t *testing.T) {
		h := copyOf(t, home)
		garble(t, filepath.Join(h, "data", "priv_validator_state.json"))
		if err := repair(h, load(h)); !errors.Is(err, ErrValidatorStateDamaged) {
			t.Fatalf("Repair with a damaged validator state: %v, want ErrValidatorStateDamaged", err)
		}
		noneMoved(t, h)
	})
}
