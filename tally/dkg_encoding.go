package tally

import (
	"fmt"

	"github.com/cloudflare/circl/group"
)

// Canonical encodings of the key generation messages (docs/spec/dkg.md).
// Decoders check what a message says on its own: bounds, ascending indices,
// canonical scalars and points, C_0 not the identity, no trailing bytes.
// What depends on the ceremony (N, T, the proof) is checked by Verify and
// Finalize.

// dkgSealedShareEncSize is the encoded size of one sealed share.
const dkgSealedShareEncSize = 4 + dkgEncSize + dkgSealedShareSize

// dkgIndex reads a u32 trustee index in 1..DKGMaxTrustees.
func (d *decoder) dkgIndex(what string) uint32 {
	v := d.U32(what)
	if d.Err != nil {
		return 0
	}
	if v == 0 {
		d.Off -= 4
		d.Fail(ErrMalformed, "%s: index 0", what)
		return 0
	}
	if v > DKGMaxTrustees {
		d.Off -= 4
		d.Fail(ErrLimit, "%s: index %d exceeds %d", what, v, DKGMaxTrustees)
		return 0
	}
	return v
}

// MarshalBinary encodes the deal:
//
//	tag("evote/v1/dkg/deal") || u32 dealer || u32 t || t × point C_k
//	  || point R || scalar z || u32 m || m × (u32 recipient || enc[32] || ct[48])
func (d *DKGDeal) MarshalBinary() ([]byte, error) {
	if d.Proof == nil || d.Proof.R == nil || d.Proof.Z == nil {
		return nil, fmt.Errorf("%w: dkg: deal without a proof", ErrInvalidInput)
	}
	e := encoderOn(make([]byte, 0, 64+PointSize*len(d.Commitments)+dkgSealedShareEncSize*len(d.Shares)))
	e.Tag(TagDKGDeal)
	e.U32(d.Dealer)
	e.U32(uint32(len(d.Commitments)))
	for _, c := range d.Commitments {
		if c == nil {
			return nil, fmt.Errorf("%w: dkg: deal with a missing commitment", ErrInvalidInput)
		}
		e.point(c)
	}
	d.Proof.encode(&e)
	e.U32(uint32(len(d.Shares)))
	for _, s := range d.Shares {
		e.U32(s.Recipient)
		e.Raw(s.Enc[:])
		e.Raw(s.Ciphertext[:])
	}
	return e.B, nil
}

// UnmarshalBinary decodes a deal. It rejects: another tag, an index outside
// 1..255, no commitments or more than 255, C_0 the identity, non-canonical
// points and scalars, more than 254 shares, recipients not strictly
// ascending or equal to the dealer, an encapsulated key that is not a
// canonical X25519 key of large order, and trailing bytes.
func (d *DKGDeal) UnmarshalBinary(b []byte) error {
	dec := newDecoder(b)
	dec.Tag(TagDKGDeal)
	out := DKGDeal{Dealer: dec.dkgIndex("dealer")}
	t := dec.Count("commitments", DKGMaxTrustees, PointSize)
	if dec.Err == nil && t == 0 {
		dec.Fail(ErrMalformed, "no commitments")
	}
	out.Commitments = make([]group.Element, 0, t)
	for k := 0; k < t && dec.Err == nil; k++ {
		out.Commitments = append(out.Commitments, dec.pointOrIdentity(fmt.Sprintf("commitment %d", k), k > 0))
	}
	out.Proof = decodeSchnorrProof(dec)
	m := dec.Count("shares", DKGMaxTrustees-1, dkgSealedShareEncSize)
	out.Shares = make([]DKGEncryptedShare, m)
	prev := uint32(0)
	for k := 0; k < m && dec.Err == nil; k++ {
		s := &out.Shares[k]
		s.Recipient = dec.dkgIndex("recipient")
		if dec.Err == nil && (s.Recipient <= prev || s.Recipient == out.Dealer) {
			dec.Off -= 4
			dec.Fail(ErrMalformed, "share for trustee %d after %d, dealer %d", s.Recipient, prev, out.Dealer)
		}
		prev = s.Recipient
		if enc := dec.Take(dkgEncSize, "encapsulated key"); enc != nil {
			if err := dkgCheckX25519(enc); err != nil {
				dec.Off -= dkgEncSize
				dec.Fail(err, "encapsulated key for trustee %d", s.Recipient)
			}
			copy(s.Enc[:], enc)
		}
		copy(s.Ciphertext[:], dec.Take(dkgSealedShareSize, "sealed share"))
	}
	if err := dec.Finish(); err != nil {
		return err
	}
	*d = out
	return nil
}

// MarshalBinary encodes the complaint:
//
//	tag("evote/v1/dkg/complaint") || u32 complainer || u32 dealer
func (c *DKGComplaint) MarshalBinary() ([]byte, error) {
	e := encoder{}
	e.Tag(TagDKGComplaint)
	e.U32(c.Complainer)
	e.U32(c.Dealer)
	return e.B, nil
}

// UnmarshalBinary decodes a complaint, rejecting indices outside 1..255 and
// a complaint about oneself.
func (c *DKGComplaint) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(TagDKGComplaint)
	out := DKGComplaint{Complainer: d.dkgIndex("complainer"), Dealer: d.dkgIndex("dealer")}
	if d.Err == nil && out.Complainer == out.Dealer {
		d.Off -= 4
		d.Fail(ErrMalformed, "trustee %d complains about itself", out.Dealer)
	}
	if err := d.Finish(); err != nil {
		return err
	}
	*c = out
	return nil
}

// MarshalBinary encodes the response:
//
//	tag("evote/v1/dkg/response") || u32 dealer || u32 complainer || scalar share
func (r *DKGResponse) MarshalBinary() ([]byte, error) {
	if r.Share == nil {
		return nil, fmt.Errorf("%w: dkg: response without a share", ErrInvalidInput)
	}
	e := encoder{}
	e.Tag(TagDKGResponse)
	e.U32(r.Dealer)
	e.U32(r.Complainer)
	e.scalar(r.Share)
	return e.B, nil
}

// UnmarshalBinary decodes a response, rejecting indices outside 1..255, a
// response to oneself and a non-canonical scalar.
func (r *DKGResponse) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(TagDKGResponse)
	out := DKGResponse{Dealer: d.dkgIndex("dealer"), Complainer: d.dkgIndex("complainer")}
	if d.Err == nil && out.Complainer == out.Dealer {
		d.Off -= 4
		d.Fail(ErrMalformed, "dealer %d answers itself", out.Dealer)
	}
	out.Share = d.scalar("share")
	if err := d.Finish(); err != nil {
		return err
	}
	*r = out
	return nil
}

// MarshalBinary encodes the public key:
//
//	tag("evote/v1/dkg/encryption-key") || 32-byte X25519 public key
func (k *TrusteeEncryptionPublicKey) MarshalBinary() ([]byte, error) {
	e := encoder{}
	e.Tag(TagDKGEncryptionKey)
	e.Raw(k.b[:])
	return e.B, nil
}

// UnmarshalBinary decodes a public key, rejecting a non-canonical
// u-coordinate (top bit set, or at least 2^255-19) and points of low order.
func (k *TrusteeEncryptionPublicKey) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(TagDKGEncryptionKey)
	raw := d.Take(dkgX25519Size, "X25519 key")
	if err := d.Finish(); err != nil {
		return err
	}
	pk, err := dkgEncryptionPublicKeyFromBytes(raw)
	if err != nil {
		return fmt.Errorf("encryption key: %w", err)
	}
	*k = *pk
	return nil
}

// MarshalBinary encodes the private key:
//
//	tag("evote/v1/dkg/encryption-private-key") || 32-byte X25519 private key
func (k *TrusteeEncryptionKey) MarshalBinary() ([]byte, error) {
	raw, err := k.sk.MarshalBinary()
	if err != nil {
		return nil, err
	}
	e := encoder{}
	e.Tag(TagDKGEncryptionPrivateKey)
	e.Raw(raw)
	return e.B, nil
}

// UnmarshalBinary decodes a private key.
func (k *TrusteeEncryptionKey) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(TagDKGEncryptionPrivateKey)
	raw := d.Take(dkgX25519Size, "X25519 private key")
	if err := d.Finish(); err != nil {
		return err
	}
	sk, err := dkgKEM().UnmarshalBinaryPrivateKey(raw)
	if err != nil {
		return fmt.Errorf("%w: X25519 private key: %v", ErrMalformed, err)
	}
	key, err := dkgNewEncryptionKey(sk)
	if err != nil {
		return err
	}
	k.sk, k.pub = key.sk, key.pub
	return nil
}

// MarshalBinary encodes the dealer's polynomial, for the dealer's own
// storage between rounds:
//
//	tag("evote/v1/dkg/dealer-secret") || u32 dealer || u32 t || t × scalar a_k
func (s *DealerSecret) MarshalBinary() ([]byte, error) {
	e := encoder{}
	e.Tag(TagDKGDealerSecret)
	e.U32(s.dealer)
	e.U32(uint32(len(s.coeffs)))
	for _, a := range s.coeffs {
		e.scalar(a)
	}
	return e.B, nil
}

// UnmarshalBinary decodes a dealer's polynomial, rejecting a_0 = 0.
func (s *DealerSecret) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	d.Tag(TagDKGDealerSecret)
	dealer := d.dkgIndex("dealer")
	t := d.Count("coefficients", DKGMaxTrustees, ScalarSize)
	if d.Err == nil && t == 0 {
		d.Fail(ErrMalformed, "no coefficients")
	}
	coeffs := make([]group.Scalar, 0, t)
	for k := 0; k < t && d.Err == nil; k++ {
		coeffs = append(coeffs, d.scalar(fmt.Sprintf("coefficient %d", k)))
	}
	if d.Err == nil && coeffs[0].IsZero() {
		d.Off -= t * ScalarSize
		d.Fail(ErrInvalidInput, "coefficient 0 is zero")
	}
	if err := d.Finish(); err != nil {
		return err
	}
	s.dealer, s.coeffs = dealer, coeffs
	return nil
}
