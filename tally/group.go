package tally

import (
	"crypto/sha512"
	"fmt"
	"io"

	"filippo.io/edwards25519"
	"github.com/cloudflare/circl/group"
)

// The group is ristretto255 throughout; these helpers keep the name in one
// place without a package variable.

func grp() group.Group { return group.Ristretto255 }

func newScalar() group.Scalar   { return group.Ristretto255.NewScalar() }
func newElement() group.Element { return group.Ristretto255.NewElement() }

// generator returns a fresh copy of the ristretto255 base point G.
func generator() group.Element { return group.Ristretto255.Generator() }

// scalarFromUint64 returns v as a scalar.
func scalarFromUint64(v uint64) group.Scalar { return newScalar().SetUint64(v) }

// scalarFromWide reduces 64 uniformly random bytes (little-endian) modulo the
// group order, giving a scalar whose bias is below 2^-250.
func scalarFromWide(wide []byte) group.Scalar {
	if len(wide) != 64 {
		panic("tally: scalarFromWide needs 64 bytes")
	}
	fs, err := edwards25519.NewScalar().SetUniformBytes(wide)
	if err != nil {
		panic(err)
	}
	s := newScalar()
	if err := s.UnmarshalBinary(fs.Bytes()); err != nil {
		panic(err) // a reduced scalar is always canonical
	}
	return s
}

// RandomScalar reads 64 bytes from rnd and reduces them modulo the group
// order. Unlike circl's RandomScalar for ristretto255, which ignores its
// reader, this is deterministic for a deterministic reader, which is what the
// test vectors need.
func RandomScalar(rnd io.Reader) (group.Scalar, error) {
	var wide [64]byte
	if _, err := io.ReadFull(rnd, wide[:]); err != nil {
		return nil, fmt.Errorf("tally: reading randomness: %w", err)
	}
	return scalarFromWide(wide[:]), nil
}

// randomNonZeroScalar is RandomScalar retried until the result is not zero
// (which happens with probability 2^-252).
func randomNonZeroScalar(rnd io.Reader) (group.Scalar, error) {
	for {
		s, err := RandomScalar(rnd)
		if err != nil || !s.IsZero() {
			return s, err
		}
	}
}

// ctEq returns 1 if a == b and 0 otherwise, in constant time.
func ctEq(a, b uint64) int {
	x := a ^ b
	// x == 0 iff ((x | -x) >> 63) == 0
	return int(1 ^ ((x | -x) >> 63))
}

// ctGe returns 1 if a >= b and 0 otherwise, in constant time; a and b
// must be below 2^63.
func ctGe(a, b uint64) int { return int(1 ^ ((a - b) >> 63)) }

// scalarBytes returns the canonical 32-byte encoding of s.
func scalarBytes(s group.Scalar) []byte { return appendScalar(nil, s) }

// pointBytes returns the canonical 32-byte encoding of p.
func pointBytes(p group.Element) []byte { return appendPoint(nil, p) }

// Transcript is the Fiat-Shamir hash of a proof: SHA-512 over the tag and a
// sequence of length-prefixed fields, reduced modulo the group order
// (docs/spec/transcript.md):
//
//	c = SHA-512( u8 len(tag) || tag || for each field: u32 len(field) || field ) mod ℓ
//
// The tag is the proof's version and domain ("evote/v1/proof/..."). The
// caller-given context (election, voter, position) is one of the fields, so a
// proof cannot be moved to another statement, voter, election or position.
type transcript struct {
	buf []byte
}

func newTranscript(tag string) *transcript {
	e := encoderOn(make([]byte, 0, 512))
	e.Tag(tag)
	return &transcript{buf: e.B}
}

// field appends one length-prefixed field.
func (t *transcript) field(p []byte) {
	e := encoderOn(t.buf)
	e.Bytes(p)
	t.buf = e.B
}

// challengeBytes returns the 32-byte canonical encoding of the challenge.
func (t *transcript) challengeBytes() [32]byte {
	sum := sha512.Sum512(t.buf)
	fs, err := edwards25519.NewScalar().SetUniformBytes(sum[:])
	if err != nil {
		panic(err)
	}
	var out [32]byte
	copy(out[:], fs.Bytes())
	return out
}

// challenge returns the challenge as a circl scalar.
func (t *transcript) challenge() group.Scalar {
	b := t.challengeBytes()
	s := newScalar()
	if err := s.UnmarshalBinary(b[:]); err != nil {
		panic(err)
	}
	return s
}
