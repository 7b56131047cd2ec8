package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/cometconf"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/localnet"
	"github.com/evote/evote/web"
)

// TestNodeRefusesAlteredState: a real node with an open election and
// counted ballots is stopped, and its SQLite store is altered at rest in
// the three ways an operator with the file could lie: a contest's yes and
// no aggregates swapped, a receipted voter's ballot row deleted, ten rows
// of the receipt index deleted. Each time the node refuses to start with
// ErrStateAltered, before it answers anything; the unaltered copy starts
// and serves.
func TestNodeRefusesAlteredState(t *testing.T) {
	t.Parallel()
	authority := election.DeriveKey("state at rest test authority")
	home := filepath.Join(t.TempDir(), "node")
	opts := chain.Options{NewMachine: chain.ElectionMachines(election.Options{Rand: rand.Reader}), LogOutput: io.Discard, LogLevel: "error"}
	node, err := localnet.StartNode(home, "atrest", "atrest-test", authority, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(node, slog.New(slog.DiscardHandler)))
	c, err := api.NewClient(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e, err := harness.Setup(ctx, harness.NewAPI(c), harness.Spec{Template: forgeTemplate, Reference: "atrest", Voters: 4, Authority: authority})
	if err != nil {
		t.Fatal(err)
	}
	for i, choice := range []int{0, 1, 1, 0} {
		ch := [][]uint64{{0, 0, 0}}
		ch[0][choice] = 1
		if _, _, err := e.Cast(ctx, i, ch); err != nil {
			t.Fatal(err)
		}
	}
	// Let the proof block of the last ballot come, so that the header
	// after the store's last block is in the block store.
	st, err := node.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if h, _ := node.LastBlock(); h > st.Height {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no proof block after the last ballot")
		}
	}
	srv.Close()
	if err := node.Stop(); err != nil {
		t.Fatal(err)
	}

	prefix := append(append([]byte("e/"), e.ID[:]...), '/')
	alterations := []struct {
		name  string
		alter func(t *testing.T, db *sql.DB)
	}{
		{"aggregates swapped", func(t *testing.T, db *sql.DB) {
			yes, no := append(bytes.Clone(prefix), "agg/\x00\x00\x00\x00"...), append(bytes.Clone(prefix), "agg/\x00\x00\x00\x01"...)
			var a, b []byte
			if err := db.QueryRow("SELECT value FROM kv WHERE key = ?", yes).Scan(&a); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow("SELECT value FROM kv WHERE key = ?", no).Scan(&b); err != nil {
				t.Fatal(err)
			}
			execSQL(t, db, "UPDATE kv SET value = ? WHERE key = ?", b, yes)
			execSQL(t, db, "UPDATE kv SET value = ? WHERE key = ?", a, no)
		}},
		{"ballot deleted", func(t *testing.T, db *sql.DB) {
			voter := e.Voters[1].Key.Public()
			execSQL(t, db, "DELETE FROM kv WHERE key = ?", append(append(bytes.Clone(prefix), "ballot/"...), voter[:]...))
		}},
		{"receipt index rows deleted", func(t *testing.T, db *sql.DB) {
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM txs WHERE code = 0").Scan(&n); err != nil || n < 10 {
				t.Fatalf("%d accepted transactions, %v", n, err)
			}
			execSQL(t, db, "DELETE FROM txs WHERE hash IN (SELECT hash FROM txs WHERE code = 0 LIMIT 10)")
		}},
	}
	for _, a := range alterations {
		t.Run(a.name, func(t *testing.T) {
			cp := filepath.Join(t.TempDir(), "node")
			if err := os.CopyFS(cp, os.DirFS(home)); err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("sqlite3", filepath.Join(cp, "data", chain.StoreFile))
			if err != nil {
				t.Fatal(err)
			}
			a.alter(t, db)
			db.Close()
			conf, err := cometconf.Load(cp)
			if err != nil {
				t.Fatal(err)
			}
			n, err := chain.NewNode(conf, opts)
			if err == nil {
				n.Stop()
				t.Fatal("the node started on an altered store")
			}
			if !errors.Is(err, chain.ErrStateAltered) {
				t.Fatalf("NewNode: %v, want ErrStateAltered", err)
			}
			t.Log(err)
		})
	}

	t.Run("unaltered", func(t *testing.T) {
		conf, err := cometconf.Load(home)
		if err != nil {
			t.Fatal(err)
		}
		n, err := chain.NewNode(conf, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer n.Stop()
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		again, err := n.Status(ctx)
		if err != nil || again.AppHash != st.AppHash || again.Height < st.Height {
			t.Fatalf("after restart: %+v, %v; before %+v", again, err, st)
		}
	})
}

func execSQL(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	r, err := db.Exec(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		t.Fatalf("%s: no row changed", q)
	}
}
