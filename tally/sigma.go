package tally

import (
	"fmt"
	"io"

	"github.com/cloudflare/circl/group"
)

// Transcript tags of the single-statement sigma protocols.
const (
	TagSchnorrProof = "evote/v1/proof/schnorr"
	TagDLEQProof    = "evote/v1/proof/dleq"
)

// maxContext bounds a proof's caller-given context.
const maxContext = 1 << 12

func checkContext(ctx []byte) error {
	if len(ctx) > maxContext {
		return fmt.Errorf("%w: proof context of %d bytes (at most %d)", ErrLimit, len(ctx), maxContext)
	}
	return nil
}

// SchnorrProof proves knowledge of x such that X = xG (Schnorr 1991, made
// non-interactive with a strong Fiat-Shamir transform):
//
//	R = kG,  c = H("evote/v1/proof/schnorr", ctx, X, R),  z = k + c·x
//	verify:  z·G == R + c·X
type SchnorrProof struct {
	R group.Element
	Z group.Scalar
}

// ProveSchnorr proves knowledge of x for X = xG, bound to ctx.
func ProveSchnorr(x group.Scalar, X group.Element, ctx []byte, rnd io.Reader) (*SchnorrProof, error) {
	if err := checkContext(ctx); err != nil {
		return nil, err
	}
	k, err := randomNonZeroScalar(rnd)
	if err != nil {
		return nil, err
	}
	R := newElement().MulGen(k)
	c := schnorrChallenge(X, R, ctx)
	z := newScalar().Mul(c, x)
	z.Add(z, k)
	return &SchnorrProof{R: R, Z: z}, nil
}

func schnorrChallenge(X, R group.Element, ctx []byte) group.Scalar {
	t := newTranscript(TagSchnorrProof)
	t.field(ctx)
	t.field(pointBytes(X))
	t.field(pointBytes(R))
	return t.challenge()
}

// Verify checks the proof for X and ctx.
func (p *SchnorrProof) Verify(X group.Element, ctx []byte) error {
	if p == nil || p.R == nil || p.Z == nil {
		return fmt.Errorf("%w: schnorr: missing fields", ErrInvalidProof)
	}
	if X.IsIdentity() {
		return fmt.Errorf("%w: schnorr: statement", ErrIdentity)
	}
	if err := checkContext(ctx); err != nil {
		return err
	}
	c := schnorrChallenge(X, p.R, ctx)
	lhs := newElement().MulGen(p.Z)
	rhs := newElement().Mul(X, c)
	rhs.Add(rhs, p.R)
	if !lhs.IsEqual(rhs) {
		return fmt.Errorf("%w: schnorr", ErrInvalidProof)
	}
	return nil
}

func (p *SchnorrProof) encode(e *encoder) { e.point(p.R); e.scalar(p.Z) }

func decodeSchnorrProof(d *decoder) *SchnorrProof {
	r := d.pointOrIdentity("schnorr R", true)
	z := d.scalar("schnorr z")
	if d.Err != nil {
		return nil
	}
	return &SchnorrProof{R: r, Z: z}
}

// MarshalBinary encodes the proof: tag, R, z.
func (p *SchnorrProof) MarshalBinary() ([]byte, error) {
	e := encoder{}
	e.Tag(TagSchnorrProof)
	p.encode(&e)
	return e.B, nil
}

// UnmarshalBinary decodes a tagged proof.
func (p *SchnorrProof) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(TagSchnorrProof)
	q := decodeSchnorrProof(d)
	if err := d.Finish(); err != nil {
		return err
	}
	*p = *q
	return nil
}

// DLEQProof proves that log_G1 X1 = log_G2 X2 (Chaum-Pedersen 1992), for
// example that a partial decryption D = x·A uses the same secret x as the
// trustee's verification key X = x·G:
//
//	R1 = k·G1, R2 = k·G2,
//	c = H("evote/v1/proof/dleq", ctx, G1, X1, G2, X2, R1, R2),  z = k + c·x
//	verify:  z·G1 == R1 + c·X1  and  z·G2 == R2 + c·X2
type DLEQProof struct {
	R1, R2 group.Element
	Z      group.Scalar
}

// ProveDLEQ proves x = log_G1 X1 = log_G2 X2, bound to ctx.
func ProveDLEQ(x group.Scalar, G1, X1, G2, X2 group.Element, ctx []byte, rnd io.Reader) (*DLEQProof, error) {
	if err := checkContext(ctx); err != nil {
		return nil, err
	}
	k, err := randomNonZeroScalar(rnd)
	if err != nil {
		return nil, err
	}
	R1 := newElement()
	if G1.IsEqual(generator()) {
		R1.MulGen(k) // the usual case: X1 is a key on the generator
	} else {
		R1.Mul(G1, k)
	}
	R2 := newElement().Mul(G2, k)
	c := dleqChallenge(G1, X1, G2, X2, R1, R2, ctx)
	z := newScalar().Mul(c, x)
	z.Add(z, k)
	return &DLEQProof{R1: R1, R2: R2, Z: z}, nil
}

func dleqChallenge(G1, X1, G2, X2, R1, R2 group.Element, ctx []byte) group.Scalar {
	t := newTranscript(TagDLEQProof)
	t.field(ctx)
	for _, p := range []group.Element{G1, X1, G2, X2, R1, R2} {
		t.field(pointBytes(p))
	}
	return t.challenge()
}

// Verify checks the proof for the statement (G1, X1, G2, X2) and ctx.
func (p *DLEQProof) Verify(G1, X1, G2, X2 group.Element, ctx []byte) error {
	if p == nil || p.R1 == nil || p.R2 == nil || p.Z == nil {
		return fmt.Errorf("%w: dleq: missing fields", ErrInvalidProof)
	}
	if G1.IsIdentity() || X1.IsIdentity() {
		return fmt.Errorf("%w: dleq: statement", ErrIdentity)
	}
	if err := checkContext(ctx); err != nil {
		return err
	}
	c := dleqChallenge(G1, X1, G2, X2, p.R1, p.R2, ctx)
	for _, eq := range [2][3]group.Element{{G1, X1, p.R1}, {G2, X2, p.R2}} {
		lhs := newElement().Mul(eq[0], p.Z)
		rhs := newElement().Mul(eq[1], c)
		rhs.Add(rhs, eq[2])
		if !lhs.IsEqual(rhs) {
			return fmt.Errorf("%w: dleq", ErrInvalidProof)
		}
	}
	return nil
}

func (p *DLEQProof) encode(e *encoder) { e.point(p.R1); e.point(p.R2); e.scalar(p.Z) }

func decodeDLEQProof(d *decoder) *DLEQProof {
	r1 := d.pointOrIdentity("dleq R1", true)
	r2 := d.pointOrIdentity("dleq R2", true)
	z := d.scalar("dleq z")
	if d.Err != nil {
		return nil
	}
	return &DLEQProof{R1: r1, R2: r2, Z: z}
}

// MarshalBinary encodes the proof: tag, R1, R2, z.
func (p *DLEQProof) MarshalBinary() ([]byte, error) {
	e := encoder{}
	e.Tag(TagDLEQProof)
	p.encode(&e)
	return e.B, nil
}

// UnmarshalBinary decodes a tagged proof.
func (p *DLEQProof) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(TagDLEQProof)
	q := decodeDLEQProof(d)
	if err := d.Finish(); err != nil {
		return err
	}
	*p = *q
	return nil
}
