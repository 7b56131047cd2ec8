package tally

import (
	"errors"
	"testing"
)

// VerifyContestBatchSum adds up the ciphertexts of the items it verifies,
// per contest and option, as ContestCiphertexts and Add would.
func TestVerifyContestBatchSum(t *testing.T) {
	rnd := seeded("batch-sum")
	pk := mustKey(t, rnd)
	rules := []ContestRules{
		{Options: 5, MaxPerOption: 1, MinSelections: 1, MaxSelections: 3},
		{Options: 2, MaxPerOption: 1, MinSelections: 1, MaxSelections: 1},
	}
	var items []ContestItem
	want := [][]*Ciphertext{{}, {}}
	for v := range 7 {
		for c, r := range rules {
			choices := make([]uint64, r.Options)
			choices[v%r.Options] = 1
			cc := ContestContext{ElectionID: []byte("sum"), Voter: []byte{byte(v)}, Contest: uint32(c)}
			enc, _, _ := encryptContest(t, pk, cc, r, choices, rnd)
			items = append(items, ContestItem{Context: cc, Rules: r, Encoded: enc})
			cts, err := ContestCiphertexts(r, enc)
			if err != nil {
				t.Fatal(err)
			}
			for o, ct := range cts {
				if v == 0 {
					want[c] = append(want[c], ZeroCiphertext())
				}
				want[c][o].Add(want[c][o], ct)
			}
		}
	}
	sums, err := VerifyContestBatchSum(pk, items, rnd)
	if err != nil {
		t.Fatal(err)
	}
	for c := range want {
		if len(sums[c]) != len(want[c]) {
			t.Fatalf("contest %d: %d sums, want %d", c, len(sums[c]), len(want[c]))
		}
		for o := range want[c] {
			if !sums[c][o].Equal(want[c][o]) {
				t.Fatalf("contest %d option %d: the sum differs", c, o)
			}
		}
	}
	// A bad item: the batch fails as VerifyContestBatch does, with no sums.
	items[3].Encoded = append([]byte{}, items[3].Encoded...)
	items[3].Encoded[len(items[3].Encoded)-40] ^= 1
	sums, err = VerifyContestBatchSum(pk, items, rnd)
	var be *BatchError
	if !errors.As(err, &be) || be.Index != 3 || sums != nil {
		t.Fatalf("got %v, %v", sums, err)
	}
}
