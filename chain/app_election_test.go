package chain

import (
	"bytes"
	"crypto/sha3"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/evote/evote/election"
)

// electionApp is an App over the real election state machine.
func electionApp(t *testing.T, authority *election.PrivateKey) *App {
	t.Helper()
	s, err := OpenStore(filepath.Join(t.TempDir(), StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewApp(s, ElectionMachines(election.Options{Rand: testRand("election app")}), 0)
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	appState, _ := json.Marshal(election.Genesis{ChainID: testChainID, Authorities: []election.AuthorityPublicKey{authority.AuthorityPublic()}})
	if _, err := a.InitChain(ctx, &abci.RequestInitChain{ChainId: testChainID, AppStateBytes: appState}); err != nil {
		t.Fatal(err)
	}
	return a
}

// cityReferendum is the lifecycle vectors' election: its authority, its
// manifest and its id.
func cityReferendum(t *testing.T) (*election.PrivateKey, *election.Manifest, election.ID) {
	t.Helper()
	yaml, err := os.ReadFile("../election/testdata/city-referendum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := election.ParseManifestYAML(yaml)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := m.ID()
	return election.DeriveKey("lifecycle/city-clerk"), m, id
}

// TestTransientVerdictsAreNotCached: a transaction checked before the
// election it needs exists gets a transient verdict (unknown-election).
// Nodes see transactions at different heights, so such a verdict must be
// neither cached nor final: otherwise a node that checked it early rejects
// it in a block where a node that never saw it accepts it, and their app
// hashes part. And a transaction that needs an election created earlier in
// the same block is accepted.
func TestTransientVerdictsAreNotCached(t *testing.T) {
	authority, m, id := cityReferendum(t)
	create, err := election.NewCreateElectionTx(testChainID, m, authority)
	if err != nil {
		t.Fatal(err)
	}
	voter := func(n byte) []election.RollEntry {
		return []election.RollEntry{{Voter: election.DeriveKey(string([]byte{'v', n})).VoterPublic(), Weight: 1}}
	}
	appendEarly, _ := election.NewAppendVotersTx(testChainID, id, voter(1), authority)
	appendSame, _ := election.NewAppendVotersTx(testChainID, id, voter(2), authority)

	early := electionApp(t, authority) // saw appendEarly before the election existed
	late := electionApp(t, authority)  // never saw it before its block
	r, err := early.CheckTx(ctx, &abci.RequestCheckTx{Tx: appendEarly})
	if err != nil || r.Code != uint32(election.CodeUnknownElection) {
		t.Fatalf("CheckTx before the election exists: %+v, %v", r, err)
	}
	if _, cached := early.Cache().Get(HashTx(appendEarly)); cached {
		t.Fatal("a transient verdict was cached")
	}
	var hashes [2][]byte
	for k, a := range []*App{early, late} {
		b1 := finalize(t, a, 1, create, appendSame)
		for i, res := range b1.TxResults {
			if res.Code != uint32(election.CodeOK) {
				t.Fatalf("app %d block 1 tx %d: code %d (%s)", k, i, res.Code, res.Log)
			}
		}
		commit(t, a)
		b2 := finalize(t, a, 2, appendEarly)
		if b2.TxResults[0].Code != uint32(election.CodeOK) {
			t.Fatalf("app %d block 2: code %d (%s)", k, b2.TxResults[0].Code, b2.TxResults[0].Log)
		}
		commit(t, a)
		hashes[k] = b2.AppHash
	}
	if !bytes.Equal(hashes[0], hashes[1]) {
		t.Fatalf("app hashes part: %x vs %x", hashes[0], hashes[1])
	}
}

// testRand is a seeded reader: the randomness of batch verification in
// tests.
func testRand(seed string) io.Reader {
	h := sha3.NewSHAKE256()
	h.Write([]byte(seed))
	return h
}

// TestBatchedTransientVerdictsAreNotCached: the batched path (two or more
// transactions checked at once, as the batcher and ProcessProposal do)
// keeps Precheck's rule: a transient verdict (the election does not exist
// yet) is not cached, a final one is, and a batch checked while the store
// fails caches nothing and gives no verdict.
func TestBatchedTransientVerdictsAreNotCached(t *testing.T) {
	authority, _, id := cityReferendum(t)
	var appends [][]byte
	for n := range byte(3) {
		tx, err := election.NewAppendVotersTx(testChainID, id, []election.RollEntry{{Voter: election.DeriveKey(string([]byte{'b', n})).VoterPublic(), Weight: 1}}, authority)
		if err != nil {
			t.Fatal(err)
		}
		appends = append(appends, tx)
	}
	forged := bytes.Clone(appends[2])
	forged[len(forged)-1] ^= 1 // a bad signature: a final verdict

	a := electionApp(t, authority)
	batch := []*precheckReq{{tx: appends[0], hash: HashTx(appends[0])}, {tx: appends[1], hash: HashTx(appends[1])}, {tx: forged, hash: HashTx(forged)}}
	a.precheckBatch(batch)
	for i, r := range batch[:2] {
		if r.err != nil || r.res.Code != election.CodeUnknownElection {
			t.Fatalf("append %d before the election: %v, %v", i, r.res, r.err)
		}
		if _, cached := a.Cache().Get(r.hash); cached {
			t.Fatalf("append %d: a transient verdict checked in a batch was cached", i)
		}
	}
	if r := batch[2]; r.res.Code != election.CodeBadSignature {
		t.Fatalf("the forged transaction in the batch: %v, %v", r.res, r.err)
	}
	if res, cached := a.Cache().Get(batch[2].hash); !cached || res.Code != election.CodeBadSignature {
		t.Fatal("the final verdict of the batch was not cached")
	}

	// ProcessProposal checks its cache misses in batches too (and refuses
	// the proposal: no honest mempool admits a roll of an election that
	// does not exist yet).
	if r, err := a.ProcessProposal(ctx, &abci.RequestProcessProposal{Height: 1, Txs: appends[:2]}); err != nil || r.Status != abci.ResponseProcessProposal_REJECT {
		t.Fatalf("ProcessProposal: %v, %v", r, err)
	}
	for i, tx := range appends[:2] {
		if _, cached := a.Cache().Get(HashTx(tx)); cached {
			t.Fatalf("append %d: ProcessProposal cached a transient verdict", i)
		}
	}

	// A failing store: no verdict, nothing cached.
	b := electionApp(t, authority)
	b.store.r.Close()
	batch = []*precheckReq{{tx: appends[0], hash: HashTx(appends[0])}, {tx: forged, hash: HashTx(forged)}, {tx: appends[1], hash: HashTx(appends[1])}}
	b.precheckBatch(batch)
	for i, r := range batch {
		if r.err == nil && r.res.Code != election.CodeBadSignature {
			t.Fatalf("tx %d on a failing store: %v with no error", i, r.res)
		}
	}
	for i, r := range batch {
		if res, cached := b.Cache().Get(r.hash); cached && res.Code != election.CodeBadSignature {
			t.Fatalf("tx %d: a verdict reached on a failing store was cached: %v", i, res)
		}
	}
}
