package cmtlite

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/nodetest"
)

// TestNodeBlocks: the blocks of a real node (an election created, then
// voters appended one per block) parse, hash and verify as with CometBFT.
func TestNodeBlocks(t *testing.T) {
	const chainID = "cmtlite-test"
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	authority, err := election.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	n := nodetest.Start(t, chainID, authority)
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
	submit := func(tx []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		hash, res, err := n.Submit(ctx, tx)
		if err != nil || !res.OK() {
			t.Fatalf("submit: %v, %v", res, err)
		}
		if _, err := n.WaitForTx(ctx, hash[:]); err != nil {
			t.Fatal(err)
		}
	}
	submit(election.NewCreateElectionTx(chainID, m, authority))
	for i := range 3 {
		entry := election.RollEntry{Voter: election.DeriveKey(fmt.Sprintf("cmtlite %d", i)).VoterPublic(), Weight: 1}
		submit(election.NewAppendVotersTx(chainID, id, []election.RollEntry{entry}, authority))
	}

	cmt := n.CometBFT()
	var vals []Validator
	for _, v := range cmt.GenesisDoc().Validators {
		vals = append(vals, Validator{PubKey: [32]byte(v.PubKey.Bytes()), Power: v.Power})
	}
	s, cs := bothSets(t, vals)
	bs := cmt.BlockStore()
	top := bs.Height()
	if top < 4 {
		t.Fatalf("only %d blocks", top)
	}
	var prev *Header
	for height := int64(1); height <= top; height++ {
		b := bs.LoadBlock(height)
		commit := bs.LoadBlockCommit(height)
		if height == top {
			commit = bs.LoadSeenCommit(height)
		}
		if b == nil || commit == nil {
			t.Fatalf("block %d not in the store", height)
		}
		hj, err := cmtjson.Marshal(&b.Header)
		if err != nil {
			t.Fatal(err)
		}
		cj, err := cmtjson.Marshal(commit)
		if err != nil {
			t.Fatal(err)
		}
		h := sameHeader(t, hj)
		c := sameCommit(t, cj, chainID)
		if string(h.Hash()) != string(b.Hash()) || string(c.BlockID.Hash) != string(h.Hash()) {
			t.Fatalf("block %d: header hash %X, block's %X, commit's %X", height, h.Hash(), b.Hash(), c.BlockID.Hash)
		}
		if prev != nil && string(h.LastBlockID.Hash) != string(prev.Hash()) {
			t.Fatalf("block %d: does not link to the previous header", height)
		}
		var txHashes [][]byte
		for _, tx := range b.Data.Txs {
			txHashes = append(txHashes, tx.Hash())
		}
		if string(MerkleRoot(txHashes)) != string(h.DataHash) {
			t.Fatalf("block %d: data hash", height)
		}
		if !sameVerdict(t, s, cs, chainID, commit.BlockID, height, c, commit) {
			t.Fatalf("block %d: the commit does not verify", height)
		}
		prev = h
	}
}
