package tally

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	mrand "math/rand/v2"

	"filippo.io/edwards25519"
)

// eqSet collects verification equations of the form Σ s_i·P_i = 0, each
// already multiplied by a random 128-bit weight, grouped by the item they
// came from (a contest, or one proof of a contest). The sum of a range of
// groups is checked with one multi-scalar multiplication; if every equation
// holds the sum is zero, and if any fails the sum is zero with probability
// at most 2^-128 over the choice of weights.
type eqSet struct {
	scalars []edwards25519.Scalar
	points  []edwards25519.Point
	groups  []eqGroup
	weights *mrand.ChaCha8
}

// eqGroup is one item's equations: terms [start, end) plus its coefficients
// of the generator G and the election key H, and the item's parse error, if
// any (such a group has no terms).
type eqGroup struct {
	start, end int
	g, h       edwards25519.Scalar
	err        error
}

// newEqSet seeds the weights from rnd (crypto/rand if nil).
func newEqSet(rnd io.Reader, terms int) (*eqSet, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var seed [32]byte
	if _, err := io.ReadFull(rnd, seed[:]); err != nil {
		return nil, fmt.Errorf("tally: reading randomness: %w", err)
	}
	return &eqSet{
		scalars: make([]edwards25519.Scalar, 0, terms),
		points:  make([]edwards25519.Point, 0, terms),
		weights: mrand.NewChaCha8(seed),
	}, nil
}

// weight returns a fresh random 128-bit scalar.
func (s *eqSet) weight() *edwards25519.Scalar {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[0:], s.weights.Uint64())
	binary.LittleEndian.PutUint64(b[8:], s.weights.Uint64())
	w, err := new(edwards25519.Scalar).SetCanonicalBytes(b[:])
	if err != nil {
		panic(err) // 128-bit values are always canonical
	}
	return w
}

// term appends coef·p to the open group; it returns the point's slot so the
// caller can decode into it in place.
func (s *eqSet) term(coef *edwards25519.Scalar) (*edwards25519.Scalar, *edwards25519.Point) {
	s.scalars = append(s.scalars, *coef)
	s.points = append(s.points, edwards25519.Point{})
	return &s.scalars[len(s.scalars)-1], &s.points[len(s.points)-1]
}

// holds reports whether the equations of groups [lo, hi) sum to zero.
func (s *eqSet) holds(lo, hi int, gen, key *edwards25519.Point) bool {
	if lo >= hi {
		return true
	}
	start, end := s.groups[lo].start, s.groups[hi-1].end
	scalars := make([]edwards25519.Scalar, 0, end-start+2)
	points := make([]edwards25519.Point, 0, end-start+2)
	scalars = append(scalars, s.scalars[start:end]...)
	points = append(points, s.points[start:end]...)
	var g, h edwards25519.Scalar
	for i := lo; i < hi; i++ {
		g.Add(&g, &s.groups[i].g)
		h.Add(&h, &s.groups[i].h)
	}
	scalars = append(scalars, g, h)
	points = append(points, *gen, *key)
	return vtIsIdentity(vtMSM(scalars, points))
}

// failing returns, in order, the groups in [lo, hi) whose equations do not
// hold, by bisection; groups with a parse error are reported as failing.
func (s *eqSet) failing(lo, hi int, gen, key *edwards25519.Point, out []int) []int {
	if lo >= hi {
		return out
	}
	if hi-lo == 1 {
		if s.groups[lo].err != nil || !s.holds(lo, hi, gen, key) {
			out = append(out, lo)
		}
		return out
	}
	clean := true
	for i := lo; i < hi; i++ {
		if s.groups[i].err != nil {
			clean = false
			break
		}
	}
	if clean && s.holds(lo, hi, gen, key) {
		return out
	}
	mid := (lo + hi) / 2
	out = s.failing(lo, mid, gen, key, out)
	return s.failing(mid, hi, gen, key, out)
}

// vtScalar parses a canonical scalar.
func vtScalar(b []byte) (*edwards25519.Scalar, error) {
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: scalar not reduced", ErrNonCanonical)
	}
	return s, nil
}

// vtChallenge is the transcript's challenge as an edwards25519 scalar.
func vtChallenge(t *transcript) *edwards25519.Scalar {
	b := t.challengeBytes()
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(b[:])
	if err != nil {
		panic(err)
	}
	return s
}

// vtUint64 returns v as a scalar.
func vtUint64(v uint64) *edwards25519.Scalar {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], v)
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(b[:])
	if err != nil {
		panic(err)
	}
	return s
}

// vtKey decodes the election public key for the verification path.
func vtKey(pk *PublicKey) (*edwards25519.Point, []byte, error) {
	b := pk.Bytes()
	var p edwards25519.Point
	if err := vtDecode(&p, b); err != nil {
		return nil, nil, err
	}
	if vtIsIdentity(&p) {
		return nil, nil, fmt.Errorf("%w: public key", ErrIdentity)
	}
	return &p, b, nil
}
