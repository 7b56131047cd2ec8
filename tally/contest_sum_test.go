package tally

import (
	"errors"
	"fmt"
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

// TestContestBatchEveryPosition: a batch with one bad item fails, naming
// it, wherever the item stands: first, second, second to last, last, or
// alone; so no batch verifier may skip an end of its batch. The bad item
// is a valid encryption whose option proof is another voter's (it parses
// and only the proof's check refuses it).
func TestContestBatchEveryPosition(t *testing.T) {
	rnd := seeded("batch-positions")
	pk := mustKey(t, rnd)
	const n = 6
	var items []ContestItem
	for v := range n {
		cc := testContext(fmt.Sprintf("position-%d", v), 0)
		enc, _, _ := encryptContest(t, pk, cc, approval3of5, []uint64{1, 0, 1, 0, 0}, rnd)
		items = append(items, ContestItem{Context: cc, Rules: approval3of5, Encoded: enc})
	}
	s, e := optionSpan(approval3of5, 1)
	spoil := func(i int) ContestItem {
		it := items[i]
		m := append([]byte(nil), it.Encoded...)
		copy(m[s+2*PointSize:e], items[(i+1)%n].Encoded[s+2*PointSize:e])
		it.Encoded = m
		return it
	}
	verifiers := map[string]func([]ContestItem) error{
		"VerifyContestBatch": func(b []ContestItem) error { return VerifyContestBatch(pk, b, rnd) },
		"VerifyContestBatchSum": func(b []ContestItem) error {
			sums, err := VerifyContestBatchSum(pk, b, rnd)
			if err != nil && sums != nil {
				t.Fatal("a failed batch gave sums")
			}
			return err
		},
	}
	for name, verify := range verifiers {
		if err := verify(items); err != nil {
			t.Fatalf("%s: the valid batch: %v", name, err)
		}
		for _, p := range []int{0, 1, n - 2, n - 1} {
			bad := append([]ContestItem(nil), items...)
			bad[p] = spoil(p)
			var be *BatchError
			if err := verify(bad); !errors.As(err, &be) || be.Index != p || fmt.Sprint(be.Failing) != fmt.Sprint([]int{p}) {
				t.Errorf("%s: item %d of %d spoiled: %v", name, p, n, err)
			}
		}
		var be *BatchError
		if err := verify([]ContestItem{spoil(2)}); !errors.As(err, &be) || be.Index != 0 {
			t.Errorf("%s: a batch of one spoiled item: %v", name, err)
		}
	}
}
