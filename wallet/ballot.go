package wallet

import (
	"errors"
	"fmt"
	"io"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// ErrInvalidChoice: the voter's choices do not satisfy a contest's rules.
var ErrInvalidChoice = errors.New("wallet: invalid choice")

// ErrAudit: a ballot does not open to the revealed choices (the device did
// not encrypt what the voter chose), or the audit data does not belong to
// the ballot.
var ErrAudit = errors.New("wallet: ballot audit failed")

// Election is what a voter's device needs to know about an election to
// build a ballot: the chain its transactions are signed for, the manifest
// (whose hash is the election id) and the joint key the trustees fixed.
type Election struct {
	ChainID  string
	ID       election.ID
	Manifest *election.Manifest
	JointKey *tally.PublicKey
}

// NewElection checks the manifest and derives the election id from it, so
// that a device never trusts an id it was given.
func NewElection(chainID string, m *election.Manifest, jointKey *tally.PublicKey) (*Election, error) {
	if jointKey == nil {
		return nil, fmt.Errorf("%w: no joint key", election.ErrInvalidKey)
	}
	id, err := m.ID()
	if err != nil {
		return nil, err
	}
	return &Election{ChainID: chainID, ID: id, Manifest: m, JointKey: jointKey}, nil
}

// Ballot is a built ballot: the signed transaction to cast, and what the
// device keeps to let the voter audit it (Benaloh challenge). An audited
// ballot must never be cast: build a new one.
type Ballot struct {
	Tx       []byte
	Hash     [32]byte // the transaction's hash, the voter's tracking code
	Seq      uint64
	Contests []*tally.EncryptedContest
	// Secrets open every contest: the choices and each option's randomness.
	// They never leave the device except to audit this ballot.
	Secrets []*tally.ContestSecrets
}

// BuildBallot encrypts the voter's choices (one value per option, per
// contest, in manifest order), proves every contest valid bound to the
// election, the voter's key and the contest's position, and signs the
// ballot transaction with sequence number seq (1 for a first ballot; a
// revote needs a larger one). rnd is crypto/rand.Reader in production.
func BuildBallot(e *Election, voter *VoterKey, seq uint64, choices [][]uint64, rnd io.Reader) (*Ballot, error) {
	m := e.Manifest
	if len(choices) != len(m.Contests) {
		return nil, fmt.Errorf("%w: choices for %d contests, the election has %d", ErrInvalidChoice, len(choices), len(m.Contests))
	}
	for i := range m.Contests {
		if err := CheckChoices(&m.Contests[i], choices[i]); err != nil {
			return nil, fmt.Errorf("contest %d: %w", i, err)
		}
	}
	pub := voter.Public()
	b := &Ballot{Seq: seq}
	encoded := make([][]byte, len(m.Contests))
	for i := range m.Contests {
		cc := tally.ContestContext{ElectionID: e.ID[:], Voter: pub[:], Contest: uint32(i)}
		c, s, err := tally.EncryptContest(e.JointKey, cc, m.Contests[i].Rules(), choices[i], rnd)
		if err != nil {
			return nil, fmt.Errorf("contest %d: %w", i, err)
		}
		if encoded[i], err = c.MarshalBinary(); err != nil {
			return nil, err
		}
		b.Contests = append(b.Contests, c)
		b.Secrets = append(b.Secrets, s)
	}
	tx, err := election.NewBallotTx(e.ChainID, e.ID, seq, encoded, voter.SigningKey())
	if err != nil {
		return nil, err
	}
	b.Tx, b.Hash = tx, election.Hash(tx)
	return b, nil
}

// CheckChoices checks one contest's choices against its rules: one value
// per option, each at most max_per_option, their sum between
// min_selections and max_selections.
func CheckChoices(c *election.Contest, choices []uint64) error {
	r := c.Rules()
	if len(choices) != r.Options {
		return fmt.Errorf("%w: %d values for %d options", ErrInvalidChoice, len(choices), r.Options)
	}
	var sum uint64
	for i, v := range choices {
		if v > r.MaxPerOption {
			return fmt.Errorf("%w: option %d: %d exceeds %d", ErrInvalidChoice, i, v, r.MaxPerOption)
		}
		sum += v
	}
	if sum < r.MinSelections || sum > r.MaxSelections {
		return fmt.Errorf("%w: %d selected, allowed %d to %d", ErrInvalidChoice, sum, r.MinSelections, r.MaxSelections)
	}
	return nil
}

// Selections turns the chosen option indices of a plurality or approval
// contest into one value per option.
func Selections(c *election.Contest, selected ...int) ([]uint64, error) {
	out := make([]uint64, len(c.Options))
	for _, i := range selected {
		if i < 0 || i >= len(out) {
			return nil, fmt.Errorf("%w: no option %d", ErrInvalidChoice, i)
		}
		out[i]++
	}
	return out, CheckChoices(c, out)
}

// Audit checks a ballot transaction against the secrets that open it, as an
// auditor does with a challenged ballot: it is a ballot of the election
// signed by voter, every contest's proofs verify, and every ciphertext is
// the encryption of the revealed choice with the revealed randomness. It
// returns the choices, for the voter to compare with what they chose.
func Audit(e *Election, voter VoterPublicKey, tx []byte, secrets []*tally.ContestSecrets) ([][]uint64, error) {
	out, contestErrs, err := AuditEach(e, voter, tx, secrets)
	if err != nil {
		return nil, err
	}
	for _, err := range contestErrs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AuditEach is Audit contest by contest, for a report that shows every
// contest: err is set if the transaction itself fails (not a ballot of
// this election signed by voter, or openings missing); otherwise
// contestErrs[i] is nil if contest i verifies and opens to choices[i], and
// an error wrapping ErrAudit naming the contest (from 0) if not.
func AuditEach(e *Election, voter VoterPublicKey, tx []byte, secrets []*tally.ContestSecrets) (choices [][]uint64, contestErrs []error, err error) {
	env, err := election.DecodeTx(tx)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrAudit, err)
	}
	if env.Kind != election.KindBallot || env.Signer != voter.Key() || !env.Verify(e.ChainID) {
		return nil, nil, fmt.Errorf("%w: not a ballot signed by %v on chain %q", ErrAudit, voter, e.ChainID)
	}
	body, err := election.DecodeBody(env.Kind, env.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrAudit, err)
	}
	bb := body.(*election.BallotBody)
	m := e.Manifest
	if bb.Election != e.ID || len(bb.Contests) != len(m.Contests) || len(secrets) != len(m.Contests) {
		return nil, nil, fmt.Errorf("%w: ballot for another election or with another number of contests", ErrAudit)
	}
	choices = make([][]uint64, len(m.Contests))
	contestErrs = make([]error, len(m.Contests))
	for i, enc := range bb.Contests {
		choices[i], contestErrs[i] = auditContest(e, voter, i, enc, secrets[i])
	}
	return choices, contestErrs, nil
}

func auditContest(e *Election, voter VoterPublicKey, i int, enc []byte, s *tally.ContestSecrets) ([]uint64, error) {
	rules := e.Manifest.Contests[i].Rules()
	cc := tally.ContestContext{ElectionID: e.ID[:], Voter: voter[:], Contest: uint32(i)}
	if err := tally.VerifyContest(e.JointKey, cc, rules, enc); err != nil {
		return nil, fmt.Errorf("%w: contest %d: %w", ErrAudit, i, err)
	}
	c, err := tally.DecodeContest(rules, enc)
	if err != nil {
		return nil, fmt.Errorf("%w: contest %d: %w", ErrAudit, i, err)
	}
	if s == nil {
		return nil, fmt.Errorf("%w: contest %d: no opening", ErrAudit, i)
	}
	if err := tally.CheckOpening(e.JointKey, c, s); err != nil {
		return nil, fmt.Errorf("%w: contest %d: %w", ErrAudit, i, err)
	}
	return append([]uint64(nil), s.Choices...), nil
}
