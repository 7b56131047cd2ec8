package tally_test

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/evote/evote/tally"
)

// An election's cryptography from the key ceremony to the totals, every
// role in one process (`evote tally demo` runs the same with more voters):
// three trustees of whom any two can decrypt, four voters who each approve
// one to two of three options, a copied ballot refused, the homomorphic
// tally, and a threshold decryption of the totals only.
func Example() {
	election := []byte("example-election")
	const n, t = 3, 2

	// 1. Key ceremony: each trustee publishes an encryption key, then a
	// deal (Feldman commitments, a proof of knowledge, shares sealed to the
	// others); each checks the deals addressed to it; the joint key follows
	// from the deals alone.
	params := &tally.DKGParams{Context: election, N: n, T: t}
	encKeys := make([]*tally.TrusteeEncryptionKey, n)
	for j := range encKeys {
		k, err := tally.GenerateTrusteeEncryptionKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		encKeys[j] = k
		params.Trustees = append(params.Trustees, tally.TrusteeInfo{Index: uint32(j + 1), EncryptionKey: k.Public()})
	}
	deals := make([]*tally.DKGDeal, n)
	secrets := make([]*tally.DealerSecret, n)
	for j := range deals {
		d, s, err := tally.NewDKGDeal(params, uint32(j+1), rand.Reader)
		if err != nil {
			panic(err)
		}
		deals[j], secrets[j] = d, s
	}
	for j := uint32(1); j <= n; j++ {
		complaints, err := tally.CheckDeals(params, j, encKeys[j-1], deals)
		if err != nil || len(complaints) > 0 {
			panic(fmt.Sprint("complaints: ", complaints, err))
		}
	}
	result, err := tally.Finalize(params, deals, nil, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("qualified trustees:", result.Qualified)
	pk := result.PublicKey

	// 2. Voters encrypt their choices and prove them well formed, bound to
	// the election and to their credential.
	rules := tally.ContestRules{Options: 3, MaxPerOption: 1, MinSelections: 1, MaxSelections: 2}
	choices := [][]uint64{{1, 0, 0}, {1, 1, 0}, {0, 0, 1}, {1, 0, 1}}
	var items []tally.ContestItem
	for v, c := range choices {
		cc := tally.ContestContext{ElectionID: election, Voter: fmt.Appendf(nil, "voter-%d", v)}
		enc, _, err := tally.EncryptContest(pk, cc, rules, c, rand.Reader)
		if err != nil {
			panic(err)
		}
		b, _ := enc.MarshalBinary()
		items = append(items, tally.ContestItem{Context: cc, Rules: rules, Encoded: b})
	}

	// 3. A polling node verifies the ballots in one batch; voter 0's
	// ballot submitted under another credential fails, and is named.
	copied := tally.ContestItem{Context: tally.ContestContext{ElectionID: election, Voter: []byte("intruder")}, Rules: rules, Encoded: items[0].Encoded}
	var be *tally.BatchError
	err = tally.VerifyContestBatch(pk, append(append([]tally.ContestItem(nil), items...), copied), rand.Reader)
	fmt.Println("copied ballot refused:", errors.As(err, &be) && be.Index == len(items) && errors.Is(err, tally.ErrInvalidProof))
	if err := tally.VerifyContestBatch(pk, items, rand.Reader); err != nil {
		panic(err)
	}

	// 4. The running tally: per option the sum of the ciphertexts.
	agg := make([]*tally.Ciphertext, rules.Options)
	for i := range agg {
		agg[i] = tally.ZeroCiphertext()
	}
	for _, it := range items {
		cts, err := tally.ContestCiphertexts(rules, it.Encoded)
		if err != nil {
			panic(err)
		}
		for i, ct := range cts {
			agg[i].Add(agg[i], ct)
		}
	}

	// 5. Trustees 1 and 3 (trustee 2 is away) post partial decryptions of
	// the aggregates with proofs; anyone checks them against the trustee's
	// verification key and combines any two.
	var shares [][]*tally.DecryptionShare
	for _, j := range []uint32{1, 3} {
		x, err := result.SecretShare(params, j, encKeys[j-1], secrets[j-1], deals)
		if err != nil {
			panic(err)
		}
		ds, err := tally.PartialDecryptAll(x, j, agg, election, rand.Reader)
		if err != nil {
			panic(err)
		}
		vk, err := result.VerificationKey(j)
		if err != nil {
			panic(err)
		}
		if err := tally.VerifyDecryptionShares(vk, j, agg, ds, election); err != nil {
			panic(err)
		}
		shares = append(shares, ds)
	}
	totals, err := tally.CombineAll(agg, shares, t)
	if err != nil {
		panic(err)
	}

	// 6. The totals: a discrete logarithm each, bounded by the voters.
	table, err := tally.NewDlogTable(uint64(len(choices)))
	if err != nil {
		panic(err)
	}
	for i, m := range totals {
		v, err := table.Lookup(m)
		if err != nil {
			panic(err)
		}
		fmt.Printf("option %d: %d\n", i, v)
	}
	// Output:
	// qualified trustees: [1 2 3]
	// copied ballot refused: true
	// option 0: 3
	// option 1: 1
	// option 2: 2
}
