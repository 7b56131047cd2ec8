package test

import (
	"bytes"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"slices"
	"testing"

	"github.com/cloudflare/circl/group"

	"github.com/evote/evote/tally"
)

// These tests read docs/spec/encoding.md and docs/spec/transcript.md from the
// outside: byte layouts, canonicity rules and the transcript hash are
// re-derived here from the spec's text, with math/big and SHA-512 rather than
// tally's own helpers, and must agree with what tally produces and accepts.

// order is ℓ = 2^252 + 27742317777372353535851937790883648493.
var order = func() *big.Int {
	l, _ := new(big.Int).SetString("27742317777372353535851937790883648493", 10)
	return l.Add(l, new(big.Int).Lsh(big.NewInt(1), 252))
}()

// stream is the deterministic randomness of docs/spec/vectors.md: SHAKE256
// over the seed, read as an endless stream.
func stream(seed string) io.Reader {
	h := sha3.NewSHAKE256()
	h.Write([]byte(seed))
	return h
}

// leToInt reads b as a little-endian integer.
func leToInt(b []byte) *big.Int {
	r := slices.Clone(b)
	slices.Reverse(r)
	return new(big.Int).SetBytes(r)
}

// intToLE32 writes 0 <= v < 2^256 as 32 little-endian bytes.
func intToLE32(v *big.Int) []byte {
	b := v.FillBytes(make([]byte, 32))
	slices.Reverse(b)
	return b
}

// reduceWide is the spec's wide reduction: 64 bytes, little-endian, mod ℓ.
func reduceWide(b []byte) []byte {
	return intToLE32(new(big.Int).Mod(leToInt(b), order))
}

// tagBytes is the tag framing: u8 length, then the ASCII tag.
func tagBytes(tag string) []byte { return append([]byte{byte(len(tag))}, tag...) }

// specChallenge is the transcript hash of transcript.md, as a 32-byte scalar.
func specChallenge(tag string, fields ...[]byte) []byte {
	buf := tagBytes(tag)
	for _, f := range fields {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(f)))
		buf = append(buf, f...)
	}
	sum := sha512.Sum512(buf)
	return reduceWide(sum[:])
}

var g = group.Ristretto255

func scalar(t *testing.T, b []byte) group.Scalar {
	t.Helper()
	s := g.NewScalar()
	if err := s.UnmarshalBinary(b); err != nil {
		t.Fatalf("scalar %x: %v", b, err)
	}
	return s
}

func element(t *testing.T, b []byte) group.Element {
	t.Helper()
	e := g.NewElement()
	if err := e.UnmarshalBinary(b); err != nil {
		t.Fatalf("element %x: %v", b, err)
	}
	return e
}

func enc(t *testing.T, e group.Element) []byte {
	t.Helper()
	b, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func marshal(t *testing.T, m interface{ MarshalBinary() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkLinear checks z·B == R + c·X.
func checkLinear(t *testing.T, what string, z, c group.Scalar, B, R, X group.Element) {
	t.Helper()
	lhs := g.NewElement().Mul(B, z)
	rhs := g.NewElement().Mul(X, c)
	rhs.Add(rhs, R)
	if !lhs.IsEqual(rhs) {
		t.Errorf("%s: verification equation of the spec does not hold", what)
	}
}

func TestSpecRandomScalar(t *testing.T) {
	// RandomScalar: the next 64 bytes of the stream, little-endian, mod ℓ.
	raw := make([]byte, 128)
	io.ReadFull(stream("spec/random"), raw)
	rnd := stream("spec/random")
	s, err := tally.RandomScalar(rnd)
	if err != nil {
		t.Fatal(err)
	}
	if got := marshal(t, s); !bytes.Equal(got, reduceWide(raw[:64])) {
		t.Fatalf("RandomScalar = %x, want %x", got, reduceWide(raw[:64]))
	}
	// A key takes exactly one 64-byte draw when it is not zero.
	rnd = stream("spec/random")
	sk, err := tally.GenerateKey(rnd)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(marshal(t, sk.Scalar()), reduceWide(raw[:64])) {
		t.Fatal("GenerateKey does not use the first 64 bytes of the stream")
	}
	next := make([]byte, 64)
	io.ReadFull(rnd, next)
	if !bytes.Equal(next, raw[64:]) {
		t.Fatal("GenerateKey read more than 64 bytes")
	}
	// A short stream is an error, not a shorter draw.
	if _, err := tally.RandomScalar(bytes.NewReader(raw[:63])); err == nil {
		t.Fatal("RandomScalar accepted 63 bytes")
	}
}

func TestSpecMessageLayouts(t *testing.T) {
	rnd := stream("spec/layouts")
	sk, _ := tally.GenerateKey(rnd)
	pk := sk.Public()
	ct, _, _ := tally.Encrypt(pk, 1, rnd)
	sp, _ := tally.ProveSchnorr(sk.Scalar(), pk.Element(), []byte("ctx"), rnd)
	dp, _ := tally.ProveDLEQ(sk.Scalar(), g.Generator(), pk.Element(), ct.A, g.NewElement().Mul(ct.A, sk.Scalar()), []byte("ctx"), rnd)

	for _, tc := range []struct {
		tag  string
		msg  []byte
		body []byte
	}{
		{tally.TagPublicKey, marshal(t, pk), pk.Bytes()},
		{tally.TagPrivateKey, marshal(t, sk), marshal(t, sk.Scalar())},
		{tally.TagCiphertext, marshal(t, ct), ct.Bytes()},
		{tally.TagSchnorrProof, marshal(t, sp), slices.Concat(enc(t, sp.R), marshal(t, sp.Z))},
		{tally.TagDLEQProof, marshal(t, dp), slices.Concat(enc(t, dp.R1), enc(t, dp.R2), marshal(t, dp.Z))},
	} {
		want := slices.Concat(tagBytes(tc.tag), tc.body)
		if !bytes.Equal(tc.msg, want) {
			t.Errorf("%s: encoding is\n%x\nwant u8 len || tag || body:\n%x", tc.tag, tc.msg, want)
		}
	}
	if !bytes.Equal(ct.Bytes(), slices.Concat(enc(t, ct.A), enc(t, ct.B))) {
		t.Error("untagged ciphertext is not A || B")
	}
	if n := []int{len(marshal(t, pk)), len(marshal(t, sk)), len(marshal(t, ct)), len(marshal(t, sp)), len(marshal(t, dp))}; !slices.Equal(n, []int{52, 53, 84, 87, 116}) {
		t.Errorf("message sizes %v, want [52 53 84 87 116]", n)
	}
}

func TestSpecCanonicityAndErrors(t *testing.T) {
	rnd := stream("spec/canonicity")
	sk, _ := tally.GenerateKey(rnd)
	pk := sk.Public()
	ct, _, _ := tally.Encrypt(pk, 0, rnd)
	zero32 := make([]byte, 32)
	orderLE := intToLE32(order)
	orderMinus1 := intToLE32(new(big.Int).Sub(order, big.NewInt(1)))
	topBit := slices.Clone(zero32)
	topBit[0], topBit[31] = 1, 0x80 // 2^255 + 1: reduced it would be small, but it is not reduced
	ctB0 := slices.Concat(tagBytes(tally.TagCiphertext), ct.Bytes()[:32], zero32)
	ctA0 := slices.Concat(tagBytes(tally.TagCiphertext), zero32, ct.Bytes()[32:])
	notPoint := slices.Clone(zero32)
	notPoint[0] = 1 // s = 1 is negative

	type decoder interface{ UnmarshalBinary([]byte) error }
	for _, tc := range []struct {
		name string
		into decoder
		msg  []byte
		want error // nil: accepted
	}{
		{"scalar ℓ-1", new(tally.PrivateKey), slices.Concat(tagBytes(tally.TagPrivateKey), orderMinus1), nil},
		{"scalar ℓ", new(tally.PrivateKey), slices.Concat(tagBytes(tally.TagPrivateKey), orderLE), tally.ErrNonCanonical},
		{"scalar 2^255+1", new(tally.PrivateKey), slices.Concat(tagBytes(tally.TagPrivateKey), topBit), tally.ErrNonCanonical},
		{"private key zero", new(tally.PrivateKey), slices.Concat(tagBytes(tally.TagPrivateKey), zero32), tally.ErrInvalidInput},
		{"private key zero, trailing byte", new(tally.PrivateKey), slices.Concat(tagBytes(tally.TagPrivateKey), zero32, []byte{0}), tally.ErrTrailingBytes},
		{"public key identity", new(tally.PublicKey), slices.Concat(tagBytes(tally.TagPublicKey), zero32), tally.ErrIdentity},
		{"public key not a point", new(tally.PublicKey), slices.Concat(tagBytes(tally.TagPublicKey), notPoint), tally.ErrNonCanonical},
		{"public key trailing byte", new(tally.PublicKey), append(marshal(t, pk), 0), tally.ErrTrailingBytes},
		{"public key short", new(tally.PublicKey), marshal(t, pk)[:51], tally.ErrMalformed},
		{"public key as ciphertext", new(tally.Ciphertext), marshal(t, pk), tally.ErrWrongTag},
		{"tag length beyond input", new(tally.PublicKey), []byte{200, 'e'}, tally.ErrMalformed},
		{"empty", new(tally.PublicKey), nil, tally.ErrMalformed},
		{"ciphertext A identity", new(tally.Ciphertext), ctA0, tally.ErrIdentity},
		{"ciphertext B identity", new(tally.Ciphertext), ctB0, nil},
		{"schnorr R identity", new(tally.SchnorrProof), slices.Concat(tagBytes(tally.TagSchnorrProof), zero32, zero32), nil},
		{"dleq R1, R2 identity", new(tally.DLEQProof), slices.Concat(tagBytes(tally.TagDLEQProof), zero32, zero32, zero32), nil},
		{"dleq z = ℓ", new(tally.DLEQProof), slices.Concat(tagBytes(tally.TagDLEQProof), zero32, zero32, orderLE), tally.ErrNonCanonical},
	} {
		err := tc.into.UnmarshalBinary(tc.msg)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := tally.PublicKeyFromBytes(zero32); !errors.Is(err, tally.ErrIdentity) {
		t.Errorf("untagged identity public key: got %v", err)
	}
}

func TestSpecSchnorrTranscript(t *testing.T) {
	rnd := stream("spec/schnorr")
	sk, _ := tally.GenerateKey(rnd)
	X := sk.Public().Element()
	ctx := []byte("election 7, trustee 2")
	p, err := tally.ProveSchnorr(sk.Scalar(), X, ctx, rnd)
	if err != nil {
		t.Fatal(err)
	}
	msg := marshal(t, p)
	R, z := msg[23:55], msg[55:87]
	c := specChallenge("evote/v1/proof/schnorr", ctx, enc(t, X), R)
	checkLinear(t, "schnorr", scalar(t, z), scalar(t, c), g.Generator(), element(t, R), X)

	// The context is a field: another context gives another challenge.
	if err := p.Verify(X, []byte("election 8, trustee 2")); !errors.Is(err, tally.ErrInvalidProof) {
		t.Errorf("proof verified under another context: %v", err)
	}
	if err := p.Verify(g.Identity(), ctx); !errors.Is(err, tally.ErrIdentity) {
		t.Errorf("identity statement: got %v", err)
	}
}

func TestSpecDLEQTranscript(t *testing.T) {
	rnd := stream("spec/dleq")
	sk, _ := tally.GenerateKey(rnd)
	X1 := sk.Public().Element()
	ct, _, _ := tally.Encrypt(sk.Public(), 3, rnd)
	G2 := ct.A
	X2 := g.NewElement().Mul(G2, sk.Scalar())
	ctx := []byte("partial decryption")
	p, err := tally.ProveDLEQ(sk.Scalar(), g.Generator(), X1, G2, X2, ctx, rnd)
	if err != nil {
		t.Fatal(err)
	}
	msg := marshal(t, p)
	R1, R2, z := msg[20:52], msg[52:84], msg[84:116]
	c := specChallenge("evote/v1/proof/dleq", ctx, enc(t, g.Generator()), enc(t, X1), enc(t, G2), enc(t, X2), R1, R2)
	checkLinear(t, "dleq (G1)", scalar(t, z), scalar(t, c), g.Generator(), element(t, R1), X1)
	checkLinear(t, "dleq (G2)", scalar(t, z), scalar(t, c), G2, element(t, R2), X2)

	if err := p.Verify(g.Generator(), g.Identity(), G2, X2, ctx); !errors.Is(err, tally.ErrIdentity) {
		t.Errorf("identity X1: got %v", err)
	}
}
