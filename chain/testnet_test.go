package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/evote/evote/election"
)

// TestTestnetFourValidators runs the four nodes of GenerateTestnet in this
// process on loopback ports: transactions submitted to different nodes are
// committed by all, every node reaches the same height and app hash, and a
// receipt from any node verifies with the genesis validator set (a commit
// signed by more than 2/3 of four). The machines precheck in batches, so
// the transactions gossiped between the nodes are checked asynchronously
// (parallelCheckTxClient) and the test also shows those checks complete
// before the blocks that follow.
func TestTestnetFourValidators(t *testing.T) {
	const nodes = 4
	homes, err := GenerateTestnet(t.TempDir(), nodes, testChainID, testAppState, freeBase(t, 2*nodes))
	if err != nil {
		t.Fatal(err)
	}
	ns := make([]*Node, nodes)
	for i, home := range homes {
		ns[i] = startNodeWith(t, home, func(appState json.RawMessage, chainID string) (StateMachine, error) {
			m, err := newTestMachine(appState, chainID)
			if err != nil {
				return nil, err
			}
			return &batchTestMachine{testMachine: m.(*testMachine)}, nil
		})
	}
	trusted := genesisValidators(t, ns[0])
	if trusted.Size() != nodes {
		t.Fatalf("%d validators, want %d", trusted.Size(), nodes)
	}

	// Each node gets its own transactions, submitted concurrently.
	const perNode = 5
	type sub struct {
		node int
		tx   []byte
		hash TxHash
	}
	var subs []*sub
	for i := range nodes {
		for j := range perNode {
			key := testKey(byte(10*i + j + 1))
			subs = append(subs, &sub{node: i, tx: setTx(key, fmt.Sprintf("n%d/%d", i, j), "v")})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(subs))
	for _, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, res, err := ns[s.node].Submit(ctx, s.tx)
			if err != nil || !res.OK() {
				errs <- fmt.Errorf("Submit to node %d: %v, %v", s.node, res, err)
			}
			s.hash = h
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// Every node has every transaction's receipt, and each verifies.
	var top int64
	for _, s := range subs {
		for i, n := range ns {
			r, err := n.WaitForReceipt(ctx, s.hash[:])
			if err != nil {
				t.Fatalf("node %d, receipt of a transaction sent to node %d: %v", i, s.node, err)
			}
			if r.Code != election.CodeOK {
				t.Fatalf("node %d: code %d (%s)", i, r.Code, r.Log)
			}
			if err := VerifyReceipt(r, trusted, testChainID); err != nil {
				t.Fatalf("node %d: %v", i, err)
			}
			top = max(top, r.Height)
		}
	}
	// A receipt's result part: the next header's commit is signed by more
	// than 2/3 of four too.
	r0, err := ns[1].Receipt(ctx, subs[0].hash[:])
	if err != nil {
		t.Fatal(err)
	}
	full := ns[1].WaitForResult(ctx, r0)
	if !full.Proven() {
		t.Fatal("no result part")
	}
	if err := VerifyReceipt(full, trusted, testChainID); err != nil {
		t.Fatal(err)
	}
	without, with := receiptSizes(t, full)
	t.Logf("4 validators, a %d-byte transaction: the receipt is %d bytes without the result part, %d with it (+%d)", len(full.Tx()), without, with, with-without)

	// All reach the same height and app hash, and the same state.
	var want Status
	waitFor(t, 30*time.Second, "the nodes to agree", func() bool {
		st := make([]Status, nodes)
		for i, n := range ns {
			var err error
			if st[i], err = n.Status(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range st[1:] {
			if s.Height != st[0].Height || s.AppHash != st[0].AppHash {
				return false
			}
		}
		want = st[0]
		return st[0].Height >= top
	})
	count := mustGet(t, ns[0].App().Store().Reader(), "count")
	for i, n := range ns {
		if got := mustGet(t, n.App().Store().Reader(), "count"); !bytes.Equal(got, count) {
			t.Fatalf("node %d: count %x, node 0 %x", i, got, count)
		}
		if len(want.Validators) != nodes {
			t.Fatalf("status validators: %d", len(want.Validators))
		}
	}
	if want := []byte{0, 0, 0, 0, 0, 0, 0, nodes * perNode}; !bytes.Equal(count, want) {
		t.Fatalf("count %x, want %x", count, want)
	}
	// Gossiped transactions were checked asynchronously (in batches), and
	// none completed after the mempool's update for its block: no
	// transaction is in two blocks and every mempool is empty.
	var async int64
	for i, n := range ns {
		async += n.App().asyncChecks.Load()
		seen := map[string]int64{}
		for h := int64(1); h <= want.Height; h++ {
			blk := n.CometBFT().BlockStore().LoadBlock(h)
			if blk == nil {
				t.Fatalf("node %d has no block %d", i, h)
			}
			for _, tx := range blk.Txs {
				if at, dup := seen[string(tx)]; dup {
					t.Fatalf("node %d: a transaction in blocks %d and %d", i, at, h)
				}
				seen[string(tx)] = h
			}
		}
		if len(seen) != nodes*perNode {
			t.Fatalf("node %d: %d transactions in blocks, want %d", i, len(seen), nodes*perNode)
		}
		if size := n.CometBFT().Mempool().Size(); size != 0 {
			t.Fatalf("node %d: %d transactions left in the mempool", i, size)
		}
	}
	if async == 0 {
		t.Fatal("no transaction was checked asynchronously")
	}
	t.Logf("%d asynchronous checks", async)
}

// TestStatusBeforeFirstBlock: a validator of a network of several, started
// while its peers are not up, is block-syncing at height 0; its status
// still names the genesis validators (CometBFT's RPC has no validator set
// at height 0 then).
func TestStatusBeforeFirstBlock(t *testing.T) {
	const nodes = 2
	homes, err := GenerateTestnet(t.TempDir(), nodes, testChainID, testAppState, freeBase(t, 2*nodes))
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t, homes[0])
	st, err := n.Status(context.Background())
	if err != nil {
		t.Fatalf("Status at height 0 with no peer up: %v", err)
	}
	if st.Height != 0 || len(st.Validators) != nodes {
		t.Fatalf("height %d, %d validators; want 0 and %d", st.Height, len(st.Validators), nodes)
	}
	want := genesisValidators(t, n)
	for i, v := range st.Validators {
		if g := want.Validators[i]; v.Address != g.Address.String() || !bytes.Equal(v.PubKey, g.PubKey.Bytes()) || v.Power != g.VotingPower {
			t.Fatalf("validator %d: %+v, genesis %v", i, v, g)
		}
	}
}
