package cmtlite

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"
)

// testRecord is the part of an election record (docs/spec/record.md)
// these tests read.
type testRecord struct {
	ChainID string `json:"chain_id"`
	Genesis struct {
		Validators []struct {
			PubKey []byte `json:"pub_key"`
			Power  int64  `json:"power"`
		} `json:"validators"`
	} `json:"genesis"`
	Blocks []struct {
		Height int64           `json:"height"`
		Header json.RawMessage `json:"header"`
		Commit json.RawMessage `json:"commit"`
	} `json:"blocks"`
}

func readRecord(t testing.TB, path string) *testRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r testRecord
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// bothSets makes the same validator set in cmtlite and in CometBFT.
func bothSets(t *testing.T, vals []Validator) (*ValidatorSet, *cmttypes.ValidatorSet) {
	t.Helper()
	s, err := NewValidatorSet(vals)
	if err != nil {
		t.Fatal(err)
	}
	var cv []*cmttypes.Validator
	for _, v := range vals {
		cv = append(cv, cmttypes.NewValidator(ed25519.PubKey(v.PubKey[:]), v.Power))
	}
	return s, cmttypes.NewValidatorSet(cv)
}

// TestRecordBlocks: every header and commit of the test record parses,
// hashes and verifies as with CometBFT, and each header links to the one
// before.
func TestRecordBlocks(t *testing.T) {
	r := readRecord(t, "../testdata/small-record.json")
	var vals []Validator
	for _, v := range r.Genesis.Validators {
		vals = append(vals, Validator{PubKey: [32]byte(v.PubKey), Power: v.Power})
	}
	s, cs := bothSets(t, vals)
	var prev *Header
	for _, b := range r.Blocks {
		h := sameHeader(t, b.Header)
		c := sameCommit(t, b.Commit, r.ChainID)
		cc, _ := cmtCommit(b.Commit)
		if string(h.ValidatorsHash) != string(s.Hash()) {
			t.Fatalf("block %d: validators hash %X, the set's %X", b.Height, h.ValidatorsHash, s.Hash())
		}
		if string(c.BlockID.Hash) != string(h.Hash()) {
			t.Fatalf("block %d: the commit is not of the header", b.Height)
		}
		if prev != nil && string(h.LastBlockID.Hash) != string(prev.Hash()) {
			t.Fatalf("block %d: does not link to the previous header", b.Height)
		}
		if !sameVerdict(t, s, cs, r.ChainID, cc.BlockID, h.Height, c, cc) {
			t.Fatalf("block %d: the commit does not verify", b.Height)
		}
		prev = h
	}
	if prev == nil {
		t.Fatal("no blocks")
	}
}
