package chain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/evote/evote/election"
)

func openTestStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustGet(t *testing.T, st election.ReadStore, key string) []byte {
	t.Helper()
	v, err := st.Get([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func collect(t *testing.T, st election.ReadStore, prefix string) []string {
	t.Helper()
	var out []string
	err := st.Iterate([]byte(prefix), func(k, v []byte) error {
		out = append(out, fmt.Sprintf("%s=%s", k, v))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStoreBlockReadsItsWritesReadersSeeOnlyCommits(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), StoreFile))
	b, err := s.Begin(1)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{{"b/2", "two"}, {"b/1", "one"}, {"a", "x"}, {"b/\xff", "ff"}, {"c", ""}} {
		if err := b.Set([]byte(kv[0]), []byte(kv[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Delete([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete([]byte("missing")); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, b, "b/1"); string(got) != "one" {
		t.Fatalf("block Get b/1 = %q", got)
	}
	if got := mustGet(t, b, "a"); got != nil {
		t.Fatalf("deleted key reads %q", got)
	}
	if got := mustGet(t, b, "c"); got == nil || len(got) != 0 {
		t.Fatalf("empty value reads %v, want empty non-nil", got)
	}
	if got, want := collect(t, b, "b/"), []string{"b/1=one", "b/2=two", "b/\xff=ff"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Iterate b/ = %q, want %q", got, want)
	}
	// The committed state is still empty for readers.
	if got := mustGet(t, s.Reader(), "b/1"); got != nil {
		t.Fatalf("reader sees a staged write: %q", got)
	}
	if got := collect(t, s.Reader(), ""); len(got) != 0 {
		t.Fatalf("reader iterates staged writes: %q", got)
	}
	if _, err := s.Begin(2); !errors.Is(err, ErrBlockStaged) {
		t.Fatalf("second Begin: %v, want ErrBlockStaged", err)
	}
	blockTime := time.Unix(1700000000, 5).UTC()
	hash, err := b.Commit(blockTime)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Meta()
	if err != nil {
		t.Fatal(err)
	}
	if m.Height != 1 || !bytes.Equal(m.AppHash, hash) || !m.Time.Equal(blockTime) {
		t.Fatalf("meta %+v, want height 1, hash %x, time %v", m, hash, blockTime)
	}
	if got, want := collect(t, s.Reader(), ""), []string{"b/1=one", "b/2=two", "b/\xff=ff", "c="}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("committed = %q, want %q", got, want)
	}
	err = s.View(context.Background(), func(m Meta, st election.ReadStore) error {
		if m.Height != 1 {
			t.Errorf("view height %d", m.Height)
		}
		if got := mustGet(t, st, "b/2"); string(got) != "two" {
			t.Errorf("view b/2 = %q", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStoreIterateStopsAndPrefixEnd(t *testing.T) {
	for _, tc := range []struct{ prefix, end []byte }{
		{[]byte("a"), []byte("b")},
		{[]byte("a\xff"), []byte("b")},
		{[]byte("\xff\xff"), nil},
		{nil, nil},
		{[]byte{0}, []byte{1}},
	} {
		if got := prefixEnd(tc.prefix); !bytes.Equal(got, tc.end) || (got == nil) != (tc.end == nil) {
			t.Errorf("prefixEnd(%x) = %x, want %x", tc.prefix, got, tc.end)
		}
	}
	s := openTestStore(t, filepath.Join(t.TempDir(), StoreFile))
	b, _ := s.Begin(1)
	for i := range 5 {
		b.Set([]byte{'k', byte(i)}, []byte{byte(i)})
	}
	stop := errors.New("stop")
	n := 0
	err := b.Iterate([]byte("k"), func(k, v []byte) error {
		n++
		// Reads during iteration are allowed.
		if _, err := b.Get([]byte("k")); err != nil {
			return err
		}
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("Iterate returned %v after %d calls, want stop after 3", err, n)
	}
	if b.Err() != nil {
		t.Fatalf("the callback's error marked the block failed: %v", b.Err())
	}
}

func TestStoreRejectedTransactionLeavesNoTrace(t *testing.T) {
	dir := t.TempDir()
	run := func(name string, reject bool) []byte {
		s := openTestStore(t, filepath.Join(dir, name))
		b, _ := s.Begin(1)
		b.Set([]byte("x"), []byte("1"))
		if err := b.BeginTx(); err != nil {
			t.Fatal(err)
		}
		b.Set([]byte("y"), []byte("2"))
		b.Delete([]byte("x"))
		if reject {
			if err := b.EndTx(false); err != nil {
				t.Fatal(err)
			}
		} else {
			b.EndTx(true)
			// What a kept transaction wrote, undone by hand.
			b.Delete([]byte("y"))
			b.Set([]byte("x"), []byte("1"))
		}
		if reject {
			if mustGet(t, b, "y") != nil || string(mustGet(t, b, "x")) != "1" {
				t.Fatal("rolled-back writes still visible")
			}
			if b.Writes() != 1 {
				t.Fatalf("writes = %d, want 1", b.Writes())
			}
		}
		h, err := b.Commit(time.Unix(1, 0))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	plain := func() []byte {
		s := openTestStore(t, filepath.Join(dir, "plain.db"))
		b, _ := s.Begin(1)
		b.Set([]byte("x"), []byte("1"))
		h, _ := b.Commit(time.Unix(1, 0))
		return h
	}()
	if got := run("rejected.db", true); !bytes.Equal(got, plain) {
		t.Fatalf("a rejected transaction changed the app hash: %x != %x", got, plain)
	}
	// The same final state reached through more writes hashes differently:
	// the app hash commits to the block's writes, not only to the result.
	if got := run("kept.db", false); bytes.Equal(got, plain) {
		t.Fatal("different write sequences gave the same app hash")
	}
}

func TestStoreEmptyBlockKeepsAppHash(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), StoreFile))
	if err := s.InitGenesis("c", []byte(`{}`), election.GenesisAppHash("c", []byte(`{}`))); err != nil {
		t.Fatal(err)
	}
	b, _ := s.Begin(1)
	b.Set([]byte("k"), []byte("v"))
	h1, _ := b.Commit(time.Unix(1, 0))
	if bytes.Equal(h1, election.GenesisAppHash("c", []byte(`{}`))) {
		t.Fatal("a block with writes kept the app hash")
	}
	// A block without writes keeps the app hash.
	b, _ = s.Begin(2)
	h2, _ := b.Commit(time.Unix(2, 0))
	if !bytes.Equal(h1, h2) {
		t.Fatalf("a block without writes changed the app hash: %x -> %x", h1, h2)
	}
	// A row of the receipt index is state: a block with only a rejected
	// transaction changes the app hash.
	b, _ = s.Begin(3)
	if err := b.AddTx([]byte("h"), 0, 7, "rejected"); err != nil {
		t.Fatal(err)
	}
	h3, _ := b.Commit(time.Unix(3, 0))
	if bytes.Equal(h2, h3) {
		t.Fatal("a block with a row of the receipt index kept the app hash")
	}
	row, err := s.TxRow([]byte("h"))
	if err != nil || row.Height != 3 || row.Code != 7 || row.Log != "rejected" {
		t.Fatalf("tx row %+v, %v", row, err)
	}
	// A later acceptance of the same transaction replaces a rejected row;
	// an accepted row is never replaced.
	b, _ = s.Begin(4)
	b.AddTx([]byte("h"), 4, election.CodeOK, "")
	b.Commit(time.Unix(4, 0))
	b, _ = s.Begin(5)
	b.AddTx([]byte("h"), 0, 9, "duplicate")
	b.Commit(time.Unix(5, 0))
	if row, _ := s.TxRow([]byte("h")); row.Height != 4 || row.Index != 4 || row.Code != election.CodeOK {
		t.Fatalf("tx row %+v, want the acceptance at 3/4", row)
	}
	if _, err := s.TxRow([]byte("none")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing row: %v", err)
	}
	if err := s.InitGenesis("c", nil, nil); err == nil {
		t.Fatal("InitGenesis after a committed block succeeded")
	}
	if _, err := s.Begin(9); err == nil {
		t.Fatal("Begin skipped heights")
	}
}

// A block staged and dropped without Commit leaves nothing behind: neither
// its writes nor its transactions nor a new meta row.
func TestStoreDroppedBlockIsInvisibleAfterReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), StoreFile)
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Begin(1)
	b.Set([]byte("kept"), []byte("1"))
	h1, _ := b.Commit(time.Unix(1, 0))
	b, _ = s.Begin(2)
	b.Set([]byte("lost"), []byte("2"))
	b.Set([]byte("kept"), []byte("overwritten"))
	b.AddTx([]byte("tx"), 0, 0, "")
	if err := s.Close(); err != nil { // the staged block is dropped
		t.Fatal(err)
	}
	checkDropped(t, path, h1)
}

// The same with a real crash: a child process commits block 1, stages
// block 2 and is killed with SIGKILL before Commit.
func TestStoreKilledBeforeCommit(t *testing.T) {
	if dir := os.Getenv("EVOTE_TEST_KILL_STORE"); dir != "" {
		killedWriter(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStoreKilledBeforeCommit$")
	cmd.Env = append(os.Environ(), "EVOTE_TEST_KILL_STORE="+dir)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed by SIGKILL\n%s", err, out)
	}
	h1, err := os.ReadFile(filepath.Join(dir, "hash1"))
	if err != nil {
		t.Fatalf("child did not commit block 1: %v\n%s", err, out)
	}
	checkDropped(t, filepath.Join(dir, StoreFile), h1)
}

func killedWriter(dir string) {
	s, err := OpenStore(filepath.Join(dir, StoreFile))
	if err != nil {
		panic(err)
	}
	b, _ := s.Begin(1)
	b.Set([]byte("kept"), []byte("1"))
	h1, err := b.Commit(time.Unix(1, 0))
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hash1"), h1, 0o600); err != nil {
		panic(err)
	}
	b, _ = s.Begin(2)
	b.Set([]byte("kept"), []byte("overwritten"))
	for i := range 2000 { // enough to spill pages out of SQLite's cache
		b.Set(fmt.Appendf(nil, "lost/%05d", i), bytes.Repeat([]byte{byte(i)}, 512))
	}
	b.AddTx([]byte("tx"), 0, 0, "")
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

func checkDropped(t *testing.T, path string, h1 []byte) {
	t.Helper()
	s := openTestStore(t, path)
	m, err := s.Meta()
	if err != nil {
		t.Fatal(err)
	}
	if m.Height != 1 || !bytes.Equal(m.AppHash, h1) {
		t.Fatalf("meta after reopen: height %d hash %x, want 1 %x", m.Height, m.AppHash, h1)
	}
	if got := collect(t, s.Reader(), ""); fmt.Sprint(got) != "[kept=1]" {
		t.Fatalf("state after reopen: %q, want only kept=1", got)
	}
	if _, err := s.TxRow([]byte("tx")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the dropped block's transaction is visible: %v", err)
	}
	// And the store goes on from height 1.
	b, err := s.Begin(2)
	if err != nil {
		t.Fatal(err)
	}
	b.Set([]byte("next"), []byte("3"))
	if _, err := b.Commit(time.Unix(3, 0)); err != nil {
		t.Fatal(err)
	}
}
