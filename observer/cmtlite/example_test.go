package cmtlite_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/evote/evote/observer/cmtlite"
)

// Checking a record's first block: the header names the validators, the
// commit is for the header, and the validators signed it.
func Example() {
	data, err := os.ReadFile("../testdata/small-record.json")
	if err != nil {
		panic(err)
	}
	var record struct {
		ChainID string `json:"chain_id"`
		Genesis struct {
			Validators []struct {
				PubKey []byte `json:"pub_key"`
				Power  int64  `json:"power"`
			} `json:"validators"`
		} `json:"genesis"`
		Blocks []struct {
			Header json.RawMessage `json:"header"`
			Commit json.RawMessage `json:"commit"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(data, &record); err != nil {
		panic(err)
	}
	var vals []cmtlite.Validator
	for _, v := range record.Genesis.Validators {
		vals = append(vals, cmtlite.Validator{PubKey: [32]byte(v.PubKey), Power: v.Power})
	}
	set, err := cmtlite.NewValidatorSet(vals)
	if err != nil {
		panic(err)
	}
	h, err := cmtlite.ParseHeader(record.Blocks[0].Header)
	if err != nil {
		panic(err)
	}
	c, err := cmtlite.ParseCommit(record.Blocks[0].Commit)
	if err != nil {
		panic(err)
	}
	fmt.Println("validators:", string(h.ValidatorsHash) == string(set.Hash()))
	fmt.Println("commit for the header:", string(c.BlockID.Hash) == string(h.Hash()))
	fmt.Println("signed:", set.VerifyCommitLightAllSignatures(record.ChainID, c.BlockID, h.Height, c) == nil)
	// Output:
	// validators: true
	// commit for the header: true
	// signed: true
}
