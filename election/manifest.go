package election

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evote/evote/tally"
)

// The manifest describes one election completely: its texts, its contests
// and their rules, its trustees and threshold, its schedule, and whether
// revoting and voter weights are allowed. Officials write it as YAML
// (ParseManifestYAML); its canonical binary encoding (MarshalBinary) is what
// the create-election transaction carries and what the election id hashes
// (docs/spec/manifest.md).

// Limits of a manifest.
const (
	MaxLanguages        = 16
	MaxContests         = 64
	MaxOptions          = tally.MaxOptions // per contest
	MaxTotalOptions     = 1024             // over all contests: the aggregates of an election
	MaxTrustees         = 64
	MaxReferenceLen     = 256
	MaxTitleLen         = 512
	MaxDescriptionLen   = 8192
	MaxTrusteeNameLen   = 256
	MaxManifestSize     = 256 << 10
	MaxBallotContestsSz = 224 << 10 // the encoded contests of one ballot
	// MaxWindow bounds each DKG window.
	MaxWindow = 366 * 24 * time.Hour
)

// QuestionType is the kind of a contest.
type QuestionType uint8

// Question types. The encoding of a contest carries the number.
const (
	// Plurality: choose at most one option (min_selections 0 or 1).
	Plurality QuestionType = 1
	// Approval: approve between min_selections and max_selections options,
	// each at most once.
	Approval QuestionType = 2
	// Cumulative: distribute between min_selections and max_selections
	// points over the options, at most max_per_option on one option.
	Cumulative QuestionType = 3
	// Score: give each option a score from 0 to max_per_option; the sum may
	// be limited by min_selections and max_selections.
	Score QuestionType = 4
)

var questionTypeNames = [...]string{Plurality: "plurality", Approval: "approval", Cumulative: "cumulative", Score: "score"}

// String returns the type's name as written in manifests.
func (t QuestionType) String() string {
	if t >= 1 && int(t) < len(questionTypeNames) {
		return questionTypeNames[t]
	}
	return fmt.Sprintf("QuestionType(%d)", uint8(t))
}

// MarshalText returns the name.
func (t QuestionType) MarshalText() ([]byte, error) {
	if t < 1 || int(t) >= len(questionTypeNames) {
		return nil, fmt.Errorf("%w: question type %d", ErrInvalidManifest, uint8(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText parses a name.
func (t *QuestionType) UnmarshalText(b []byte) error {
	for i, n := range questionTypeNames {
		if i > 0 && n == string(b) {
			*t = QuestionType(i)
			return nil
		}
	}
	return manifestErr("type", "unknown question type %q (plurality, approval, cumulative, score)", b)
}

// Text is a text in every language of the manifest, by language code.
// Encodings list the texts in the order of Manifest.Languages, never in map
// order.
type Text map[string]string

// In returns the text in lang, or in the manifest's first language if lang
// is missing.
func (t Text) In(lang string, languages []string) string {
	if s, ok := t[lang]; ok {
		return s
	}
	if len(languages) > 0 {
		return t[languages[0]]
	}
	return ""
}

// Manifest is an election's description, fixed at creation.
type Manifest struct {
	// Reference is free text that tells elections apart (two manifests that
	// are otherwise equal have the same id).
	Reference string `json:"reference"`
	// Authority is the official's key: it signs the create-election,
	// append-voters, open and close transactions.
	Authority AuthorityPublicKey `json:"authority"`
	// Languages lists the languages of every text; the first is the default.
	Languages   []string  `json:"languages"`
	Title       Text      `json:"title"`
	Description Text      `json:"description"`
	Revoting    bool      `json:"revoting"` // a voter may cast again; the last ballot counts
	Weights     bool      `json:"weights"`  // roll entries carry weights
	Schedule    Schedule  `json:"schedule"`
	Trustees    Trustees  `json:"trustees"`
	Contests    []Contest `json:"contests"`
}

// Schedule is the election's timetable in block time. Times are whole
// seconds (UTC); windows are whole seconds.
type Schedule struct {
	// DKGDealsBy ends the deal round of the key ceremony (earlier if every
	// trustee has dealt).
	DKGDealsBy time.Time
	// DKGComplaintWindow and DKGResponseWindow are the lengths of the
	// complaint and response rounds (each ends earlier once complete).
	DKGComplaintWindow time.Duration
	DKGResponseWindow  time.Duration
	// Open and Close, if not zero, open and close the election by block
	// time; the authority may also open and close it by transaction.
	Open  time.Time
	Close time.Time
}

// scheduleJSON is the JSON form of a Schedule.
type scheduleJSON struct {
	DKGDealsBy         time.Time  `json:"dkg_deals_by"`
	DKGComplaintWindow string     `json:"dkg_complaint_window"`
	DKGResponseWindow  string     `json:"dkg_response_window"`
	Open               *time.Time `json:"open,omitempty"`
	Close              *time.Time `json:"close,omitempty"`
}

// MarshalJSON writes times in RFC 3339 and windows as Go durations ("24h0m0s").
func (s Schedule) MarshalJSON() ([]byte, error) {
	j := scheduleJSON{DKGDealsBy: s.DKGDealsBy, DKGComplaintWindow: s.DKGComplaintWindow.String(), DKGResponseWindow: s.DKGResponseWindow.String()}
	if !s.Open.IsZero() {
		j.Open = &s.Open
	}
	if !s.Close.IsZero() {
		j.Close = &s.Close
	}
	return json.Marshal(j)
}

// Trustees are the key ceremony's participants and threshold: any Threshold
// of them can decrypt the totals.
type Trustees struct {
	Threshold uint32    `json:"threshold"`
	Members   []Trustee `json:"members"`
}

// Trustee is one trustee. Its index in the ceremony is its position in
// Members plus one.
type Trustee struct {
	Name string `json:"name"`
	// Identity signs the trustee's transactions.
	Identity TrusteePublicKey `json:"identity"`
	// EncryptionKey receives the trustee's sealed DKG shares.
	EncryptionKey EncryptionKey `json:"encryption_key"`
}

// Contest is one question of the ballot.
type Contest struct {
	Title         Text         `json:"title"`
	Description   Text         `json:"description"`
	Type          QuestionType `json:"type"`
	MinSelections uint32       `json:"min_selections"`
	MaxSelections uint32       `json:"max_selections"`
	MaxPerOption  uint32       `json:"max_per_option"`
	Options       []Text       `json:"options"`
}

// Rules returns the statement the contest's encrypted ballots are proven
// against.
func (c *Contest) Rules() tally.ContestRules {
	return tally.ContestRules{
		Options:       len(c.Options),
		MaxPerOption:  uint64(c.MaxPerOption),
		MinSelections: uint64(c.MinSelections),
		MaxSelections: uint64(c.MaxSelections),
	}
}

// EncryptionKey is a trustee's X25519 key for sealed DKG shares
// (tally.TrusteeEncryptionPublicKey), as its 32 bytes. Its text form is
// "x25519:" followed by 64 lowercase hex digits.
type EncryptionKey [32]byte

const encryptionKeyPrefix = "x25519:"

// EncryptionKeyOf wraps a tally key.
func EncryptionKeyOf(k *tally.TrusteeEncryptionPublicKey) EncryptionKey {
	var e EncryptionKey
	copy(e[:], k.Bytes())
	return e
}

// Tally returns the key as tally uses it, rejecting a key that is not a
// canonical X25519 key of large order.
func (k EncryptionKey) Tally() (*tally.TrusteeEncryptionPublicKey, error) {
	msg := append(tagBytes(tally.TagDKGEncryptionKey), k[:]...)
	var pk tally.TrusteeEncryptionPublicKey
	if err := pk.UnmarshalBinary(msg); err != nil {
		return nil, fmt.Errorf("%w: encryption key: %v", ErrInvalidKey, err)
	}
	return &pk, nil
}

// String returns the text form.
func (k EncryptionKey) String() string { return encryptionKeyPrefix + hex.EncodeToString(k[:]) }

// MarshalText returns the text form.
func (k EncryptionKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses the text form and checks the key.
func (k *EncryptionKey) UnmarshalText(b []byte) error {
	rest, ok := strings.CutPrefix(string(b), encryptionKeyPrefix)
	if !ok {
		return fmt.Errorf("%w: encryption key does not start with %q", ErrInvalidKey, encryptionKeyPrefix)
	}
	raw, err := decodeLowerHex(rest, 32)
	if err != nil {
		return fmt.Errorf("%w: encryption key: %v", ErrInvalidKey, err)
	}
	var e EncryptionKey
	copy(e[:], raw)
	if _, err := e.Tally(); err != nil {
		return err
	}
	*k = e
	return nil
}

// ID returns the election id: SHA-256 over tag("evote/v1/election-id")
// followed by the canonical manifest encoding.
func (m *Manifest) ID() (ID, error) {
	b, err := m.MarshalBinary()
	if err != nil {
		return ID{}, err
	}
	return idOf(b), nil
}

func idOf(manifest []byte) ID {
	h := sha256.New()
	h.Write(tagBytes(TagElectionID))
	h.Write(manifest)
	var id ID
	h.Sum(id[:0])
	return id
}

// Rules returns the rules of every contest, in ballot order.
func (m *Manifest) Rules() []tally.ContestRules {
	out := make([]tally.ContestRules, len(m.Contests))
	for i := range m.Contests {
		out[i] = m.Contests[i].Rules()
	}
	return out
}

// TotalOptions is the number of options over all contests: the number of
// aggregates, decryption shares and totals of the election.
func (m *Manifest) TotalOptions() int {
	n := 0
	for i := range m.Contests {
		n += len(m.Contests[i].Options)
	}
	return n
}

// MaxPerOption is the largest per-option maximum of any contest.
func (m *Manifest) MaxPerOption() uint32 {
	k := uint32(1)
	for i := range m.Contests {
		k = max(k, m.Contests[i].MaxPerOption)
	}
	return k
}

// TrusteeIndex returns the ceremony index (1..N) of the trustee with the
// identity key, or 0 if none has it.
func (m *Manifest) TrusteeIndex(identity PublicKey) uint32 {
	for i, t := range m.Trustees.Members {
		if t.Identity.Key() == identity {
			return uint32(i + 1)
		}
	}
	return 0
}

// DKGParams returns the parameters of the election's key ceremony; its
// context is the election id.
func (m *Manifest) DKGParams(id ID) (*tally.DKGParams, error) {
	p := &tally.DKGParams{
		Context: id[:],
		N:       uint32(len(m.Trustees.Members)),
		T:       m.Trustees.Threshold,
	}
	for i, t := range m.Trustees.Members {
		k, err := t.EncryptionKey.Tally()
		if err != nil {
			return nil, err
		}
		p.Trustees = append(p.Trustees, tally.TrusteeInfo{Index: uint32(i + 1), EncryptionKey: k})
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: trustees: %v", ErrInvalidManifest, err)
	}
	return p, nil
}

// BallotContestsSize is the encoded size of the contests of one ballot.
func (m *Manifest) BallotContestsSize() int {
	n := 0
	for i := range m.Contests {
		n += 4 + m.Contests[i].Rules().EncodedSize()
	}
	return n
}

// Validate checks every rule of docs/spec/manifest.md. The error is a
// *ManifestError naming the field (it matches ErrInvalidManifest).
func (m *Manifest) Validate() error {
	if len(m.Reference) > MaxReferenceLen || !utf8.ValidString(m.Reference) {
		return manifestErr("reference", "at most %d bytes of UTF-8", MaxReferenceLen)
	}
	if err := m.Authority.check(); err != nil || m.Authority.IsZero() {
		return manifestErr("authority", "not a valid public key")
	}
	if len(m.Languages) < 1 || len(m.Languages) > MaxLanguages {
		return manifestErr("languages", "%d languages (1..%d)", len(m.Languages), MaxLanguages)
	}
	for i, l := range m.Languages {
		if !validLanguage(l) {
			return manifestErr(fmt.Sprintf("languages[%d]", i), "%q is not a language code (2 to 35 letters, digits and '-', starting with a letter)", l)
		}
		for _, p := range m.Languages[:i] {
			if p == l {
				return manifestErr(fmt.Sprintf("languages[%d]", i), "%q listed twice", l)
			}
		}
	}
	if err := m.checkText("title", m.Title, MaxTitleLen, true); err != nil {
		return err
	}
	if err := m.checkText("description", m.Description, MaxDescriptionLen, false); err != nil {
		return err
	}
	if err := m.Schedule.validate(); err != nil {
		return err
	}
	if err := m.validateTrustees(); err != nil {
		return err
	}
	if len(m.Contests) < 1 || len(m.Contests) > MaxContests {
		return manifestErr("contests", "%d contests (1..%d)", len(m.Contests), MaxContests)
	}
	for i := range m.Contests {
		if err := m.validateContest(i); err != nil {
			return err
		}
	}
	if n := m.TotalOptions(); n > MaxTotalOptions {
		return manifestErr("contests", "%d options in all (at most %d)", n, MaxTotalOptions)
	}
	if n := m.BallotContestsSize(); n > MaxBallotContestsSz {
		return manifestErr("contests", "a ballot would take %d bytes (at most %d)", n, MaxBallotContestsSz)
	}
	return nil
}

func validLanguage(l string) bool {
	if len(l) < 2 || len(l) > 35 || !(l[0] >= 'a' && l[0] <= 'z' || l[0] >= 'A' && l[0] <= 'Z') {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// checkText requires exactly the manifest's languages, valid UTF-8 of at
// most max bytes each, and non-empty texts if required.
func (m *Manifest) checkText(field string, t Text, max int, required bool) error {
	if len(t) != len(m.Languages) {
		return manifestErr(field, "%d texts for %d languages", len(t), len(m.Languages))
	}
	for _, l := range m.Languages {
		s, ok := t[l]
		switch {
		case !ok:
			return manifestErr(field, "no text in %q", l)
		case len(s) > max || !utf8.ValidString(s):
			return manifestErr(field+"."+l, "at most %d bytes of UTF-8", max)
		case required && strings.TrimSpace(s) == "":
			return manifestErr(field+"."+l, "empty")
		}
	}
	return nil
}

func wholeSeconds(t time.Time) bool { return t.Nanosecond() == 0 }

func (s *Schedule) validate() error {
	if s.DKGDealsBy.IsZero() || s.DKGDealsBy.Unix() <= 0 || !wholeSeconds(s.DKGDealsBy) {
		return manifestErr("schedule.dkg_deals_by", "required, after 1970, in whole seconds")
	}
	for _, w := range []struct {
		name string
		d    time.Duration
	}{{"schedule.dkg_complaint_window", s.DKGComplaintWindow}, {"schedule.dkg_response_window", s.DKGResponseWindow}} {
		if w.d < time.Second || w.d > MaxWindow || w.d%time.Second != 0 {
			return manifestErr(w.name, "%v: whole seconds from 1s to %v", w.d, MaxWindow)
		}
	}
	for _, t := range []struct {
		name string
		t    time.Time
	}{{"schedule.open", s.Open}, {"schedule.close", s.Close}} {
		if !t.t.IsZero() && (t.t.Unix() <= 0 || !wholeSeconds(t.t)) {
			return manifestErr(t.name, "after 1970, in whole seconds")
		}
	}
	if !s.Open.IsZero() && !s.Close.IsZero() && !s.Open.Before(s.Close) {
		return manifestErr("schedule.close", "not after schedule.open")
	}
	if !s.Close.IsZero() && !s.DKGDealsBy.Before(s.Close) {
		return manifestErr("schedule.close", "not after schedule.dkg_deals_by")
	}
	return nil
}

func (m *Manifest) validateTrustees() error {
	t := &m.Trustees
	n := len(t.Members)
	if n < 1 || n > MaxTrustees {
		return manifestErr("trustees.members", "%d trustees (1..%d)", n, MaxTrustees)
	}
	if t.Threshold < 1 || int(t.Threshold) > n {
		return manifestErr("trustees.threshold", "%d (1..%d)", t.Threshold, n)
	}
	for i, tr := range t.Members {
		f := fmt.Sprintf("trustees.members[%d]", i)
		if strings.TrimSpace(tr.Name) == "" || len(tr.Name) > MaxTrusteeNameLen || !utf8.ValidString(tr.Name) {
			return manifestErr(f+".name", "1 to %d bytes of UTF-8", MaxTrusteeNameLen)
		}
		if err := tr.Identity.check(); err != nil || tr.Identity.IsZero() {
			return manifestErr(f+".identity", "not a valid public key")
		}
		if _, err := tr.EncryptionKey.Tally(); err != nil {
			return manifestErr(f+".encryption_key", "%v", err)
		}
		for j, p := range t.Members[:i] {
			if p.Identity == tr.Identity {
				return manifestErr(f+".identity", "same as trustee %d", j+1)
			}
			if p.EncryptionKey == tr.EncryptionKey {
				return manifestErr(f+".encryption_key", "same as trustee %d", j+1)
			}
		}
	}
	return nil
}

func (m *Manifest) validateContest(i int) error {
	c := &m.Contests[i]
	f := fmt.Sprintf("contests[%d]", i)
	if err := m.checkText(f+".title", c.Title, MaxTitleLen, true); err != nil {
		return err
	}
	if err := m.checkText(f+".description", c.Description, MaxDescriptionLen, false); err != nil {
		return err
	}
	n := uint32(len(c.Options))
	if n < 1 || n > MaxOptions {
		return manifestErr(f+".options", "%d options (1..%d)", n, MaxOptions)
	}
	for j, o := range c.Options {
		if err := m.checkText(fmt.Sprintf("%s.options[%d]", f, j), o, MaxTitleLen, true); err != nil {
			return err
		}
	}
	switch c.Type {
	case Plurality:
		if c.MaxPerOption != 1 || c.MaxSelections != 1 || c.MinSelections > 1 {
			return manifestErr(f, "a plurality contest has max_per_option 1, max_selections 1 and min_selections 0 or 1")
		}
	case Approval:
		if c.MaxPerOption != 1 {
			return manifestErr(f+".max_per_option", "an approval contest has max_per_option 1")
		}
	case Cumulative, Score:
		if c.MaxPerOption < 1 {
			return manifestErr(f+".max_per_option", "required (at least 1)")
		}
	default:
		return manifestErr(f+".type", "unknown question type %d", uint8(c.Type))
	}
	if err := c.Rules().Validate(); err != nil {
		return manifestErr(f, "selection rules: %v", err)
	}
	return nil
}
