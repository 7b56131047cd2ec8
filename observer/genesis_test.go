package observer_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/evote/evote/observer"
)

// TestTrustGenesis: a genesis file's app state and Ed25519 validators
// become the anchor; another key type or a power that is not a number is
// refused.
func TestTrustGenesis(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	doc := func(typ, power string) []byte {
		v, _ := json.Marshal(key)
		return []byte(`{"chain_id":"c","app_state":{"authorities":["x"]},"validators":[{"address":"AA","pub_key":{"type":"` + typ + `","value":` + string(v) + `},"power":"` + power + `","name":""}]}`)
	}
	var o observer.VerifyOptions
	if err := o.TrustGenesis(doc("tendermint/PubKeyEd25519", "10")); err != nil {
		t.Fatal(err)
	}
	if string(o.Genesis) != `{"authorities":["x"]}` || len(o.Validators) != 1 || !bytes.Equal(o.Validators[0].PubKey, key) || o.Validators[0].Power != 10 {
		t.Fatalf("%s %+v", o.Genesis, o.Validators)
	}
	for _, bad := range [][]byte{doc("tendermint/PubKeySecp256k1", "10"), doc("tendermint/PubKeyEd25519", "ten"), []byte("{")} {
		var o observer.VerifyOptions
		if err := o.TrustGenesis(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
