package chain

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/cometbft/cometbft/crypto/merkle"

	"github.com/evote/evote/election"
)

// TestElectionsTreeIsCometBFTsMerkleTree: the tree of elections is RFC 6962
// as CometBFT builds it, roots and proofs alike, for every size up to 17.
func TestElectionsTreeIsCometBFTsMerkleTree(t *testing.T) {
	for n := 0; n <= 17; n++ {
		var leaves [][]byte
		for i := range n {
			leaves = append(leaves, []byte(fmt.Sprintf("leaf %d of %d", i, n)))
		}
		if got, want := election.MerkleRoot(leaves), merkle.HashFromByteSlices(leaves); !bytes.Equal(got, want) {
			t.Fatalf("%d leaves: root %x, CometBFT %x", n, got, want)
		}
		if n == 0 {
			continue
		}
		root, proofs := merkle.ProofsFromByteSlices(leaves)
		for i := range n {
			p := election.MerkleProofOf(leaves, i)
			if len(p.Aunts) != len(proofs[i].Aunts) {
				t.Fatalf("%d leaves, leaf %d: %d aunts, CometBFT %d", n, i, len(p.Aunts), len(proofs[i].Aunts))
			}
			for k := range p.Aunts {
				if !bytes.Equal(p.Aunts[k], proofs[i].Aunts[k]) {
					t.Fatalf("%d leaves, leaf %d: aunt %d differs", n, i, k)
				}
			}
			got, err := p.Root(leaves[i])
			if err != nil || !bytes.Equal(got, root) {
				t.Fatalf("%d leaves, leaf %d: proof leads to %x, %v; root %x", n, i, got, err, root)
			}
			if other, err := p.Root([]byte("another leaf")); err == nil && bytes.Equal(other, root) {
				t.Fatalf("%d leaves, leaf %d: the proof holds for another leaf", n, i)
			}
		}
	}
}

// TestStateProofs: after every block, each election's commitment and proof
// from the store lead to the app hash the block committed to; a changed
// commitment or proof does not; and a block without writes keeps the app
// hash.
func TestStateProofs(t *testing.T) {
	authority := election.DeriveKey("lifecycle/city-clerk")
	yaml, err := os.ReadFile("../election/testdata/city-referendum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ids []election.ID
	var creates [][]byte
	for i := range 3 {
		m, err := election.ParseManifestYAML(yaml)
		if err != nil {
			t.Fatal(err)
		}
		for lang := range m.Title {
			m.Title[lang] += fmt.Sprintf(" %d", i)
		}
		id, err := m.ID()
		if err != nil {
			t.Fatal(err)
		}
		tx, err := election.NewCreateElectionTx(testChainID, m, authority)
		if err != nil {
			t.Fatal(err)
		}
		ids, creates = append(ids, id), append(creates, tx)
	}
	appendTx := func(id election.ID, n int) []byte {
		tx, err := election.NewAppendVotersTx(testChainID, id, []election.RollEntry{
			{Voter: election.DeriveKey(fmt.Sprintf("voter %d", n)).VoterPublic(), Weight: 1}}, authority)
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	a := electionApp(t, authority)
	blocks := [][][]byte{
		{creates[0]},
		{creates[1], appendTx(ids[0], 1)},
		{appendTx(ids[1], 2), appendTx(ids[1], 3)},
		{},
		{creates[2], appendTx(ids[0], 4)},
	}
	var prev []byte
	for i, txs := range blocks {
		h := int64(i + 1)
		res := finalize(t, a, h, txs...)
		for k, r := range res.TxResults {
			if r.Code != uint32(election.CodeOK) {
				t.Fatalf("block %d tx %d: code %d (%s)", h, k, r.Code, r.Log)
			}
		}
		commit(t, a)
		if len(txs) == 0 && !bytes.Equal(res.AppHash, prev) {
			t.Fatalf("block %d has no writes but changed the app hash", h)
		}
		prev = res.AppHash
		for _, id := range ids {
			c, p, err := a.Store().StateProof(h, id)
			if errors.Is(err, ErrNotFound) {
				continue // not created yet
			}
			if err != nil {
				t.Fatalf("block %d, election %v: %v", h, id, err)
			}
			got, err := p.AppHash(c)
			if err != nil || !bytes.Equal(got, res.AppHash) {
				t.Fatalf("block %d, election %v: the proof leads to %x, %v; the block's app hash is %x", h, id, got, err, res.AppHash)
			}
			forged := *c
			forged.Ballots++
			if got, _ := p.AppHash(&forged); bytes.Equal(got, res.AppHash) {
				t.Fatalf("block %d: a forged ballot count is proven", h)
			}
			bad := *p
			bad.WritesChain = bytes.Repeat([]byte{1}, 32)
			if got, _ := bad.AppHash(c); bytes.Equal(got, res.AppHash) {
				t.Fatalf("block %d: a forged chain of writes is proven", h)
			}
		}
	}
	if _, _, err := a.Store().StateProof(1, ids[1]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("election 1 after block 1 (before its creation): %v, want ErrNotFound", err)
	}
	if _, _, err := a.Store().StateProof(99, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("state after an uncommitted block: %v, want ErrNotFound", err)
	}
	hs, err := a.Store().CommitmentHeights(ids[0], 1)
	if err != nil || fmt.Sprint(hs) != "[1 2 5]" {
		t.Fatalf("election 0 changed after blocks %v, %v; want [1 2 5]", hs, err)
	}
	c, _, err := a.Store().StateProof(5, ids[0])
	if err != nil || c.RollSize != 2 || c.Phase != election.PhaseDKGDeals {
		t.Fatalf("election 0 after block 5: %+v, %v", c, err)
	}
}
