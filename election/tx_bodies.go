package election

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/evote/evote/tally"
)

// The bodies of the transaction kinds. Nested tally messages (deals,
// complaints, responses, contests, decryption shares) are carried in their
// own tagged encodings, each framed as bytes.

// Size bounds of nested messages.
const (
	maxNestedDeal     = 48 << 10
	maxNestedSmall    = 256
	maxContestEncoded = MaxBallotContestsSz
	decryptionShareSz = 158
)

// CreateElectionBody creates an election; the signer must be an authority
// of the genesis and the manifest's authority.
//
//	body = manifest (the canonical encoding, tag "evote/v1/manifest")
type CreateElectionBody struct {
	Manifest *Manifest
}

func (*CreateElectionBody) Kind() Kind { return KindCreateElection }

func (b *CreateElectionBody) MarshalBinary() ([]byte, error) { return b.Manifest.MarshalBinary() }

// RollEntry is a voter on the roll: the voter's credential key and weight
// (1 unless the manifest enables weights).
type RollEntry struct {
	Voter  VoterPublicKey `json:"voter"`
	Weight uint32         `json:"weight"`
}

// AppendVotersBody adds voters to the roll.
//
//	body = election[32] || count n (1..20000) || n × (voter[32] || u32 weight)
//
// with the voters in strictly ascending byte order.
type AppendVotersBody struct {
	Election ID
	Voters   []RollEntry
}

func (*AppendVotersBody) Kind() Kind { return KindAppendVoters }

func (b *AppendVotersBody) MarshalBinary() ([]byte, error) {
	if len(b.Voters) == 0 || len(b.Voters) > MaxRollBatch {
		return nil, fmt.Errorf("%w: %d voters in one append (1..%d)", ErrLimit, len(b.Voters), MaxRollBatch)
	}
	e := encoderOn(make([]byte, 0, IDSize+4+36*len(b.Voters)))
	e.Raw(b.Election[:])
	e.U32(uint32(len(b.Voters)))
	for i, v := range b.Voters {
		if i > 0 && bytes.Compare(b.Voters[i-1].Voter[:], v.Voter[:]) >= 0 {
			return nil, fmt.Errorf("%w: voters not in strictly ascending order at %d", ErrMalformed, i)
		}
		e.Raw(v.Voter[:])
		e.U32(v.Weight)
	}
	return e.B, nil
}

// DKGDealBody is a trustee's deal (round 1 of the key ceremony).
//
//	body = election[32] || bytes(deal)      (tally encoding, tag "evote/v1/dkg/deal")
type DKGDealBody struct {
	Election ID
	Deal     *tally.DKGDeal
}

func (*DKGDealBody) Kind() Kind { return KindDKGDeal }

func (b *DKGDealBody) MarshalBinary() ([]byte, error) {
	d, err := b.Deal.MarshalBinary()
	if err != nil {
		return nil, err
	}
	e := encoder{}
	e.Raw(b.Election[:])
	e.Bytes(d)
	return e.B, nil
}

// DKGComplaintsBody is a trustee's complaints (round 2), possibly none: an
// empty list says the trustee found every share it received valid.
//
//	body = election[32] || count n || n × bytes(complaint)   (tag "evote/v1/dkg/complaint")
//
// with the dealers in strictly ascending order and every complainer the
// signer.
type DKGComplaintsBody struct {
	Election   ID
	Complaints []*tally.DKGComplaint
}

func (*DKGComplaintsBody) Kind() Kind { return KindDKGComplaints }

func (b *DKGComplaintsBody) MarshalBinary() ([]byte, error) {
	e := encoder{}
	e.Raw(b.Election[:])
	e.U32(uint32(len(b.Complaints)))
	for _, c := range b.Complaints {
		p, err := c.MarshalBinary()
		if err != nil {
			return nil, err
		}
		e.Bytes(p)
	}
	return e.B, nil
}

// DKGResponsesBody is a dealer's answers to the complaints against it
// (round 3).
//
//	body = election[32] || count n (≥ 1) || n × bytes(response)   (tag "evote/v1/dkg/response")
//
// with the complainers in strictly ascending order and every dealer the
// signer.
type DKGResponsesBody struct {
	Election  ID
	Responses []*tally.DKGResponse
}

func (*DKGResponsesBody) Kind() Kind { return KindDKGResponses }

func (b *DKGResponsesBody) MarshalBinary() ([]byte, error) {
	e := encoder{}
	e.Raw(b.Election[:])
	e.U32(uint32(len(b.Responses)))
	for _, r := range b.Responses {
		p, err := r.MarshalBinary()
		if err != nil {
			return nil, err
		}
		e.Bytes(p)
	}
	return e.B, nil
}

// OpenBody opens the election for ballots.  body = election[32]
type OpenBody struct{ Election ID }

func (*OpenBody) Kind() Kind                       { return KindOpen }
func (b *OpenBody) MarshalBinary() ([]byte, error) { return bytes.Clone(b.Election[:]), nil }

// CloseBody closes the election.  body = election[32]
type CloseBody struct{ Election ID }

func (*CloseBody) Kind() Kind                       { return KindClose }
func (b *CloseBody) MarshalBinary() ([]byte, error) { return bytes.Clone(b.Election[:]), nil }

// BallotBody is a voter's encrypted ballot; the envelope's signer is the
// voter's credential key.
//
//	body = election[32] || u64 seq || count n || n × bytes(contest)   (tag "evote/v1/contest")
//
// Contest i is tally-encoded under the rules of the manifest's contest i,
// its proofs bound to ContestContext{election, voter key, i}.
type BallotBody struct {
	Election ID
	// Seq orders a voter's ballots: a revote must carry a larger one.
	Seq      uint64
	Contests [][]byte
}

func (*BallotBody) Kind() Kind { return KindBallot }

func (b *BallotBody) MarshalBinary() ([]byte, error) {
	n := IDSize + 12
	for _, c := range b.Contests {
		n += 4 + len(c)
	}
	e := encoderOn(make([]byte, 0, n))
	e.Raw(b.Election[:])
	e.U64(b.Seq)
	e.U32(uint32(len(b.Contests)))
	for _, c := range b.Contests {
		e.Bytes(c)
	}
	return e.B, nil
}

// DecryptionSharesBody is a trustee's partial decryption of every aggregate
// of a closed election, in aggregate order (contest by contest, option by
// option).
//
//	body = election[32] || count n || n × bytes(share)   (tag "evote/v1/decryption-share", 158 bytes)
type DecryptionSharesBody struct {
	Election ID
	Shares   []*tally.DecryptionShare
}

func (*DecryptionSharesBody) Kind() Kind { return KindDecryptionShares }

func (b *DecryptionSharesBody) MarshalBinary() ([]byte, error) {
	e := encoderOn(make([]byte, 0, IDSize+4+(4+decryptionShareSz)*len(b.Shares)))
	e.Raw(b.Election[:])
	e.U32(uint32(len(b.Shares)))
	for _, s := range b.Shares {
		p, err := s.MarshalBinary()
		if err != nil {
			return nil, err
		}
		e.Bytes(p)
	}
	return e.B, nil
}

// DecodeBody parses the body of a transaction of kind k. It checks what the
// body says on its own (encodings, counts, orderings), not what depends on
// the election.
func DecodeBody(k Kind, b []byte) (Body, error) {
	d := newDecoder(b)
	var out Body
	switch k {
	case KindCreateElection:
		m, err := DecodeManifest(b)
		if err != nil {
			return nil, err
		}
		return &CreateElectionBody{Manifest: m}, nil
	case KindAppendVoters:
		out = decodeAppendVoters(d)
	case KindDKGDeal:
		body := &DKGDealBody{Election: decodeID(d)}
		p := d.Bytes("deal", maxNestedDeal)
		if d.Err == nil {
			body.Deal = new(tally.DKGDeal)
			d.nested(body.Deal.UnmarshalBinary(p), "deal")
		}
		out = body
	case KindDKGComplaints:
		body := &DKGComplaintsBody{Election: decodeID(d)}
		n := d.Count("complaints", MaxTrustees-1, 4)
		for i := 0; i < n && d.Err == nil; i++ {
			c := new(tally.DKGComplaint)
			d.nested(c.UnmarshalBinary(d.Bytes("complaint", maxNestedSmall)), "complaint")
			if d.Err == nil && i > 0 && (c.Complainer != body.Complaints[i-1].Complainer || c.Dealer <= body.Complaints[i-1].Dealer) {
				d.Fail(ErrMalformed, "complaint %d: one complainer, dealers strictly ascending", i)
			}
			body.Complaints = append(body.Complaints, c)
		}
		out = body
	case KindDKGResponses:
		body := &DKGResponsesBody{Election: decodeID(d)}
		n := d.Count("responses", MaxTrustees-1, 4)
		if d.Err == nil && n == 0 {
			d.Fail(ErrMalformed, "no responses")
		}
		for i := 0; i < n && d.Err == nil; i++ {
			r := new(tally.DKGResponse)
			d.nested(r.UnmarshalBinary(d.Bytes("response", maxNestedSmall)), "response")
			if d.Err == nil && i > 0 && (r.Dealer != body.Responses[i-1].Dealer || r.Complainer <= body.Responses[i-1].Complainer) {
				d.Fail(ErrMalformed, "response %d: one dealer, complainers strictly ascending", i)
			}
			body.Responses = append(body.Responses, r)
		}
		out = body
	case KindOpen:
		out = &OpenBody{Election: decodeID(d)}
	case KindClose:
		out = &CloseBody{Election: decodeID(d)}
	case KindBallot:
		body := &BallotBody{Election: decodeID(d), Seq: d.U64("sequence number")}
		n := d.Count("contests", MaxContests, 4)
		for i := 0; i < n && d.Err == nil; i++ {
			body.Contests = append(body.Contests, d.Bytes("contest", maxContestEncoded))
		}
		out = body
	case KindDecryptionShares:
		body := &DecryptionSharesBody{Election: decodeID(d)}
		n := d.Count("shares", MaxTotalOptions, 4+decryptionShareSz)
		for i := 0; i < n && d.Err == nil; i++ {
			s := new(tally.DecryptionShare)
			d.nested(s.UnmarshalBinary(d.Bytes("share", maxNestedSmall)), "share")
			body.Shares = append(body.Shares, s)
		}
		out = body
	case KindValidatorUpdate:
		out = decodeValidatorUpdate(d)
	default:
		return nil, fmt.Errorf("%w: %d", ErrUnknownKind, uint8(k))
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return out, nil
}

func decodeAppendVoters(d *decoder) *AppendVotersBody {
	body := &AppendVotersBody{Election: decodeID(d)}
	n := d.Count("voters", MaxRollBatch, PublicKeySize+4)
	if d.Err == nil && n == 0 {
		d.Fail(ErrMalformed, "no voters")
	}
	body.Voters = make([]RollEntry, 0, n)
	for i := 0; i < n && d.Err == nil; i++ {
		var v RollEntry
		copy(v.Voter[:], d.Take(PublicKeySize, "voter"))
		v.Weight = d.U32("weight")
		if d.Err == nil && i > 0 && bytes.Compare(body.Voters[i-1].Voter[:], v.Voter[:]) >= 0 {
			d.Fail(ErrMalformed, "voter %d: voters must be strictly ascending", i)
		}
		body.Voters = append(body.Voters, v)
	}
	return body
}

func sortRoll(r []RollEntry) {
	slices.SortFunc(r, func(a, b RollEntry) int { return bytes.Compare(a.Voter[:], b.Voter[:]) })
}

func decodeID(d *decoder) ID {
	var id ID
	copy(id[:], d.Take(IDSize, "election id"))
	return id
}

// nested records the error of a nested tally decoder as malformed input.
func (d *decoder) nested(err error, what string) {
	if err != nil && d.Err == nil {
		d.Err = fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
	}
}

// Constructors of signed transactions, for officials' and trustees' tools,
// tests and load generators.

// NewCreateElectionTx signs the creation of the election of m.
func NewCreateElectionTx(chainID string, m *Manifest, key *PrivateKey) ([]byte, error) {
	return NewTx(chainID, &CreateElectionBody{Manifest: m}, key)
}

// NewAppendVotersTx signs the addition of voters to the roll; it sorts a
// copy of the entries.
func NewAppendVotersTx(chainID string, id ID, voters []RollEntry, key *PrivateKey) ([]byte, error) {
	sorted := append([]RollEntry(nil), voters...)
	sortRoll(sorted)
	return NewTx(chainID, &AppendVotersBody{Election: id, Voters: sorted}, key)
}

// NewOpenTx signs the opening of the election.
func NewOpenTx(chainID string, id ID, key *PrivateKey) ([]byte, error) {
	return NewTx(chainID, &OpenBody{Election: id}, key)
}

// NewCloseTx signs the closing of the election.
func NewCloseTx(chainID string, id ID, key *PrivateKey) ([]byte, error) {
	return NewTx(chainID, &CloseBody{Election: id}, key)
}

// NewDKGDealTx signs a trustee's deal.
func NewDKGDealTx(chainID string, id ID, deal *tally.DKGDeal, key *PrivateKey) ([]byte, error) {
	return NewTx(chainID, &DKGDealBody{Election: id, Deal: deal}, key)
}

// NewDKGComplaintsTx signs a trustee's complaints (none is allowed).
func NewDKGComplaintsTx(chainID string, id ID, complaints []*tally.DKGComplaint, key *PrivateKey) ([]byte, error) {
	return NewTx(chainID, &DKGComplaintsBody{Election: id, Complaints: complaints}, key)
}

// NewDKGResponsesTx signs a dealer's responses.
func NewDKGResponsesTx(chainID string, id ID, responses []*tally.DKGResponse, key *PrivateKey) ([]byte, error) {
	return NewTx(chainID, &DKGResponsesBody{Election: id, Responses: responses}, key)
}

// NewBallotTx signs a ballot of encoded contests with the voter's key.
func NewBallotTx(chainID string, id ID, seq uint64, contests [][]byte, voter *PrivateKey) ([]byte, error) {
	return NewTx(chainID, &BallotBody{Election: id, Seq: seq, Contests: contests}, voter)
}

// NewDecryptionSharesTx signs a trustee's decryption shares.
func NewDecryptionSharesTx(chainID string, id ID, shares []*tally.DecryptionShare, key *PrivateKey) ([]byte, error) {
	return NewTx(chainID, &DecryptionSharesBody{Election: id, Shares: shares}, key)
}
