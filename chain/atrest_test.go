package chain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/evote/evote/election"
)

// TestStoreCheckState: the running checksums the store keeps write by
// write (overwrites, deletes, a rolled-back transaction, rows of the
// receipt index replaced or kept) agree with the ones recomputed from its
// rows after every block; a row changed, added or deleted behind the
// store's back is ErrStateAltered, naming the table.
func TestStoreCheckState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), StoreFile)
	s := openTestStore(t, path)
	check := func(what string) {
		t.Helper()
		if _, err := s.CheckState(ctx, path); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	check("before InitChain")
	if err := s.InitGenesis("c", []byte(`{}`), election.GenesisAppHash("c", []byte(`{}`))); err != nil {
		t.Fatal(err)
	}
	check("after InitChain")
	blocks := []func(b *Block){
		func(b *Block) {
			b.Set([]byte("a"), []byte("1"))
			b.Set([]byte("b"), []byte("2"))
			b.Set([]byte("e"), nil)
			b.AddTx([]byte("t1"), 0, 7, "rejected")
		},
		func(b *Block) {
			b.Set([]byte("a"), []byte("1 again")) // an overwrite
			b.Delete([]byte("b"))
			b.Delete([]byte("absent"))
			b.BeginTx()
			b.Set([]byte("rolled back"), []byte("x"))
			b.Delete([]byte("a"))
			b.EndTx(false)
			b.BeginTx()
			b.Set([]byte("kept"), []byte("y"))
			b.EndTx(true)
			b.AddTx([]byte("t1"), 1, election.CodeOK, "") // replaces the rejected row
			b.AddTx([]byte("t2"), 2, election.CodeOK, "")
		},
		func(b *Block) {}, // no writes
		func(b *Block) {
			b.AddTx([]byte("t1"), 0, 9, "duplicate") // the accepted row is kept
		},
	}
	for i, fill := range blocks {
		b, err := s.Begin(int64(i + 1))
		if err != nil {
			t.Fatal(err)
		}
		fill(b)
		if _, err := b.Commit(time.Unix(int64(i+1), 0)); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("after block %d", i+1))
	}
	if v := mustGet(t, s.Reader(), "rolled back"); v != nil {
		t.Fatal("the rolled-back write is in the store")
	}

	for _, c := range []struct {
		name, alter, undo string
		table             string
	}{
		{"kv value changed", "UPDATE kv SET value = x'00' WHERE key = x'6b657074'", "UPDATE kv SET value = x'79' WHERE key = x'6b657074'", "kv"},
		{"kv row added", "INSERT INTO kv (key, value) VALUES (x'7a', x'')", "DELETE FROM kv WHERE key = x'7a'", "kv"},
		{"kv row deleted", "DELETE FROM kv WHERE key = x'6b657074'", "INSERT INTO kv (key, value) VALUES (x'6b657074', x'79')", "kv"},
		{"txs row deleted", "DELETE FROM txs WHERE hash = x'7432'", "INSERT INTO txs (hash, height, idx, code, log) VALUES (x'7432', 2, 2, 0, '')", "txs"},
		{"txs code changed", "UPDATE txs SET code = 3 WHERE hash = x'7431'", "UPDATE txs SET code = 0 WHERE hash = x'7431'", "txs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.w.Exec(c.alter); err != nil {
				t.Fatal(err)
			}
			_, err := s.CheckState(ctx, path)
			var e *StateAlteredError
			if !errors.Is(err, ErrStateAltered) || !errors.As(err, &e) || e.Height != 4 {
				t.Fatalf("CheckState after %s: %v", c.name, err)
			}
			if (c.table == "kv") != bytes.Contains([]byte(err.Error()), []byte("table kv")) {
				t.Fatalf("the error does not name table %s: %v", c.table, err)
			}
			if _, err := s.w.Exec(c.undo); err != nil {
				t.Fatal(err)
			}
			check("after undoing " + c.name)
		})
	}
}

// TestNodeRefusesRewrittenMeta: an alteration whose author also rewrote
// the store's own checksum and app hash, so that the store agrees with
// itself, is still refused: the app hash no longer matches the one
// CometBFT recorded, and the header the validators signed.
func TestNodeRefusesRewrittenMeta(t *testing.T) {
	home := initHome(t)
	n := startNode(t, home)
	for i := range 3 {
		submitAndWait(t, n, setTx(testKey(byte(i+1)), fmt.Sprintf("k%d", i), "v"))
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, "data", StoreFile)
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec("UPDATE kv SET value = x'6c6965' WHERE key = (SELECT key FROM kv ORDER BY key LIMIT 1)"); err != nil {
		t.Fatal(err)
	}
	// Rewrite meta as the store would have: the checksums of the rows and
	// the app hash they give.
	kv, txs, _, _, err := s.sumState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var prev, wh []byte
	if err := s.r.QueryRow("SELECT prev_writes, writes_hash FROM meta WHERE id = 0").Scan(&prev, &wh); err != nil {
		t.Fatal(err)
	}
	_, leaves, err := commitmentsAt(s.r, 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	app := election.AppHash(election.NextWritesChain(prev, wh, election.StateChecksum(&kv, &txs)), election.MerkleRoot(leaves))
	if _, err := s.w.Exec("UPDATE meta SET lt_kv = ?, lt_txs = ?, app_hash = ? WHERE id = 0", kv.Bytes(), txs.Bytes(), app); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckState(context.Background(), path); err != nil {
		t.Fatalf("the rewritten store does not agree with itself: %v", err)
	}
	s.Close()

	_, err = openNode(home, Options{NewMachine: newTestMachine, LogOutput: testLog()})
	if !errors.Is(err, ErrStateAltered) {
		t.Fatalf("NewNode on a store with rewritten meta: %v, want ErrStateAltered", err)
	}
	t.Log(err)
}

// A store made by an evote/v2 node (schema version 2, no state checksum)
// is refused, naming the file: its app hash cannot be checked, nor go on.
func TestStoreRefusesSchemaV2(t *testing.T) {
	path := filepath.Join(t.TempDir(), StoreFile)
	s := openTestStore(t, path)
	if _, err := s.w.Exec("PRAGMA user_version = 2"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := OpenStore(path); err == nil {
		s.Close()
		t.Fatal("a store of schema version 2 was opened")
	}
}
