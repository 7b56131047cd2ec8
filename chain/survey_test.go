package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cfg "github.com/cometbft/cometbft/config"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/cometconf"
)

// stoppedHome is a single-validator home with a few committed blocks,
// stopped, and the status it had.
func stoppedHome(t *testing.T) (string, Status) {
	t.Helper()
	home := initHome(t)
	n := startNode(t, home)
	var last *Receipt
	for i := range 3 {
		last = submitAndWait(t, n, setTx(testKey(1), fmt.Sprintf("k%d", i), "v"))
	}
	waitFor(t, 30*time.Second, "the block carrying the last app hash", func() bool {
		return committedHeight(t, n) > last.Height
	})
	st, err := n.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	return home, st
}

// copyOf copies home to a new directory.
func copyOf(t *testing.T, home string) string {
	t.Helper()
	cp := filepath.Join(t.TempDir(), "node")
	if err := os.CopyFS(cp, os.DirFS(home)); err != nil {
		t.Fatal(err)
	}
	return cp
}

// garble overwrites every byte of path with a pattern.
func garble(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b := bytes.Repeat([]byte("damaged!"), int(fi.Size()/8)+1)[:fi.Size()]
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// truncate cuts path to half its size.
func truncate(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
}

// flushJournal opens and closes CometBFT's database id of home, which
// moves goleveldb's journal (.log) into a table (.ldb).
func flushJournal(t *testing.T, home, id string) {
	t.Helper()
	conf, err := cometconf.Load(home)
	if err != nil {
		t.Fatal(err)
	}
	db, err := cfg.DefaultDBProvider(&cfg.DBContext{ID: id, Config: conf})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

// eachFile applies f to every regular file under dir whose name ends with
// one of the suffixes.
func eachFile(t *testing.T, dir string, f func(t *testing.T, path string), suffixes ...string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, s := range suffixes {
			if strings.HasSuffix(path, s) {
				f(t, path)
				n++
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no file %v under %s", suffixes, dir)
	}
}

// TestNodeRefusesDamagedFiles: a stopped node's files are damaged one at a
// time (garbage written over them, truncated, removed); each time NewNode
// refuses the home with a *DamagedError of the right kind naming the file,
// never a panic, and releases the home (its lock) for a repair.
func TestNodeRefusesDamagedFiles(t *testing.T) {
	home, _ := stoppedHome(t)
	data := func(home string, rel ...string) string {
		return filepath.Join(append([]string{home, "data"}, rel...)...)
	}
	conf := func(home string, rel string) string { return filepath.Join(home, "config", rel) }
	cases := []struct {
		name   string
		damage func(t *testing.T, home string)
		kind   error
		file   func(home string) string
	}{
		{"store garbage", func(t *testing.T, h string) { garble(t, data(h, StoreFile)) }, ErrStoreDamaged,
			func(h string) string { return data(h, StoreFile) }},
		{"store empty", func(t *testing.T, h string) { os.Truncate(data(h, StoreFile), 0) }, ErrStoreDamaged,
			func(h string) string { return data(h, StoreFile) }},
		{"store truncated", func(t *testing.T, h string) { truncate(t, data(h, StoreFile)) }, ErrStoreDamaged,
			func(h string) string { return data(h, StoreFile) }},
		{"block store garbage", func(t *testing.T, h string) {
			eachFile(t, data(h, "blockstore.db"), garble, ".ldb", ".log", "MANIFEST-000000", "MANIFEST-000001", "MANIFEST-000002")
		}, ErrBlockStoreDamaged, func(h string) string { return data(h, "blockstore.db") }},
		{"block store journal truncated", func(t *testing.T, h string) {
			eachFile(t, data(h, "blockstore.db"), truncate, ".log")
		}, ErrBlockStoreDamaged, func(h string) string { return data(h, "blockstore.db") }},
		{"block store tables truncated", func(t *testing.T, h string) {
			flushJournal(t, h, "blockstore")
			eachFile(t, data(h, "blockstore.db"), truncate, ".ldb")
		}, ErrBlockStoreDamaged, func(h string) string { return data(h, "blockstore.db") }},
		{"state tables truncated", func(t *testing.T, h string) {
			flushJournal(t, h, "state")
			eachFile(t, data(h, "state.db"), truncate, ".ldb")
		}, ErrCometStateDamaged, func(h string) string { return data(h, "state.db") }},
		{"block store removed", func(t *testing.T, h string) { os.RemoveAll(data(h, "blockstore.db")) }, ErrBlockStoreDamaged,
			func(h string) string { return data(h, "blockstore.db") }},
		{"state garbage", func(t *testing.T, h string) {
			eachFile(t, data(h, "state.db"), garble, ".ldb", ".log")
		}, ErrCometStateDamaged, func(h string) string { return data(h, "state.db") }},
		{"state removed", func(t *testing.T, h string) { os.RemoveAll(data(h, "state.db")) }, ErrCometStateDamaged,
			func(h string) string { return data(h, "state.db") }},
		{"validator state garbage", func(t *testing.T, h string) { garble(t, data(h, "priv_validator_state.json")) }, ErrValidatorStateDamaged,
			func(h string) string { return data(h, "priv_validator_state.json") }},
		{"validator state missing", func(t *testing.T, h string) { os.Remove(data(h, "priv_validator_state.json")) }, ErrValidatorStateDamaged,
			func(h string) string { return data(h, "priv_validator_state.json") }},
		{"validator key garbage", func(t *testing.T, h string) { garble(t, conf(h, "priv_validator_key.json")) }, ErrKeyDamaged,
			func(h string) string { return conf(h, "priv_validator_key.json") }},
		{"validator key truncated", func(t *testing.T, h string) { truncate(t, conf(h, "priv_validator_key.json")) }, ErrKeyDamaged,
			func(h string) string { return conf(h, "priv_validator_key.json") }},
		{"node key garbage", func(t *testing.T, h string) { garble(t, conf(h, "node_key.json")) }, ErrKeyDamaged,
			func(h string) string { return conf(h, "node_key.json") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := copyOf(t, home)
			c.damage(t, h)
			n, err := openNode(h, Options{NewMachine: newTestMachine})
			if err == nil {
				n.Stop()
				t.Fatal("the node opened a damaged home")
			}
			var de *DamagedError
			if !errors.As(err, &de) || !errors.Is(err, ErrDamaged) || !errors.Is(err, c.kind) {
				t.Fatalf("NewNode: %v; want a DamagedError of kind %v", err, c.kind)
			}
			if de.File != c.file(h) {
				t.Errorf("the error names %s, want %s", de.File, c.file(h))
			}
			t.Log(err)
			// The home is not left locked.
			l, err := lockHome(h)
			if err != nil {
				t.Fatalf("after the refusal: %v", err)
			}
			l.release()
		})
	}
}

// TestNodeRepairsItsWAL: damage to CometBFT's consensus log (cs.wal) is
// CometBFT's to handle. Garbage after the last record: the node keeps the
// log as cs.wal/wal.CORRUPTED, cuts it at the damage and starts. A log all
// garbage: CometBFT finds no record of the height to resume, logs it and
// starts without. Either way the node goes on committing, and starts again.
func TestNodeRepairsItsWAL(t *testing.T) {
	home, st := stoppedHome(t)
	for _, c := range []struct {
		name      string
		damage    func(t *testing.T, wal string)
		corrupted bool
	}{
		{"garbage after the last record", func(t *testing.T, wal string) {
			f, err := os.OpenFile(wal, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			// A record header (crc, length) whose checksum is wrong.
			f.Write([]byte{0, 0, 0, 1, 0, 0, 0, 8, 'd', 'a', 'm', 'a', 'g', 'e', 'd', '!'})
			f.Close()
		}, true},
		{"all garbage", garble, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := copyOf(t, home)
			wal := filepath.Join(h, "data", "cs.wal", "wal")
			c.damage(t, wal)
			n := startNode(t, h)
			got, err := n.Status(context.Background())
			if err != nil || got.Height < st.Height || got.AppHash != st.AppHash {
				t.Fatalf("after the WAL's damage: %+v %v, before %+v", got, err, st)
			}
			if _, err := os.Stat(wal + ".CORRUPTED"); (err == nil) != c.corrupted {
				t.Errorf("cs.wal/wal.CORRUPTED: %v, want it there: %v", err, c.corrupted)
			}
			submitAndWait(t, n, setTx(testKey(1), "after", "v"))
			if err := n.Stop(); err != nil {
				t.Fatal(err)
			}
			n = startNode(t, h)
			submitAndWait(t, n, setTx(testKey(1), "again", "v"))
		})
	}
}

// TestHomeLock: a running node holds its home; a second NewNode of the
// same home is refused with ErrHomeInUse, and the home is free once the
// node stops.
func TestHomeLock(t *testing.T) {
	home := initHome(t)
	n := startNode(t, home)
	if m, err := openNode(home, Options{NewMachine: newTestMachine}); !errors.Is(err, ErrHomeInUse) {
		if err == nil {
			m.Stop()
		}
		t.Fatalf("a second node on a running home: %v, want ErrHomeInUse", err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	l, err := lockHome(home)
	if err != nil {
		t.Fatalf("after Stop: %v", err)
	}
	l.release()
}

// skewMachine is the test machine with one more write in every block: a
// node that replays the chain with it reaches other app hashes than the
// ones the validators signed.
type skewMachine struct{ StateMachine }

func (m skewMachine) BeginBlock(st election.Store, b election.Block) (election.BlockExec, error) {
	if err := st.Set([]byte("d/skew"), []byte(fmt.Sprint(b.Height))); err != nil {
		return nil, err
	}
	return m.StateMachine.BeginBlock(st, b)
}

// TestReplayToAnotherAppHashIsAnError: a store rebuilt from the block
// store by a machine that reaches another app hash makes CometBFT's
// handshake (in NewNode, which Repair runs) panic; the panic is an
// ErrDamaged error, not a crash.
func TestReplayToAnotherAppHashIsAnError(t *testing.T) {
	home, _ := stoppedHome(t)
	skew := func(appState json.RawMessage, chainID string) (StateMachine, error) {
		m, err := newTestMachine(appState, chainID)
		return skewMachine{m}, err
	}
	conf, err := cometconf.Load(home)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Repair(conf, RepairOptions{Node: Options{NewMachine: skew}})
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("Repair replaying to other app hashes: %v, want ErrDamaged", err)
	}
	t.Log(err)
}
