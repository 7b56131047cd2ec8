package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/localnet"
	"github.com/evote/evote/wallet"
	"github.com/evote/evote/web"
)

// TestBallotPendingAtTheClose: a ballot admitted while the election is
// open is still in the mempool when a block closes the election (the
// node's proposer holds it back, a test option). It can never be committed
// now: the mempool's recheck after the close drops it, and the voter's
// submission, waiting for its commit, is answered at once 422 closed (not
// at the end of its wait, nor 504 "admitted"). The node no longer has it
// pending; asked for its receipt it answers unknown, and the same bytes
// submitted again are refused closed.
func TestBallotPendingAtTheClose(t *testing.T) {
	t.Parallel()
	const chainID = "evote-dropped-test"
	authority, err := election.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []byte
	opts := chain.Options{NewMachine: chain.ElectionMachines(election.Options{Rand: rand.Reader}), LogOutput: io.Discard, LogLevel: "error",
		Proposer: func(_ int64, txs [][]byte) [][]byte {
			mu.Lock()
			defer mu.Unlock()
			out := txs[:0:0]
			for _, tx := range txs {
				if held == nil || !bytes.Equal(tx, held) {
					out = append(out, tx)
				}
			}
			return out
		}}
	node, err := localnet.StartNode(filepath.Join(t.TempDir(), "node"), "dropped", chainID, authority, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Stop() })
	srv := httptest.NewServer(web.New(node, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	e, err := harness.Setup(ctx, harness.NewAPI(c), sampleSpec(t, authority, "dropped", 1))
	if err != nil {
		t.Fatal(err)
	}
	el, err := e.Wallet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := wallet.BuildBallot(el, e.Voters[0].Key, 1, [][]uint64{{1, 0}, {1, 0, 1, 0, 0}}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	held = b.Tx
	mu.Unlock()

	type answer struct {
		err error
		at  time.Time
	}
	answered := make(chan answer, 1)
	go func() {
		_, err := c.Submit(ctx, b.Tx, api.SubmitOptions{Wait: true, WaitFor: 50 * time.Second})
		answered <- answer{err, time.Now()}
	}()
	code := api.TxHash(b.Hash)
	// Admitted: pending on the node, held back by its proposer.
	if err := eventually(20*time.Second, 50*time.Millisecond, func() error {
		if _, err := c.Receipt(ctx, code, 0); !errors.Is(err, api.ErrPending) {
			return fmt.Errorf("the ballot's receipt: %v, want pending", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	closed := time.Now()
	if err := e.Authority.Close(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	var a answer
	select {
	case a = <-answered:
	case <-time.After(40 * time.Second):
		t.Fatal("the waiting submission was not answered 40 s after the close")
	}
	var refused *api.RefusedError
	if !errors.As(a.err, &refused) || refused.Code != election.CodeClosed {
		t.Fatalf("the waiting submission: %v, want refused closed", a.err)
	}
	t.Logf("answered %v after the close: %v", a.at.Sub(closed).Round(time.Millisecond), a.err)
	if _, err := c.Receipt(ctx, code, 0); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("the dropped ballot's receipt: %v, want unknown (404)", err)
	}
	if node.Pending(code[:]) {
		t.Error("the node still has the dropped ballot in its mempool")
	}
	_, err = c.Submit(ctx, b.Tx, api.SubmitOptions{Wait: true, WaitFor: 5 * time.Second})
	if !errors.As(err, &refused) || refused.Code != election.CodeClosed {
		t.Fatalf("the same ballot submitted again: %v, want refused closed", err)
	}
	vs, err := c.Voter(ctx, e.ID, e.Voters[0].Key.Public())
	if err != nil && !errors.Is(err, api.ErrNotFound) {
		t.Fatal(err)
	}
	if err == nil && vs.Voted {
		t.Fatalf("the node counts the dropped ballot: %+v", vs)
	}
}
