package tally

import (
	"bytes"
	"fmt"
	"testing"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
	"github.com/cloudflare/circl/group"
)

// edgeScalars are 0, 1, 2, ℓ−1, ℓ−2, 1/2 and random scalars.
func edgeScalars(t *testing.T) []group.Scalar {
	rnd := seeded("fixed-base scalars")
	one := scalarFromUint64(1)
	out := []group.Scalar{scalarFromUint64(0), one, scalarFromUint64(2),
		newScalar().Neg(one), newScalar().Neg(scalarFromUint64(2)), circlScalar(scalarHalf()),
		scalarFromUint64(8), scalarFromUint64(1 << 62)}
	for i := 0; i < 24; i++ {
		s, err := RandomScalar(rnd)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// encodeViaHalf is how the provers get the bytes of s·base: multiply by
// s/2 with the fixed-base method, then encode the double.
func encodeViaHalf(mul func(s *edwards25519.Scalar) *edwards25519.Point, s group.Scalar) []byte {
	h := edwards25519.NewScalar().Multiply(edScalar(s), scalarHalf())
	out := make([]byte, PointSize)
	encodeDoubled([]*edwards25519.Point{mul(h)}, out)
	return out
}

// TestFixedBaseMatchesScalarMult: for both bases, the fixed-base product
// (encoded by encodeDoubled) has the bytes of circl's product.
func TestFixedBaseMatchesScalarMult(t *testing.T) {
	rnd := seeded("fixed-base keys")
	sk, err := GenerateKey(rnd)
	if err != nil {
		t.Fatal(err)
	}
	pk := sk.Public()
	tbl := pk.table()
	mulG := func(s *edwards25519.Scalar) *edwards25519.Point { return new(edwards25519.Point).ScalarBaseMult(s) }
	mulH := func(s *edwards25519.Scalar) *edwards25519.Point { return tbl.mul(s.Bytes()) }
	for i, s := range edgeScalars(t) {
		if got, want := encodeViaHalf(mulG, s), pointBytes(newElement().MulGen(s)); !bytes.Equal(got, want) {
			t.Errorf("scalar %d: s·G = %x, want %x", i, got, want)
		}
		if got, want := encodeViaHalf(mulH, s), pointBytes(newElement().Mul(pk.e, s)); !bytes.Equal(got, want) {
			t.Errorf("scalar %d: s·H = %x, want %x", i, got, want)
		}
		// Directly, without halving: tbl.mul(s) and the variable-base
		// product of edwards25519 are the same ristretto255 element.
		var h edwards25519.Point
		if err := vtDecode(&h, pk.Bytes()); err != nil {
			t.Fatal(err)
		}
		want := new(edwards25519.Point).ScalarMult(edScalar(s), &h)
		if !ristrettoEqual(tbl.mul(edScalar(s).Bytes()), want) {
			t.Errorf("scalar %d: table product differs from ScalarMult", i)
		}
	}
}

// ristrettoEqual compares two edwards25519 points as ristretto255 elements
// (RFC 9496 §4.5).
func ristrettoEqual(p, q *edwards25519.Point) bool {
	x1, y1, _, _ := p.ExtendedCoordinates()
	x2, y2, _, _ := q.ExtendedCoordinates()
	var a, b field.Element
	return a.Multiply(x1, y2).Equal(b.Multiply(y1, x2)) == 1 || a.Multiply(y1, y2).Equal(b.Multiply(x1, x2)) == 1
}

// order4 returns (√−1, 0), a point of order 4 of edwards25519.
func order4(t *testing.T) *edwards25519.Point {
	var zero, one field.Element
	one.One()
	p, err := new(edwards25519.Point).SetExtendedCoordinates(feConst(&fbSqrtM1), &zero, &one, &zero)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFixedBaseTorsionKey: a table built from another representative of
// the key's element (with a torsion component) gives the same products.
func TestFixedBaseTorsionKey(t *testing.T) {
	rnd := seeded("fixed-base torsion")
	sk, _ := GenerateKey(rnd)
	pk := sk.Public()
	var h edwards25519.Point
	if err := vtDecode(&h, pk.Bytes()); err != nil {
		t.Fatal(err)
	}
	h.Add(&h, order4(t))
	tbl := newKeyTableOf(&h)
	for i, s := range edgeScalars(t) {
		if got, want := encodeViaHalf(func(x *edwards25519.Scalar) *edwards25519.Point { return tbl.mul(x.Bytes()) }, s),
			pointBytes(newElement().Mul(pk.e, s)); !bytes.Equal(got, want) {
			t.Errorf("scalar %d: s·H = %x, want %x", i, got, want)
		}
	}
}

// TestEncodeDoubledBatch: a batch of points, including the identity and
// points with a torsion component, encodes like circl, point by point.
func TestEncodeDoubledBatch(t *testing.T) {
	rnd := seeded("encode doubled")
	var pts []*edwards25519.Point
	var want [][]byte
	for i := 0; i < 40; i++ {
		s, _ := RandomScalar(rnd)
		if i%10 == 0 {
			s = scalarFromUint64(0)
		}
		p := new(edwards25519.Point).ScalarBaseMult(edScalar(s))
		if i%3 == 1 {
			p.Add(p, order4(t))
		}
		pts = append(pts, p)
		want = append(want, pointBytes(newElement().MulGen(newScalar().Add(s, s))))
	}
	out := make([]byte, len(pts)*PointSize)
	encodeDoubled(pts, out)
	for i := range pts {
		if got := out[i*PointSize : (i+1)*PointSize]; !bytes.Equal(got, want[i]) {
			t.Errorf("point %d: %x, want %x", i, got, want[i])
		}
	}
}

// TestFixedBaseConstants checks √−1 and 1/√(a−d) against the field's
// square root.
func TestFixedBaseConstants(t *testing.T) {
	one := new(field.Element).One()
	minusOne := new(field.Element).Negate(one)
	r, ok := new(field.Element).SqrtRatio(minusOne, one)
	if ok != 1 || r.Equal(feConst(&fbSqrtM1)) != 1 {
		t.Error("√−1")
	}
	var d field.Element
	d.SetBytes(ristrettoD[:])
	aMinusD := new(field.Element).Subtract(minusOne, &d)
	r, ok = new(field.Element).SqrtRatio(one, aMinusD)
	if ok != 1 || r.Equal(feConst(&fbInvSqrtAMinusD)) != 1 {
		t.Error("1/√(a−d)")
	}
}

// TestCompactBaseMults: the gather and scatter around the zero product
// gives β_j·G for every position of the zero.
func TestCompactBaseMults(t *testing.T) {
	rnd := seeded("compact")
	for n := 1; n <= 5; n++ {
		for k := 0; k < n; k++ {
			betas := make([]edwards25519.Scalar, n)
			for j := range betas {
				if j != k {
					randomEdScalar(&betas[j], rnd)
				}
			}
			got := compactBaseMults(betas, k)
			for j := range betas {
				if want := new(edwards25519.Point).ScalarBaseMult(&betas[j]); got[j].Equal(want) != 1 {
					t.Errorf("n=%d k=%d: product %d wrong", n, k, j)
				}
			}
		}
	}
}

// TestKeyTableBuiltOnce: the table of a key is built on its first use and
// then shared by every contest and every copy of the key; a decoded key
// gets its own.
func TestKeyTableBuiltOnce(t *testing.T) {
	rnd := seeded("table once")
	pk := mustKey(t, rnd)
	if pk.pre.builds != 0 {
		t.Fatalf("table built before use: %d", pk.pre.builds)
	}
	copyOfKey := *pk
	for i := 0; i < 4; i++ {
		key := pk
		if i%2 == 1 {
			key = &copyOfKey
		}
		if _, _, err := EncryptContest(key, testContext(fmt.Sprintf("voter-%d", i), 0), approval3of5, []uint64{1, 0, 1, 0, 0}, rnd); err != nil {
			t.Fatal(err)
		}
	}
	pk.Precompute()
	if pk.pre.builds != 1 {
		t.Errorf("table built %d times, want 1", pk.pre.builds)
	}
	b, _ := pk.MarshalBinary()
	var decoded PublicKey
	if err := decoded.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if decoded.pre == pk.pre {
		t.Error("decoded key shares the table holder")
	}
	if decoded.table() == pk.table() || decoded.pre.builds != 1 {
		t.Error("decoded key has no table of its own")
	}
}
