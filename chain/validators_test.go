package chain

import (
	"encoding/json"
	"path/filepath"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/evote/evote/election"
)

// TestValidatorUpdates: InitChain's validators are in the state after the
// first block; an accepted validator-update transaction comes out of
// FinalizeBlock as CometBFT's validator update, and a refused one does not.
func TestValidatorUpdates(t *testing.T) {
	authority := election.DeriveKey("validators/authority")
	s, err := OpenStore(filepath.Join(t.TempDir(), StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewApp(s, ElectionMachines(election.Options{}), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var vals []abci.ValidatorUpdate
	var keys []election.PublicKey
	for _, n := range []string{"v1", "v2", "v3", "v4"} {
		k := election.DeriveKey("validators/" + n).Public()
		keys = append(keys, k)
		vals = append(vals, abci.UpdateValidator(k[:], 10, "ed25519"))
	}
	appState, _ := json.Marshal(election.Genesis{ChainID: testChainID, Authorities: []election.AuthorityPublicKey{authority.AuthorityPublic()}})
	if _, err := a.InitChain(ctx, &abci.RequestInitChain{ChainId: testChainID, AppStateBytes: appState, Validators: vals}); err != nil {
		t.Fatal(err)
	}
	finalize(t, a, 1)
	commit(t, a)
	set, err := election.QueryValidators(a.Store().Reader())
	if err != nil || len(set) != 4 {
		t.Fatalf("validators in the state after block 1: %v, %v", set, err)
	}

	retire, _ := election.NewValidatorUpdateTx(testChainID, keys[3], 0, authority)
	added := election.DeriveKey("validators/v5").Public()
	add, _ := election.NewValidatorUpdateTx(testChainID, added, 10, authority)
	res := finalize(t, a, 2, retire, add)
	if res.TxResults[0].Code != uint32(election.CodeOK) || res.TxResults[1].Code != uint32(election.CodeValidatorChangePending) {
		t.Fatalf("codes %d, %d", res.TxResults[0].Code, res.TxResults[1].Code)
	}
	if len(res.ValidatorUpdates) != 1 || res.ValidatorUpdates[0].Power != 0 || string(res.ValidatorUpdates[0].PubKey.GetEd25519()) != string(keys[3][:]) {
		t.Fatalf("validator updates %v", res.ValidatorUpdates)
	}
	commit(t, a)
	res = finalize(t, a, 3)
	if len(res.ValidatorUpdates) != 0 {
		t.Fatalf("an empty block returned validator updates %v", res.ValidatorUpdates)
	}
	commit(t, a)
	res = finalize(t, a, 4, add)
	if res.TxResults[0].Code != uint32(election.CodeOK) || len(res.ValidatorUpdates) != 1 || res.ValidatorUpdates[0].Power != 10 {
		t.Fatalf("add: code %d, updates %v", res.TxResults[0].Code, res.ValidatorUpdates)
	}
	commit(t, a)
	changes, err := election.QueryValidatorChanges(a.Store().Reader(), 1, 4)
	if err != nil || len(changes) != 2 || changes[0].Effective != 4 || changes[1].Effective != 6 {
		t.Fatalf("changes %+v, %v", changes, err)
	}
}
