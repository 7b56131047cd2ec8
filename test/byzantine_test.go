package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/cometconf"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/localnet"
	"github.com/evote/evote/wallet"
)

// TestByzantineProposer: one of four validators proposes blocks holding
// invalid ballots (a Proposer option of the node, which the binary never
// sets): a ballot whose proofs are another voter's, a ballot from a key not
// on the roll, and, once the election is closed, a ballot made while it was
// open. The three honest validators refuse each of its proposals (their log
// says why and whose), another validator proposes the height, the chain goes
// on, and none of the injected ballots is in any committed block of any node;
// the honest ballots cast meanwhile are counted, and all four nodes agree.
func TestByzantineProposer(t *testing.T) {
	const chainID = "evote-byzantine-test"
	authority, err := election.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	appState, err := localnet.GenesisAppState(chainID, authority)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if d := os.Getenv("BYZ_DIR"); d != "" {
		dir = d
	}
	homes, err := chain.GenerateTestnet(dir, 4, chainID, appState, freePortBlock(t, 8))
	if err != nil {
		t.Fatal(err)
	}

	// The byzantine validator adds the transactions in inject to every
	// proposal it makes; proposed lists the heights it did.
	var mu sync.Mutex
	var inject [][]byte
	proposed := map[int64]bool{}
	injecting := func(txs [][]byte) {
		mu.Lock()
		defer mu.Unlock()
		inject, proposed = txs, map[int64]bool{}
	}
	nodes := make([]*chain.Node, 4)
	for i, home := range homes {
		conf, err := cometconf.Load(home)
		if err != nil {
			t.Fatal(err)
		}
		logf, err := os.Create(filepath.Join(home, "node.log"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { logf.Close() })
		opts := chain.Options{NewMachine: chain.ElectionMachines(election.Options{Rand: rand.Reader}), LogOutput: logf, LogLevel: "error"}
		if i == 3 {
			opts.Proposer = func(h int64, txs [][]byte) [][]byte {
				mu.Lock()
				defer mu.Unlock()
				if len(inject) == 0 {
					return txs
				}
				proposed[h] = true
				return append(txs, inject...)
			}
		}
		n, err := chain.NewNode(conf, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Stop() })
		nodes[i] = n
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	sub := harness.Node{N: nodes[0]}
	// e1 is attacked; e2's revotes keep blocks coming (the chain makes no
	// empty blocks) so that the byzantine validator's turns come.
	e1, err := harness.Setup(ctx, sub, sampleSpec(t, authority, "byzantine-1", 3))
	if err != nil {
		t.Fatal(err)
	}
	e2, err := harness.Setup(ctx, sub, sampleSpec(t, authority, "byzantine-2", 1))
	if err != nil {
		t.Fatal(err)
	}
	el1, err := e1.Wallet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	el2, err := e2.Wallet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	choices := [][]uint64{{1, 0}, {1, 0, 1, 0, 0}}
	build := func(el *wallet.Election, v *wallet.VoterKey, seq uint64) []byte {
		b, err := wallet.BuildBallot(el, v, seq, choices, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return b.Tx
	}
	a, b, c := e1.Voters[0].Key, e1.Voters[1].Key, e1.Voters[2].Key
	txA := build(el1, a, 1)
	if _, err := sub.Submit(ctx, "A's ballot", txA); err != nil {
		t.Fatal(err)
	}
	env, err := election.DecodeTx(txA)
	if err != nil {
		t.Fatal(err)
	}
	bodyA, err := election.DecodeBody(env.Kind, env.Body)
	if err != nil {
		t.Fatal(err)
	}
	copied, err := election.NewBallotTx(chainID, e1.ID, 1, bodyA.(*election.BallotBody).Contests, b.SigningKey())
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := wallet.GenerateVoterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notOnRoll := build(el1, stranger, 1)
	late := build(el1, c, 1) // valid while the election is open; injected after the close

	filler := e2.Voters[0].Key
	seq := uint64(0)
	// honest casts e2's revotes through the honest nodes in turn until the
	// byzantine validator has proposed at two heights, and two more blocks
	// are committed.
	honest := func(what string) {
		t.Helper()
		var top int64
		for i := 0; ; i++ {
			mu.Lock()
			n := len(proposed)
			for h := range proposed {
				top = max(top, h)
			}
			mu.Unlock()
			st, err := nodes[0].Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n >= 2 && st.Height >= top+2 {
				t.Logf("%s: the byzantine validator proposed at %d heights; the chain is at %d", what, n, st.Height)
				return
			}
			if ctx.Err() != nil {
				t.Fatalf("%s: the byzantine validator proposed at %d heights, the chain is at %d, by the deadline", what, n, st.Height)
			}
			seq++
			if _, err := (harness.Node{N: nodes[i%3]}).Submit(ctx, "filler", build(el2, filler, seq)); err != nil {
				t.Fatalf("%s: an honest ballot: %v", what, err)
			}
		}
	}

	injecting([][]byte{copied, notOnRoll})
	honest("while open")
	injecting(nil)
	if err := e1.Authority.Close(ctx, e1.ID); err != nil {
		t.Fatal(err)
	}
	injecting([][]byte{late})
	honest("after the close")
	injecting(nil)

	// The injected ballots are in no block of any node.
	for i, n := range nodes {
		for _, tx := range [][]byte{copied, notOnRoll, late} {
			h := chain.HashTx(tx)
			if _, err := n.App().Store().TxRow(h[:]); !errors.Is(err, chain.ErrNotFound) {
				t.Errorf("node %d: an injected ballot %x is committed: %v", i, h[:8], err)
			}
		}
		bs := n.CometBFT().BlockStore()
		for height := int64(1); height <= bs.Height(); height++ {
			for _, tx := range bs.LoadBlock(height).Txs {
				for _, bad := range [][]byte{copied, notOnRoll, late} {
					if bytes.Equal(tx, bad) {
						t.Errorf("node %d: block %d holds an injected ballot", i, height)
					}
				}
			}
		}
	}
	// The honest validators said why they refused the proposals.
	for i := range 3 {
		log, _ := os.ReadFile(filepath.Join(homes[i], "node.log"))
		for _, code := range []string{"bad-proof", "not-on-roll", "closed"} {
			if !bytes.Contains(log, []byte("refused a proposal")) || !bytes.Contains(log, []byte("code="+code)) {
				t.Errorf("node %d's log does not name a proposal refused for %s", i, code)
			}
		}
	}
	// All four agree, and e1 counts A's ballot only.
	var hashes []string
	err = eventually(time.Minute, 100*time.Millisecond, func() error {
		hashes = hashes[:0]
		var height int64
		for i, n := range nodes {
			st, err := n.Status(ctx)
			if err != nil {
				return err
			}
			if i > 0 && st.Height != height {
				return fmt.Errorf("heights differ: %d, %d", height, st.Height)
			}
			height = st.Height
			hashes = append(hashes, st.AppHash)
		}
		for _, h := range hashes[1:] {
			if h != hashes[0] {
				return fmt.Errorf("app hashes differ: %v", hashes)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var count uint64
	err = nodes[0].App().Store().View(ctx, func(_ chain.Meta, st election.ReadStore) error {
		info, err := election.QueryTally(st, e1.ID)
		if err != nil {
			return err
		}
		count = info.Voters
		return nil
	})
	if err != nil || count != 1 {
		t.Fatalf("election 1 counts %d voters (%v), want 1", count, err)
	}
	t.Logf("no injected ballot committed; the four nodes agree at app hash %s", hashes[0])
}
