package tally

import (
	"fmt"
	"io"
	"sync"

	"github.com/cloudflare/circl/group"
)

// Message tags of the key and ciphertext encodings.
const (
	TagPublicKey  = "evote/v1/public-key"
	TagPrivateKey = "evote/v1/private-key"
	TagCiphertext = "evote/v1/ciphertext"
)

// PrivateKey is a non-zero scalar x. Compare private keys with Equal, never
// with ==.
type PrivateKey struct {
	x group.Scalar
	_ [0]func() // not comparable
}

// PublicKey is the element xG; never the identity.
type PublicKey struct {
	e   group.Element
	pre *keyPrecomp // the fixed-base table of e, built on first use
}

// keyPrecomp is a key's fixed-base table, built at most once and shared by
// every copy of the key (fixedbase.go).
type keyPrecomp struct {
	once   sync.Once
	table  *keyTable
	builds int // how many times the table was built (at most once)
}

func newPublicKey(e group.Element) *PublicKey { return &PublicKey{e: e, pre: &keyPrecomp{}} }

// Precompute builds the key's table for fast encryption now rather than on
// the first encryption. A key is typically an election's joint key, used for
// every contest of every ballot, so the table (30 KB, the cost of about 5
// scalar multiplications) is built once per election.
func (k *PublicKey) Precompute() { k.table() }

// table returns the key's fixed-base table, building it on first use.
func (k *PublicKey) table() *keyTable {
	build := func() *keyTable {
		t, err := newKeyTable(k.Bytes())
		if err != nil {
			panic(err) // a PublicKey always holds a valid element
		}
		return t
	}
	if k.pre == nil { // a key not made by this package's constructors
		return build()
	}
	k.pre.once.Do(func() {
		k.pre.table = build()
		k.pre.builds++
	})
	return k.pre.table
}

// GenerateKey draws a key pair from rnd.
func GenerateKey(rnd io.Reader) (*PrivateKey, error) {
	x, err := randomNonZeroScalar(rnd)
	if err != nil {
		return nil, err
	}
	return &PrivateKey{x: x}, nil
}

// NewPrivateKey wraps a non-zero scalar (for example a trustee's DKG share).
func NewPrivateKey(x group.Scalar) (*PrivateKey, error) {
	if x.IsZero() {
		return nil, fmt.Errorf("%w: zero private key", ErrInvalidInput)
	}
	return &PrivateKey{x: x.Copy()}, nil
}

// Scalar returns a copy of the secret scalar.
func (k *PrivateKey) Scalar() group.Scalar { return k.x.Copy() }

// Public returns xG.
func (k *PrivateKey) Public() *PublicKey { return newPublicKey(newElement().MulGen(k.x)) }

// Equal reports whether two private keys are the same.
func (k *PrivateKey) Equal(o *PrivateKey) bool { return k.x.IsEqual(o.x) }

// MarshalBinary encodes the key: tag, then the scalar.
func (k *PrivateKey) MarshalBinary() ([]byte, error) {
	e := encoder{}
	e.Tag(TagPrivateKey)
	e.scalar(k.x)
	return e.B, nil
}

// UnmarshalBinary decodes a private key, rejecting zero.
func (k *PrivateKey) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(TagPrivateKey)
	x := d.scalar("private key")
	if err := d.Finish(); err != nil {
		return err
	}
	if x.IsZero() {
		return fmt.Errorf("%w: zero private key", ErrInvalidInput)
	}
	k.x = x
	return nil
}

// NewPublicKey wraps an element, rejecting the identity.
func NewPublicKey(e group.Element) (*PublicKey, error) {
	if e.IsIdentity() {
		return nil, fmt.Errorf("%w: public key", ErrIdentity)
	}
	return newPublicKey(e.Copy()), nil
}

// Element returns a copy of the key's element.
func (k *PublicKey) Element() group.Element { return k.e.Copy() }

// Bytes returns the 32-byte element encoding (no tag), as nested in messages.
func (k *PublicKey) Bytes() []byte { return pointBytes(k.e) }

// Equal reports whether two public keys are the same element.
func (k *PublicKey) Equal(o *PublicKey) bool { return k.e.IsEqual(o.e) }

// MarshalBinary encodes the key: tag, then the element.
func (k *PublicKey) MarshalBinary() ([]byte, error) {
	e := encoder{}
	e.Tag(TagPublicKey)
	e.point(k.e)
	return e.B, nil
}

// UnmarshalBinary decodes a tagged public key, rejecting the identity.
func (k *PublicKey) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(TagPublicKey)
	p := d.point("public key")
	if err := d.Finish(); err != nil {
		return err
	}
	k.e, k.pre = p, &keyPrecomp{}
	return nil
}

// PublicKeyFromBytes decodes the untagged 32-byte form returned by Bytes.
func PublicKeyFromBytes(b []byte) (*PublicKey, error) {
	e, err := decodePoint(b, false)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return newPublicKey(e), nil
}

// Ciphertext is an exponential ElGamal ciphertext (A, B) = (rG, rH + mG)
// under the public key H. Sums of ciphertexts encrypt sums of plaintexts.
type Ciphertext struct {
	A, B group.Element
}

// ZeroCiphertext returns (0, 0), the neutral element of ciphertext addition
// and the starting point of every aggregate. It is a valid aggregate but not
// a valid ballot ciphertext.
func ZeroCiphertext() *Ciphertext {
	return &Ciphertext{A: grp().Identity(), B: grp().Identity()}
}

// Encrypt encrypts m under pk with fresh randomness from rnd and returns the
// ciphertext and its randomness r (kept by the voter's device for a Benaloh
// challenge, never sent in a cast ballot). It is constant time in m.
func Encrypt(pk *PublicKey, m uint64, rnd io.Reader) (*Ciphertext, group.Scalar, error) {
	r, err := randomNonZeroScalar(rnd)
	if err != nil {
		return nil, nil, err
	}
	return EncryptWithRandomness(pk, m, r), r, nil
}

// EncryptWithRandomness computes (rG, rH + mG). Anyone holding m and r can
// recompute a ciphertext, which is how a challenged ballot is audited.
func EncryptWithRandomness(pk *PublicKey, m uint64, r group.Scalar) *Ciphertext {
	a := newElement().MulGen(r)
	b := newElement().Mul(pk.e, r)
	b.Add(b, newElement().MulGen(scalarFromUint64(m)))
	return &Ciphertext{A: a, B: b}
}

// Add sets c = x + y (componentwise) and returns c.
func (c *Ciphertext) Add(x, y *Ciphertext) *Ciphertext {
	a := newElement().Add(x.A, y.A)
	b := newElement().Add(x.B, y.B)
	c.A, c.B = a, b
	return c
}

// Sub sets c = x - y and returns c: it removes y's plaintext from x's, as
// when a revote replaces a ballot.
func (c *Ciphertext) Sub(x, y *Ciphertext) *Ciphertext {
	a := newElement().Add(x.A, newElement().Neg(y.A))
	b := newElement().Add(x.B, newElement().Neg(y.B))
	c.A, c.B = a, b
	return c
}

// Scale sets c = w·x and returns c: x's plaintext counted w times, as when
// a ballot of a voter with weight w is added to the tally. w is public.
func (c *Ciphertext) Scale(x *Ciphertext, w uint64) *Ciphertext {
	s := scalarFromUint64(w)
	a := newElement().Mul(x.A, s)
	b := newElement().Mul(x.B, s)
	c.A, c.B = a, b
	return c
}

// Copy returns a deep copy.
func (c *Ciphertext) Copy() *Ciphertext { return &Ciphertext{A: c.A.Copy(), B: c.B.Copy()} }

// Equal reports whether two ciphertexts are identical.
func (c *Ciphertext) Equal(o *Ciphertext) bool { return c.A.IsEqual(o.A) && c.B.IsEqual(o.B) }

// Bytes returns the untagged 64-byte form A || B, as nested in messages.
func (c *Ciphertext) Bytes() []byte {
	return appendPoint(appendPoint(make([]byte, 0, 2*PointSize), c.A), c.B)
}

func (c *Ciphertext) encode(e *encoder) { e.point(c.A); e.point(c.B) }

// decodeCiphertext reads A || B. A ballot ciphertext (aggregate false) must
// have A ≠ 0: with r = 0, B = mG would reveal the vote. An aggregate may be
// (0, 0).
func decodeCiphertext(d *decoder, what string, aggregate bool) *Ciphertext {
	a := d.pointOrIdentity(what+" A", aggregate)
	b := d.pointOrIdentity(what+" B", true)
	if d.Err != nil {
		return nil
	}
	return &Ciphertext{A: a, B: b}
}

// MarshalBinary encodes the ciphertext: tag, A, B.
func (c *Ciphertext) MarshalBinary() ([]byte, error) {
	e := encoder{}
	e.Tag(TagCiphertext)
	c.encode(&e)
	return e.B, nil
}

// UnmarshalBinary decodes a tagged ballot ciphertext (A must not be the
// identity).
func (c *Ciphertext) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(TagCiphertext)
	ct := decodeCiphertext(d, "ciphertext", false)
	if err := d.Finish(); err != nil {
		return err
	}
	*c = *ct
	return nil
}
