package wallet

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cloudflare/circl/group"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// An audit file is a spoiled ballot opened for anyone to check (the
// Benaloh challenge): the signed ballot transaction, everything needed to
// re-encrypt it (the manifest, the joint key, the chain id) and the
// opening the device reveals (each option's choice and randomness). Its
// JSON schema is docs/spec/audit-file.md; its version tag is AuditFileTag.
// A ballot whose audit file exists must never be cast: its choices are
// public.
const AuditFileTag = "evote/v1/ballot-audit"

// MaxAuditFileSize bounds an audit file: the largest ballot in base64 and
// the largest manifest, with room for the openings in hex.
const MaxAuditFileSize = 4 << 20

// ErrAuditFile: the audit file is malformed (not what it claims to be).
// A well-formed file whose ballot does not open to its choices fails
// Check with ErrAudit instead.
var ErrAuditFile = errors.New("wallet: malformed audit file")

// AuditFile is the decoded form of an audit file.
type AuditFile struct {
	ChainID      string
	Election     *Election
	ManifestJSON json.RawMessage // as written, for the checker's display
	Voter        VoterPublicKey
	Seq          uint64
	TrackingCode string // hex SHA-256 of Ballot
	Ballot       []byte // the signed ballot transaction, never cast
	Secrets      []*tally.ContestSecrets
}

type auditFileJSON struct {
	Version      string             `json:"version"`
	ChainID      string             `json:"chain_id"`
	Election     election.ID        `json:"election"`
	Manifest     json.RawMessage    `json:"manifest"`
	JointKey     string             `json:"joint_key"`
	Voter        VoterPublicKey     `json:"voter"`
	Seq          uint64             `json:"seq"`
	TrackingCode string             `json:"tracking_code"`
	Ballot       string             `json:"ballot"`
	Contests     []auditContestJSON `json:"contests"`
}

type auditContestJSON struct {
	Choices    []uint64 `json:"choices"`
	Randomness []string `json:"randomness"`
}

// NewAuditFile opens built ballot b of voter in election e for auditing.
// manifestJSON is the manifest as the node gave it (its hash must be the
// election id). After this the ballot must not be cast.
func NewAuditFile(e *Election, manifestJSON []byte, voter VoterPublicKey, b *Ballot) (*AuditFile, error) {
	if len(b.Secrets) != len(e.Manifest.Contests) {
		return nil, fmt.Errorf("%w: %d openings for %d contests", ErrAuditFile, len(b.Secrets), len(e.Manifest.Contests))
	}
	return &AuditFile{
		ChainID: e.ChainID, Election: e, ManifestJSON: bytes.Clone(manifestJSON), Voter: voter, Seq: b.Seq,
		TrackingCode: hex.EncodeToString(b.Hash[:]), Ballot: bytes.Clone(b.Tx), Secrets: b.Secrets,
	}, nil
}

// MarshalJSON writes the audit file (indented by the caller if wanted).
func (a *AuditFile) MarshalJSON() ([]byte, error) {
	j := auditFileJSON{
		Version: AuditFileTag, ChainID: a.ChainID, Election: a.Election.ID, Manifest: a.ManifestJSON,
		JointKey: hex.EncodeToString(a.Election.JointKey.Bytes()), Voter: a.Voter, Seq: a.Seq,
		TrackingCode: a.TrackingCode, Ballot: base64.StdEncoding.EncodeToString(a.Ballot),
	}
	for _, s := range a.Secrets {
		c := auditContestJSON{Choices: append([]uint64{}, s.Choices...), Randomness: []string{}}
		for _, r := range s.Randomness {
			rb, err := r.MarshalBinary()
			if err != nil {
				return nil, err
			}
			c.Randomness = append(c.Randomness, hex.EncodeToString(rb))
		}
		j.Contests = append(j.Contests, c)
	}
	return json.Marshal(j)
}

// ParseAuditFile decodes an audit file and checks that it is well formed:
// the version, the manifest (which must hash to the election id), the
// joint key, the voter key, the ballot and its tracking code, and one
// opening per contest with one choice and one canonical scalar per option.
// It does not check the opening: Check does. Errors wrap ErrAuditFile.
func ParseAuditFile(b []byte) (*AuditFile, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrAuditFile, fmt.Sprintf(format, args...))
	}
	if len(b) > MaxAuditFileSize {
		return nil, bad("%d bytes, at most %d", len(b), MaxAuditFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j auditFileJSON
	if err := dec.Decode(&j); err != nil {
		return nil, bad("%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("data after the JSON object")
	}
	if j.Version != AuditFileTag {
		return nil, bad("version %q, want %q", j.Version, AuditFileTag)
	}
	if j.ChainID == "" {
		return nil, bad("no chain_id")
	}
	e, err := ElectionFromJSON(j.ChainID, j.Election, j.Manifest, j.JointKey)
	if err != nil {
		return nil, bad("%v", err)
	}
	tx, err := base64.StdEncoding.Strict().DecodeString(j.Ballot)
	if err != nil || len(tx) == 0 {
		return nil, bad("ballot: not base64")
	}
	if h := election.Hash(tx); j.TrackingCode != hex.EncodeToString(h[:]) {
		return nil, bad("tracking_code %q is not the ballot's hash", j.TrackingCode)
	}
	cs := e.Manifest.Contests
	if len(j.Contests) != len(cs) {
		return nil, bad("%d contests, the election has %d", len(j.Contests), len(cs))
	}
	a := &AuditFile{
		ChainID: j.ChainID, Election: e, ManifestJSON: j.Manifest, Voter: j.Voter, Seq: j.Seq,
		TrackingCode: j.TrackingCode, Ballot: tx,
	}
	for i, c := range j.Contests {
		n := len(cs[i].Options)
		if len(c.Choices) != n || len(c.Randomness) != n {
			return nil, bad("contest %d: %d choices and %d randomness values for %d options", i+1, len(c.Choices), len(c.Randomness), n)
		}
		s := &tally.ContestSecrets{Choices: c.Choices}
		for k, h := range c.Randomness {
			r, err := hex.DecodeString(h)
			if err != nil || len(r) != 32 || hex.EncodeToString(r) != h {
				return nil, bad("contest %d option %d: randomness is not 64 lowercase hex digits", i+1, k+1)
			}
			sc := group.Ristretto255.NewScalar()
			if err := sc.UnmarshalBinary(r); err != nil {
				return nil, bad("contest %d option %d: randomness is not a canonical scalar", i+1, k+1)
			}
			s.Randomness = append(s.Randomness, sc)
		}
		a.Secrets = append(a.Secrets, s)
	}
	return a, nil
}

// Check audits the file's ballot (Audit): it is a ballot of the file's
// election signed by the file's voter with the file's sequence number, its
// proofs verify, and each contest's ciphertexts are the encryptions of the
// shown choices with the shown randomness. It returns the choices, contest
// by contest; a failure wraps ErrAudit and names the contest.
func (a *AuditFile) Check() ([][]uint64, error) {
	choices, contestErrs, err := a.CheckEach()
	if err != nil {
		return nil, err
	}
	for _, err := range contestErrs {
		if err != nil {
			return nil, err
		}
	}
	return choices, nil
}

// CheckEach is Check contest by contest (AuditEach): err is set if the
// ballot as a whole fails (signature, election, sequence number), else
// contestErrs[i] tells whether contest i opens to choices[i].
func (a *AuditFile) CheckEach() (choices [][]uint64, contestErrs []error, err error) {
	choices, contestErrs, err = AuditEach(a.Election, a.Voter, a.Ballot, a.Secrets)
	if err != nil {
		return nil, nil, err
	}
	env, _ := election.DecodeTx(a.Ballot) // AuditEach decoded it
	body, _ := election.DecodeBody(env.Kind, env.Body)
	if seq := body.(*election.BallotBody).Seq; seq != a.Seq {
		return nil, nil, fmt.Errorf("%w: the ballot has sequence number %d, the file says %d", ErrAudit, seq, a.Seq)
	}
	return choices, contestErrs, nil
}

// SpoilBallot builds a ballot of key's with sequence number seq and choices and,
// instead of casting it, opens it: the Benaloh challenge. It returns the
// audit file's bytes (indented JSON, a newline at the end) and what the
// file opens to when parsed back and checked as any auditor checks it. The
// ballot is spoiled: it must never be cast, and seq never used again.
func SpoilBallot(e *Election, manifestJSON []byte, key *VoterKey, seq uint64, choices [][]uint64, rnd io.Reader) (*AuditFile, []byte, [][]uint64, error) {
	b, err := BuildBallot(e, key, seq, choices, rnd)
	if err != nil {
		return nil, nil, nil, err
	}
	af, err := NewAuditFile(e, manifestJSON, key.Public(), b)
	if err != nil {
		return nil, nil, nil, err
	}
	raw, err := json.MarshalIndent(af, "", "  ")
	if err != nil {
		return nil, nil, nil, err
	}
	back, err := ParseAuditFile(raw)
	if err != nil {
		return nil, nil, nil, err
	}
	opened, err := back.Check()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("the ballot just built fails its own audit: %w", err)
	}
	return af, append(raw, '\n'), opened, nil
}
