package test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/evote/evote/chain"
)

// The repair tests damage a stopped node's files as a failing disk or a
// hand would, and check what the real binary does: `evote node` refuses
// to start with exit code 5 and an error naming the file and the repair,
// never a Go panic; `evote node repair` brings the node back, and it
// converges with the others with every receipt.

// exitDamaged is `evote node`'s exit code for a damaged or altered home.
const exitDamaged = 5

// castAll casts every ballot of bs, ballot k to nodes[k mod len] first
// (then the next on each retry), and fails the test unless all are
// committed.
func (tn *testnet) castAll(bs []*ballot, nodes []int) {
	tn.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(bs))
	for k, b := range bs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			how, err := cast(ctx, func(try int) string { return tn.urls[nodes[(k+try)%len(nodes)]] }, b)
			if err == nil && how == "" {
				err = fmt.Errorf("ballot %s: not committed in time", b.code)
			}
			if err != nil {
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		tn.fatalf("%v", err)
	}
}

// refused starts node i, which must refuse its damaged home: exit with
// exitDamaged, an error naming file on its standard error, and no Go
// panic or goroutine dump.
func (tn *testnet) refused(i int, file string) string {
	tn.t.Helper()
	p := tn.nodes[i]
	p.restart()
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		tn.fatalf("node %d started on a damaged home", i)
	}
	var exit *exec.ExitError
	if !errors.As(p.err, &exit) || exit.ExitCode() != exitDamaged {
		tn.fatalf("node %d on a damaged home exited with %v, want code %d", i, p.err, exitDamaged)
	}
	out := lastRun(tn.t, p.log)
	if !strings.Contains(out, file) || strings.Contains(out, "panic:") || strings.Contains(out, "goroutine ") {
		tn.fatalf("node %d's output on a damaged home names not %s, or panics:\n%s", i, file, out)
	}
	return out
}

// lastRun is the output of the last run in a process log.
func lastRun(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if k := strings.LastIndex(s, "\n--- "); k >= 0 {
		if j := strings.LastIndex(s[:k], "--- "); j >= 0 {
			return s[j:]
		}
	}
	return s
}

// fileBytes reads path, failing the test on an error.
func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// damageFiles truncates every file under dir whose name ends with one of
// the suffixes to half its size, then writes garbage over its first bytes.
func damageFiles(t *testing.T, dir string, suffixes ...string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, s := range suffixes {
			if !strings.HasSuffix(path, s) {
				continue
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				return err
			}
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			f.Write(bytes.Repeat([]byte("damaged!"), int(min(fi.Size()/2, 4096)/8)))
			n++
			return f.Close()
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

// repairNetwork is the common part of the repair tests: a four-validator
// network with an open election, a third of its ballots cast through all
// four nodes; then node 3 is stopped, a third more are cast through the
// others, and damage is done to node 3's stopped home. It returns the
// network, the election's id and the ballots (the last third not cast).
func repairNetwork(t *testing.T, voters int, damage func(home string)) (*testnet, string, []*ballot) {
	t.Helper()
	t0 := time.Now()
	tn := newTestnet(t, 4)
	se := tn.sample(voters)
	bs := se.ballots(t)
	third := len(bs) / 3
	tn.castAll(bs[:third], []int{0, 1, 2, 3})
	tn.agree([]int{0, 1, 2, 3}, se.id, 1, time.Minute)
	tn.nodes[3].stop()
	tn.castAll(bs[third:2*third], []int{0, 1, 2})
	damage(tn.nodes[3].home)
	t.Logf("4 nodes, %d ballots cast, node 3 stopped, %d more cast without it, its home damaged, in %v",
		third, third, time.Since(t0).Round(time.Millisecond))
	return tn, se.id, bs
}

// convergeAfterRepair starts node 3 again after its repair, waits until
// the four agree, casts the last third of the ballots through all four
// (node 3 first for some), and checks every ballot's receipt on each node.
func (tn *testnet) convergeAfterRepair(id string, bs []*ballot) snapshot {
	tn.t.Helper()
	t0 := time.Now()
	tn.nodes[3].restart()
	tn.waitUp(3, 2*time.Minute)
	before, err := tn.heights([]int{0})
	if err != nil {
		tn.fatalf("%v", err)
	}
	tn.agree([]int{0, 1, 2, 3}, id, before[0], 2*time.Minute)
	tn.t.Logf("node 3 caught up to height %d in %v", before[0], time.Since(t0).Round(time.Millisecond))
	third := len(bs) / 3
	tn.castAll(bs[2*third:], []int{3, 0, 1, 2})
	st := tn.settle(0, 2*time.Second, time.Minute)
	snap := tn.agree([]int{0, 1, 2, 3}, id, st.Height, time.Minute)
	if tc := parseTally(tn.t, snap.Tally); tc.Voters != uint64(len(bs)) {
		tn.fatalf("the tally counts %d voters, %d ballots were cast", tc.Voters, len(bs))
	}
	tn.checkReceipts([]int{0, 1, 2, 3}, bs)
	return snap
}

// TestRepairAlteredStore: a validator's store altered at rest (receipt
// rows deleted) is refused at start; `evote node repair` moves it aside
// and rebuilds it from the node's own blocks; the node starts, catches up
// with the ballots cast in its absence, takes ballots again, and every
// receipt is on each of the four nodes.
func TestRepairAlteredStore(t *testing.T) {
	store := ""
	tn, id, bs := repairNetwork(t, 18, func(home string) {
		store = filepath.Join(home, "data", chain.StoreFile)
		db, err := sql.Open("sqlite3", store)
		if err != nil {
			t.Fatal(err)
		}
		execSQL(t, db, "DELETE FROM txs WHERE hash IN (SELECT hash FROM txs WHERE code = 0 LIMIT 3)")
		db.Close()
	})
	out := tn.refused(3, store)
	t.Logf("refused:\n%s", out)
	home := tn.nodes[3].home
	valState := fileBytes(t, filepath.Join(home, "data", "priv_validator_state.json"))
	rep := runEvote(t, 2*time.Minute, "node", "repair", "--home", home)
	t.Logf("evote node repair:\n%s", rep)
	if !bytes.Equal(fileBytes(t, filepath.Join(home, "data", "priv_validator_state.json")), valState) {
		tn.fatalf("the repair changed priv_validator_state.json")
	}
	aside, _ := filepath.Glob(filepath.Join(home, "data", "damaged-*", chain.StoreFile))
	if len(aside) != 1 {
		tn.fatalf("the altered store was not kept aside: %v", aside)
	}
	snap := tn.convergeAfterRepair(id, bs)
	t.Logf("repaired node 3 agrees at height %d, app hash %s; %d receipts on each node", snap.Height, snap.AppHash, len(bs))
}

// TestRepairFromPeers: a validator's block store damaged (its files cut in
// half and overwritten at the start) is refused at start; `evote node
// repair` alone refuses it too (the blocks to replay are gone) and moves
// nothing; `evote node repair --from-peers` moves CometBFT's databases,
// its consensus log and the store aside, keeping the keys and
// priv_validator_state.json byte for byte, so that the validator cannot
// sign again at a height it signed; the node syncs from its peers,
// converges, takes ballots again, and every receipt is on each node.
func TestRepairFromPeers(t *testing.T) {
	tn, id, bs := repairNetwork(t, 18, func(home string) {
		damageFiles(t, filepath.Join(home, "data", "blockstore.db"), ".log", ".ldb")
	})
	home := tn.nodes[3].home
	out := tn.refused(3, filepath.Join(home, "data", "blockstore.db"))
	t.Logf("refused:\n%s", out)
	keep := map[string][]byte{}
	for _, f := range []string{"config/node_key.json", "config/priv_validator_key.json", "data/priv_validator_state.json"} {
		keep[f] = fileBytes(t, filepath.Join(home, f))
	}
	if out, err := tryEvote(t, time.Minute, "node", "repair", "--home", home); err == nil {
		tn.fatalf("evote node repair rebuilt from a damaged block store:\n%s", out)
	}
	if m, _ := filepath.Glob(filepath.Join(home, "data", "damaged-*")); len(m) > 0 {
		tn.fatalf("a refused repair moved files: %v", m)
	}
	rep := runEvote(t, time.Minute, "node", "repair", "--home", home, "--from-peers")
	t.Logf("evote node repair --from-peers:\n%s", rep)
	for f, b := range keep {
		if !bytes.Equal(fileBytes(t, filepath.Join(home, f)), b) {
			tn.fatalf("the repair changed %s", f)
		}
	}
	for _, f := range []string{"blockstore.db", "state.db", "cs.wal", chain.StoreFile} {
		if _, err := os.Stat(filepath.Join(home, "data", f)); !os.IsNotExist(err) {
			tn.fatalf("data/%s is still in place after the repair (%v)", f, err)
		}
	}
	snap := tn.convergeAfterRepair(id, bs)
	// It signs again, from where its kept last-sign state left off.
	before, after := signedHeight(t, keep["data/priv_validator_state.json"]), int64(0)
	err := eventually(time.Minute, 200*time.Millisecond, func() error {
		after = signedHeight(t, fileBytes(t, filepath.Join(home, "data", "priv_validator_state.json")))
		if after <= before {
			return fmt.Errorf("last signed at height %d, before the damage at %d", after, before)
		}
		return nil
	})
	if err != nil {
		tn.fatalf("node 3 does not sign again: %v", err)
	}
	t.Logf("re-synced node 3 agrees at height %d, app hash %s; %d receipts on each node; it last signed at height %d before the damage, %d now",
		snap.Height, snap.AppHash, len(bs), before, after)
}

// signedHeight is the height of a priv_validator_state.json.
func signedHeight(t *testing.T, b []byte) int64 {
	t.Helper()
	var st struct {
		Height string `json:"height"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	h, err := strconv.ParseInt(st.Height, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestBinaryRefusesDamagedHome: a single validator of the real binary,
// stopped after a few blocks; a copy of its home damaged in one file at a
// time makes `evote node` exit with code 5 and an error naming the file,
// without a Go panic, and `evote node repair` refuses to run while the
// node runs.
func TestBinaryRefusesDamagedHome(t *testing.T) {
	t.Parallel()
	tn := newTestnet(t, 1)
	se := tn.sample(2)
	tn.castAll(se.ballots(t), []int{0})
	home := tn.nodes[0].home
	if out, err := tryEvote(t, time.Minute, "node", "repair", "--home", home); err == nil || !strings.Contains(err.Error(), filepath.Join(home, "data", chain.LockFile)) {
		tn.fatalf("evote node repair on a running node: %v\n%s", err, out)
	}
	tn.nodes[0].stop()
	data := func(h string, rel ...string) string { return filepath.Join(append([]string{h, "data"}, rel...)...) }
	for _, c := range []struct {
		name   string
		file   func(h string) string
		damage func(path string)
	}{
		{"store overwritten", func(h string) string { return data(h, chain.StoreFile) }, nil},
		{"state journal cut", func(h string) string { return data(h, "state.db") }, func(path string) { damageFiles(t, path, ".log", ".ldb") }},
		{"validator state overwritten", func(h string) string { return data(h, "priv_validator_state.json") }, nil},
		{"validator key overwritten", func(h string) string { return filepath.Join(h, "config", "priv_validator_key.json") }, nil},
		{"node key removed", func(h string) string { return filepath.Join(h, "config", "node_key.json") }, func(path string) { os.Remove(path) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			cp := filepath.Join(t.TempDir(), "node")
			if err := copyHome(home, cp, func(string) bool { return false }); err != nil {
				t.Fatal(err)
			}
			path := c.file(cp)
			if c.damage != nil {
				c.damage(path)
			} else {
				damageFiles(t, filepath.Dir(path), filepath.Base(path))
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, evoteBinary(t), "node", "--home", cp)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitDamaged {
				t.Fatalf("evote node on a damaged home: %v, want exit code %d\n%s", err, exitDamaged, out)
			}
			if !strings.Contains(string(out), path) || strings.Contains(string(out), "panic:") || strings.Contains(string(out), "goroutine ") {
				t.Fatalf("evote node's output names not %s, or panics:\n%s", path, out)
			}
			t.Logf("%s", out)
		})
	}
}
