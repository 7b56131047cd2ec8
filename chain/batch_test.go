package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

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
