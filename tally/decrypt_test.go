package tally

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
	"github.com/cloudflare/circl/group"
)

// testTrustees is a plain Shamir sharing of a secret x among n trustees
// with threshold t: x_j = f(j) for a random f of degree t-1 with f(0) = x.
type testTrustees struct {
	t, n   int
	joint  *PublicKey    // H = xG
	shares []*PrivateKey // shares[j-1] = x_j
	vks    []*PublicKey  // vks[j-1] = X_j
}

func newTestTrustees(tb testing.TB, rnd io.Reader, t, n int) *testTrustees {
	tb.Helper()
	coeffs := make([]group.Scalar, t)
	for i := range coeffs {
		var err error
		if i == 0 {
			coeffs[i], err = randomNonZeroScalar(rnd)
		} else {
			coeffs[i], err = RandomScalar(rnd)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	tt := &testTrustees{t: t, n: n, joint: &PublicKey{e: newElement().MulGen(coeffs[0])}}
	for j := 1; j <= n; j++ {
		// Horner: f(j) = a_0 + j(a_1 + j(a_2 + ...)).
		xj := newScalar()
		sj := scalarFromUint64(uint64(j))
		for i := t - 1; i >= 0; i-- {
			xj.Mul(xj, sj)
			xj.Add(xj, coeffs[i])
		}
		sk, err := NewPrivateKey(xj)
		if err != nil {
			tb.Fatal(err)
		}
		tt.shares = append(tt.shares, sk)
		tt.vks = append(tt.vks, sk.Public())
	}
	return tt
}

// decrypt makes and verifies the shares of the listed trustees.
func (tt *testTrustees) decrypt(tb testing.TB, ct *Ciphertext, dc DecryptionContext, rnd io.Reader, trustees ...uint32) []*DecryptionShare {
	tb.Helper()
	var out []*DecryptionShare
	for _, j := range trustees {
		s, err := PartialDecrypt(tt.shares[j-1], j, ct, dc, rnd)
		if err != nil {
			tb.Fatal(err)
		}
		if err := s.Verify(tt.vks[j-1], ct, dc); err != nil {
			tb.Fatalf("honest share of trustee %d: %v", j, err)
		}
		out = append(out, s)
	}
	return out
}

func mulGen(m uint64) group.Element { return newElement().MulGen(scalarFromUint64(m)) }

func TestLagrangeAtZeroSmall(t *testing.T) {
	// {1, 2, 3}: λ_1 = 3, λ_2 = -3, λ_3 = 1.
	want := map[uint32]group.Scalar{
		1: scalarFromUint64(3),
		2: newScalar().Neg(scalarFromUint64(3)),
		3: scalarFromUint64(1),
	}
	for i, w := range want {
		l, err := lagrangeAtZero([]uint32{1, 2, 3}, i)
		if err != nil {
			t.Fatal(err)
		}
		if !l.IsEqual(w) {
			t.Errorf("λ_%d wrong", i)
		}
	}
	for _, c := range []struct {
		indices []uint32
		i       uint32
	}{
		{[]uint32{1, 2, 3}, 4},
		{[]uint32{0, 2, 3}, 2},
		{[]uint32{1, 2, 2}, 1},
		{[]uint32{}, 1},
	} {
		if _, err := lagrangeAtZero(c.indices, c.i); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("lagrangeAtZero(%v, %d): got %v", c.indices, c.i, err)
		}
	}
}

func TestLagrangeInterpolates(t *testing.T) {
	rnd := seeded("lagrange")
	tt := newTestTrustees(t, rnd, 4, 9)
	for _, set := range [][]uint32{{1, 2, 3, 4}, {9, 3, 7, 5}, {2, 4, 6, 8}, {1, 2, 3, 4, 5, 6}} {
		sum := newScalar()
		for _, i := range set {
			l, err := lagrangeAtZero(set, i)
			if err != nil {
				t.Fatal(err)
			}
			sum.Add(sum, newScalar().Mul(l, tt.shares[i-1].x))
		}
		if !newElement().MulGen(sum).IsEqual(tt.joint.e) {
			t.Errorf("set %v does not interpolate the secret", set)
		}
	}
}

// subsets returns the k-element subsets of {1..n}, in lexicographic order.
func subsets(n, k int) [][]uint32 {
	var out [][]uint32
	var rec func(start int, cur []uint32)
	rec = func(start int, cur []uint32) {
		if len(cur) == k {
			out = append(out, append([]uint32(nil), cur...))
			return
		}
		for i := start; i <= n; i++ {
			rec(i+1, append(cur, uint32(i)))
		}
	}
	rec(1, nil)
	return out
}

func TestThreshold3of5(t *testing.T) {
	rnd := seeded("threshold 3 of 5")
	tt := newTestTrustees(t, rnd, 3, 5)
	ct, _, err := Encrypt(tt.joint, 42, rnd)
	if err != nil {
		t.Fatal(err)
	}
	dc := DecryptionContext{Election: []byte("election 3of5"), Position: 7}
	all := tt.decrypt(t, ct, dc, rnd, 1, 2, 3, 4, 5)
	pick := func(set []uint32) []*DecryptionShare {
		var out []*DecryptionShare
		for _, j := range set {
			out = append(out, all[j-1])
		}
		return out
	}
	want := mulGen(42)
	for k := 3; k <= 5; k++ {
		for _, set := range subsets(5, k) {
			M, err := Combine(ct, pick(set), 3)
			if err != nil {
				t.Fatalf("trustees %v: %v", set, err)
			}
			if !M.IsEqual(want) {
				t.Fatalf("trustees %v decrypt to the wrong value", set)
			}
		}
	}
	for k := 0; k <= 2; k++ {
		for _, set := range subsets(5, k) {
			if _, err := Combine(ct, pick(set), 3); !errors.Is(err, ErrTooFewShares) {
				t.Fatalf("trustees %v: got %v, want ErrTooFewShares", set, err)
			}
		}
	}
	// Two shares are not enough even when the caller lowers the threshold:
	// they interpolate a line, not the degree-2 polynomial.
	M, err := Combine(ct, pick([]uint32{1, 2}), 2)
	if err != nil {
		t.Fatal(err)
	}
	if M.IsEqual(want) {
		t.Fatal("two shares decrypted a 3-of-5 ciphertext")
	}
}

func TestCombineChoosesLowestIndices(t *testing.T) {
	rnd := seeded("lowest indices")
	tt := newTestTrustees(t, rnd, 2, 4)
	ct, _, _ := Encrypt(tt.joint, 9, rnd)
	dc := DecryptionContext{Election: []byte("e")}
	shares := tt.decrypt(t, ct, dc, rnd, 4, 2, 3)
	// Spoil the share of trustee 4: it must not be among the two chosen.
	shares[0] = &DecryptionShare{Index: 4, D: newElement().Add(shares[0].D, generator()), Proof: shares[0].Proof}
	M, err := Combine(ct, shares, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !M.IsEqual(mulGen(9)) {
		t.Fatal("Combine did not take the trustees 2 and 3")
	}
}

func TestCombineRejectsBadInput(t *testing.T) {
	rnd := seeded("combine input")
	tt := newTestTrustees(t, rnd, 2, 3)
	ct, _, _ := Encrypt(tt.joint, 1, rnd)
	dc := DecryptionContext{Election: []byte("e")}
	s := tt.decrypt(t, ct, dc, rnd, 1, 2)
	for name, c := range map[string]struct {
		ct        *Ciphertext
		shares    []*DecryptionShare
		threshold int
	}{
		"duplicate":   {ct, []*DecryptionShare{s[0], s[0], s[1]}, 2},
		"nil share":   {ct, []*DecryptionShare{s[0], nil}, 2},
		"index 0":     {ct, []*DecryptionShare{s[0], {Index: 0, D: s[1].D, Proof: s[1].Proof}}, 2},
		"threshold 0": {ct, s, 0},
		"nil ct":      {nil, s, 2},
	} {
		if _, err := Combine(c.ct, c.shares, c.threshold); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: got %v, want ErrInvalidInput", name, err)
		}
	}
}

func TestWrongSharesRejected(t *testing.T) {
	rnd := seeded("wrong shares")
	tt := newTestTrustees(t, rnd, 3, 5)
	ct, _, _ := Encrypt(tt.joint, 5, rnd)
	other, _, _ := Encrypt(tt.joint, 5, rnd)
	dc := DecryptionContext{Election: []byte("election A"), Position: 3}
	s := tt.decrypt(t, ct, dc, rnd, 2)[0]
	vk := tt.vks[1]

	cases := []struct {
		name  string
		share *DecryptionShare
		vk    *PublicKey
		ct    *Ciphertext
		dc    DecryptionContext
	}{
		{"D + G", &DecryptionShare{Index: 2, D: newElement().Add(s.D, generator()), Proof: s.Proof}, vk, ct, dc},
		{"D of another trustee", &DecryptionShare{Index: 2, D: newElement().Mul(ct.A, tt.shares[2].x), Proof: s.Proof}, vk, ct, dc},
		{"D = identity", &DecryptionShare{Index: 2, D: grp().Identity(), Proof: s.Proof}, vk, ct, dc},
		{"another aggregate", s, vk, other, dc},
		{"another position", s, vk, ct, DecryptionContext{Election: dc.Election, Position: 4}},
		{"another election", s, vk, ct, DecryptionContext{Election: []byte("election B"), Position: 3}},
		{"claims another index", &DecryptionShare{Index: 3, D: s.D, Proof: s.Proof}, vk, ct, dc},
		{"another index and its key", &DecryptionShare{Index: 3, D: s.D, Proof: s.Proof}, tt.vks[2], ct, dc},
		{"another trustee's key", s, tt.vks[2], ct, dc},
		{"z + 1", &DecryptionShare{Index: 2, D: s.D, Proof: &DLEQProof{R1: s.Proof.R1, R2: s.Proof.R2, Z: newScalar().Add(s.Proof.Z, scalarFromUint64(1))}}, vk, ct, dc},
		{"R1 and R2 swapped", &DecryptionShare{Index: 2, D: s.D, Proof: &DLEQProof{R1: s.Proof.R2, R2: s.Proof.R1, Z: s.Proof.Z}}, vk, ct, dc},
		{"no proof", &DecryptionShare{Index: 2, D: s.D}, vk, ct, dc},
		{"index 0", &DecryptionShare{Index: 0, D: s.D, Proof: s.Proof}, vk, ct, dc},
	}
	for _, c := range cases {
		err := c.share.Verify(c.vk, c.ct, c.dc)
		if !errors.Is(err, ErrInvalidProof) {
			t.Errorf("%s: got %v, want ErrInvalidProof", c.name, err)
		}
	}
	if err := s.Verify(vk, ct, dc); err != nil {
		t.Fatalf("honest share: %v", err)
	}
	var ve *VerifyError
	err := cases[0].share.Verify(vk, ct, dc)
	if !errors.As(err, &ve) || ve.Item != "decryption share of trustee 2 at position 3" {
		t.Fatalf("error does not name the share: %v", err)
	}
	long := DecryptionContext{Election: make([]byte, maxContext+1)}
	if err := s.Verify(vk, ct, long); !errors.Is(err, ErrLimit) {
		t.Fatalf("oversized election context: got %v", err)
	}
	if _, err := PartialDecrypt(tt.shares[1], 2, ct, long, rnd); !errors.Is(err, ErrLimit) {
		t.Fatalf("oversized election context: got %v", err)
	}
	if _, err := PartialDecrypt(tt.shares[1], 0, ct, dc, rnd); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("trustee index 0: got %v", err)
	}
	if _, err := PartialDecrypt(&PrivateKey{}, 2, ct, dc, rnd); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("zero-value key: got %v", err)
	}
}

func TestAbsentAndLyingTrustee(t *testing.T) {
	rnd := seeded("absent and lying")
	tt := newTestTrustees(t, rnd, 3, 5)
	ct, _, _ := Encrypt(tt.joint, 17, rnd)
	dc := DecryptionContext{Election: []byte("election"), Position: 0}

	// Trustee 2 is absent. Trustee 1 lies: it adds G to its share and keeps
	// the proof; trustees 3, 4 and 5 are honest.
	posted := tt.decrypt(t, ct, dc, rnd, 1, 3, 4, 5)
	posted[0].D = newElement().Add(posted[0].D, generator())

	// Combining unverified shares would take trustees 1, 3, 4 and be wrong.
	M, err := Combine(ct, posted, 3)
	if err != nil {
		t.Fatal(err)
	}
	if M.IsEqual(mulGen(17)) {
		t.Fatal("the lie went unnoticed by the arithmetic")
	}

	var valid []*DecryptionShare
	for _, s := range posted {
		err := s.Verify(tt.vks[s.Index-1], ct, dc)
		switch {
		case s.Index == 1 && !errors.Is(err, ErrInvalidProof):
			t.Fatalf("the liar's share: got %v, want ErrInvalidProof", err)
		case s.Index != 1 && err != nil:
			t.Fatalf("honest trustee %d: %v", s.Index, err)
		case err == nil:
			valid = append(valid, s)
		}
	}
	M, err = Combine(ct, valid, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !M.IsEqual(mulGen(17)) {
		t.Fatal("trustees 3, 4, 5 do not decrypt")
	}
	// With a second trustee absent, the honest ones are too few.
	if _, err := Combine(ct, valid[:2], 3); !errors.Is(err, ErrTooFewShares) {
		t.Fatalf("two honest shares: got %v", err)
	}
}

func TestIdentityAggregate(t *testing.T) {
	rnd := seeded("identity aggregate")
	tt := newTestTrustees(t, rnd, 2, 3)
	dc := DecryptionContext{Election: []byte("e"), Position: 1}
	zero := ZeroCiphertext()
	shares := tt.decrypt(t, zero, dc, rnd, 1, 3)
	for _, s := range shares {
		if !s.D.IsIdentity() || !s.Proof.R2.IsIdentity() {
			t.Fatal("share of the zero aggregate is not the identity")
		}
	}
	M, err := Combine(zero, shares, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !M.IsIdentity() {
		t.Fatal("zero aggregate does not decrypt to 0")
	}

	// A = identity with B = 5G decrypts to 5 (the randomness cancelled).
	cancelled := &Ciphertext{A: grp().Identity(), B: mulGen(5)}
	if err := shares[0].Verify(tt.vks[0], cancelled, dc); err != nil {
		t.Fatal(err)
	}
	if M, err := Combine(cancelled, shares, 2); err != nil || !M.IsEqual(mulGen(5)) {
		t.Fatalf("cancelled aggregate: %v", err)
	}

	// D must be the identity when A is, whatever the proof.
	bad := &DecryptionShare{Index: 1, D: generator(), Proof: shares[0].Proof}
	if err := bad.Verify(tt.vks[0], zero, dc); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("D = G for A = identity: got %v", err)
	}
	// The proof still binds the trustee and the context.
	if err := shares[0].Verify(tt.vks[1], zero, dc); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("identity share under another key: got %v", err)
	}
	if err := shares[0].Verify(tt.vks[0], zero, DecryptionContext{Election: []byte("e"), Position: 2}); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("identity share at another position: got %v", err)
	}
	// And an identity share does not pass for a real aggregate.
	ct, _, _ := Encrypt(tt.joint, 1, rnd)
	if err := shares[0].Verify(tt.vks[0], ct, dc); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("identity share of a real aggregate: got %v", err)
	}
}

func TestHomomorphicTotals(t *testing.T) {
	rnd := seeded("totals")
	tt := newTestTrustees(t, rnd, 3, 4)
	const options, voters = 3, 60
	aggs := []*Ciphertext{ZeroCiphertext(), ZeroCiphertext(), ZeroCiphertext(), ZeroCiphertext()}
	var want [options + 1]uint64
	var first [options]*Ciphertext
	for v := range voters {
		for o := range options {
			m := uint64((v*7+o*3)%5) % 2 // a 0/1 pattern
			ct, _, err := Encrypt(tt.joint, m, rnd)
			if err != nil {
				t.Fatal(err)
			}
			if v == 0 {
				first[o] = ct
			}
			aggs[o].Add(aggs[o], ct)
			want[o] += m
		}
	}
	// Voter 0 revotes: their first ballot is replaced.
	for o := range options {
		m0 := uint64((o*3)%5) % 2
		aggs[o].Sub(aggs[o], first[o])
		ct, _, _ := Encrypt(tt.joint, 1, rnd)
		aggs[o].Add(aggs[o], ct)
		want[o] += 1 - m0
	}
	// The last aggregate has no ballot at all.
	election := []byte("totals election")
	var batches [][]*DecryptionShare
	for _, j := range []uint32{4, 2, 1} {
		b, err := PartialDecryptAll(tt.shares[j-1], j, aggs, election, rnd)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyDecryptionShares(tt.vks[j-1], j, aggs, b, election); err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	Ms, err := CombineAll(aggs, batches, 3)
	if err != nil {
		t.Fatal(err)
	}
	table, err := NewDlogTable(voters)
	if err != nil {
		t.Fatal(err)
	}
	for i, M := range Ms {
		m, err := table.Lookup(M)
		if err != nil {
			t.Fatalf("aggregate %d: %v", i, err)
		}
		if m != want[i] {
			t.Fatalf("aggregate %d: total %d, want %d", i, m, want[i])
		}
		// CombineAll agrees with Combine on each aggregate.
		single, err := Combine(aggs[i], []*DecryptionShare{batches[0][i], batches[1][i], batches[2][i]}, 3)
		if err != nil || !single.IsEqual(M) {
			t.Fatalf("aggregate %d: Combine and CombineAll disagree (%v)", i, err)
		}
	}
	if _, err := CombineAll(aggs, batches[:2], 3); !errors.Is(err, ErrTooFewShares) {
		t.Fatalf("two batches: got %v", err)
	}
	mixed := append([]*DecryptionShare(nil), batches[0]...)
	mixed[2] = batches[1][2]
	if _, err := CombineAll(aggs, [][]*DecryptionShare{mixed, batches[1], batches[2]}, 3); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("mixed batch: got %v", err)
	}
}

func TestVerifyDecryptionSharesNamesPosition(t *testing.T) {
	rnd := seeded("batch verify")
	tt := newTestTrustees(t, rnd, 2, 3)
	var cts []*Ciphertext
	for m := range uint64(4) {
		ct, _, _ := Encrypt(tt.joint, m, rnd)
		cts = append(cts, ct)
	}
	election := []byte("batch")
	b, err := PartialDecryptAll(tt.shares[1], 2, cts, election, rnd)
	if err != nil {
		t.Fatal(err)
	}
	// Swapping two shares moves each to another position.
	swapped := append([]*DecryptionShare(nil), b...)
	swapped[1], swapped[2] = swapped[2], swapped[1]
	var be *BatchError
	err = VerifyDecryptionShares(tt.vks[1], 2, cts, swapped, election)
	if !errors.As(err, &be) || be.Index != 1 || !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("swapped shares: got %v", err)
	}
	// The batch of another trustee.
	if err := VerifyDecryptionShares(tt.vks[1], 3, cts, b, election); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("batch claimed for trustee 3: got %v", err)
	}
	if err := VerifyDecryptionShares(tt.vks[1], 2, cts, b[:3], election); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("short batch: got %v", err)
	}
}

func TestDecryptionShareEncoding(t *testing.T) {
	rnd := seeded("share encoding")
	tt := newTestTrustees(t, rnd, 2, 3)
	ct, _, _ := Encrypt(tt.joint, 3, rnd)
	dc := DecryptionContext{Election: []byte("e")}
	s := tt.decrypt(t, ct, dc, rnd, 3)[0]
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 158 {
		t.Fatalf("share of %d bytes", len(b))
	}
	var s2 DecryptionShare
	if err := s2.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if err := s2.Verify(tt.vks[2], ct, dc); err != nil {
		t.Fatal(err)
	}
	if b2, _ := s2.MarshalBinary(); !bytes.Equal(b, b2) {
		t.Fatal("re-encoding differs")
	}

	zeroShare := tt.decrypt(t, ZeroCiphertext(), dc, rnd, 1)[0]
	zb, _ := zeroShare.MarshalBinary()
	if err := s2.UnmarshalBinary(zb); err != nil || !s2.D.IsIdentity() {
		t.Fatalf("identity share: %v", err)
	}

	tagLen := 1 + len(TagDecryptionShare)
	mutate := func(f func(c []byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	bigScalar, _ := hex.DecodeString("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010") // ℓ
	for name, c := range map[string]struct {
		in   []byte
		want error
	}{
		"trailing byte": {append(append([]byte(nil), b...), 0), ErrTrailingBytes},
		"truncated":     {b[:len(b)-1], ErrMalformed},
		"empty":         {nil, ErrMalformed},
		"wrong tag":     {mutate(func(c []byte) []byte { c[tagLen-1] ^= 1; return c }), ErrWrongTag},
		"index 0":       {mutate(func(c []byte) []byte { copy(c[tagLen:], []byte{0, 0, 0, 0}); return c }), ErrMalformed},
		"D not canonical": {mutate(func(c []byte) []byte {
			copy(c[tagLen+4:], bytes.Repeat([]byte{0xff}, 32))
			return c
		}), ErrNonCanonical},
		"z = ℓ":          {mutate(func(c []byte) []byte { copy(c[len(c)-32:], bigScalar); return c }), ErrNonCanonical},
		"ciphertext tag": {func() []byte { cb, _ := ct.MarshalBinary(); return cb }(), ErrWrongTag},
	} {
		var out DecryptionShare
		if err := out.UnmarshalBinary(c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
	for name, bad := range map[string]*DecryptionShare{
		"nil":      nil,
		"no proof": {Index: 1, D: s.D},
		"index 0":  {Index: 0, D: s.D, Proof: s.Proof},
	} {
		if _, err := bad.MarshalBinary(); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("marshal %s: got %v", name, err)
		}
	}
}

func TestProofContextBytes(t *testing.T) {
	dc := DecryptionContext{Election: []byte{0xaa, 0xbb}, Position: 0x01020304}
	got, err := dc.proofContext(5)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte{byte(len(TagDecryptionShare))}, TagDecryptionShare...)
	want = append(want, 0, 0, 0, 2, 0xaa, 0xbb, 0, 0, 0, 5, 1, 2, 3, 4)
	if !bytes.Equal(got, want) {
		t.Fatalf("context bytes\n got %x\nwant %x", got, want)
	}
}

// torsion4 returns the point (√-1, 0) of order 4 on edwards25519.
func torsion4(tb testing.TB) *edwards25519.Point {
	var x, y, z, zero field.Element
	var p edwards25519.Point
	sqrtM1, _ := x.SqrtRatio(new(field.Element).Negate(new(field.Element).One()), new(field.Element).One())
	z.One()
	if _, err := p.SetExtendedCoordinates(sqrtM1, y.Zero(), &z, &zero); err != nil {
		tb.Fatal(err)
	}
	return &p
}

func TestVtEncodeMatchesRFC(t *testing.T) {
	g := edwards25519.NewGeneratorPoint()
	acc := edwards25519.NewIdentityPoint()
	t4 := torsion4(t)
	for i, h := range rfcMultiples {
		want, _ := hex.DecodeString(h)
		if got := vtEncode(nil, acc); !bytes.Equal(got, want) {
			t.Fatalf("multiple %d: got %x", i, got)
		}
		// Every representative of the element encodes the same.
		rep := new(edwards25519.Point).Set(acc)
		for k := range 4 {
			if got := vtEncode(nil, rep); !bytes.Equal(got, want) {
				t.Fatalf("multiple %d plus %d·T4: got %x", i, k, got)
			}
			rep.Add(rep, t4)
		}
		var p edwards25519.Point
		if err := vtDecode(&p, want); err != nil {
			t.Fatal(err)
		}
		if got := vtEncode(nil, &p); !bytes.Equal(got, want) {
			t.Fatalf("multiple %d decoded and re-encoded: got %x", i, got)
		}
		acc.Add(acc, g)
	}
}

func TestVtEncodeMatchesCircl(t *testing.T) {
	rnd := seeded("vtEncode")
	t4 := torsion4(t)
	for i := range 64 {
		s, _ := RandomScalar(rnd)
		want := pointBytes(newElement().MulGen(s))
		fs, _ := edwards25519.NewScalar().SetCanonicalBytes(scalarBytes(s))
		p := new(edwards25519.Point).ScalarBaseMult(fs)
		if i%2 == 1 {
			p.Add(p, t4)
		}
		if got := vtEncode(nil, p); !bytes.Equal(got, want) {
			t.Fatalf("point %d: vtEncode %x, circl %x", i, got, want)
		}
		e, err := toEdwards(newElement().MulGen(s))
		if err != nil {
			t.Fatal(err)
		}
		if !fromEdwards(e).IsEqual(newElement().MulGen(s)) {
			t.Fatalf("point %d: round trip through edwards25519", i)
		}
	}
}
