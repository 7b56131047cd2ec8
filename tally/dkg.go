package tally

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"

	"github.com/cloudflare/circl/group"
)

// The trustees' threshold key generation: Pedersen's distributed key
// generation ("joint Feldman"), t-of-n, specified in docs/spec/dkg.md.
//
//	round 1, deal:      dealer i publishes Feldman commitments C_{i,k} = a_{i,k}G
//	                    to a random polynomial f_i of degree T-1, a Schnorr proof
//	                    of knowledge of a_{i,0}, and f_i(j) sealed with HPKE to
//	                    every other trustee j.
//	round 2, complaint: trustee j opens its shares and complains about every
//	                    dealer whose share does not decrypt or does not satisfy
//	                    f_i(j)G = Σ_k j^k C_{i,k}.
//	round 3, response:  an accused dealer reveals f_i(j) in the clear.
//	result:             Finalize derives the qualified set, the joint public key
//	                    and every trustee's verification key from the messages
//	                    alone; each trustee then derives its secret share.
//
// Every function here is a pure function of its arguments: the messages are
// carried and ordered by the ballot chain, which also signs them. The chain
// admits at most one deal per dealer, one complaint per (complainer, dealer)
// and one response per complaint; Finalize rejects inputs that break these
// rules instead of choosing among them.

// Message and domain-separation tags of the key generation.
const (
	TagDKGDeal                 = "evote/v1/dkg/deal"
	TagDKGComplaint            = "evote/v1/dkg/complaint"
	TagDKGResponse             = "evote/v1/dkg/response"
	TagDKGEncryptionKey        = "evote/v1/dkg/encryption-key"
	TagDKGEncryptionPrivateKey = "evote/v1/dkg/encryption-private-key"
	TagDKGDealerSecret         = "evote/v1/dkg/dealer-secret"
	// TagDKGProofContext starts the context of a dealer's proof of knowledge.
	TagDKGProofContext = "evote/v1/dkg/pok"
	// TagDKGShareInfo starts the HPKE info string of a sealed share.
	TagDKGShareInfo = "evote/v1/dkg/share"
)

// DKGMaxTrustees bounds the number of trustees, and so every index and the
// threshold. Trustees are numbered 1..N; trustee j's share is f(j).
const DKGMaxTrustees = 255

// Errors of the key generation. A dealer excluded from the qualified set is
// reported as a *DealerExcludedError wrapping one of them.
var (
	// ErrDKGUnknownTrustee: an index outside 1..N.
	ErrDKGUnknownTrustee = errors.New("tally: dkg: not a trustee of this ceremony")
	// ErrDKGDuplicate: a second deal from one dealer, a second complaint by
	// one trustee against one dealer, or a second response to one complaint.
	ErrDKGDuplicate = errors.New("tally: dkg: duplicate message")
	// ErrDKGCommitmentCount: a deal with a number of commitments other than T.
	ErrDKGCommitmentCount = errors.New("tally: dkg: wrong number of commitments")
	// ErrDKGShareSet: a deal whose sealed shares are not addressed to
	// exactly the other trustees, in ascending order.
	ErrDKGShareSet = errors.New("tally: dkg: shares not addressed to exactly the other trustees")
	// ErrDKGUndecryptable: a sealed share that does not open.
	ErrDKGUndecryptable = errors.New("tally: dkg: share does not decrypt")
	// ErrDKGBadShare: a share (opened or revealed) that does not match the
	// dealer's commitments.
	ErrDKGBadShare = errors.New("tally: dkg: share does not match the commitments")
	// ErrDKGNoDeal: a trustee that published no deal.
	ErrDKGNoDeal = errors.New("tally: dkg: no deal")
	// ErrDKGUnanswered: a complaint with no response from the accused dealer.
	ErrDKGUnanswered = errors.New("tally: dkg: complaint not answered")
	// ErrDKGTooManyComplaints: T or more trustees complained about a dealer.
	ErrDKGTooManyComplaints = errors.New("tally: dkg: complaints from a threshold of trustees")
	// ErrDKGUnsolicited: a response that answers no complaint.
	ErrDKGUnsolicited = errors.New("tally: dkg: response to no complaint")
	// ErrDKGNotEnoughQualified: fewer than T dealers qualified.
	ErrDKGNotEnoughQualified = errors.New("tally: dkg: fewer qualified dealers than the threshold")
	// ErrDKGMissingShare: a trustee holds no valid share from a qualified
	// dealer (it did not complain when it should have).
	ErrDKGMissingShare = errors.New("tally: dkg: no valid share from a qualified dealer")
)

// DealerExcludedError says why Finalize left a dealer out of the qualified
// set.
type DealerExcludedError struct {
	Dealer uint32
	// Complainer is the trustee whose complaint excluded the dealer, or 0
	// when the deal itself was missing or invalid.
	Complainer uint32
	// Err is the reason: ErrDKGNoDeal, a deal verification error (for
	// example ErrInvalidProof or ErrDKGCommitmentCount), ErrDKGUnanswered,
	// ErrDKGBadShare or ErrDKGTooManyComplaints.
	Err error
}

func (e *DealerExcludedError) Error() string {
	if e.Complainer != 0 {
		return fmt.Sprintf("tally: dkg: dealer %d excluded on the complaint of trustee %d: %v", e.Dealer, e.Complainer, e.Err)
	}
	return fmt.Sprintf("tally: dkg: dealer %d excluded: %v", e.Dealer, e.Err)
}

func (e *DealerExcludedError) Unwrap() error { return e.Err }

// QualificationError is returned by Finalize when fewer than T dealers
// qualify. It matches ErrDKGNotEnoughQualified and each exclusion with
// errors.Is and errors.As.
type QualificationError struct {
	Threshold uint32
	Qualified []uint32
	Excluded  []*DealerExcludedError
}

func (e *QualificationError) Error() string {
	msg := fmt.Sprintf("%v: %d qualified, threshold %d", ErrDKGNotEnoughQualified, len(e.Qualified), e.Threshold)
	for _, x := range e.Excluded {
		msg += "; " + x.Error()
	}
	return msg
}

func (e *QualificationError) Unwrap() []error {
	errs := []error{ErrDKGNotEnoughQualified}
	for _, x := range e.Excluded {
		errs = append(errs, x)
	}
	return errs
}

// TrusteeInfo is a trustee as fixed by the election before the ceremony.
type TrusteeInfo struct {
	// Index is the trustee's number, 1..N; its share is f(Index).
	Index uint32
	// EncryptionKey receives the trustee's sealed shares.
	EncryptionKey *TrusteeEncryptionPublicKey
}

// DKGParams are the public parameters of one key generation ceremony.
type DKGParams struct {
	// Context names the ceremony (the election id). It is bound into every
	// proof of knowledge and every sealed share; 1 to 4096 bytes.
	Context []byte
	// N is the number of trustees, T the threshold: any T trustees can
	// decrypt, and the polynomials have degree T-1. 1 <= T <= N <= 255.
	N, T uint32
	// Trustees lists trustees 1..N in order: Trustees[k].Index == k+1.
	Trustees []TrusteeInfo
}

// Validate checks the parameters: the bounds on N and T and the context,
// trustees numbered 1..N in order, and pairwise distinct encryption keys.
func (p *DKGParams) Validate() error {
	if p == nil {
		return fmt.Errorf("%w: dkg: no parameters", ErrInvalidInput)
	}
	if p.T < 1 || p.T > p.N || p.N > DKGMaxTrustees {
		return fmt.Errorf("%w: dkg: need 1 <= T <= N <= %d, have T = %d, N = %d", ErrInvalidInput, DKGMaxTrustees, p.T, p.N)
	}
	if len(p.Context) == 0 || len(p.Context) > maxContext {
		return fmt.Errorf("%w: dkg: context of %d bytes, want 1 to %d", ErrInvalidInput, len(p.Context), maxContext)
	}
	if len(p.Trustees) != int(p.N) {
		return fmt.Errorf("%w: dkg: %d trustees listed, N = %d", ErrInvalidInput, len(p.Trustees), p.N)
	}
	for k, tr := range p.Trustees {
		if tr.Index != uint32(k+1) {
			return fmt.Errorf("%w: dkg: trustee %d listed at position %d", ErrInvalidInput, tr.Index, k+1)
		}
		if tr.EncryptionKey == nil || tr.EncryptionKey.pk == nil {
			return fmt.Errorf("%w: dkg: trustee %d has no encryption key", ErrInvalidInput, tr.Index)
		}
		for _, prev := range p.Trustees[:k] {
			if prev.EncryptionKey.Equal(tr.EncryptionKey) {
				return fmt.Errorf("%w: dkg: trustees %d and %d share an encryption key", ErrInvalidInput, prev.Index, tr.Index)
			}
		}
	}
	return nil
}

// isTrustee reports whether i names a trustee of the ceremony.
func (p *DKGParams) isTrustee(i uint32) bool { return i >= 1 && i <= p.N }

// DKGDeal is a dealer's round-1 message.
type DKGDeal struct {
	Dealer uint32
	// Commitments are C_k = a_k G for the coefficients a_0..a_{T-1} of the
	// dealer's polynomial; C_0 is the dealer's contribution to the joint key.
	Commitments []group.Element
	// Proof proves knowledge of a_0 (see dkgProofContext).
	Proof *SchnorrProof
	// Shares holds f(j) sealed to each other trustee j, in ascending order
	// of j.
	Shares []DKGEncryptedShare
}

// DKGEncryptedShare is f(Recipient) sealed with HPKE to the recipient's
// encryption key.
type DKGEncryptedShare struct {
	Recipient uint32
	// Enc is the HPKE encapsulated key (an X25519 public key).
	Enc [dkgEncSize]byte
	// Ciphertext is the sealed 32-byte scalar and the 16-byte AEAD tag.
	Ciphertext [dkgSealedShareSize]byte
}

// DKGComplaint says that the share the dealer sealed to the complainer does
// not decrypt or does not match the dealer's commitments.
type DKGComplaint struct {
	Complainer uint32
	Dealer     uint32
}

// DKGResponse answers a complaint by revealing the complainer's share.
type DKGResponse struct {
	Dealer     uint32
	Complainer uint32
	Share      group.Scalar
}

// DealerSecret is a dealer's polynomial, kept on the dealer's machine from
// the deal until it has derived its secret share. It is not comparable and
// must never be published.
type DealerSecret struct {
	dealer uint32
	coeffs []group.Scalar // a_0..a_{T-1}; a_0 != 0
	_      [0]func()
}

// Dealer returns the index of the dealer that owns the polynomial.
func (s *DealerSecret) Dealer() uint32 { return s.dealer }

// Share returns f(j), the share of trustee j.
func (s *DealerSecret) Share(j uint32) group.Scalar { return dkgEvalPoly(s.coeffs, j) }

// NewDKGDeal draws the dealer's polynomial from rnd and builds its deal. It
// reads, in order: a_0 (64 bytes, repeated while the result is zero),
// a_1..a_{T-1} (64 bytes each), the proof nonce (64 bytes, likewise), then
// for each recipient in ascending order the 32-byte HPKE encapsulation seed.
// The returned DealerSecret is needed to answer complaints and to derive the
// dealer's own share.
func NewDKGDeal(params *DKGParams, dealer uint32, rnd io.Reader) (*DKGDeal, *DealerSecret, error) {
	if err := params.Validate(); err != nil {
		return nil, nil, err
	}
	if !params.isTrustee(dealer) {
		return nil, nil, fmt.Errorf("%w: dealer %d", ErrDKGUnknownTrustee, dealer)
	}
	coeffs := make([]group.Scalar, params.T)
	for k := range coeffs {
		var err error
		if k == 0 {
			coeffs[k], err = randomNonZeroScalar(rnd)
		} else {
			coeffs[k], err = RandomScalar(rnd)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	secret := &DealerSecret{dealer: dealer, coeffs: coeffs}
	deal := &DKGDeal{Dealer: dealer, Commitments: make([]group.Element, params.T)}
	for k, a := range coeffs {
		deal.Commitments[k] = newElement().MulGen(a)
	}
	proof, err := ProveSchnorr(coeffs[0], deal.Commitments[0], dkgProofContext(params, dealer, deal.Commitments), rnd)
	if err != nil {
		return nil, nil, err
	}
	deal.Proof = proof
	aad := dkgShareAAD(deal.Commitments)
	for j := uint32(1); j <= params.N; j++ {
		if j == dealer {
			continue
		}
		sealed, err := dkgSealShare(params, dealer, j, aad, secret.Share(j), rnd)
		if err != nil {
			return nil, nil, err
		}
		deal.Shares = append(deal.Shares, sealed)
	}
	return deal, secret, nil
}

// dkgProofContext is the context of dealer i's proof of knowledge of a_0: it
// binds the ceremony, its size, the dealer and all of its commitments.
//
//	tag("evote/v1/dkg/pok") || bytes(Context) || u32 N || u32 T || u32 dealer
//	  || u32 count || count × point
func dkgProofContext(params *DKGParams, dealer uint32, commitments []group.Element) []byte {
	e := encoder{}
	e.Tag(TagDKGProofContext)
	e.Bytes(params.Context)
	e.U32(params.N)
	e.U32(params.T)
	e.U32(dealer)
	e.U32(uint32(len(commitments)))
	for _, c := range commitments {
		e.point(c)
	}
	return e.B
}

// checkStructure checks everything about a deal but its proof: a known
// dealer, T commitments with C_0 not the identity, and one share for each
// other trustee in ascending order.
func (d *DKGDeal) checkStructure(params *DKGParams) error {
	if d == nil {
		return fmt.Errorf("%w: dkg: no deal", ErrMalformed)
	}
	if !params.isTrustee(d.Dealer) {
		return fmt.Errorf("%w: dealer %d", ErrDKGUnknownTrustee, d.Dealer)
	}
	if len(d.Commitments) != int(params.T) {
		return fmt.Errorf("%w: dealer %d sent %d, T = %d", ErrDKGCommitmentCount, d.Dealer, len(d.Commitments), params.T)
	}
	for k, c := range d.Commitments {
		if c == nil {
			return fmt.Errorf("%w: dealer %d: commitment %d missing", ErrMalformed, d.Dealer, k)
		}
	}
	if d.Commitments[0].IsIdentity() {
		return fmt.Errorf("%w: dealer %d: commitment 0", ErrIdentity, d.Dealer)
	}
	if d.Proof == nil || d.Proof.R == nil || d.Proof.Z == nil {
		return fmt.Errorf("%w: dealer %d: no proof of knowledge", ErrMalformed, d.Dealer)
	}
	if len(d.Shares) != int(params.N)-1 {
		return fmt.Errorf("%w: dealer %d sent %d shares, want %d", ErrDKGShareSet, d.Dealer, len(d.Shares), params.N-1)
	}
	want := uint32(1)
	for _, s := range d.Shares {
		if want == d.Dealer {
			want++
		}
		if s.Recipient != want {
			return fmt.Errorf("%w: dealer %d: share for trustee %d where %d was due", ErrDKGShareSet, d.Dealer, s.Recipient, want)
		}
		want++
	}
	return nil
}

// Verify checks that the deal is well formed for params (see checkStructure)
// and that its proof of knowledge of a_0 verifies. It cannot check the sealed
// shares: each recipient does that with OpenShare.
func (d *DKGDeal) Verify(params *DKGParams) error {
	if err := params.Validate(); err != nil {
		return err
	}
	return d.verify(params)
}

func (d *DKGDeal) verify(params *DKGParams) error {
	if err := d.checkStructure(params); err != nil {
		return err
	}
	ctx := dkgProofContext(params, d.Dealer, d.Commitments)
	if err := d.Proof.Verify(d.Commitments[0], ctx); err != nil {
		return fmt.Errorf("dealer %d: proof of knowledge: %w", d.Dealer, err)
	}
	return nil
}

// OpenShare opens the share the deal seals to recipient with the recipient's
// encryption key and checks it against the commitments. It returns
// ErrDKGUndecryptable or ErrDKGBadShare (wrapped) when the recipient should
// complain. It does not verify the proof of knowledge (see Verify).
func (d *DKGDeal) OpenShare(params *DKGParams, recipient uint32, key *TrusteeEncryptionKey) (group.Scalar, error) {
	if err := params.Validate(); err != nil {
		return nil, err
	}
	if err := dkgCheckOwnKey(params, recipient, key); err != nil {
		return nil, err
	}
	return d.openShare(params, recipient, key)
}

func (d *DKGDeal) openShare(params *DKGParams, recipient uint32, key *TrusteeEncryptionKey) (group.Scalar, error) {
	if err := d.checkStructure(params); err != nil {
		return nil, err
	}
	if recipient == d.Dealer {
		return nil, fmt.Errorf("%w: dealer %d seals no share to itself", ErrInvalidInput, d.Dealer)
	}
	i := slices.IndexFunc(d.Shares, func(s DKGEncryptedShare) bool { return s.Recipient == recipient })
	share, err := dkgOpenShare(params, d.Dealer, &d.Shares[i], dkgShareAAD(d.Commitments), key)
	if err != nil {
		return nil, err
	}
	if !dkgShareMatches(d.Commitments, recipient, share) {
		return nil, fmt.Errorf("%w: dealer %d, trustee %d", ErrDKGBadShare, d.Dealer, recipient)
	}
	return share, nil
}

// dkgCheckOwnKey checks that key is trustee self's registered key.
func dkgCheckOwnKey(params *DKGParams, self uint32, key *TrusteeEncryptionKey) error {
	if !params.isTrustee(self) {
		return fmt.Errorf("%w: trustee %d", ErrDKGUnknownTrustee, self)
	}
	if key == nil || key.sk == nil || !key.Public().Equal(params.Trustees[self-1].EncryptionKey) {
		return fmt.Errorf("%w: dkg: not the encryption key registered for trustee %d", ErrInvalidInput, self)
	}
	return nil
}

// CheckDeals is round 2 for trustee self: it opens the share of every valid
// deal from another dealer and returns a complaint, in ascending order of
// dealer, for each share that does not decrypt or does not match the
// commitments. Invalid deals draw no complaint: everyone sees them and
// Finalize excludes their dealers.
func CheckDeals(params *DKGParams, self uint32, key *TrusteeEncryptionKey, deals []*DKGDeal) ([]*DKGComplaint, error) {
	if err := params.Validate(); err != nil {
		return nil, err
	}
	if err := dkgCheckOwnKey(params, self, key); err != nil {
		return nil, err
	}
	byDealer, err := dkgIndexDeals(params, deals)
	if err != nil {
		return nil, err
	}
	var complaints []*DKGComplaint
	for i, d := range byDealer {
		if d == nil || uint32(i) == self || d.verify(params) != nil {
			continue
		}
		if _, err := d.openShare(params, self, key); err != nil {
			complaints = append(complaints, &DKGComplaint{Complainer: self, Dealer: uint32(i)})
		}
	}
	return complaints, nil
}

// Verify checks that the complaint names two distinct trustees.
func (c *DKGComplaint) Verify(params *DKGParams) error {
	if err := params.Validate(); err != nil {
		return err
	}
	return c.verify(params)
}

func (c *DKGComplaint) verify(params *DKGParams) error {
	if c == nil {
		return fmt.Errorf("%w: dkg: no complaint", ErrMalformed)
	}
	if !params.isTrustee(c.Complainer) || !params.isTrustee(c.Dealer) {
		return fmt.Errorf("%w: complaint by %d against %d", ErrDKGUnknownTrustee, c.Complainer, c.Dealer)
	}
	if c.Complainer == c.Dealer {
		return fmt.Errorf("%w: trustee %d complains about itself", ErrMalformed, c.Dealer)
	}
	return nil
}

// Respond answers a complaint against the dealer by revealing the
// complainer's share.
func (s *DealerSecret) Respond(params *DKGParams, c *DKGComplaint) (*DKGResponse, error) {
	if err := params.Validate(); err != nil {
		return nil, err
	}
	if err := c.verify(params); err != nil {
		return nil, err
	}
	if c.Dealer != s.dealer || len(s.coeffs) != int(params.T) {
		return nil, fmt.Errorf("%w: dkg: complaint against dealer %d answered with the polynomial of dealer %d", ErrInvalidInput, c.Dealer, s.dealer)
	}
	return &DKGResponse{Dealer: s.dealer, Complainer: c.Complainer, Share: s.Share(c.Complainer)}, nil
}

// Verify checks the response against the deal of its dealer: two distinct
// trustees, and a revealed share that matches the commitments. It does not
// check that a complaint exists (Finalize does).
func (r *DKGResponse) Verify(params *DKGParams, deal *DKGDeal) error {
	if err := params.Validate(); err != nil {
		return err
	}
	if err := r.checkStructure(params); err != nil {
		return err
	}
	if err := deal.checkStructure(params); err != nil {
		return err
	}
	if deal.Dealer != r.Dealer {
		return fmt.Errorf("%w: dkg: response of dealer %d checked against the deal of dealer %d", ErrInvalidInput, r.Dealer, deal.Dealer)
	}
	return r.verifyShare(deal)
}

func (r *DKGResponse) checkStructure(params *DKGParams) error {
	if r == nil || r.Share == nil {
		return fmt.Errorf("%w: dkg: no response", ErrMalformed)
	}
	return (&DKGComplaint{Complainer: r.Complainer, Dealer: r.Dealer}).verify(params)
}

func (r *DKGResponse) verifyShare(deal *DKGDeal) error {
	if !dkgShareMatches(deal.Commitments, r.Complainer, r.Share) {
		return fmt.Errorf("%w: share revealed by dealer %d for trustee %d", ErrDKGBadShare, r.Dealer, r.Complainer)
	}
	return nil
}

// dkgIndexDeals returns the deals indexed by dealer (entry 0 unused),
// rejecting nil deals, unknown dealers and duplicates.
func dkgIndexDeals(params *DKGParams, deals []*DKGDeal) ([]*DKGDeal, error) {
	byDealer := make([]*DKGDeal, params.N+1)
	for _, d := range deals {
		if d == nil {
			return nil, fmt.Errorf("%w: dkg: nil deal", ErrMalformed)
		}
		if !params.isTrustee(d.Dealer) {
			return nil, fmt.Errorf("%w: deal from %d", ErrDKGUnknownTrustee, d.Dealer)
		}
		if byDealer[d.Dealer] != nil {
			return nil, fmt.Errorf("%w: two deals from dealer %d", ErrDKGDuplicate, d.Dealer)
		}
		byDealer[d.Dealer] = d
	}
	return byDealer, nil
}

// dkgEvalPoly returns Σ_k a_k x^k by Horner's rule.
func dkgEvalPoly(coeffs []group.Scalar, x uint32) group.Scalar {
	xs := scalarFromUint64(uint64(x))
	acc := newScalar()
	for k := len(coeffs) - 1; k >= 0; k-- {
		acc.Mul(acc, xs)
		acc.Add(acc, coeffs[k])
	}
	return acc
}

// dkgEvalCommitments returns Σ_k x^k C_k by Horner's rule. The commitments
// and x are public, so the small multiplications are variable time.
func dkgEvalCommitments(commitments []group.Element, x uint32) group.Element {
	acc := grp().Identity()
	for k := len(commitments) - 1; k >= 0; k-- {
		acc = dkgMulSmall(acc, x)
		acc.Add(acc, commitments[k])
	}
	return acc
}

// dkgMulSmall returns k·p by double-and-add. Variable time in k: public
// values only.
func dkgMulSmall(p group.Element, k uint32) group.Element {
	acc := grp().Identity()
	for bit := bits.Len32(k) - 1; bit >= 0; bit-- {
		acc.Dbl(acc)
		if k>>uint(bit)&1 == 1 {
			acc.Add(acc, p)
		}
	}
	return acc
}

// dkgShareMatches reports whether share·G == Σ_k j^k C_k.
func dkgShareMatches(commitments []group.Element, j uint32, share group.Scalar) bool {
	return newElement().MulGen(share).IsEqual(dkgEvalCommitments(commitments, j))
}

// dkgShareAAD is the associated data of every share sealed in a deal: the
// deal's commitments, u32 count || count × point.
func dkgShareAAD(commitments []group.Element) []byte {
	e := encoder{}
	e.U32(uint32(len(commitments)))
	for _, c := range commitments {
		e.point(c)
	}
	return e.B
}

// dkgShareInfo is the HPKE info string of the share from dealer to recipient:
//
//	tag("evote/v1/dkg/share") || bytes(Context) || u32 dealer || u32 recipient
func dkgShareInfo(context []byte, dealer, recipient uint32) []byte {
	e := encoder{}
	e.Tag(TagDKGShareInfo)
	e.Bytes(context)
	e.U32(dealer)
	e.U32(recipient)
	return e.B
}
