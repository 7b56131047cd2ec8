package tally

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
	"github.com/cloudflare/circl/group"
)

// Threshold decryption of aggregate ciphertexts (docs/spec/decryption.md).
//
// Trustee j (1 ≤ j ≤ n) holds a share x_j = f(j) of the election secret
// x = f(0), where f has degree t-1, and its verification key X_j = x_j·G is
// public. For an aggregate (A, B) = (rG, rH + mG), trustee j publishes
// D_j = x_j·A with a DLEQ proof that log_G X_j = log_A D_j. Any t verified
// shares give x·A = Σ λ_j·D_j with the Lagrange coefficients at zero, and
// M = B - x·A = m·G, whose small discrete logarithm m a DlogTable finds.

// TagDecryptionShare tags a decryption share and, as the first field of the
// proof context, separates its DLEQ proofs from every other use of DLEQ.
const TagDecryptionShare = "evote/v1/decryption-share"

// ErrTooFewShares: fewer than the threshold of distinct trustees' shares.
var ErrTooFewShares = errors.New("tally: too few decryption shares")

// DecryptionContext names the aggregate a share decrypts. With the trustee's
// index it makes the context of the share's DLEQ proof, so that a proof does
// not verify for another election, another aggregate or another trustee.
type DecryptionContext struct {
	// Election binds the election: at least its id, and anything else the
	// caller wants fixed. At most 4096 bytes.
	Election []byte
	// Position is the place of the aggregate in the election's ordered list
	// of aggregates.
	Position uint32
}

// proofContext returns the DLEQ context bytes for trustee index:
//
//	u8 len(tag) || "evote/v1/decryption-share" || u32 len(election) || election || u32 index || u32 position
func (dc DecryptionContext) proofContext(index uint32) ([]byte, error) {
	if len(dc.Election) > maxContext {
		return nil, fmt.Errorf("%w: election context of %d bytes exceeds %d", ErrLimit, len(dc.Election), maxContext)
	}
	e := encoderOn(make([]byte, 0, 1+len(TagDecryptionShare)+4+len(dc.Election)+8))
	e.Tag(TagDecryptionShare)
	e.Bytes(dc.Election)
	e.U32(index)
	e.U32(dc.Position)
	return e.B, nil
}

// DecryptionShare is trustee Index's partial decryption D = x_j·A of one
// aggregate (A, B), with the proof that it used the secret behind X_j.
//
// When A is the identity (an aggregate of no ballots, or one whose
// randomness cancelled), D must be the identity too; the proof then binds
// only X_j and the context, and Verify checks D itself.
type DecryptionShare struct {
	Index uint32        // trustee index j, from 1
	D     group.Element // x_j·A
	Proof *DLEQProof    // log_G X_j = log_A D
}

// PartialDecrypt computes trustee index's share of ct, bound to dc. share
// is the trustee's secret x_j; it is used in constant time.
func PartialDecrypt(share *PrivateKey, index uint32, ct *Ciphertext, dc DecryptionContext, rnd io.Reader) (*DecryptionShare, error) {
	if share == nil || share.x == nil {
		return nil, fmt.Errorf("%w: no key share", ErrInvalidInput)
	}
	return partialDecrypt(share.x, newElement().MulGen(share.x), index, ct, dc, rnd)
}

// PartialDecryptAll computes trustee index's shares of every aggregate of
// cts; the share of cts[i] is bound to Position i.
func PartialDecryptAll(share *PrivateKey, index uint32, cts []*Ciphertext, election []byte, rnd io.Reader) ([]*DecryptionShare, error) {
	if share == nil || share.x == nil {
		return nil, fmt.Errorf("%w: no key share", ErrInvalidInput)
	}
	if uint64(len(cts)) > 1<<32 {
		return nil, fmt.Errorf("%w: %d aggregates", ErrLimit, len(cts))
	}
	X := newElement().MulGen(share.x)
	out := make([]*DecryptionShare, len(cts))
	for i, ct := range cts {
		s, err := partialDecrypt(share.x, X, index, ct, DecryptionContext{Election: election, Position: uint32(i)}, rnd)
		if err != nil {
			return nil, &BatchError{Index: i, Err: err}
		}
		out[i] = s
	}
	return out, nil
}

func partialDecrypt(x group.Scalar, X group.Element, index uint32, ct *Ciphertext, dc DecryptionContext, rnd io.Reader) (*DecryptionShare, error) {
	if index == 0 {
		return nil, fmt.Errorf("%w: trustee index 0", ErrInvalidInput)
	}
	if ct == nil || ct.A == nil || ct.B == nil {
		return nil, fmt.Errorf("%w: no ciphertext", ErrInvalidInput)
	}
	ctx, err := dc.proofContext(index)
	if err != nil {
		return nil, err
	}
	D := newElement().Mul(ct.A, x)
	proof, err := ProveDLEQ(x, generator(), X, ct.A, D, ctx, rnd)
	if err != nil {
		return nil, err
	}
	return &DecryptionShare{Index: index, D: D, Proof: proof}, nil
}

// Verify checks the share against ct and dc. vk must be the verification
// key X_j of the trustee the share names (s.Index): looking it up by any
// other means would let a share be counted for the wrong trustee. A share
// that does not verify gives an error wrapping ErrInvalidProof.
func (s *DecryptionShare) Verify(vk *PublicKey, ct *Ciphertext, dc DecryptionContext) error {
	if s == nil || s.D == nil || s.Proof == nil {
		return fmt.Errorf("%w: decryption share: missing fields", ErrInvalidProof)
	}
	if vk == nil || ct == nil || ct.A == nil || ct.B == nil {
		return fmt.Errorf("%w: no verification key or ciphertext", ErrInvalidInput)
	}
	if s.Index == 0 {
		return fmt.Errorf("%w: decryption share: trustee index 0", ErrInvalidProof)
	}
	ctx, err := dc.proofContext(s.Index)
	if err != nil {
		return err
	}
	// x_j·A is the identity exactly when A is (x_j ≠ 0, prime order).
	if ct.A.IsIdentity() != s.D.IsIdentity() {
		err = fmt.Errorf("%w: D is the identity iff A is", ErrInvalidProof)
	} else {
		err = s.Proof.Verify(generator(), vk.e, ct.A, s.D, ctx)
	}
	if err != nil {
		return &VerifyError{Item: fmt.Sprintf("decryption share of trustee %d at position %d", s.Index, dc.Position), Err: err}
	}
	return nil
}

// VerifyDecryptionShares checks trustee index's shares of every aggregate
// of cts, as made by PartialDecryptAll: shares[i] must name index and
// decrypt cts[i] at Position i. The first failure is reported as a
// *BatchError naming the position.
func VerifyDecryptionShares(vk *PublicKey, index uint32, cts []*Ciphertext, shares []*DecryptionShare, election []byte) error {
	if len(shares) != len(cts) {
		return fmt.Errorf("%w: %d shares for %d aggregates", ErrInvalidInput, len(shares), len(cts))
	}
	if uint64(len(cts)) > 1<<32 {
		return fmt.Errorf("%w: %d aggregates", ErrLimit, len(cts))
	}
	for i, s := range shares {
		if s != nil && s.Index != index {
			return &BatchError{Index: i, Err: fmt.Errorf("%w: share of trustee %d in the batch of trustee %d", ErrInvalidProof, s.Index, index)}
		}
		if err := s.Verify(vk, cts[i], DecryptionContext{Election: election, Position: uint32(i)}); err != nil {
			return &BatchError{Index: i, Err: err}
		}
	}
	return nil
}

// MarshalBinary encodes the share (158 bytes):
//
//	tag "evote/v1/decryption-share" || u32 index || D || R1 || R2 || z
//
// D may be the identity (the share of an aggregate whose A is the identity).
func (s *DecryptionShare) MarshalBinary() ([]byte, error) {
	if s == nil || s.D == nil || s.Proof == nil || s.Proof.R1 == nil || s.Proof.R2 == nil || s.Proof.Z == nil {
		return nil, fmt.Errorf("%w: decryption share: missing fields", ErrInvalidInput)
	}
	if s.Index == 0 {
		return nil, fmt.Errorf("%w: decryption share: trustee index 0", ErrInvalidInput)
	}
	e := encoderOn(make([]byte, 0, decryptionShareSize))
	e.Tag(TagDecryptionShare)
	e.U32(s.Index)
	e.point(s.D)
	s.Proof.encode(&e)
	return e.B, nil
}

// decryptionShareSize is the length of an encoded share.
const decryptionShareSize = 1 + len(TagDecryptionShare) + 4 + 3*PointSize + ScalarSize

// UnmarshalBinary decodes a share, rejecting trustee index 0, non-canonical
// points and scalars, and trailing bytes. It does not verify the proof.
func (s *DecryptionShare) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(TagDecryptionShare)
	index := d.U32("trustee index")
	if d.Err == nil && index == 0 {
		d.Off -= 4
		d.Fail(ErrMalformed, "trustee index 0")
	}
	D := d.pointOrIdentity("decryption share D", true)
	proof := decodeDLEQProof(d)
	if err := d.Finish(); err != nil {
		return err
	}
	*s = DecryptionShare{Index: index, D: D, Proof: proof}
	return nil
}

// Combine recovers M = m·G from the shares of ct. The shares must have
// been verified against ct (Verify); Combine checks no proofs. Of the
// shares given, those of the threshold lowest trustee indices are used, so
// the same input always takes the same path. Fewer than threshold distinct
// trustees give ErrTooFewShares; two shares of one trustee give
// ErrInvalidInput.
func Combine(ct *Ciphertext, shares []*DecryptionShare, threshold int) (group.Element, error) {
	if ct == nil || ct.A == nil || ct.B == nil {
		return nil, fmt.Errorf("%w: no ciphertext", ErrInvalidInput)
	}
	chosen, err := chooseShares(shares, threshold)
	if err != nil {
		return nil, err
	}
	lambdas, err := lagrangeScalars(chosen)
	if err != nil {
		return nil, err
	}
	ds := make([]group.Element, len(chosen))
	for i, s := range chosen {
		ds[i] = s.D
	}
	return combine(ct, ds, lambdas)
}

// CombineAll recovers M_i = m_i·G for every aggregate cts[i] from whole
// batches of shares: batches[k][i] is one trustee's share of cts[i], as
// made by PartialDecryptAll and checked by VerifyDecryptionShares. The
// batches of the threshold lowest trustee indices are used.
func CombineAll(cts []*Ciphertext, batches [][]*DecryptionShare, threshold int) ([]group.Element, error) {
	firsts := make([]*DecryptionShare, 0, len(batches))
	byIndex := make(map[uint32][]*DecryptionShare, len(batches))
	for k, batch := range batches {
		if len(batch) != len(cts) {
			return nil, fmt.Errorf("%w: batch %d has %d shares for %d aggregates", ErrInvalidInput, k, len(batch), len(cts))
		}
		if len(batch) == 0 {
			continue
		}
		for i, s := range batch {
			if s == nil || s.D == nil {
				return nil, &BatchError{Index: i, Err: fmt.Errorf("%w: batch %d: missing share", ErrInvalidInput, k)}
			}
			if s.Index != batch[0].Index {
				return nil, &BatchError{Index: i, Err: fmt.Errorf("%w: batch %d mixes trustees", ErrInvalidInput, k)}
			}
		}
		firsts = append(firsts, batch[0])
		byIndex[batch[0].Index] = batch
	}
	if len(cts) == 0 {
		return []group.Element{}, nil
	}
	chosen, err := chooseShares(firsts, threshold)
	if err != nil {
		return nil, err
	}
	lambdas, err := lagrangeScalars(chosen)
	if err != nil {
		return nil, err
	}
	out := make([]group.Element, len(cts))
	ds := make([]group.Element, len(chosen))
	for i, ct := range cts {
		if ct == nil || ct.A == nil || ct.B == nil {
			return nil, &BatchError{Index: i, Err: fmt.Errorf("%w: no ciphertext", ErrInvalidInput)}
		}
		for k, s := range chosen {
			ds[k] = byIndex[s.Index][i].D
		}
		M, err := combine(ct, ds, lambdas)
		if err != nil {
			return nil, &BatchError{Index: i, Err: err}
		}
		out[i] = M
	}
	return out, nil
}

// chooseShares checks the shares and returns those of the threshold lowest
// trustee indices, in increasing order of index.
func chooseShares(shares []*DecryptionShare, threshold int) ([]*DecryptionShare, error) {
	if threshold < 1 {
		return nil, fmt.Errorf("%w: threshold %d", ErrInvalidInput, threshold)
	}
	sorted := make([]*DecryptionShare, 0, len(shares))
	for i, s := range shares {
		if s == nil || s.D == nil || s.Index == 0 {
			return nil, &BatchError{Index: i, Err: fmt.Errorf("%w: missing share or trustee index 0", ErrInvalidInput)}
		}
		sorted = append(sorted, s)
	}
	slices.SortStableFunc(sorted, func(a, b *DecryptionShare) int {
		switch {
		case a.Index < b.Index:
			return -1
		case a.Index > b.Index:
			return 1
		}
		return 0
	})
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Index == sorted[i-1].Index {
			return nil, fmt.Errorf("%w: two shares of trustee %d", ErrInvalidInput, sorted[i].Index)
		}
	}
	if len(sorted) < threshold {
		return nil, fmt.Errorf("%w: %d of the %d needed", ErrTooFewShares, len(sorted), threshold)
	}
	return sorted[:threshold], nil
}

// lagrangeScalars returns λ_j for the chosen shares' indices, as
// edwards25519 scalars for the multi-scalar multiplication.
func lagrangeScalars(chosen []*DecryptionShare) ([]*edwards25519.Scalar, error) {
	indices := make([]uint32, len(chosen))
	for i, s := range chosen {
		indices[i] = s.Index
	}
	out := make([]*edwards25519.Scalar, len(indices))
	for i, j := range indices {
		l, err := LagrangeCoefficient(indices, j)
		if err != nil {
			return nil, err
		}
		out[i], err = edwards25519.NewScalar().SetCanonicalBytes(scalarBytes(l))
		if err != nil {
			panic(err) // a circl scalar always encodes canonically
		}
	}
	return out, nil
}

// combine computes B - Σ λ_k·D_k. Everything here is public, so it runs in
// variable time on edwards25519.
func combine(ct *Ciphertext, ds []group.Element, lambdas []*edwards25519.Scalar) (group.Element, error) {
	points := make([]*edwards25519.Point, len(ds))
	for k, d := range ds {
		p, err := toEdwards(d)
		if err != nil {
			return nil, err
		}
		points[k] = p
	}
	b, err := toEdwards(ct.B)
	if err != nil {
		return nil, err
	}
	xA := new(edwards25519.Point).VarTimeMultiScalarMult(lambdas, points)
	return fromEdwards(b.Subtract(b, xA)), nil
}

// toEdwards converts a circl element into an edwards25519 point (one of the
// four that represent it).
func toEdwards(e group.Element) (*edwards25519.Point, error) {
	p := new(edwards25519.Point)
	if err := vtDecode(p, pointBytes(e)); err != nil {
		return nil, err
	}
	return p, nil
}

// fromEdwards converts an edwards25519 point, which must be one that
// represents a ristretto255 element (as every point made from vtDecode
// outputs, the generator, sums and multiples of them does), back to circl.
func fromEdwards(p *edwards25519.Point) group.Element {
	var buf [PointSize]byte
	e, err := decodePoint(vtEncode(buf[:0], p), true)
	if err != nil {
		panic(err) // vtEncode always produces a canonical encoding
	}
	return e
}

// vtEncode appends the ristretto255 encoding of p (RFC 9496 §4.3.2) to b.
// It is not constant time: use it on public data only.
func vtEncode(b []byte, p *edwards25519.Point) []byte {
	sqrtM1Bytes := [32]byte{0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f, 0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b}
	invSqrtAMinusDBytes := [32]byte{0xea, 0x40, 0x5d, 0x80, 0xaa, 0xfd, 0xc8, 0x99, 0xbe, 0x72, 0x41, 0x5a, 0x17, 0x16, 0x2f, 0x9d, 0x40, 0xd8, 0x01, 0xfe, 0x91, 0x7b, 0xc2, 0x16, 0xa2, 0xfc, 0xaf, 0xcf, 0x05, 0x89, 0x6c, 0x78}
	var sqrtM1, invSqrtAMinusD field.Element
	if _, err := sqrtM1.SetBytes(sqrtM1Bytes[:]); err != nil {
		panic(err)
	}
	if _, err := invSqrtAMinusD.SetBytes(invSqrtAMinusDBytes[:]); err != nil {
		panic(err)
	}

	x0, y0, z0, t0 := p.ExtendedCoordinates()
	var u1, u2, tmp, one field.Element
	one.One()
	u1.Add(z0, y0)
	tmp.Subtract(z0, y0)
	u1.Multiply(&u1, &tmp) // (z0 + y0)(z0 - y0)
	u2.Multiply(x0, y0)

	tmp.Square(&u2)
	tmp.Multiply(&tmp, &u1)
	var invsqrt field.Element
	invsqrt.SqrtRatio(&one, &tmp) // u1·u2² is a square for a valid point

	var den1, den2, zInv field.Element
	den1.Multiply(&invsqrt, &u1)
	den2.Multiply(&invsqrt, &u2)
	zInv.Multiply(&den1, &den2)
	zInv.Multiply(&zInv, t0)

	var ix0, iy0, enchanted field.Element
	ix0.Multiply(x0, &sqrtM1)
	iy0.Multiply(y0, &sqrtM1)
	enchanted.Multiply(&den1, &invSqrtAMinusD)

	tmp.Multiply(t0, &zInv)
	rotate := tmp.IsNegative()
	var x, y, denInv field.Element
	x.Select(&iy0, x0, rotate)
	y.Select(&ix0, y0, rotate)
	denInv.Select(&enchanted, &den2, rotate)

	tmp.Multiply(&x, &zInv)
	var negY field.Element
	negY.Negate(&y)
	y.Select(&negY, &y, tmp.IsNegative())

	var s field.Element
	s.Subtract(z0, &y)
	s.Multiply(&denInv, &s)
	s.Absolute(&s)
	return append(b, s.Bytes()...)
}
