package tally

import (
	"errors"
	"fmt"

	"filippo.io/edwards25519"
)

// ErrReplaced marks a CiphertextSum.Update failure in the replaced
// ballot's ciphertexts (stored state), not in the new ballot's.
var ErrReplaced = errors.New("tally: replaced ballot")

// CiphertextSum is a vector of running sums of public ciphertexts (the
// aggregates of an election), kept decoded so that adding a ballot costs
// point additions only and the sums are encoded once, when they are stored.
// It computes in variable time: every ciphertext it sees is public. Its
// encodings are those of (*Ciphertext).Bytes.
type CiphertextSum struct {
	a, b []edwards25519.Point
}

// NewCiphertextSum decodes stored sums (A ‖ B each, either may be the
// identity).
func NewCiphertextSum(encoded [][]byte) (*CiphertextSum, error) {
	s := &CiphertextSum{a: make([]edwards25519.Point, len(encoded)), b: make([]edwards25519.Point, len(encoded))}
	for i, e := range encoded {
		if len(e) != 2*PointSize {
			return nil, fmt.Errorf("%w: sum %d has %d bytes", ErrMalformed, i, len(e))
		}
		if err := vtDecode(&s.a[i], e[:PointSize]); err != nil {
			return nil, fmt.Errorf("sum %d A: %w", i, err)
		}
		if err := vtDecode(&s.b[i], e[PointSize:]); err != nil {
			return nil, fmt.Errorf("sum %d B: %w", i, err)
		}
	}
	return s, nil
}

// Len is the number of sums.
func (s *CiphertextSum) Len() int { return len(s.a) }

// Update adds weight times the ballot ciphertexts add[i] to sum i and, if
// sub is not nil, subtracts weight times sub[i] (a replaced ballot), for
// every i. Each ciphertext is A ‖ B with A not the identity. It is all or
// nothing: on error no sum has changed.
func (s *CiphertextSum) Update(add, sub [][]byte, weight uint64) error {
	if len(add) != len(s.a) || sub != nil && len(sub) != len(s.a) {
		return fmt.Errorf("%w: %d and %d ciphertexts for %d sums", ErrMalformed, len(add), len(sub), len(s.a))
	}
	da, db, err := decodeBallotCiphertexts(add, weight)
	if err != nil {
		return err
	}
	var sa, sb []edwards25519.Point
	if sub != nil {
		if sa, sb, err = decodeBallotCiphertexts(sub, weight); err != nil {
			return fmt.Errorf("%w: %w", ErrReplaced, err)
		}
	}
	for i := range s.a {
		s.a[i].Add(&s.a[i], &da[i])
		s.b[i].Add(&s.b[i], &db[i])
		if sub != nil {
			s.a[i].Subtract(&s.a[i], &sa[i])
			s.b[i].Subtract(&s.b[i], &sb[i])
		}
	}
	return nil
}

func decodeBallotCiphertexts(cts [][]byte, weight uint64) (a, b []edwards25519.Point, err error) {
	a, b = make([]edwards25519.Point, len(cts)), make([]edwards25519.Point, len(cts))
	var w *edwards25519.Scalar
	if weight != 1 {
		w = vtUint64(weight)
	}
	for i, ct := range cts {
		if len(ct) != 2*PointSize {
			return nil, nil, fmt.Errorf("%w: ciphertext %d has %d bytes", ErrMalformed, i, len(ct))
		}
		if err := vtDecode(&a[i], ct[:PointSize]); err != nil {
			return nil, nil, fmt.Errorf("ciphertext %d A: %w", i, err)
		}
		if vtIsIdentity(&a[i]) {
			return nil, nil, fmt.Errorf("ciphertext %d A: %w", i, ErrIdentity)
		}
		if err := vtDecode(&b[i], ct[PointSize:]); err != nil {
			return nil, nil, fmt.Errorf("ciphertext %d B: %w", i, err)
		}
		if w != nil {
			a[i].VarTimeDoubleScalarBaseMult(w, &a[i], edwards25519.NewScalar())
			b[i].VarTimeDoubleScalarBaseMult(w, &b[i], edwards25519.NewScalar())
		}
	}
	return a, b, nil
}

// Bytes encodes sum i as A ‖ B.
func (s *CiphertextSum) Bytes(i int) []byte {
	out := make([]byte, 0, 2*PointSize)
	out = vtEncode(out, &s.a[i])
	return vtEncode(out, &s.b[i])
}
