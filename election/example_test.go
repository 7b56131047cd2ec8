package election_test

import (
	"crypto/sha3"
	"fmt"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// An election from its manifest to its first transactions: the official
// writes the manifest (in YAML, as `evote election create` reads it), its
// id is the hash of its canonical encoding, and signed transactions run
// through the state machine over an in-memory store, as every node runs
// them in a block.
func Example() {
	// Keys. These are derived from public labels: for examples and tests
	// only.
	official := election.DeriveKey("example/official")
	var trustees string
	for i := range 3 {
		id := election.DeriveKey(fmt.Sprintf("example/trustee-%d", i+1))
		shake := sha3.NewSHAKE256()
		fmt.Fprintf(shake, "example/encryption-key-%d", i+1)
		enc, err := tally.GenerateTrusteeEncryptionKey(shake)
		if err != nil {
			panic(err)
		}
		trustees += fmt.Sprintf("    - name: Trustee %d\n      identity: %s\n      encryption_key: %s\n",
			i+1, id.TrusteePublic(), election.EncryptionKeyOf(enc.Public()))
	}

	// The manifest and its id.
	man, err := election.ParseManifestYAML(fmt.Appendf(nil, `reference: example-2030
authority: %s
languages: [en]
title: {en: Example election}
schedule:
  dkg_deals_by: 2030-03-01T12:00:00Z
  dkg_complaint_window: 1h
  dkg_response_window: 1h
  open: 2030-03-10T07:00:00Z
  close: 2030-03-10T19:00:00Z
trustees:
  threshold: 2
  members:
%scontests:
  - type: plurality
    min_selections: 1
    title: {en: "Should the city build a tram line?"}
    options: [{en: "Yes"}, {en: "No"}]
`, official.AuthorityPublic(), trustees))
	if err != nil {
		panic(err)
	}
	id, err := man.ID()
	if err != nil {
		panic(err)
	}
	fmt.Println("election", id)

	// The chain's genesis names the official as an election authority.
	const chainID = "evote-example"
	m, err := election.NewMachine(election.Genesis{ChainID: chainID, Authorities: []election.AuthorityPublicKey{official.AuthorityPublic()}}, election.Options{})
	if err != nil {
		panic(err)
	}
	store := election.NewMemStore()

	// Block 1: the official creates the election and appends two voters.
	create, err := election.NewCreateElectionTx(chainID, man, official)
	if err != nil {
		panic(err)
	}
	alice, bob := election.DeriveKey("example/alice").VoterPublic(), election.DeriveKey("example/bob").VoterPublic()
	roll := []election.RollEntry{{Voter: alice, Weight: 1}, {Voter: bob, Weight: 1}}
	if string(alice[:]) > string(bob[:]) {
		roll[0], roll[1] = roll[1], roll[0] // the roll is in key order
	}
	appendVoters, err := election.NewAppendVotersTx(chainID, id, roll, official)
	if err != nil {
		panic(err)
	}
	// The same append signed for another chain, and by a voter: refused.
	otherChain, _ := election.NewAppendVotersTx("evote-other", id, roll, official)
	byVoter, _ := election.NewAppendVotersTx(chainID, id, roll, election.DeriveKey("example/alice"))

	b := election.Block{ChainID: chainID, Height: 1, Time: time.Date(2030, 2, 1, 9, 0, 0, 0, time.UTC)}
	blk, err := m.BeginBlock(store, b)
	if err != nil {
		panic(err)
	}
	for _, tx := range []struct {
		name string
		raw  []byte
	}{{"create-election", create}, {"append-voters", appendVoters}, {"append-voters for another chain", otherChain}, {"append-voters by a voter", byVoter}} {
		res, err := blk.Deliver(tx.raw, false)
		if err != nil {
			panic(err) // a node fault (the store), never a rejection
		}
		fmt.Printf("%s: %s\n", tx.name, res.Code)
	}
	if err := blk.End(); err != nil {
		panic(err)
	}

	// What the state says.
	el, err := election.QueryElections(store)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: %s, %d voters on the roll\n", el[0].Title["en"], el[0].Phase, el[0].RollSize)
	// Output:
	// election d3965e585cb601d67960614e4a5dc2386d20ad20896e58dad987a5b700d9298b
	// create-election: ok
	// append-voters: ok
	// append-voters for another chain: bad-signature
	// append-voters by a voter: unauthorized
	// Example election: dkg-deals, 2 voters on the roll
}
