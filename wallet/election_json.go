package wallet

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// ElectionFromJSON makes the Election a device votes in from what a node
// answers (GET /api/v1/elections/{id}): the manifest as JSON and the joint
// key in hex. The manifest is parsed and validated, and its hash must be
// the id the voter asked for: a node cannot pass off another election's
// manifest, nor change a text, under a known id. The joint key is taken as
// given (it is fixed by the ceremony on the chain; an observer checks it).
func ElectionFromJSON(chainID string, id election.ID, manifestJSON []byte, jointKeyHex string) (*Election, error) {
	if len(manifestJSON) == 0 {
		return nil, fmt.Errorf("%w: no manifest", election.ErrInvalidManifest)
	}
	// The API's form of the manifest is its JSON encoding, every member
	// written out: read as such and validated; the id check below then
	// holds it to the very manifest the election was created with.
	m := new(election.Manifest)
	if err := json.Unmarshal(manifestJSON, m); err != nil {
		return nil, fmt.Errorf("%w: %v", election.ErrInvalidManifest, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if jointKeyHex == "" {
		return nil, fmt.Errorf("%w: the election has no joint key yet (its key ceremony is not over)", election.ErrInvalidKey)
	}
	raw, err := hex.DecodeString(jointKeyHex)
	if err != nil {
		return nil, fmt.Errorf("%w: joint key: %v", election.ErrInvalidKey, err)
	}
	jk, err := tally.PublicKeyFromBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: joint key: %v", election.ErrInvalidKey, err)
	}
	e, err := NewElection(chainID, m, jk)
	if err != nil {
		return nil, err
	}
	if e.ID != id {
		return nil, fmt.Errorf("%w: the manifest hashes to election %v, not %v", election.ErrInvalidManifest, e.ID, id)
	}
	return e, nil
}
