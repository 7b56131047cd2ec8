package rollsync_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/nodetest"
	"github.com/evote/evote/internal/rollsync"
	"github.com/evote/evote/web"
)

const chainID = "rollsync-test"

// node starts a single-validator node whose genesis names authority and
// serves its API; it returns a client of it.
func node(t *testing.T, authority *election.PrivateKey) *api.Client {
	n := nodetest.Start(t, chainID, authority)
	srv := httptest.NewServer(web.New(n, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMissing: both ways of asking the node (the whole roll page by page,
// or voter by voter) find the same voters missing, in the file's order.
func TestMissing(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	authority, err := election.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := node(t, authority)
	y, err := os.ReadFile("../../election/testdata/city-referendum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := election.ParseManifestYAML(y)
	if err != nil {
		t.Fatal(err)
	}
	m.Authority = authority.AuthorityPublic()
	id, err := m.ID()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := election.NewCreateElectionTx(chainID, m, authority)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Commit(ctx, tx); err != nil {
		t.Fatal(err)
	}
	var entries []election.RollEntry
	for i := range 9 {
		entries = append(entries, election.RollEntry{Voter: election.DeriveKey(fmt.Sprintf("rollsync %d", i)).VoterPublic(), Weight: 1})
	}
	// Nobody is on the roll yet: every entry is missing.
	if got, err := rollsync.Missing(ctx, c, id, entries, rollsync.Auto); err != nil || len(got) != len(entries) {
		t.Fatalf("empty roll: %d missing, %v", len(got), err)
	}
	on := []election.RollEntry{entries[6], entries[1], entries[4], entries[0], entries[8]}
	if tx, err = election.NewAppendVotersTx(chainID, id, on, authority); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Commit(ctx, tx); err != nil {
		t.Fatal(err)
	}
	want := []election.RollEntry{entries[2], entries[3], entries[5], entries[7]}
	for _, how := range []rollsync.How{rollsync.Pages, rollsync.Voters, rollsync.Auto} {
		got, err := rollsync.Missing(ctx, c, id, entries, how)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("way %d: %v, %v; want %v", how, got, err, want)
		}
	}
}
