package tally

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/cloudflare/circl/group"
)

// dkgDealLayout gives the offsets of a deal's fields for T commitments.
type dkgDealLayout struct{ dealer, count, commitments, proofZ, shareCount, shares int }

func dkgLayout(t int) dkgDealLayout {
	l := dkgDealLayout{dealer: 1 + len(TagDKGDeal)}
	l.count = l.dealer + 4
	l.commitments = l.count + 4
	l.proofZ = l.commitments + t*PointSize + PointSize
	l.shareCount = l.proofZ + ScalarSize
	l.shares = l.shareCount + 4
	return l
}

// dkgMutate returns a copy of b with f applied.
func dkgMutate(b []byte, f func(b []byte) []byte) []byte { return f(bytes.Clone(b)) }

func dkgHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dkgNonCanonicalPoint is an RFC 9496 non-canonical field encoding.
const dkgNonCanonicalPoint = "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

// dkgX25519P is 2^255 - 19 little-endian; dkgX25519PMinus1 has low order.
const (
	dkgX25519P       = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
	dkgX25519PMinus1 = "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
)

func TestDkgDealEncoding(t *testing.T) {
	c := dkgNewCeremony(t, "deal encoding", 3, 2) // 2 commitments, 2 shares
	d := c.deals[1]                               // dealer 2: shares for 1 and 3
	b, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	l := dkgLayout(2)
	if len(b) != l.shares+2*dkgSealedShareEncSize {
		t.Fatalf("deal of %d bytes, want %d", len(b), l.shares+2*dkgSealedShareEncSize)
	}
	var got DKGDeal
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if b2, _ := got.MarshalBinary(); !bytes.Equal(b, b2) {
		t.Fatal("deal does not round-trip")
	}
	if err := got.Verify(c.params); err != nil {
		t.Fatal(err)
	}
	if _, err := got.OpenShare(c.params, 3, c.keys[2]); err != nil {
		t.Fatal(err)
	}

	identityC0, _ := (&DKGDeal{Dealer: 2, Commitments: []group.Element{grp().Identity(), d.Commitments[1]}, Proof: d.Proof, Shares: d.Shares}).MarshalBinary()
	identityC1, _ := (&DKGDeal{Dealer: 2, Commitments: []group.Element{d.Commitments[0], grp().Identity()}, Proof: d.Proof, Shares: d.Shares}).MarshalBinary()
	if err := new(DKGDeal).UnmarshalBinary(identityC1); err != nil {
		t.Fatalf("identity C_1 (a zero coefficient) is well formed: %v", err)
	}
	complaint, _ := (&DKGComplaint{Complainer: 1, Dealer: 2}).MarshalBinary()
	put32 := func(off int, v uint32) func([]byte) []byte {
		return func(b []byte) []byte { binary.BigEndian.PutUint32(b[off:], v); return b }
	}
	share1 := l.shares
	share2 := l.shares + dkgSealedShareEncSize
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"wrong tag", complaint, ErrWrongTag},
		{"trailing byte", append(bytes.Clone(b), 0), ErrTrailingBytes},
		{"truncated", b[:len(b)-1], ErrMalformed},
		{"empty", nil, ErrMalformed},
		{"identity C_0", identityC0, ErrIdentity},
		{"non-canonical commitment", dkgMutate(b, func(b []byte) []byte {
			copy(b[l.commitments+PointSize:], dkgHex(t, dkgNonCanonicalPoint))
			return b
		}), ErrNonCanonical},
		{"non-canonical z", dkgMutate(b, func(b []byte) []byte {
			copy(b[l.proofZ:], bytes.Repeat([]byte{0xff}, ScalarSize))
			return b
		}), ErrNonCanonical},
		{"dealer 0", dkgMutate(b, put32(l.dealer, 0)), ErrMalformed},
		{"dealer 256", dkgMutate(b, put32(l.dealer, 256)), ErrLimit},
		{"no commitments", dkgMutate(b, put32(l.count, 0)), ErrMalformed},
		{"256 commitments", dkgMutate(b, put32(l.count, 256)), ErrLimit},
		{"more commitments than bytes", dkgMutate(b, put32(l.count, 200)), ErrMalformed},
		{"255 shares", dkgMutate(b, put32(l.shareCount, 255)), ErrLimit},
		{"shares descending", dkgMutate(b, func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[share1:], 3)
			binary.BigEndian.PutUint32(b[share2:], 1)
			return b
		}), ErrMalformed},
		{"share to the dealer", dkgMutate(b, put32(share2, 2)), ErrMalformed},
		{"recipient 0", dkgMutate(b, put32(share1, 0)), ErrMalformed},
		{"low-order encapsulated key", dkgMutate(b, func(b []byte) []byte {
			clear(b[share1+4 : share1+4+dkgEncSize])
			return b
		}), ErrIdentity},
		{"non-canonical encapsulated key", dkgMutate(b, func(b []byte) []byte {
			b[share1+4+dkgEncSize-1] |= 0x80
			return b
		}), ErrNonCanonical},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out DKGDeal
			if err := out.UnmarshalBinary(tc.b); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	for n := range b {
		if err := new(DKGDeal).UnmarshalBinary(b[:n]); err == nil {
			t.Fatalf("a deal cut to %d bytes decodes", n)
		}
	}
	if _, err := (&DKGDeal{Dealer: 1, Commitments: d.Commitments}).MarshalBinary(); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("marshal without a proof: got %v", err)
	}
}

func TestDkgComplaintAndResponseEncoding(t *testing.T) {
	c := dkgNewCeremony(t, "complaint encoding", 3, 2)
	cp := &DKGComplaint{Complainer: 3, Dealer: 1}
	cb, _ := cp.MarshalBinary()
	var cp2 DKGComplaint
	if err := cp2.UnmarshalBinary(cb); err != nil || cp2 != *cp {
		t.Fatalf("complaint round trip: %v", err)
	}
	r, err := c.secrets[0].Respond(c.params, cp)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := r.MarshalBinary()
	var r2 DKGResponse
	if err := r2.UnmarshalBinary(rb); err != nil {
		t.Fatal(err)
	}
	if rb2, _ := r2.MarshalBinary(); !bytes.Equal(rb, rb2) {
		t.Fatal("response does not round-trip")
	}
	if err := r2.Verify(c.params, c.deals[0]); err != nil {
		t.Fatal(err)
	}
	if err := r2.Verify(c.params, c.deals[1]); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("response checked against another dealer's deal: got %v", err)
	}

	ct := 1 + len(TagDKGComplaint)
	rt := 1 + len(TagDKGResponse)
	for _, tc := range []struct {
		name     string
		b        []byte
		response bool
		want     error
	}{
		{"complaint: wrong tag", rb, false, ErrWrongTag},
		{"complaint: trailing byte", append(bytes.Clone(cb), 0), false, ErrTrailingBytes},
		{"complaint: truncated", cb[:len(cb)-1], false, ErrMalformed},
		{"complaint: about oneself", dkgMutate(cb, func(b []byte) []byte { b[ct+3] = 1; return b }), false, ErrMalformed},
		{"complaint: complainer 0", dkgMutate(cb, func(b []byte) []byte { b[ct+3] = 0; return b }), false, ErrMalformed},
		{"complaint: dealer 256", dkgMutate(cb, func(b []byte) []byte { b[ct+6] = 1; return b }), false, ErrLimit},
		{"response: wrong tag", cb, true, ErrWrongTag},
		{"response: trailing byte", append(bytes.Clone(rb), 0), true, ErrTrailingBytes},
		{"response: truncated", rb[:len(rb)-1], true, ErrMalformed},
		{"response: to oneself", dkgMutate(rb, func(b []byte) []byte { b[rt+7] = 1; return b }), true, ErrMalformed},
		{"response: non-canonical share", dkgMutate(rb, func(b []byte) []byte {
			copy(b[rt+8:], bytes.Repeat([]byte{0xff}, ScalarSize))
			return b
		}), true, ErrNonCanonical},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.response {
				err = new(DKGResponse).UnmarshalBinary(tc.b)
			} else {
				err = new(DKGComplaint).UnmarshalBinary(tc.b)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDkgKeyEncoding(t *testing.T) {
	k, err := GenerateTrusteeEncryptionKey(seeded("key encoding"))
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := k.Public().MarshalBinary()
	var pk TrusteeEncryptionPublicKey
	if err := pk.UnmarshalBinary(pb); err != nil || !pk.Equal(k.Public()) {
		t.Fatalf("public key round trip: %v", err)
	}
	sb, _ := k.MarshalBinary()
	var sk TrusteeEncryptionKey
	if err := sk.UnmarshalBinary(sb); err != nil || !sk.Equal(k) || !sk.Public().Equal(k.Public()) {
		t.Fatalf("private key round trip: %v", err)
	}
	k2, _ := GenerateTrusteeEncryptionKey(seeded("key encoding"))
	if !k2.Equal(k) {
		t.Fatal("key generation is not deterministic")
	}
	tagged := func(raw string) []byte {
		e := encoder{}
		e.Tag(TagDKGEncryptionKey)
		e.Raw(dkgHex(t, raw))
		return e.B
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"wrong tag", sb, ErrWrongTag},
		{"trailing byte", append(bytes.Clone(pb), 0), ErrTrailingBytes},
		{"truncated", pb[:len(pb)-1], ErrMalformed},
		{"zero", tagged("0000000000000000000000000000000000000000000000000000000000000000"), ErrIdentity},
		{"u = 1", tagged("0100000000000000000000000000000000000000000000000000000000000000"), ErrIdentity},
		{"u = p - 1", tagged(dkgX25519PMinus1), ErrIdentity},
		{"u = p", tagged(dkgX25519P), ErrNonCanonical},
		{"top bit set", dkgMutate(pb, func(b []byte) []byte { b[len(b)-1] |= 0x80; return b }), ErrNonCanonical},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := new(TrusteeEncryptionPublicKey).UnmarshalBinary(tc.b); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if err := new(TrusteeEncryptionKey).UnmarshalBinary(pb); !errors.Is(err, ErrWrongTag) {
		t.Fatalf("public key decoded as a private key: got %v", err)
	}
}

func TestDkgDealerSecretEncoding(t *testing.T) {
	c := dkgNewCeremony(t, "dealer secret encoding", 3, 2)
	b, _ := c.secrets[2].MarshalBinary()
	var s DealerSecret
	if err := s.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if s.Dealer() != 3 || !s.Share(1).IsEqual(c.secrets[2].Share(1)) {
		t.Fatal("dealer secret does not round-trip")
	}
	tg := 1 + len(TagDKGDealerSecret)
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"zero a_0", dkgMutate(b, func(b []byte) []byte { clear(b[tg+8 : tg+8+ScalarSize]); return b }), ErrInvalidInput},
		{"no coefficients", dkgMutate(b, func(b []byte) []byte { b[tg+7] = 0; return b[:tg+8] }), ErrMalformed},
		{"trailing byte", append(bytes.Clone(b), 0), ErrTrailingBytes},
		{"wrong tag", dkgMutate(b, func(b []byte) []byte { b[1] ^= 1; return b }), ErrWrongTag},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := new(DealerSecret).UnmarshalBinary(tc.b); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
