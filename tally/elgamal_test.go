package tally

import (
	"errors"
	"testing"
)

func TestEncryptAddDecrypt(t *testing.T) {
	rnd := seeded("elgamal")
	sk, err := GenerateKey(rnd)
	if err != nil {
		t.Fatal(err)
	}
	pk := sk.Public()
	sum := ZeroCiphertext()
	for _, m := range []uint64{3, 0, 1, 7} {
		ct, _, err := Encrypt(pk, m, rnd)
		if err != nil {
			t.Fatal(err)
		}
		sum.Add(sum, ct)
	}
	// Decrypt with the single key: B - xA = 11 G.
	mG := newElement().Add(sum.B, newElement().Neg(newElement().Mul(sum.A, sk.Scalar())))
	if !mG.IsEqual(newElement().MulGen(scalarFromUint64(11))) {
		t.Fatal("sum does not decrypt to 11")
	}
	scaled := new(Ciphertext).Scale(sum, 3)
	mG = newElement().Add(scaled.B, newElement().Neg(newElement().Mul(scaled.A, sk.Scalar())))
	if !mG.IsEqual(newElement().MulGen(scalarFromUint64(33))) {
		t.Fatal("sum scaled by 3 does not decrypt to 33")
	}
	ct7, _, _ := Encrypt(pk, 7, rnd)
	diff := new(Ciphertext).Sub(sum, ct7)
	mG = newElement().Add(diff.B, newElement().Neg(newElement().Mul(diff.A, sk.Scalar())))
	if !mG.IsEqual(newElement().MulGen(scalarFromUint64(4))) {
		t.Fatal("difference does not decrypt to 4")
	}
}

func TestKeyAndCiphertextEncodingRoundTrip(t *testing.T) {
	rnd := seeded("encoding")
	sk, _ := GenerateKey(rnd)
	b, _ := sk.MarshalBinary()
	var sk2 PrivateKey
	if err := sk2.UnmarshalBinary(b); err != nil || !sk2.Equal(sk) {
		t.Fatalf("private key round trip: %v", err)
	}
	pb, _ := sk.Public().MarshalBinary()
	var pk2 PublicKey
	if err := pk2.UnmarshalBinary(pb); err != nil || !pk2.Equal(sk.Public()) {
		t.Fatalf("public key round trip: %v", err)
	}
	if err := pk2.UnmarshalBinary(append(pb, 0)); !errors.Is(err, ErrTrailingBytes) {
		t.Fatalf("trailing byte: got %v", err)
	}
	ct, _, _ := Encrypt(sk.Public(), 1, rnd)
	cb, _ := ct.MarshalBinary()
	var ct2 Ciphertext
	if err := ct2.UnmarshalBinary(cb); err != nil || !ct2.Equal(ct) {
		t.Fatalf("ciphertext round trip: %v", err)
	}
	if err := ct2.UnmarshalBinary(pb); !errors.Is(err, ErrWrongTag) {
		t.Fatalf("public key decoded as ciphertext: got %v", err)
	}
}

func TestIdentityRejected(t *testing.T) {
	zero := make([]byte, PointSize)
	if _, err := PublicKeyFromBytes(zero); !errors.Is(err, ErrIdentity) {
		t.Fatalf("identity public key: got %v", err)
	}
	rnd := seeded("identity")
	sk, _ := GenerateKey(rnd)
	ct, _, _ := Encrypt(sk.Public(), 1, rnd)
	bad := &Ciphertext{A: grp().Identity(), B: ct.B}
	b, _ := bad.MarshalBinary()
	var out Ciphertext
	if err := out.UnmarshalBinary(b); !errors.Is(err, ErrIdentity) {
		t.Fatalf("ciphertext with A = identity: got %v", err)
	}
	if _, err := NewPublicKey(grp().Identity()); !errors.Is(err, ErrIdentity) {
		t.Fatalf("NewPublicKey(identity): got %v", err)
	}
}

func TestSchnorrAndDLEQ(t *testing.T) {
	rnd := seeded("sigma")
	sk, _ := GenerateKey(rnd)
	X := sk.Public().Element()
	p, err := ProveSchnorr(sk.Scalar(), X, []byte("ctx"), rnd)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(X, []byte("ctx")); err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(X, []byte("other ctx")); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("schnorr with another context: got %v", err)
	}
	other, _ := GenerateKey(rnd)
	if err := p.Verify(other.Public().Element(), []byte("ctx")); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("schnorr for another key: got %v", err)
	}

	ct, _, _ := Encrypt(sk.Public(), 5, rnd)
	D := newElement().Mul(ct.A, sk.Scalar())
	q, err := ProveDLEQ(sk.Scalar(), generator(), X, ct.A, D, []byte("ctx"), rnd)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Verify(generator(), X, ct.A, D, []byte("ctx")); err != nil {
		t.Fatal(err)
	}
	wrong := newElement().Add(D, generator())
	if err := q.Verify(generator(), X, ct.A, wrong, []byte("ctx")); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("dleq for a wrong share: got %v", err)
	}
	qb, _ := q.MarshalBinary()
	var q2 DLEQProof
	if err := q2.UnmarshalBinary(qb); err != nil {
		t.Fatal(err)
	}
	if err := q2.Verify(generator(), X, ct.A, D, []byte("ctx")); err != nil {
		t.Fatal(err)
	}
}

func TestProofContextLimit(t *testing.T) {
	rnd := seeded("context limit")
	sk, _ := GenerateKey(rnd)
	X := sk.Public().Element()
	long := make([]byte, maxContext+1)
	if _, err := ProveSchnorr(sk.Scalar(), X, long, rnd); !errors.Is(err, ErrLimit) {
		t.Fatalf("schnorr prove with a long context: got %v", err)
	}
	p, _ := ProveSchnorr(sk.Scalar(), X, long[:maxContext], rnd)
	if err := p.Verify(X, long); !errors.Is(err, ErrLimit) {
		t.Fatalf("schnorr verify with a long context: got %v", err)
	}
	if _, err := ProveDLEQ(sk.Scalar(), generator(), X, generator(), X, long, rnd); !errors.Is(err, ErrLimit) {
		t.Fatalf("dleq prove with a long context: got %v", err)
	}
	q, _ := ProveDLEQ(sk.Scalar(), generator(), X, generator(), X, nil, rnd)
	if err := q.Verify(generator(), X, generator(), X, long); !errors.Is(err, ErrLimit) {
		t.Fatalf("dleq verify with a long context: got %v", err)
	}
}
