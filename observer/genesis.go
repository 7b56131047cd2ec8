package observer

import (
	"encoding/json"
	"fmt"
)

// RecordEnd is how every whole record ends (RecordWriter.Close writes
// it): a download that stops before it is cut short.
const RecordEnd = "\n}\n"

// cometEd25519 is the type CometBFT's JSON gives an Ed25519 public key.
const cometEd25519 = "tendermint/PubKeyEd25519"

// TrustGenesis reads a CometBFT genesis.json (a network's genesis obtained
// apart from the record): its app state and validators become the
// verifier's anchor, Genesis and Validators. Every validator must hold an
// Ed25519 key.
func (o *VerifyOptions) TrustGenesis(genesisJSON []byte) error {
	var doc struct {
		AppState   json.RawMessage `json:"app_state"`
		Validators []struct {
			PubKey struct {
				Type  string `json:"type"`
				Value []byte `json:"value"`
			} `json:"pub_key"`
			Power json.Number `json:"power"`
		} `json:"validators"`
	}
	if err := json.Unmarshal(genesisJSON, &doc); err != nil {
		return err
	}
	vals := []RecordValidator{}
	for _, v := range doc.Validators {
		p, err := v.Power.Int64()
		if err != nil || v.PubKey.Type != cometEd25519 {
			return fmt.Errorf("a validator of type %q, power %q", v.PubKey.Type, v.Power)
		}
		vals = append(vals, RecordValidator{PubKey: v.PubKey.Value, Power: p})
	}
	o.Genesis, o.Validators = doc.AppState, vals
	return nil
}
