package tally

import (
	"encoding/binary"
	"fmt"
	"io"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
	"github.com/cloudflare/circl/group"
)

// Fixed-base scalar multiplication for the provers.
//
// Every multiplication a voter's device does to encrypt and prove a contest
// has one of two fixed bases: the generator G or the election's joint key H.
// Products by G use filippo.io/edwards25519's ScalarBaseMult (a precomputed
// table, constant time). Products by H use a table of the same shape built
// once per key (keyTable): for i = 0..31 and j = 1..8 the affine point
// j·256^i·H, stored as (y+x, y−x, 2dxy). A scalar is written in 64 signed
// radix-16 digits d_0..d_63 in [−8, 8), and
//
//	s·H = Σ_{i odd} d_i·16^(i−1)·H  (times 16)  + Σ_{i even} d_i·16^i·H,
//
// 64 mixed additions and 4 doublings. Each addition takes its point from one
// row of the table by scanning all eight entries with constant-time selects
// and negating it with a constant-time swap, so neither the memory access
// pattern nor the branches depend on the scalar.
//
// The results are encoded in a batch (encodeDoubled): the ristretto255
// encoding of 2P needs only an inversion, not a square root, so the provers
// multiply by half the scalar (s/2 mod ℓ, since ℓ is odd) and encode the
// doubles of all the points of a contest with a single inversion
// (Montgomery's trick), as curve25519-dalek's double_and_compress_batch does.
// The bytes are the same as those of circl's encoding of s·G or s·H.

// Field constants, little-endian.
var (
	// sqrtM1 = √−1, the non-negative root.
	fbSqrtM1 = [32]byte{0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f, 0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b}
	// invSqrtAMinusD = 1/√(a−d), a = −1, the non-negative root.
	fbInvSqrtAMinusD = [32]byte{0xea, 0x40, 0x5d, 0x80, 0xaa, 0xfd, 0xc8, 0x99, 0xbe, 0x72, 0x41, 0x5a, 0x17, 0x16, 0x2f, 0x9d, 0x40, 0xd8, 0x01, 0xfe, 0x91, 0x7b, 0xc2, 0x16, 0xa2, 0xfc, 0xaf, 0xcf, 0x05, 0x89, 0x6c, 0x78}
)

func feConst(b *[32]byte) *field.Element {
	v, err := new(field.Element).SetBytes(b[:])
	if err != nil {
		panic(err)
	}
	return v
}

// affineNiels is an affine point (x, y) as (y+x, y−x, 2dxy).
type affineNiels struct {
	ypx, ymx, t2d field.Element
}

// keyTable holds j·256^i·H for i = 0..31, j = 1..8, and 1/2 and G/2 (the
// start of the small multiples of G/2 an encryption adds).
type keyTable struct {
	rows  [32][8]affineNiels
	half  *edwards25519.Scalar // 1/2 mod ℓ
	gHalf *edwards25519.Point  // G/2
}

// newKeyTable builds the table of the ristretto255 element encoded as h.
// The element is public, so the construction need not be constant time.
func newKeyTable(h []byte) (*keyTable, error) {
	var p edwards25519.Point
	if err := vtDecode(&p, h); err != nil {
		return nil, err
	}
	return newKeyTableOf(&p), nil
}

// newKeyTableOf builds the table of the element represented by h0, a
// point of edwards25519 that may carry a torsion component.
func newKeyTableOf(h0 *edwards25519.Point) *keyTable {
	var p edwards25519.Point
	p.Set(h0)
	// Use the representative of p's coset in the prime-order subgroup,
	// 8·((1/8 mod ℓ)·p), so that no product by H carries a torsion component.
	inv8 := edwards25519.NewScalar().Invert(edScalarUint64(8))
	p.ScalarMult(inv8, &p)
	p.MultByCofactor(&p)

	var d field.Element
	if _, err := d.SetBytes(ristrettoD[:]); err != nil {
		panic(err)
	}
	d2 := new(field.Element).Add(&d, &d)
	t := &keyTable{half: scalarHalf()}
	t.gHalf = new(edwards25519.Point).ScalarBaseMult(t.half)
	// All 256 points in extended coordinates, then one batch inversion of
	// their Z to make them affine.
	var X, Y, Z [256]field.Element
	base := new(edwards25519.Point).Set(&p)
	var q edwards25519.Point
	for i := 0; i < 32; i++ {
		q.Set(base)
		for j := 0; j < 8; j++ {
			x, y, z, _ := q.ExtendedCoordinates()
			X[8*i+j].Set(x)
			Y[8*i+j].Set(y)
			Z[8*i+j].Set(z)
			q.Add(&q, base)
		}
		for k := 0; k < 8; k++ {
			base.Add(base, base)
		}
	}
	batchInvert(Z[:])
	var x, y field.Element
	for n := range Z {
		x.Multiply(&X[n], &Z[n])
		y.Multiply(&Y[n], &Z[n])
		e := &t.rows[n/8][n%8]
		e.ypx.Add(&y, &x)
		e.ymx.Subtract(&y, &x)
		e.t2d.Multiply(&x, &y)
		e.t2d.Multiply(&e.t2d, d2)
	}
	return t
}

// fbPoint is a point in extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z,
// xy = T/Z.
type fbPoint struct {
	X, Y, Z, T field.Element
}

// signedRadix16 writes s (canonical, little-endian) as 64 digits in [−8, 8)
// with s = Σ d_i·16^i, in constant time.
func signedRadix16(s []byte) [64]int8 {
	var digits [64]int8
	for i := 0; i < 32; i++ {
		digits[2*i] = int8(s[i] & 15)
		digits[2*i+1] = int8((s[i] >> 4) & 15)
	}
	for i := 0; i < 63; i++ {
		carry := (digits[i] + 8) >> 4
		digits[i] -= carry << 4
		digits[i+1] += carry
	}
	return digits
}

// selectInto sets dst = d·(row's base), d in [−8, 8], in constant time.
func (t *keyTable) selectInto(dst *affineNiels, row int, d int8) {
	// abs and sign without branches
	sign := uint8(d) >> 7
	abs := uint8(d) - ((-sign & uint8(d)) << 1)
	dst.ypx.One()
	dst.ymx.One()
	dst.t2d.Zero()
	for j := 1; j <= 8; j++ {
		cond := ctEq(uint64(abs), uint64(j))
		e := &t.rows[row][j-1]
		dst.ypx.Select(&e.ypx, &dst.ypx, cond)
		dst.ymx.Select(&e.ymx, &dst.ymx, cond)
		dst.t2d.Select(&e.t2d, &dst.t2d, cond)
	}
	// −(x, y) = (−x, y): swap y+x and y−x and negate 2dxy.
	dst.ypx.Swap(&dst.ymx, int(sign))
	var neg field.Element
	neg.Negate(&dst.t2d)
	dst.t2d.Select(&neg, &dst.t2d, int(sign))
}

// addAffine sets v = v + q.
func (v *fbPoint) addAffine(q *affineNiels) {
	var ypx, ymx, pp, mm, tt2d, z2 field.Element
	ypx.Add(&v.Y, &v.X)
	ymx.Subtract(&v.Y, &v.X)
	pp.Multiply(&ypx, &q.ypx)
	mm.Multiply(&ymx, &q.ymx)
	tt2d.Multiply(&v.T, &q.t2d)
	z2.Add(&v.Z, &v.Z)
	var x, y, z, t field.Element
	x.Subtract(&pp, &mm)
	y.Add(&pp, &mm)
	z.Add(&z2, &tt2d)
	t.Subtract(&z2, &tt2d)
	v.fromCompleted(&x, &y, &z, &t)
}

// fromCompleted sets v from the completed point ((x:z), (y:t)).
func (v *fbPoint) fromCompleted(x, y, z, t *field.Element) {
	v.X.Multiply(x, t)
	v.Y.Multiply(y, z)
	v.Z.Multiply(z, t)
	v.T.Multiply(x, y)
}

// double sets v = 2v.
func (v *fbPoint) double() {
	var xx, yy, zz2, xy, x, y, z, t field.Element
	xx.Square(&v.X)
	yy.Square(&v.Y)
	zz2.Square(&v.Z)
	zz2.Add(&zz2, &zz2)
	xy.Add(&v.X, &v.Y)
	xy.Square(&xy)
	y.Add(&yy, &xx)
	z.Subtract(&yy, &xx)
	x.Subtract(&xy, &y)
	t.Subtract(&zz2, &z)
	v.fromCompleted(&x, &y, &z, &t)
}

// mul returns s·H in constant time; s is a canonical little-endian scalar.
func (t *keyTable) mul(s []byte) *edwards25519.Point {
	digits := signedRadix16(s)
	var v fbPoint
	v.Y.One()
	v.Z.One()
	var m affineNiels
	for i := 1; i < 64; i += 2 {
		t.selectInto(&m, i/2, digits[i])
		v.addAffine(&m)
	}
	for k := 0; k < 4; k++ {
		v.double()
	}
	for i := 0; i < 64; i += 2 {
		t.selectInto(&m, i/2, digits[i])
		v.addAffine(&m)
	}
	p, err := new(edwards25519.Point).SetExtendedCoordinates(&v.X, &v.Y, &v.Z, &v.T)
	if err != nil {
		panic("tally: fixed-base multiplication left the curve")
	}
	return p
}

// encodeDoubled writes the ristretto255 encoding of 2·P_i for every point
// into out (32 bytes each), with one field inversion for the whole batch
// (curve25519-dalek's double_and_compress_batch). It is constant time.
func encodeDoubled(points []*edwards25519.Point, out []byte) {
	n := len(points)
	if len(out) != n*PointSize {
		panic("tally: encodeDoubled output size")
	}
	type state struct{ e, f, g, h, eg, fh field.Element }
	var d field.Element
	if _, err := d.SetBytes(ristrettoD[:]); err != nil {
		panic(err)
	}
	st := make([]state, n)
	invs := make([]field.Element, n)
	isZero := make([]int, n)
	var one field.Element
	one.One()
	for i, p := range points {
		X, Y, Z, T := p.ExtendedCoordinates()
		s := &st[i]
		var xx, yy, zz, dtt, y2 field.Element
		xx.Square(X)
		yy.Square(Y)
		zz.Square(Z)
		dtt.Square(T)
		dtt.Multiply(&dtt, &d)
		y2.Add(Y, Y)
		s.e.Multiply(X, &y2)
		s.f.Add(&zz, &dtt)
		s.g.Add(&yy, &xx)
		s.h.Subtract(&zz, &dtt)
		s.eg.Multiply(&s.e, &s.g)
		s.fh.Multiply(&s.f, &s.h)
		invs[i].Multiply(&s.eg, &s.fh)
		// efgh is zero exactly when 2P lies in the 4-torsion subgroup, the
		// identity of ristretto255: invert 1 instead and encode zero.
		var zero field.Element
		isZero[i] = invs[i].Equal(&zero)
		invs[i].Select(&one, &invs[i], isZero[i])
	}
	batchInvert(invs)
	sqrtM1 := feConst(&fbSqrtM1)
	invSqrt := feConst(&fbInvSqrtAMinusD)
	for i := range st {
		s := &st[i]
		var zinv, tinv, tmp field.Element
		zinv.Multiply(&s.eg, &invs[i])
		tinv.Multiply(&s.fh, &invs[i])
		var magic field.Element
		magic.Set(invSqrt)
		negcheck1 := tmp.Multiply(&s.eg, &zinv).IsNegative()
		e, g, h := s.e, s.g, s.h
		var minusE, fSqrtA field.Element
		minusE.Negate(&s.e)
		fSqrtA.Multiply(&s.f, sqrtM1)
		e.Select(&s.g, &e, negcheck1)
		g.Select(&minusE, &g, negcheck1)
		h.Select(&fSqrtA, &h, negcheck1)
		magic.Select(sqrtM1, &magic, negcheck1)
		tmp.Multiply(&h, &e)
		negcheck2 := tmp.Multiply(&tmp, &zinv).IsNegative()
		var gneg field.Element
		gneg.Negate(&g)
		g.Select(&gneg, &g, negcheck2)
		var r field.Element
		r.Multiply(&g, &tinv)
		r.Multiply(&magic, &r)
		tmp.Subtract(&h, &g)
		r.Multiply(&tmp, &r)
		r.Absolute(&r)
		r.Select(new(field.Element).Zero(), &r, isZero[i])
		copy(out[i*PointSize:], r.Bytes())
	}
}

// batchInvert replaces each element of v (none zero) by its inverse, with one
// inversion and 3(n−1) multiplications.
func batchInvert(v []field.Element) {
	if len(v) == 0 {
		return
	}
	acc := make([]field.Element, len(v))
	acc[0].Set(&v[0])
	for i := 1; i < len(v); i++ {
		acc[i].Multiply(&acc[i-1], &v[i])
	}
	var inv, tmp field.Element
	inv.Invert(&acc[len(v)-1])
	for i := len(v) - 1; i > 0; i-- {
		tmp.Multiply(&inv, &acc[i-1])
		inv.Multiply(&inv, &v[i])
		v[i].Set(&tmp)
	}
	v[0].Set(&inv)
}

// edScalar converts a circl scalar.
func edScalar(s group.Scalar) *edwards25519.Scalar {
	var b [ScalarSize]byte
	appendScalar(b[:0], s)
	e, err := edwards25519.NewScalar().SetCanonicalBytes(b[:])
	if err != nil {
		panic(err) // circl scalars are reduced
	}
	return e
}

// circlScalar converts an edwards25519 scalar.
func circlScalar(e *edwards25519.Scalar) group.Scalar {
	s := newScalar()
	if err := s.UnmarshalBinary(e.Bytes()); err != nil {
		panic(err)
	}
	return s
}

// edScalarUint64 returns v as an edwards25519 scalar.
func edScalarUint64(v uint64) *edwards25519.Scalar {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], v)
	s, err := edwards25519.NewScalar().SetCanonicalBytes(b[:])
	if err != nil {
		panic(err)
	}
	return s
}

// scalarHalf returns 1/2 mod ℓ.
func scalarHalf() *edwards25519.Scalar {
	two := edScalarUint64(2)
	return edwards25519.NewScalar().Invert(two)
}

// randomEdScalar reads 64 bytes from rnd and reduces them modulo ℓ into s,
// the same derivation as RandomScalar.
func randomEdScalar(s *edwards25519.Scalar, rnd io.Reader) error {
	var wide [64]byte
	if _, err := io.ReadFull(rnd, wide[:]); err != nil {
		return fmt.Errorf("tally: reading randomness: %w", err)
	}
	if _, err := s.SetUniformBytes(wide[:]); err != nil {
		panic(err)
	}
	return nil
}

// scalarBit returns the scalar 0 or 1 for bit = 0 or 1, in constant time
// (a multiplication by it is the provers' constant-time select).
func scalarBit(bit int) *edwards25519.Scalar {
	var wide [64]byte
	wide[0] = byte(bit & 1)
	s, err := edwards25519.NewScalar().SetUniformBytes(wide[:])
	if err != nil {
		panic(err)
	}
	return s
}

// selectPoint returns table[idx] in constant time in idx (every entry is
// read); idx must be below len(table).
func selectPoint(table []*edwards25519.Point, idx uint64) *edwards25519.Point {
	var X, Y, Z, T field.Element
	Y.One()
	Z.One()
	for i, p := range table {
		x, y, z, t := p.ExtendedCoordinates()
		cond := ctEq(uint64(i), idx)
		X.Select(x, &X, cond)
		Y.Select(y, &Y, cond)
		Z.Select(z, &Z, cond)
		T.Select(t, &T, cond)
	}
	p, err := new(edwards25519.Point).SetExtendedCoordinates(&X, &Y, &Z, &T)
	if err != nil {
		panic(err)
	}
	return p
}
