package tally

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestEndToEndElection runs the whole cryptographic life of an election:
// a 3-of-5 key ceremony over its real messages, 1,000 encrypted contests of
// 5 options with known choices, batch verification, the homomorphic
// aggregate, and decryption by three trustees while trustee 2 is absent and
// trustee 1 lies (its shares are caught and trustee 5 takes its place).
// The totals must equal the known choices.
func TestEndToEndElection(t *testing.T) {
	const (
		n, threshold = 5, 3
		voters       = 1000
	)
	rnd := seeded("evote end to end")
	election := []byte("end-to-end-election")

	// Key ceremony.
	params := &DKGParams{Context: election, N: n, T: threshold}
	encKeys := make([]*TrusteeEncryptionKey, n)
	for j := range encKeys {
		k, err := GenerateTrusteeEncryptionKey(rnd)
		if err != nil {
			t.Fatal(err)
		}
		encKeys[j] = k
		params.Trustees = append(params.Trustees, TrusteeInfo{Index: uint32(j + 1), EncryptionKey: k.Public()})
	}
	deals := make([]*DKGDeal, n)
	secrets := make([]*DealerSecret, n)
	for j := range deals {
		d, s, err := NewDKGDeal(params, uint32(j+1), rnd)
		if err != nil {
			t.Fatal(err)
		}
		deals[j], secrets[j] = d, s
	}
	// Every deal travels encoded, as it will on the chain.
	for j, d := range deals {
		b, _ := d.MarshalBinary()
		var got DKGDeal
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("deal %d: %v", j+1, err)
		}
		deals[j] = &got
	}
	for j := uint32(1); j <= n; j++ {
		complaints, err := CheckDeals(params, j, encKeys[j-1], deals)
		if err != nil || len(complaints) != 0 {
			t.Fatalf("trustee %d: complaints %v, %v", j, complaints, err)
		}
	}
	result, err := Finalize(params, deals, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(result.Qualified) != n {
		t.Fatalf("qualified %v", result.Qualified)
	}
	pk := result.PublicKey
	shares := make([]*PrivateKey, n)
	for j := uint32(1); j <= n; j++ {
		if shares[j-1], err = result.SecretShare(params, j, encKeys[j-1], secrets[j-1], deals); err != nil {
			t.Fatalf("trustee %d share: %v", j, err)
		}
	}

	// Voters: 1 to 3 of 5 options each, recorded.
	rules := ContestRules{Options: 5, MaxPerOption: 1, MinSelections: 1, MaxSelections: 3}
	pick := rand.New(rand.NewPCG(1, 2))
	want := make([]uint64, rules.Options)
	items := make([]ContestItem, voters)
	for v := range items {
		choices := make([]uint64, rules.Options)
		for _, o := range pick.Perm(rules.Options)[:1+pick.IntN(3)] {
			choices[o] = 1
			want[o]++
		}
		cc := ContestContext{ElectionID: election, Voter: fmt.Appendf(nil, "voter-%04d", v), Contest: 0}
		c, _, err := EncryptContest(pk, cc, rules, choices, rnd)
		if err != nil {
			t.Fatal(err)
		}
		enc, _ := c.MarshalBinary()
		items[v] = ContestItem{Context: cc, Rules: rules, Encoded: enc}
	}
	if err := VerifyContestBatch(pk, items, rnd); err != nil {
		t.Fatalf("batch of %d contests: %v", voters, err)
	}

	// The running tally.
	agg := make([]*Ciphertext, rules.Options)
	for i := range agg {
		agg[i] = ZeroCiphertext()
	}
	for _, it := range items {
		cts, err := ContestCiphertexts(rules, it.Encoded)
		if err != nil {
			t.Fatal(err)
		}
		for i, ct := range cts {
			agg[i].Add(agg[i], ct)
		}
	}

	// Decryption: trustee 2 is absent; trustee 1 posts wrong shares.
	posted := map[uint32][]*DecryptionShare{}
	for _, j := range []uint32{1, 3, 4} {
		ds, err := PartialDecryptAll(shares[j-1], j, agg, election, rnd)
		if err != nil {
			t.Fatal(err)
		}
		posted[j] = ds
	}
	for _, s := range posted[1] {
		s.D = newElement().Add(s.D, generator())
	}
	var valid [][]*DecryptionShare // one verified batch per trustee
	accept := func(j uint32) bool {
		vk, err := result.VerificationKey(j)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyDecryptionShares(vk, j, agg, posted[j], election); err != nil {
			if !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("trustee %d: %v", j, err)
			}
			return false
		}
		valid = append(valid, posted[j])
		return true
	}
	if accept(1) {
		t.Fatal("trustee 1's wrong shares were accepted")
	}
	if !accept(3) || !accept(4) {
		t.Fatal("honest shares rejected")
	}
	if _, err := CombineAll(agg, valid, threshold); !errors.Is(err, ErrTooFewShares) {
		t.Fatalf("two valid shares decrypted: %v", err)
	}
	ds, err := PartialDecryptAll(shares[4], 5, agg, election, rnd)
	if err != nil {
		t.Fatal(err)
	}
	posted[5] = ds
	if !accept(5) {
		t.Fatal("trustee 5's shares rejected")
	}
	totals, err := CombineAll(agg, valid, threshold)
	if err != nil {
		t.Fatal(err)
	}
	table, err := NewDlogTable(voters)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range totals {
		got, err := table.Lookup(m)
		if err != nil {
			t.Fatalf("option %d: %v", i, err)
		}
		if got != want[i] {
			t.Errorf("option %d: %d votes, want %d", i, got, want[i])
		}
	}
	t.Logf("totals %v from %d ballots", want, voters)
}
