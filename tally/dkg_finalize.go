package tally

import (
	"fmt"

	"github.com/cloudflare/circl/group"
)

// DKGResult is what the key generation establishes, derived by Finalize from
// the public messages alone.
type DKGResult struct {
	// Qualified lists the dealers in QUAL, ascending.
	Qualified []uint32
	// Excluded says, for each other dealer in ascending order, why it was
	// left out.
	Excluded []*DealerExcludedError
	// PublicKey is the joint key H = Σ_{i∈QUAL} C_{i,0}.
	PublicKey *PublicKey
	// VerificationKeys[j-1] is X_j = Σ_{i∈QUAL} Σ_k j^k C_{i,k} = x_j G, the
	// key that checks trustee j's partial decryptions.
	VerificationKeys []*PublicKey
	// Revealed holds the valid responses of qualified dealers, ascending by
	// (dealer, complainer): the complainer uses the revealed share.
	Revealed []*DKGResponse
}

// VerificationKey returns X_j.
func (r *DKGResult) VerificationKey(j uint32) (*PublicKey, error) {
	if j < 1 || int(j) > len(r.VerificationKeys) {
		return nil, fmt.Errorf("%w: trustee %d", ErrDKGUnknownTrustee, j)
	}
	return r.VerificationKeys[j-1], nil
}

// Finalize derives the result of the ceremony from its messages. It is a
// deterministic function of the sets of messages: their order in the slices
// does not matter.
//
// It fails, before looking at any proof, when a message names an index
// outside 1..N (ErrDKGUnknownTrustee), repeats another (ErrDKGDuplicate),
// is nil or a complaint about oneself (ErrMalformed), or is a response to no
// complaint (ErrDKGUnsolicited): the chain must never admit such messages.
//
// Then, for each dealer i in ascending order, i is excluded when it has no
// deal (ErrDKGNoDeal), its deal does not verify (DKGDeal.Verify), T or more
// trustees complained about it (ErrDKGTooManyComplaints), or, taking the
// complaints in ascending order of complainer, one has no response
// (ErrDKGUnanswered) or a response whose share does not match the
// commitments (ErrDKGBadShare). The other dealers form QUAL. Responses of
// excluded dealers are ignored.
//
// Finalize fails with a *QualificationError when |QUAL| < T.
func Finalize(params *DKGParams, deals []*DKGDeal, complaints []*DKGComplaint, responses []*DKGResponse) (*DKGResult, error) {
	if err := params.Validate(); err != nil {
		return nil, err
	}
	n := int(params.N)
	byDealer, err := dkgIndexDeals(params, deals)
	if err != nil {
		return nil, err
	}
	// complained[i][j]: trustee j complained about dealer i.
	// answer[i][j]: dealer i's response to that complaint.
	complained := make([][]bool, n+1)
	answer := make([][]*DKGResponse, n+1)
	for i := 1; i <= n; i++ {
		complained[i] = make([]bool, n+1)
		answer[i] = make([]*DKGResponse, n+1)
	}
	for _, c := range complaints {
		if err := c.verify(params); err != nil {
			return nil, err
		}
		if complained[c.Dealer][c.Complainer] {
			return nil, fmt.Errorf("%w: two complaints by trustee %d against dealer %d", ErrDKGDuplicate, c.Complainer, c.Dealer)
		}
		complained[c.Dealer][c.Complainer] = true
	}
	for _, r := range responses {
		if err := r.checkStructure(params); err != nil {
			return nil, err
		}
		if !complained[r.Dealer][r.Complainer] {
			return nil, fmt.Errorf("%w: dealer %d answers trustee %d", ErrDKGUnsolicited, r.Dealer, r.Complainer)
		}
		if answer[r.Dealer][r.Complainer] != nil {
			return nil, fmt.Errorf("%w: two responses of dealer %d to trustee %d", ErrDKGDuplicate, r.Dealer, r.Complainer)
		}
		answer[r.Dealer][r.Complainer] = r
	}

	res := &DKGResult{}
	for i := uint32(1); i <= params.N; i++ {
		revealed, excl := dkgQualify(params, i, byDealer[i], complained[i], answer[i])
		if excl != nil {
			res.Excluded = append(res.Excluded, excl)
			continue
		}
		res.Qualified = append(res.Qualified, i)
		res.Revealed = append(res.Revealed, revealed...)
	}
	if len(res.Qualified) < int(params.T) {
		return nil, &QualificationError{Threshold: params.T, Qualified: res.Qualified, Excluded: res.Excluded}
	}

	// A_k = Σ_{i∈QUAL} C_{i,k}; H = A_0; X_j = Σ_k j^k A_k.
	agg := make([]group.Element, params.T)
	for k := range agg {
		agg[k] = grp().Identity()
		for _, i := range res.Qualified {
			agg[k].Add(agg[k], byDealer[i].Commitments[k])
		}
	}
	if res.PublicKey, err = NewPublicKey(agg[0]); err != nil {
		return nil, fmt.Errorf("tally: dkg: joint key: %w", err)
	}
	res.VerificationKeys = make([]*PublicKey, n)
	for j := uint32(1); j <= params.N; j++ {
		if res.VerificationKeys[j-1], err = NewPublicKey(dkgEvalCommitments(agg, j)); err != nil {
			return nil, fmt.Errorf("tally: dkg: verification key of trustee %d: %w", j, err)
		}
	}
	return res, nil
}

// dkgQualify decides whether dealer i qualifies, given its deal (or nil),
// the complaints against it (by complainer) and its responses. It returns
// the valid responses, or why the dealer is excluded.
func dkgQualify(params *DKGParams, i uint32, deal *DKGDeal, complained []bool, answer []*DKGResponse) ([]*DKGResponse, *DealerExcludedError) {
	if deal == nil {
		return nil, &DealerExcludedError{Dealer: i, Err: ErrDKGNoDeal}
	}
	if err := deal.verify(params); err != nil {
		return nil, &DealerExcludedError{Dealer: i, Err: err}
	}
	count := 0
	for _, c := range complained {
		if c {
			count++
		}
	}
	if count >= int(params.T) {
		return nil, &DealerExcludedError{Dealer: i, Err: fmt.Errorf("%w: %d complaints, T = %d", ErrDKGTooManyComplaints, count, params.T)}
	}
	var revealed []*DKGResponse
	for j := uint32(1); j <= params.N; j++ {
		if !complained[j] {
			continue
		}
		r := answer[j]
		if r == nil {
			return nil, &DealerExcludedError{Dealer: i, Complainer: j, Err: ErrDKGUnanswered}
		}
		if err := r.verifyShare(deal); err != nil {
			return nil, &DealerExcludedError{Dealer: i, Complainer: j, Err: err}
		}
		revealed = append(revealed, r)
	}
	return revealed, nil
}

// SecretShare derives trustee self's secret share x_j = Σ_{i∈QUAL} f_i(j):
// f_j(j) from its own polynomial (own, needed when self is in QUAL), the
// revealed share where the trustee complained, and otherwise the share
// opened from the dealer's deal with the trustee's encryption key. deals are
// the deals given to Finalize. It checks x_j G == X_j.
func (r *DKGResult) SecretShare(params *DKGParams, self uint32, key *TrusteeEncryptionKey, own *DealerSecret, deals []*DKGDeal) (*PrivateKey, error) {
	if err := params.Validate(); err != nil {
		return nil, err
	}
	if err := dkgCheckOwnKey(params, self, key); err != nil {
		return nil, err
	}
	if len(r.VerificationKeys) != int(params.N) {
		return nil, fmt.Errorf("%w: dkg: result for %d trustees, N = %d", ErrInvalidInput, len(r.VerificationKeys), params.N)
	}
	byDealer, err := dkgIndexDeals(params, deals)
	if err != nil {
		return nil, err
	}
	x := newScalar()
	for _, i := range r.Qualified {
		share, err := r.shareFrom(params, i, self, key, own, byDealer)
		if err != nil {
			return nil, err
		}
		x.Add(x, share)
	}
	if !newElement().MulGen(x).IsEqual(r.VerificationKeys[self-1].e) {
		return nil, fmt.Errorf("%w: trustee %d: the shares do not add up to the verification key", ErrDKGBadShare, self)
	}
	return NewPrivateKey(x)
}

// shareFrom returns f_i(self).
func (r *DKGResult) shareFrom(params *DKGParams, i, self uint32, key *TrusteeEncryptionKey, own *DealerSecret, byDealer []*DKGDeal) (group.Scalar, error) {
	if i == self {
		if own == nil || own.dealer != self || len(own.coeffs) != int(params.T) {
			return nil, fmt.Errorf("%w: dkg: trustee %d is a qualified dealer and needs its own polynomial", ErrInvalidInput, self)
		}
		return own.Share(self), nil
	}
	for _, rv := range r.Revealed {
		if rv.Dealer == i && rv.Complainer == self {
			return rv.Share, nil
		}
	}
	if i < 1 || int(i) >= len(byDealer) || byDealer[i] == nil {
		return nil, fmt.Errorf("%w: no deal from dealer %d", ErrDKGMissingShare, i)
	}
	share, err := byDealer[i].openShare(params, self, key)
	if err != nil {
		return nil, fmt.Errorf("%w: dealer %d: %w", ErrDKGMissingShare, i, err)
	}
	return share, nil
}
