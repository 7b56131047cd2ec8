package tally

import (
	"fmt"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// The verification path decodes ristretto255 elements directly into
// filippo.io/edwards25519 points, following RFC 9496 §4.3.1, so that it can
// use that package's variable-time multi-scalar multiplication. circl and
// this decoder accept and reject exactly the same encodings; the tests and
// FuzzRistrettoDecode check the two against each other.

// Field constants, little-endian.
var (
	// d = -121665/121666, the twisted Edwards curve constant.
	ristrettoD = [32]byte{0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00, 0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52}
)

// vtDecode decodes a canonical ristretto255 encoding into an edwards25519
// point. It is not constant time: use it on public data only.
func vtDecode(p *edwards25519.Point, b []byte) error {
	if len(b) != PointSize {
		return fmt.Errorf("%w: element of %d bytes", ErrMalformed, len(b))
	}
	s, err := new(field.Element).SetBytes(b)
	if err != nil {
		return fmt.Errorf("%w: not a ristretto255 element", ErrNonCanonical)
	}
	// Reject s >= p (SetBytes ignores the top bit and reduces) and negative s.
	if !bytesEqual(s.Bytes(), b) || s.IsNegative() == 1 {
		return fmt.Errorf("%w: not a ristretto255 element", ErrNonCanonical)
	}
	var d field.Element
	if _, err := d.SetBytes(ristrettoD[:]); err != nil {
		panic(err)
	}
	one := new(field.Element).One()
	ss := new(field.Element).Square(s)
	u1 := new(field.Element).Subtract(one, ss)
	u2 := new(field.Element).Add(one, ss)
	u2sq := new(field.Element).Square(u2)

	// v = -(d * u1^2) - u2^2
	v := new(field.Element).Square(u1)
	v.Multiply(v, &d)
	v.Negate(v)
	v.Subtract(v, u2sq)

	// (wasSquare, invsqrt) = SQRT_RATIO_M1(1, v * u2^2)
	vu2sq := new(field.Element).Multiply(v, u2sq)
	invsqrt, wasSquare := new(field.Element).SqrtRatio(one, vu2sq)

	denX := new(field.Element).Multiply(invsqrt, u2)
	denY := new(field.Element).Multiply(invsqrt, denX)
	denY.Multiply(denY, v)

	x := new(field.Element).Multiply(s, denX)
	x.Add(x, x)
	x.Absolute(x)
	y := new(field.Element).Multiply(u1, denY)
	t := new(field.Element).Multiply(x, y)

	if wasSquare == 0 || t.IsNegative() == 1 || y.Equal(new(field.Element).Zero()) == 1 {
		return fmt.Errorf("%w: not a ristretto255 element", ErrNonCanonical)
	}
	if _, err := p.SetExtendedCoordinates(x, y, one, t); err != nil {
		return fmt.Errorf("%w: not a ristretto255 element", ErrNonCanonical)
	}
	return nil
}

// vtIsIdentity reports whether p is the identity of ristretto255, that is
// whether p lies in the 4-torsion subgroup of edwards25519 (RFC 9496 §4.3.3:
// X*Y' == Y*X' or Y*Y' == X*X' against the identity (0:1:1:0)).
func vtIsIdentity(p *edwards25519.Point) bool {
	x, y, _, _ := p.ExtendedCoordinates()
	var zero field.Element
	return x.Equal(&zero) == 1 || y.Equal(&zero) == 1
}

func bytesEqual(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
