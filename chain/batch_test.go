package chain

import (
	"context"

	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/mempool"

	"github.com/evote/evote/election"
)

// TestPrechecksBatchUnderLoad: transactions submitted together are
// prechecked in batches, each with its own verdict, and the accepted ones
// are committed.
func TestPrechecksBatchUnderLoad(t *testing.T) {
	var machine *batchTestMachine
	var once sync.Once
	n := startNodeWith(t, initHome(t), func(appState json.RawMessage, chainID string) (StateMachine, error) {
		m, err := newTestMachine(appState, chainID)
		if err != nil {
			return nil, err
		}
		machine = &batchTestMachine{testMachine: m.(*testMachine)}
		// The first batch is slow, so that the others queue behind it.
		machine.batchHook = func(int) { once.Do(func() { time.Sleep(200 * time.Millisecond) }) }
		return machine, nil
	})
	const total = 120
	txs := make([][]byte, total)
	want := make([]election.Code, total)
	for i := range txs {
		txs[i] = setTx(testKey(byte(i%250+1)), fmt.Sprintf("b%d", i), "v")
		if i%7 == 3 {
			txs[i][len(txs[i])-1] ^= 1 // breaks the signature
			want[i] = codeBadSig
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got := make([]election.Code, total)
	hashes := make([]TxHash, total)
	var wg sync.WaitGroup
	for i, tx := range txs {
		wg.Go(func() {
			h, res, err := n.Submit(ctx, tx)
			if err != nil {
				t.Errorf("transaction %d: %v", i, err)
			}
			got[i], hashes[i] = res.Code, h
		})
	}
	wg.Wait()
	for i := range txs {
		if got[i] != want[i] {
			t.Errorf("transaction %d: code %v, want %v", i, got[i], want[i])
		}
		if want[i] == election.CodeOK {
			if r, err := n.WaitForReceipt(ctx, hashes[i][:]); err != nil || r.Code != election.CodeOK {
				t.Fatalf("transaction %d: receipt %v, %v", i, r, err)
			}
		}
	}
	if l := machine.largest.Load(); l < 2 {
		t.Fatalf("the largest batch had %d transactions", l)
	}
	if l := machine.largest.Load(); l > maxPrecheckBatch {
		t.Fatalf("a batch of %d transactions, over %d", l, maxPrecheckBatch)
	}
	t.Logf("%d batches, the largest of %d transactions", machine.batches.Load(), machine.largest.Load())
}

// TestPrecheckAfterClose: a closed app refuses to precheck.
func TestPrecheckAfterClose(t *testing.T) {
	st, err := OpenStore(t.TempDir() + "/state.db")
	if err != nil {
		t.Fatal(err)
	}
	app, err := NewApp(st, func(appState json.RawMessage, chainID string) (StateMachine, error) {
		m, err := newTestMachine(appState, chainID)
		if err != nil {
			return nil, err
		}
		return &batchTestMachine{testMachine: m.(*testMachine)}, nil
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	initTestApp(t, app)
	if _, res, err := app.Precheck(setTx(testKey(1), "k", "v")); err != nil || !res.OK() {
		t.Fatalf("before Close: %v, %v", res, err)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := app.Precheck(setTx(testKey(2), "k", "v")); !errors.Is(err, ErrAppClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// TestPrecheckOncePerTransaction: concurrent Prechecks of one transaction
// verify it once; the others wait for that verdict.
func TestPrecheckOncePerTransaction(t *testing.T) {
	st, err := OpenStore(t.TempDir() + "/state.db")
	if err != nil {
		t.Fatal(err)
	}
	var machine *batchTestMachine
	app, err := NewApp(st, func(appState json.RawMessage, chainID string) (StateMachine, error) {
		m, err := newTestMachine(appState, chainID)
		if err != nil {
			return nil, err
		}
		machine = &batchTestMachine{testMachine: m.(*testMachine)}
		machine.batchHook = func(int) { time.Sleep(100 * time.Millisecond) }
		return machine, nil
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	initTestApp(t, app)
	tx := setTx(testKey(7), "once", "v")
	other := setTx(testKey(8), "other", "v")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			x := tx
			if i == 0 {
				x = other // makes the first batch a batch, so the hook delays it
			}
			if _, res, err := app.Precheck(x); err != nil || !res.OK() {
				t.Errorf("Precheck: %v, %v", res, err)
			}
		})
	}
	wg.Wait()
	if n := machine.prechecks.Load(); n != 2 {
		t.Fatalf("%d prechecks for two transactions", n)
	}
}

// TestGossipRefusedForAMomentIsRetried: a transaction that arrives from a
// peer before the transaction it depends on is committed here is refused,
// with a transient code or by Check with a final one (its proofs verified);
// the node checks it again after its next commit, admits it and commits it.
// Without the retry it would never be admitted (the mempool does not ask a
// peer again), and the only node holding it could stall the chain.
func TestGossipRefusedForAMomentIsRetried(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		code        election.Code
	}{
		{"transient", "after:a", election.CodeUnknownElection},
		{"by Check", "then:a", codeNotYet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := startNodeWith(t, initHome(t), func(appState json.RawMessage, chainID string) (StateMachine, error) {
				m, err := newTestMachine(appState, chainID)
				if err != nil {
					return nil, err
				}
				return &batchTestMachine{testMachine: m.(*testMachine)}, nil
			})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			later := setTx(testKey(2), "b", tc.value)
			codes := make(chan uint32, 1)
			// As the mempool reactor hands over a peer's transaction.
			if err := n.CometBFT().Mempool().CheckTx(later, func(r *abci.ResponseCheckTx) { codes <- r.Code }, mempool.TxInfo{SenderID: 1}); err != nil {
				t.Fatal(err)
			}
			if c := election.Code(<-codes); c != tc.code {
				t.Fatalf("first check: %v, want %v", c, tc.code)
			}
			first := setTx(testKey(1), "a", "v")
			if _, res, err := n.Submit(ctx, first); err != nil || !res.OK() {
				t.Fatalf("Submit: %v, %v", res, err)
			}
			h := HashTx(later)
			r, err := n.WaitForReceipt(ctx, h[:])
			if err != nil {
				t.Fatalf("the refused transaction was never committed: %v", err)
			}
			if r.Code != election.CodeOK {
				t.Fatalf("committed with %v (%s)", r.Code, r.Log)
			}
			if mustGet(t, n.App().Store().Reader(), "d/b") == nil {
				t.Fatal("its write is not in the state")
			}
		})
	}
}

// TestRetriesAreBounded: a transaction is checked again at most
// maxRetryCommits times, any other outcome ends its retries, and at most
// maxRetryTxs are kept (the oldest go first).
func TestRetriesAreBounded(t *testing.T) {
	var r retries
	tx := []byte("tx")
	h := HashTx(tx)
	r.first(h, tx, codeBadSig, false)
	if got := r.take(); len(got) != 0 {
		t.Fatalf("a final refusal queued: %d", len(got))
	}
	r.first(h, tx, codeNotYet, true) // by Check: queued
	if got := r.take(); len(got) != 1 {
		t.Fatalf("a refusal by Check: %d queued", len(got))
	}
	r.again(h, election.CodeOK, false)
	r.first(h, tx, election.CodeNotOpen, false)
	for attempt := 1; attempt < maxRetryCommits; attempt++ {
		if got := r.take(); len(got) != 1 {
			t.Fatalf("attempt %d: %d queued", attempt, len(got))
		}
		r.again(h, election.CodeNotOpen, false)
	}
	if got := r.take(); len(got) != 1 {
		t.Fatalf("last attempt: %d queued", len(got))
	}
	r.again(h, election.CodeNotOpen, false)
	if got := r.take(); len(got) != 0 || len(r.txs) != 0 {
		t.Fatalf("retried more than %d times", maxRetryCommits)
	}
	r.first(h, tx, election.CodeNotOpen, false)
	r.take()
	r.again(h, election.CodeOK, false)
	if len(r.txs) != 0 {
		t.Fatal("kept after it was admitted")
	}
	for i := range maxRetryTxs + 10 {
		b := []byte(fmt.Sprint(i))
		r.first(HashTx(b), b, election.CodeUnknownElection, false)
	}
	got := r.take()
	if len(got) != maxRetryTxs || string(got[0]) != "10" {
		t.Fatalf("%d kept, the oldest %q", len(got), got[0])
	}
}
