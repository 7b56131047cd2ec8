package tally

import (
	"fmt"
	"io"
	"testing"
)

// benchChoices cycles through valid choices of a 5-option contest with 1 to
// 3 selections.
var benchChoices = [][]uint64{{1, 0, 0, 0, 0}, {0, 1, 1, 0, 0}, {1, 0, 1, 0, 1}, {0, 0, 0, 1, 0}, {0, 1, 0, 1, 1}}

func benchContests(b *testing.B, pk *PublicKey, n int, rnd io.Reader) []ContestItem {
	items := make([]ContestItem, n)
	for i := range items {
		cc := testContext(fmt.Sprintf("voter-%06d", i), 0)
		c, _, err := EncryptContest(pk, cc, approval3of5, benchChoices[i%len(benchChoices)], rnd)
		if err != nil {
			b.Fatal(err)
		}
		enc, _ := c.MarshalBinary()
		items[i] = ContestItem{Context: cc, Rules: approval3of5, Encoded: enc}
	}
	return items
}

func BenchmarkMul(b *testing.B) {
	rnd := seeded("mul")
	s, _ := RandomScalar(rnd)
	p := newElement().MulGen(s)
	for b.Loop() {
		p.Mul(p, s)
	}
}

func BenchmarkEncryptContest(b *testing.B) {
	rnd := seeded("bench encrypt")
	pk := mustKey(b, rnd)
	cc := testContext("voter", 0)
	mul := mulCostNs()
	i := 0
	for b.Loop() {
		c, _, err := EncryptContest(pk, cc, approval3of5, benchChoices[i%len(benchChoices)], rnd)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportMuls(b, mul, 1, "contest")
}

// BenchmarkEncryptContestLarge encrypts a 100-option contest in which the
// voter chooses 1 to 10 options (the large ballot of the speed targets).
func BenchmarkEncryptContestLarge(b *testing.B) {
	rnd := seeded("bench encrypt large")
	pk := mustKey(b, rnd)
	cc := testContext("voter", 0)
	rules := ContestRules{Options: 100, MaxPerOption: 1, MinSelections: 1, MaxSelections: 10}
	choices := make([]uint64, rules.Options)
	for i := 0; i < 10; i++ {
		choices[i*7] = 1
	}
	mul := mulCostNs()
	for b.Loop() {
		c, _, err := EncryptContest(pk, cc, rules, choices, rnd)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
	reportMuls(b, mul, 1, "contest")
}

func BenchmarkVerifyContest(b *testing.B) {
	rnd := seeded("bench verify")
	pk := mustKey(b, rnd)
	items := benchContests(b, pk, 16, rnd)
	mul := mulCostNs()
	i := 0
	for b.Loop() {
		it := items[i%len(items)]
		if err := VerifyContest(pk, it.Context, it.Rules, it.Encoded); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportMuls(b, mul, 1, "contest")
}

func BenchmarkVerifyContestBatch(b *testing.B) {
	rnd := seeded("bench batch")
	pk := mustKey(b, rnd)
	items := benchContests(b, pk, 1000, rnd)
	mul := mulCostNs()
	for b.Loop() {
		if err := VerifyContestBatch(pk, items, rnd); err != nil {
			b.Fatal(err)
		}
	}
	reportMuls(b, mul, len(items), "contest")
}

// BenchmarkAggregate adds one verified contest to the running tally: it
// decodes the contest's five ciphertexts and adds each to its option's
// aggregate.
func BenchmarkAggregate(b *testing.B) {
	rnd := seeded("bench aggregate")
	pk := mustKey(b, rnd)
	items := benchContests(b, pk, 64, rnd)
	agg := make([]*Ciphertext, approval3of5.Options)
	for i := range agg {
		agg[i] = ZeroCiphertext()
	}
	mul := mulCostNs()
	i := 0
	for b.Loop() {
		cts, err := ContestCiphertexts(approval3of5, items[i%len(items)].Encoded)
		if err != nil {
			b.Fatal(err)
		}
		for j, ct := range cts {
			agg[j].Add(agg[j], ct)
		}
		i++
	}
	reportMuls(b, mul, 1, "contest")
}
