package tally

import (
	"io"

	"filippo.io/edwards25519"
)

// VerifyContestBatchSum is VerifyContestBatch that also adds up the items'
// ciphertexts as it decodes them for the verification: sums[c][o] is the
// sum of option o's ciphertexts over the items whose Context.Contest is c
// (nil where no item has contest c). A verifier that keeps a running tally
// gets it without decoding every ballot a second time. The sums mean
// something only when err is nil.
func VerifyContestBatchSum(pk *PublicKey, items []ContestItem, rnd io.Reader) (sums [][]*Ciphertext, err error) {
	cs := &ciphertextSums{}
	if err := verifyContestBatch(pk, items, rnd, cs); err != nil {
		return nil, err
	}
	out := make([][]*Ciphertext, len(cs.a))
	for c := range cs.a {
		if cs.a[c] == nil {
			continue
		}
		out[c] = make([]*Ciphertext, len(cs.a[c]))
		for o := range cs.a[c] {
			out[c][o] = &Ciphertext{A: fromEdwards(&cs.a[c][o]), B: fromEdwards(&cs.b[c][o])}
		}
	}
	return out, nil
}

// ciphertextSums accumulates decoded ciphertexts per contest and option.
type ciphertextSums struct {
	a, b [][]edwards25519.Point
}

func (s *ciphertextSums) add(contest uint32, option int, a, b *edwards25519.Point) {
	for int(contest) >= len(s.a) {
		s.a, s.b = append(s.a, nil), append(s.b, nil)
	}
	for option >= len(s.a[contest]) {
		s.a[contest] = append(s.a[contest], *edwards25519.NewIdentityPoint())
		s.b[contest] = append(s.b[contest], *edwards25519.NewIdentityPoint())
	}
	s.a[contest][option].Add(&s.a[contest][option], a)
	s.b[contest][option].Add(&s.b[contest][option], b)
}
