package tally

import (
	"fmt"
	"io"

	"filippo.io/edwards25519"
	"github.com/cloudflare/circl/group"
)

// Transcript tags of the ballot proofs.
const (
	// TagOptionProof: the plaintext of one option's ciphertext lies in the
	// allowed set {0..k} of its contest.
	TagOptionProof = "evote/v1/proof/option"
	// TagSelectionsProof: the sum of a contest's plaintexts lies in
	// {min..max}.
	TagSelectionsProof = "evote/v1/proof/selections"
)

// maxBranches bounds the size of the allowed set of one membership proof,
// and so the work a single proof can ask of a verifier.
const maxBranches = 256

// membershipProof is a disjunctive Chaum-Pedersen proof (Cramer, Damgård,
// Schoenmakers 1994) that a ciphertext (a, b) = (rG, rH + mG) encrypts one
// of the public values v_0..v_{n-1}, in commitment form:
//
//	for each branch j:  z_j·G == A_j + c_j·a
//	                    z_j·H == B_j + c_j·(b − v_j·G)
//	and  Σ_j c_j == c,  c the Fiat-Shamir challenge over the statement and all A_j, B_j.
//
// Only c_0..c_{n-2} are sent; c_{n-1} = c − Σ_{j<n-1} c_j.
type membershipProof struct {
	Commit []byte         // A_0 ‖ B_0 ‖ … ‖ A_{n-1} ‖ B_{n-1}, encoded
	C      []group.Scalar // c_0..c_{n-2}
	Z      []group.Scalar // z_0..z_{n-1}
}

// proveMembership proves that ct = (rG, rH + mG) with m = values[k] (see
// membershipProver). The hash input is built by hashInput from the encoded
// statement and commitments, the same bytes the verifier hashes.
func proveMembership(pk *PublicKey, r, m group.Scalar, k int, values []uint64,
	hashInput func(commitments []byte) *transcript, rnd io.Reader) (*membershipProof, error) {
	pr, err := commitMembership(pk.table(), edScalar(r), edScalar(m), k, values, rnd)
	if err != nil {
		return nil, err
	}
	commitments := make([]byte, len(pr.half)*PointSize)
	encodeDoubled(pr.half, commitments)
	return pr.finish(hashInput(commitments).challengeBytes(), commitments), nil
}

// membershipProver is a membership proof between its two moves: the
// commitments are computed (as halves, to be encoded in a batch with
// encodeDoubled) and the challenge is not yet known. It is constant time in
// k: every branch is computed with the same formula
//
//	A_j = (s_j − c_j·r)·G,   B_j = (s_j − c_j·r)·H + c_j·(v_j − m)·G
//
// where the real branch has c_j = 0 (so A_j = s_j·G, B_j = s_j·H) and the
// others are simulated with random c_j; the real branch is chosen by
// multiplying by a 0/1 scalar, never by a branch or an index. Every product
// has a fixed base (G or the key's table; fixedbase.go).
type membershipProver struct {
	k    int
	r    *edwards25519.Scalar
	c, s []edwards25519.Scalar
	half []*edwards25519.Point // A_0/2, B_0/2, A_1/2, …
}

// commitMembership reads the branches' randomness from rnd (s_j then e_j
// for each branch, as the test vectors expect) and computes the halves of
// the commitments.
func commitMembership(tbl *keyTable, r, m *edwards25519.Scalar, k int, values []uint64, rnd io.Reader) (*membershipProver, error) {
	n := len(values)
	if n == 0 || n > maxBranches || k < 0 || k >= n {
		return nil, fmt.Errorf("%w: membership proof over %d values", ErrInvalidInput, n)
	}
	half := tbl.half
	pr := &membershipProver{k: k, r: r, c: make([]edwards25519.Scalar, n), s: make([]edwards25519.Scalar, n),
		half: make([]*edwards25519.Point, 0, 2*n)}
	betas := make([]edwards25519.Scalar, n)
	var alpha edwards25519.Scalar
	for j := 0; j < n; j++ {
		if err := randomEdScalar(&pr.s[j], rnd); err != nil {
			return nil, err
		}
		var e edwards25519.Scalar
		if err := randomEdScalar(&e, rnd); err != nil {
			return nil, err
		}
		pr.c[j].Multiply(&e, scalarBit(1-ctEq(uint64(j), uint64(k))))

		alpha.Multiply(&pr.c[j], r)
		alpha.Subtract(&pr.s[j], &alpha)
		alpha.Multiply(&alpha, half)
		A := new(edwards25519.Point).ScalarBaseMult(&alpha)
		B := tbl.mul(alpha.Bytes())
		pr.half = append(pr.half, A, B)

		betas[j].Subtract(edScalarUint64(values[j]), m)
		betas[j].Multiply(&betas[j], &pr.c[j])
		betas[j].Multiply(&betas[j], half)
	}
	// β_k = 0 (c_k = 0): only the n−1 other products by G are computed, on
	// the list with entry k removed, which is gathered and scattered back
	// with constant-time selects.
	for j, p := range compactBaseMults(betas, k) {
		pr.half[2*j+1].Add(pr.half[2*j+1], p)
	}
	return pr, nil
}

// compactBaseMults returns β_j·G for j = 0..n−1, given β_k = 0, with n−1
// multiplications, constant time in k.
func compactBaseMults(betas []edwards25519.Scalar, k int) []*edwards25519.Point {
	n := len(betas)
	prods := make([]*edwards25519.Point, n-1)
	var d, s edwards25519.Scalar
	for i := 0; i < n-1; i++ {
		// s = i < k ? β_i : β_{i+1}
		d.Subtract(&betas[i+1], &betas[i])
		d.Multiply(&d, scalarBit(ctGe(uint64(i), uint64(k))))
		s.Add(&betas[i], &d)
		prods[i] = new(edwards25519.Point).ScalarBaseMult(&s)
	}
	out := make([]*edwards25519.Point, n)
	id := edwards25519.NewIdentityPoint()
	for j := 0; j < n; j++ {
		// out_j = j < k ? prods[j] : j == k ? 0 : prods[j−1]
		below, above := id, id
		if j < n-1 {
			below = prods[j]
		}
		if j > 0 {
			above = prods[j-1]
		}
		isBelow := 1 - ctGe(uint64(j), uint64(k))
		isAbove := ctGe(uint64(j), uint64(k+1))
		out[j] = selectPoint([]*edwards25519.Point{id, below, above}, uint64(isBelow+2*isAbove))
	}
	return out
}

// finish completes the proof for the challenge ch (canonical bytes) over
// the encoded commitments: the real branch takes what is left of the
// challenge.
func (pr *membershipProver) finish(ch [32]byte, commitments []byte) *membershipProof {
	n := len(pr.c)
	rest, err := edwards25519.NewScalar().SetCanonicalBytes(ch[:])
	if err != nil {
		panic(err)
	}
	for j := 0; j < n; j++ {
		rest.Subtract(rest, &pr.c[j])
	}
	restR := edwards25519.NewScalar().Multiply(rest, pr.r)
	proof := &membershipProof{Commit: commitments, C: make([]group.Scalar, n-1), Z: make([]group.Scalar, n)}
	var d, z edwards25519.Scalar
	for j := 0; j < n; j++ {
		bit := scalarBit(ctEq(uint64(j), uint64(pr.k)))
		// c_j += bit·(rest − c_j);  z_j = s_j + bit·rest·r
		d.Subtract(rest, &pr.c[j])
		d.Multiply(&d, bit)
		pr.c[j].Add(&pr.c[j], &d)
		z.Multiply(restR, bit)
		z.Add(&z, &pr.s[j])
		if j < n-1 {
			proof.C[j] = circlScalar(&pr.c[j])
		}
		proof.Z[j] = circlScalar(&z)
	}
	return proof
}

func (p *membershipProof) encode(e *encoder) {
	e.B = append(e.B, p.Commit...)
	for _, c := range p.C {
		e.scalar(c)
	}
	for _, z := range p.Z {
		e.scalar(z)
	}
}

// membershipProofSize is the encoded size of a proof over n values.
func membershipProofSize(n int) int { return 2*PointSize*n + ScalarSize*(n-1) + ScalarSize*n }

// encodeValues is the statement's allowed set: u16 count, then u64 each.
func encodeValues(values []uint64) []byte {
	e := encoderOn(make([]byte, 0, 2+8*len(values)))
	e.U16(uint16(len(values)))
	for _, v := range values {
		e.U64(v)
	}
	return e.B
}

// valueRange returns lo, lo+1, ..., hi.
func valueRange(lo, hi uint64) []uint64 {
	vs := make([]uint64, 0, hi-lo+1)
	for v := lo; ; v++ {
		vs = append(vs, v)
		if v == hi {
			return vs
		}
	}
}
