package tally

import (
	"fmt"
	"io"

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
	Commit [][2]group.Element // (A_j, B_j)
	C      []group.Scalar     // c_0..c_{n-2}
	Z      []group.Scalar     // z_0..z_{n-1}
}

// proveMembership proves that ct = (rG, rH + mG) with m = values[k]. It is
// constant time in k: every branch is computed with the same formula
//
//	A_j = (s_j − c_j·r)·G,   B_j = (s_j − c_j·r)·H + c_j·(v_j − m)·G
//
// where the real branch has c_j = 0 (so A_j = s_j·G, B_j = s_j·H) and the
// others are simulated with random c_j; the choice is made with
// constant-time selects only. The hash input is built by hashInput from the
// encoded statement and commitments, the same bytes the verifier hashes.
func proveMembership(pk *PublicKey, r, m group.Scalar, k int, values []uint64,
	hashInput func(commitments []byte) *transcript, rnd io.Reader) (*membershipProof, error) {
	n := len(values)
	if n == 0 || n > maxBranches || k < 0 || k >= n {
		return nil, fmt.Errorf("%w: membership proof over %d values", ErrInvalidInput, n)
	}
	zero := newScalar()
	c := make([]group.Scalar, n)
	s := make([]group.Scalar, n)
	commitments := make([]byte, 0, 2*PointSize*n)
	proof := &membershipProof{Commit: make([][2]group.Element, n)}
	for j := 0; j < n; j++ {
		var err error
		if s[j], err = RandomScalar(rnd); err != nil {
			return nil, err
		}
		e, err := RandomScalar(rnd)
		if err != nil {
			return nil, err
		}
		isReal := ctEq(uint64(j), uint64(k))
		c[j] = newScalar().CSelect(isReal, zero, e)

		alpha := newScalar().Mul(c[j], r)
		alpha.Sub(s[j], alpha)
		beta := newScalar().Sub(scalarFromUint64(values[j]), m)
		beta.Mul(beta, c[j])

		A := newElement().MulGen(alpha)
		B := newElement().Mul(pk.e, alpha)
		B.Add(B, newElement().MulGen(beta))
		proof.Commit[j] = [2]group.Element{A, B}
		commitments = appendPoint(appendPoint(commitments, A), B)
	}
	ch := hashInput(commitments).challenge()

	// The real branch takes what is left of the challenge.
	rest := ch.Copy()
	for j := 0; j < n; j++ {
		rest.Sub(rest, c[j])
	}
	restR := newScalar().Mul(rest, r)
	proof.Z = make([]group.Scalar, n)
	for j := 0; j < n; j++ {
		isReal := ctEq(uint64(j), uint64(k))
		c[j].CSelect(isReal, rest, c[j])
		add := newScalar().CSelect(isReal, restR, zero)
		proof.Z[j] = newScalar().Add(s[j], add)
	}
	proof.C = c[:n-1]
	return proof, nil
}

func (p *membershipProof) encode(e *encoder) {
	for _, ab := range p.Commit {
		e.point(ab[0])
		e.point(ab[1])
	}
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
