package tally

import (
	"fmt"
	"io"

	"filippo.io/edwards25519"
)

// rawProof and rawContest are an encoded contest sliced into its fields,
// with no element decoded yet.
type rawProof struct {
	n           int    // number of branches
	commitments []byte // A_0 || B_0 || ... (64n bytes)
	cs, zs      []byte // (n-1) and n scalars
}

type rawContest struct {
	ciphertexts [][]byte // A_i || B_i
	options     []rawProof
	selections  *rawProof
}

func parseContest(rules ContestRules, b []byte) (*rawContest, error) {
	d := newDecoder(b)
	d.Tag(TagContest)
	if n := int(d.U16("option count")); d.Err == nil && n != rules.Options {
		d.Fail(ErrMalformed, "%d options, the rules have %d", n, rules.Options)
	}
	rc := &rawContest{ciphertexts: make([][]byte, rules.Options), options: make([]rawProof, rules.Options)}
	nOpt := int(rules.MaxPerOption) + 1
	for i := 0; i < rules.Options && d.Err == nil; i++ {
		rc.ciphertexts[i] = d.Take(2*PointSize, fmt.Sprintf("option %d ciphertext", i))
		rc.options[i] = parseRawProof(d, nOpt, fmt.Sprintf("option %d proof", i))
	}
	if rules.HasSelectionsProof() {
		p := parseRawProof(d, int(rules.MaxSelections-rules.MinSelections+1), "selections proof")
		rc.selections = &p
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return rc, nil
}

func parseRawProof(d *decoder, n int, what string) rawProof {
	return rawProof{
		n:           n,
		commitments: d.Take(2*PointSize*n, what+" commitments"),
		cs:          d.Take(ScalarSize*(n-1), what+" challenges"),
		zs:          d.Take(ScalarSize*n, what+" responses"),
	}
}

// contestVerifier holds what every contest of one election shares.
type contestVerifier struct {
	key     *edwards25519.Point
	gen     *edwards25519.Point
	pkBytes []byte
	sums    *ciphertextSums // if set, the decoded ciphertexts are added up here
}

func newContestVerifier(pk *PublicKey) (*contestVerifier, error) {
	key, pkBytes, err := vtKey(pk)
	if err != nil {
		return nil, err
	}
	return &contestVerifier{key: key, gen: edwards25519.NewGeneratorPoint(), pkBytes: pkBytes}, nil
}

// addContest appends the weighted equations of one encoded contest to s: as
// one group, or (perProof) as one group per proof, so that a failure can be
// traced to the proof. On a parse or decoding error it appends a group that
// carries the error and no terms.
func (v *contestVerifier) addContest(s *eqSet, cc ContestContext, rules ContestRules, b []byte, perProof bool) {
	start := len(s.scalars)
	if err := v.contestEquations(s, cc, rules, b, perProof); err != nil {
		s.scalars, s.points = s.scalars[:start], s.points[:start]
		s.groups = append(s.groups, eqGroup{start: start, end: start, err: err})
	}
}

func (v *contestVerifier) contestEquations(s *eqSet, cc ContestContext, rules ContestRules, b []byte, perProof bool) error {
	if err := rules.Validate(); err != nil {
		return err
	}
	ctx, err := cc.bytes()
	if err != nil {
		return err
	}
	rc, err := parseContest(rules, b)
	if err != nil {
		return err
	}
	n := rules.Options
	optValues := rules.optionValues()
	optValuesEnc := encodeValues(optValues)
	coefA := make([]edwards25519.Scalar, n)
	coefB := make([]edwards25519.Scalar, n)
	var gNeg, hNeg edwards25519.Scalar
	groupStart := len(s.scalars)
	closeGroup := func() {
		var g eqGroup
		g.start, g.end = groupStart, len(s.scalars)
		g.g.Negate(&gNeg)
		g.h.Negate(&hNeg)
		s.groups = append(s.groups, g)
		groupStart = len(s.scalars)
		gNeg, hNeg = edwards25519.Scalar{}, edwards25519.Scalar{}
	}
	// addCiphertexts appends the terms of ciphertexts [lo, hi) with the
	// coefficients accumulated for them.
	addCiphertexts := func(lo, hi int, ca, cb []edwards25519.Scalar) error {
		for i := lo; i < hi; i++ {
			_, pa := s.term(&ca[i])
			if err := vtDecode(pa, rc.ciphertexts[i][:PointSize]); err != nil {
				return fmt.Errorf("option %d ciphertext A: %w", i, err)
			}
			if vtIsIdentity(pa) {
				return fmt.Errorf("option %d ciphertext A: %w", i, ErrIdentity)
			}
			_, pb := s.term(&cb[i])
			if err := vtDecode(pb, rc.ciphertexts[i][PointSize:]); err != nil {
				return fmt.Errorf("option %d ciphertext B: %w", i, err)
			}
			if v.sums != nil {
				v.sums.add(cc.Contest, i, pa, pb)
			}
		}
		return nil
	}

	for i := 0; i < n; i++ {
		ch := vtChallenge(optionTranscript(ctx, i, v.pkBytes, rc.ciphertexts[i], optValuesEnc, rc.options[i].commitments))
		if err := proofEquations(s, ch, optValues, rc.options[i], &coefA[i], &coefB[i], &gNeg, &hNeg); err != nil {
			return fmt.Errorf("option %d proof: %w", i, err)
		}
		if perProof {
			if err := addCiphertexts(i, i+1, coefA, coefB); err != nil {
				return err
			}
			closeGroup()
		}
	}
	if rc.selections != nil {
		selValues := rules.selectionValues()
		all := make([]byte, 0, 2*PointSize*n)
		for _, ab := range rc.ciphertexts {
			all = append(all, ab...)
		}
		ch := vtChallenge(selectionsTranscript(ctx, v.pkBytes, all, encodeValues(selValues), rc.selections.commitments))
		var sumA, sumB edwards25519.Scalar
		if err := proofEquations(s, ch, selValues, *rc.selections, &sumA, &sumB, &gNeg, &hNeg); err != nil {
			return fmt.Errorf("selections proof: %w", err)
		}
		// The selections proof is about the sum ciphertext Σ(A_i, B_i): its
		// coefficients apply to every option's ciphertext.
		if perProof {
			clear(coefA)
			clear(coefB)
		}
		for i := range coefA {
			coefA[i].Add(&coefA[i], &sumA)
			coefB[i].Add(&coefB[i], &sumB)
		}
		if perProof {
			if err := addCiphertexts(0, n, coefA, coefB); err != nil {
				return err
			}
			closeGroup()
		}
	}
	if !perProof {
		if err := addCiphertexts(0, n, coefA, coefB); err != nil {
			return err
		}
		closeGroup()
	}
	return nil
}

// proofEquations appends the weighted equations of one membership proof:
// for each branch j, with weights w1, w2,
//
//	w1·(A_j + c_j·a − z_j·G) = 0
//	w2·(B_j + c_j·b − c_j·v_j·G − z_j·H) = 0
//
// The terms of A_j and B_j are appended; the coefficients of the
// ciphertext (a, b), of G and of H are accumulated for the caller.
func proofEquations(s *eqSet, ch *edwards25519.Scalar, values []uint64, p rawProof,
	coefA, coefB, gNeg, hNeg *edwards25519.Scalar) error {
	last := new(edwards25519.Scalar).Set(ch)
	cs := make([]*edwards25519.Scalar, p.n)
	for j := 0; j < p.n-1; j++ {
		c, err := vtScalar(p.cs[ScalarSize*j : ScalarSize*(j+1)])
		if err != nil {
			return fmt.Errorf("challenge %d: %w", j, err)
		}
		cs[j] = c
		last.Subtract(last, c)
	}
	cs[p.n-1] = last
	var t edwards25519.Scalar
	for j := 0; j < p.n; j++ {
		z, err := vtScalar(p.zs[ScalarSize*j : ScalarSize*(j+1)])
		if err != nil {
			return fmt.Errorf("response %d: %w", j, err)
		}
		w1, w2 := s.weight(), s.weight()
		_, pA := s.term(w1)
		if err := vtDecode(pA, p.commitments[2*PointSize*j:2*PointSize*j+PointSize]); err != nil {
			return fmt.Errorf("commitment A %d: %w", j, err)
		}
		_, pB := s.term(w2)
		if err := vtDecode(pB, p.commitments[2*PointSize*j+PointSize:2*PointSize*(j+1)]); err != nil {
			return fmt.Errorf("commitment B %d: %w", j, err)
		}
		coefA.MultiplyAdd(w1, cs[j], coefA)
		coefB.MultiplyAdd(w2, cs[j], coefB)
		gNeg.MultiplyAdd(w1, z, gNeg)
		if values[j] != 0 {
			t.Multiply(w2, cs[j])
			gNeg.MultiplyAdd(&t, vtUint64(values[j]), gNeg)
		}
		hNeg.MultiplyAdd(w2, z, hNeg)
	}
	return nil
}

// VerifyContest checks an encoded contest against the election key, the
// context and the rules: every element canonical, no ciphertext A the
// identity, and every proof valid. The error names the failing option or
// the selections proof (as a *VerifyError wrapping ErrInvalidProof) or the
// field that does not decode.
func VerifyContest(pk *PublicKey, cc ContestContext, rules ContestRules, encoded []byte) error {
	v, err := newContestVerifier(pk)
	if err != nil {
		return err
	}
	return v.verifyOne(cc, rules, encoded, nil)
}

func (v *contestVerifier) verifyOne(cc ContestContext, rules ContestRules, encoded []byte, rnd io.Reader) error {
	s, err := newEqSet(rnd, 64)
	if err != nil {
		return err
	}
	v.addContest(s, cc, rules, encoded, false)
	if g := s.groups[0]; g.err != nil {
		return g.err
	}
	if s.holds(0, 1, v.gen, v.key) {
		return nil
	}
	// Trace the failure to a proof.
	if s, err = newEqSet(rnd, 64); err != nil {
		return err
	}
	v.addContest(s, cc, rules, encoded, true)
	bad := s.failing(0, len(s.groups), v.gen, v.key, nil)
	item := "contest"
	if len(bad) > 0 {
		if bad[0] < rules.Options {
			item = fmt.Sprintf("option %d", bad[0])
		} else {
			item = "selections"
		}
	}
	return &VerifyError{Item: item, Err: ErrInvalidProof}
}

// ContestItem is one encoded contest of a batch with its context and rules.
type ContestItem struct {
	Context ContestContext
	Rules   ContestRules
	Encoded []byte
}

// VerifyContestBatch verifies many contests under one election key with a
// single random linear combination of all their equations. On failure it
// returns a *BatchError naming the first failing item (and listing all
// failing items in Failing), found by bisection, with the reason the item
// alone fails. The weights are drawn from rnd (crypto/rand if nil).
func VerifyContestBatch(pk *PublicKey, items []ContestItem, rnd io.Reader) error {
	return verifyContestBatch(pk, items, rnd, nil)
}

func verifyContestBatch(pk *PublicKey, items []ContestItem, rnd io.Reader, sums *ciphertextSums) error {
	if len(items) == 0 {
		return nil
	}
	v, err := newContestVerifier(pk)
	if err != nil {
		return err
	}
	v.sums = sums
	terms := 0
	if r := items[0].Rules; r.Validate() == nil {
		terms = len(items) * (2*r.Options + r.EncodedSize()/(PointSize+ScalarSize))
	}
	s, err := newEqSet(rnd, terms)
	if err != nil {
		return err
	}
	clean := true
	for _, it := range items {
		v.addContest(s, it.Context, it.Rules, it.Encoded, false)
		clean = clean && s.groups[len(s.groups)-1].err == nil
	}
	if clean && s.holds(0, len(s.groups), v.gen, v.key) {
		return nil
	}
	bad := s.failing(0, len(s.groups), v.gen, v.key, nil)
	if len(bad) == 0 {
		// The whole batch failed and no part does: impossible unless the
		// weights collide, which happens with probability 2^-128.
		return &BatchError{Index: -1, Err: ErrInvalidProof}
	}
	first := bad[0]
	reason := s.groups[first].err
	if reason == nil {
		it := items[first]
		reason = v.verifyOne(it.Context, it.Rules, it.Encoded, rnd)
		if reason == nil {
			reason = ErrInvalidProof
		}
	}
	return &BatchError{Index: first, Err: reason, Failing: bad}
}
