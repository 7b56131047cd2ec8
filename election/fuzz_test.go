package election_test

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/wallet"
)

// Seed corpora: testdata/fuzz/<target>/, plus the seeds added here.

// fuzzSeeds returns one transaction of every kind.
func fuzzSeeds(t testing.TB) [][]byte {
	man := sampleManifest(t)
	id, _ := man.ID()
	key := actorKey("city-clerk")
	params, _ := man.DKGParams(id)
	deal, secret, _ := tally.NewDKGDeal(params, 1, stream("fuzz deal"))
	resp, _ := secret.Respond(params, &tally.DKGComplaint{Complainer: 2, Dealer: 1})
	sk, _ := tally.GenerateKey(stream("fuzz key"))
	e := &wallet.Election{ChainID: "evote-test", ID: id, Manifest: man, JointKey: sk.Public()}
	ballot, err := wallet.BuildBallot(e, wallet.NewVoterKey(actorKey("alice")), 1, [][]uint64{{1, 0}, {1, 1, 0, 0, 0}, {5, 0, 3}}, stream("fuzz ballot"))
	if err != nil {
		t.Fatal(err)
	}
	shares, _ := tally.PartialDecryptAll(sk, 1, []*tally.Ciphertext{tally.ZeroCiphertext()}, id[:], stream("fuzz shares"))
	var out [][]byte
	for _, f := range []func() ([]byte, error){
		func() ([]byte, error) { return election.NewCreateElectionTx("evote-test", man, key) },
		func() ([]byte, error) {
			return election.NewAppendVotersTx("evote-test", id, []election.RollEntry{{Voter: actorKey("v").VoterPublic(), Weight: 1}}, key)
		},
		func() ([]byte, error) { return election.NewDKGDealTx("evote-test", id, deal, key) },
		func() ([]byte, error) {
			return election.NewDKGComplaintsTx("evote-test", id, []*tally.DKGComplaint{{Complainer: 2, Dealer: 1}}, key)
		},
		func() ([]byte, error) {
			return election.NewDKGResponsesTx("evote-test", id, []*tally.DKGResponse{resp}, key)
		},
		func() ([]byte, error) { return election.NewOpenTx("evote-test", id, key) },
		func() ([]byte, error) { return election.NewCloseTx("evote-test", id, key) },
		func() ([]byte, error) { return ballot.Tx, nil },
		func() ([]byte, error) { return election.NewDecryptionSharesTx("evote-test", id, shares, key) },
		func() ([]byte, error) {
			return election.NewValidatorUpdateTx("evote-test", actorKey("validator").Public(), 10, key)
		},
	} {
		b, err := f()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzDecodeTx: the envelope and body decoders never panic, and whatever
// they accept re-encodes to the same bytes (one encoding per value).
func FuzzDecodeTx(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := election.DecodeTx(b)
		if err != nil {
			return
		}
		again, _ := tx.MarshalBinary()
		if !bytes.Equal(again, b) {
			t.Fatalf("envelope re-encodes differently")
		}
		body, err := election.DecodeBody(tx.Kind, tx.Body)
		if err != nil {
			return
		}
		if body.Kind() != tx.Kind {
			t.Fatalf("body of kind %v in a %v envelope", body.Kind(), tx.Kind)
		}
		enc, err := body.MarshalBinary()
		if err != nil {
			t.Fatalf("a decoded body does not encode: %v", err)
		}
		if !bytes.Equal(enc, tx.Body) {
			t.Fatalf("%v body re-encodes differently", tx.Kind)
		}
	})
}

// FuzzDecodeManifest: the manifest decoder never panics and accepts only
// valid manifests in their one encoding.
func FuzzDecodeManifest(f *testing.F) {
	enc, _ := sampleManifest(f).MarshalBinary()
	f.Add(enc)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := election.DecodeManifest(b)
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded an invalid manifest: %v", err)
		}
		again, err := m.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("manifest re-encodes differently: %v", err)
		}
	})
}

// FuzzParseManifestYAML: the YAML parser never panics, and a manifest it
// accepts is valid and survives the binary and YAML round trips.
func FuzzParseManifestYAML(f *testing.F) {
	y, err := os.ReadFile("testdata/city-referendum.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(y)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := election.ParseManifestYAML(b)
		if err != nil {
			return
		}
		enc, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("a parsed manifest does not encode: %v", err)
		}
		back, err := election.DecodeManifest(enc)
		if err != nil {
			t.Fatalf("a parsed manifest does not decode: %v", err)
		}
		again, _ := back.MarshalBinary()
		if !bytes.Equal(again, enc) {
			t.Fatal("binary round trip differs")
		}
		y, err := m.YAML()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := election.ParseManifestYAML(y)
		if err != nil {
			t.Fatalf("written YAML does not parse: %v\n%s", err, y)
		}
		enc2, _ := m2.MarshalBinary()
		if !bytes.Equal(enc2, enc) {
			t.Fatal("YAML round trip differs")
		}
	})
}

// FuzzDeliver: arbitrary bytes delivered to a chain with an open election
// never panic, and a rejection writes nothing.
func FuzzDeliver(f *testing.F) {
	r := runScript(f, "testdata/fuzz-deliver.txt", false)
	for _, line := range []string{
		"v2 vote m 1,1",        // ok
		"v1 vote m 0,1",        // ok
		"official roll m v3:5", // ok
		"official close m",     // ok
		"t1 complain m",        // wrong-phase
	} {
		f.Add(r.buildTx(r.parseTx(line)))
	}
	base := r.st
	b := election.Block{ChainID: r.chainID, Height: r.block.Height + 1, Time: r.block.Time.Add(time.Minute)}
	f.Fuzz(func(t *testing.T, tx []byte) {
		st := base.Clone()
		pre, err := r.m.Precheck(st, tx)
		if err != nil {
			t.Fatalf("Precheck on a MemStore: %v", err)
		}
		blk, err := r.m.BeginBlock(st, b)
		if err != nil {
			t.Fatal(err)
		}
		before := digest(st)
		res, err := blk.Deliver(tx, false)
		if err != nil {
			t.Fatalf("Deliver on a MemStore: %v", err)
		}
		if !pre.OK() && res.Code != pre.Code {
			t.Fatalf("Precheck %v, Deliver %v", pre.Code, res.Code)
		}
		if !res.OK() && !bytes.Equal(before, digest(st)) {
			t.Fatal("a rejected transaction wrote")
		}
		if err := blk.End(); err != nil {
			t.Fatal(err)
		}
	})
}
