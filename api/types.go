package api

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// Status is GET /api/v1/status: the node's chain and its last committed
// block.
type Status struct {
	ChainID    string      `json:"chain_id"`
	Height     int64       `json:"height"`
	AppHash    string      `json:"app_hash"` // hex, as CometBFT writes it
	BlockTime  time.Time   `json:"block_time"`
	Validators []Validator `json:"validators"`
	// PeerNodes are the other polling nodes (origins) whose API this
	// node's pages may call: the wallet offers their elections.
	PeerNodes []string `json:"peer_nodes"`
}

// Genesis is GET /api/v1/genesis: the chain's genesis as the head of an
// election's record carries it (docs/spec/record.md), and the node's
// genesis fingerprint of it, which a client computes again rather than
// trusts.
type Genesis struct {
	ChainID     string     `json:"chain_id"`
	Genesis     GenesisDoc `json:"genesis"`
	Fingerprint string     `json:"fingerprint"`
}

// GenesisDoc is the genesis's application state and validators.
type GenesisDoc struct {
	AppState   json.RawMessage    `json:"app_state"`
	Validators []GenesisValidator `json:"validators"`
}

// GenesisValidator is a validator of the genesis, in its order: the
// Ed25519 public key (base64) and the voting power.
type GenesisValidator struct {
	PubKey []byte `json:"pub_key"`
	Power  int64  `json:"power"`
}

// Validator is a validator as the status shows it (and as a wallet's
// receipt file records it): address (hex), Ed25519 public key (base64),
// voting power.
type Validator struct {
	Address string `json:"address"`
	PubKey  []byte `json:"pub_key"`
	Power   int64  `json:"power"`
}

// ElectionList is GET /api/v1/elections.
type ElectionList struct {
	Elections []ElectionSummary `json:"elections"`
}

// ElectionSummary is one line of the list of elections.
type ElectionSummary struct {
	ID            election.ID    `json:"id"`
	Title         election.Text  `json:"title"`
	Phase         election.Phase `json:"phase"`
	CreatedHeight int64          `json:"created_height"`
	RollSize      uint64         `json:"roll_size"`
	Voters        uint64         `json:"voters"`  // voters with a counted ballot
	Ballots       uint64         `json:"ballots"` // ballots accepted, replaced ones included
}

// ElectionDetail is GET /api/v1/elections/{id}: everything about one
// election but its roll, ballots and aggregates.
type ElectionDetail struct {
	ID       election.ID        `json:"id"`
	Manifest *election.Manifest `json:"manifest"`
	Phase    election.Phase     `json:"phase"`
	Failure  string             `json:"failure,omitempty"`
	Phases   []PhaseTime        `json:"phases"`
	OpenDue  bool               `json:"open_due"`               // the scheduled opening passed before the key was fixed
	Deadline *time.Time         `json:"dkg_deadline,omitempty"` // end of the current ceremony round
	JointKey *tally.PublicKey   `json:"joint_key,omitempty"`    // once fixed
	Trustees []TrusteeStatus    `json:"trustees"`
	Counts   Counts             `json:"counts"`
}

// Text picks a text in the manifest's first language (any language if
// that one is missing).
func (d *ElectionDetail) Text(t election.Text) string {
	if d.Manifest != nil && len(d.Manifest.Languages) > 0 {
		if s, ok := t[d.Manifest.Languages[0]]; ok {
			return s
		}
	}
	for _, s := range t {
		return s
	}
	return ""
}

// PhaseTime is when an election entered a phase.
type PhaseTime struct {
	Phase  election.Phase `json:"phase"`
	Height int64          `json:"height"`
	Time   time.Time      `json:"time"`
}

// TrusteeStatus is a trustee's part in the ceremony and the decryption.
type TrusteeStatus struct {
	Index            uint32                    `json:"index"`
	Name             string                    `json:"name"`
	Identity         election.TrusteePublicKey `json:"identity"`
	Dealt            bool                      `json:"dealt"`
	ComplaintsPosted bool                      `json:"complaints_posted"`
	ComplaintsAbout  []uint32                  `json:"complaints_about,omitempty"` // the dealers it complained about
	Qualified        bool                      `json:"qualified"`
	Excluded         *election.Exclusion       `json:"excluded,omitempty"`
	VerificationKey  *tally.PublicKey          `json:"verification_key,omitempty"` // once the key is fixed
	SharesPosted     bool                      `json:"shares_posted"`
}

// Counts are an election's counters.
type Counts struct {
	RollSize   uint64 `json:"roll_size"`
	RollWeight uint64 `json:"roll_weight"`
	Voters     uint64 `json:"voters"`
	WeightCast uint64 `json:"weight_cast"`
	Ballots    uint64 `json:"ballots"`
	Deals      uint32 `json:"deals"`
	Complaints uint32 `json:"complaint_sets"`
	Responses  uint32 `json:"responses"`
	ShareSets  uint32 `json:"share_sets"`
}

// RollPage is GET /api/v1/elections/{id}/roll: a page of the roll, sorted
// by voter key.
type RollPage struct {
	Election election.ID `json:"election"`
	Total    uint64      `json:"total"`
	Offset   int         `json:"offset"`
	Voters   []RollVoter `json:"voters"`
}

// RollVoter is one voter of the roll.
type RollVoter struct {
	Voter    election.VoterPublicKey `json:"voter"`
	Weight   uint32                  `json:"weight"`
	Position uint64                  `json:"position"` // order of appending, from 0
}

// Tally is GET /api/v1/elections/{id}/tally: the running encrypted tally.
type Tally struct {
	Election   election.ID    `json:"election"`
	Phase      election.Phase `json:"phase"`
	RollSize   uint64         `json:"roll_size"`
	Voters     uint64         `json:"voters"` // turnout
	WeightCast uint64         `json:"weight_cast"`
	Ballots    uint64         `json:"ballots"`
	Contests   []ContestTally `json:"contests"` // empty until the key is fixed
}

// Aggregates returns the aggregate ciphertexts in aggregate order (contest
// by contest, option by option): what each trustee decrypts.
func (t *Tally) Aggregates() []*tally.Ciphertext {
	var out []*tally.Ciphertext
	for _, c := range t.Contests {
		for _, o := range c.Options {
			out = append(out, o.Aggregate.Ciphertext)
		}
	}
	return out
}

// ContestTally is one contest's running aggregates.
type ContestTally struct {
	Index   int           `json:"index"`
	Options []OptionTally `json:"options"`
}

// OptionTally is one option's running aggregate.
type OptionTally struct {
	Index     int       `json:"index"`
	Aggregate Aggregate `json:"aggregate"`
	Ballots   uint64    `json:"ballots"` // ballots counted into it (every ballot covers every option)
}

// Aggregate is an aggregate ciphertext; its text form is the hex of the 64
// bytes A || B, where either point may be the identity (an option no
// ballot has counted yet), which a ballot's ciphertext may not.
type Aggregate struct{ *tally.Ciphertext }

// MarshalText implements encoding.TextMarshaler.
func (a Aggregate) MarshalText() ([]byte, error) {
	if a.Ciphertext == nil {
		return nil, fmt.Errorf("api: no aggregate")
	}
	return hex.AppendEncode(nil, a.Bytes()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Aggregate) UnmarshalText(b []byte) error {
	raw, err := hex.DecodeString(string(b))
	if err != nil {
		return fmt.Errorf("%w: aggregate: %v", election.ErrMalformed, err)
	}
	c, err := election.ParseAggregate(raw)
	if err != nil {
		return err
	}
	a.Ciphertext = c
	return nil
}

// Result is GET /api/v1/elections/{id}/result: the decrypted outcome.
type Result struct {
	Election   election.ID     `json:"election"`
	Height     int64           `json:"height"` // the block that derived it
	Time       time.Time       `json:"time"`
	Voters     uint64          `json:"voters"`      // turnout
	WeightCast uint64          `json:"weight_cast"` // equal to voters without weights
	Trustees   []uint32        `json:"trustees"`    // whose shares were combined
	Contests   []ContestResult `json:"contests"`
}

// ContestResult is one contest's decrypted totals, by option.
type ContestResult struct {
	Index  int      `json:"index"`
	Totals []uint64 `json:"totals"`
}

// DKG is GET /api/v1/elections/{id}/dkg: every key-ceremony message the
// chain admitted, with the canonical manifest they are checked against.
type DKG struct {
	Election election.ID    `json:"election"`
	Phase    election.Phase `json:"phase"`
	// Manifest travels as the hex of its canonical encoding (tag
	// "evote/v1/manifest"), from which the election id derives.
	Manifest      CanonicalManifest `json:"manifest"`
	Deals         []DKGDeal         `json:"deals"`
	ComplaintSets []DKGComplaintSet `json:"complaint_sets"`
	Responses     []DKGResponse     `json:"responses"`
}

// Messages returns the ceremony's messages as election's plain values
// (what election.QueryDKG returns on the node), for the trustee's view.
func (d *DKG) Messages() *election.DKGMessages {
	m := &election.DKGMessages{Election: d.Election, Phase: d.Phase, Manifest: d.Manifest.Manifest}
	for _, x := range d.Deals {
		m.Deals = append(m.Deals, election.DKGDealEntry{Dealer: x.Dealer, Deal: x.Deal})
	}
	for _, x := range d.ComplaintSets {
		m.ComplaintSets = append(m.ComplaintSets, election.DKGComplaintSet{Complainer: x.Complainer, Dealers: x.Dealers})
	}
	for _, x := range d.Responses {
		m.Responses = append(m.Responses, election.DKGResponseItem{Dealer: x.Dealer, Complainer: x.Complainer, Response: x.Response})
	}
	return m
}

// CanonicalManifest is a manifest whose text form is the hex of its
// canonical encoding.
type CanonicalManifest struct{ *election.Manifest }

// MarshalText implements encoding.TextMarshaler.
func (m CanonicalManifest) MarshalText() ([]byte, error) {
	if m.Manifest == nil {
		return nil, fmt.Errorf("api: no manifest")
	}
	b, err := m.MarshalBinary()
	return hex.AppendEncode(nil, b), err
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *CanonicalManifest) UnmarshalText(b []byte) error {
	raw, err := hex.DecodeString(string(b))
	if err != nil {
		return fmt.Errorf("%w: manifest: %v", election.ErrMalformed, err)
	}
	man, err := election.DecodeManifest(raw)
	if err != nil {
		return err
	}
	m.Manifest = man
	return nil
}

// DKGDeal is one dealer's deal.
type DKGDeal struct {
	Dealer uint32         `json:"dealer"`
	Deal   *tally.DKGDeal `json:"deal"`
}

// DKGComplaintSet is what one trustee posted in the complaint round: the
// dealers it complains about, possibly none.
type DKGComplaintSet struct {
	Complainer uint32   `json:"complainer"`
	Dealers    []uint32 `json:"dealers"`
}

// DKGResponse is a dealer's answer to one complaint.
type DKGResponse struct {
	Dealer     uint32             `json:"dealer"`
	Complainer uint32             `json:"complainer"`
	Response   *tally.DKGResponse `json:"response"`
}

// VoterStatus is GET /api/v1/elections/{id}/voters/{key}: a voter's
// standing in an election.
type VoterStatus struct {
	Election election.ID             `json:"election"`
	Voter    election.VoterPublicKey `json:"voter"`
	OnRoll   bool                    `json:"on_roll"`
	Weight   uint32                  `json:"weight,omitempty"`
	Voted    bool                    `json:"voted"`
	Seq      uint64                  `json:"seq,omitempty"`     // of the counted ballot
	TxHash   *TxHash                 `json:"tx_hash,omitempty"` // of the counted ballot
	Height   int64                   `json:"height,omitempty"`  // where it was accepted
}

// SubmitRequest is the JSON body of POST /api/v1/transactions; the body
// may instead be the raw transaction (application/octet-stream).
type SubmitRequest struct {
	Tx []byte `json:"tx"` // base64 (standard encoding)
}

// SubmitResponse is the answer to an admitted transaction. Error is set
// when it was admitted but refused in its block.
type SubmitResponse struct {
	Error        string   `json:"error,omitempty"`
	TrackingCode TxHash   `json:"tracking_code"`
	Code         CodeNum  `json:"code"` // the stable result code (docs/spec/codes.md)
	CodeName     string   `json:"code_name"`
	Committed    bool     `json:"committed"`
	Height       int64    `json:"height,omitempty"`  // the block that holds it, once committed
	Receipt      *Receipt `json:"receipt,omitempty"` // once committed, unless ?receipt=false
}

// ErrorBody is the body of every error answer.
type ErrorBody struct {
	Error string `json:"error"`
	// For a refused transaction: its result code, by number and name.
	Code     *CodeNum `json:"code,omitempty"`
	CodeName string   `json:"code_name,omitempty"`
	// TrackingCode is set when the error concerns a transaction.
	TrackingCode *TxHash `json:"tracking_code,omitempty"`
	// State is set by GET /api/v1/receipts/{code} when the transaction is
	// not committed: ReceiptPending or ReceiptUnknown.
	State string `json:"state,omitempty"`
}

// What GET /api/v1/receipts/{code} says of a transaction (docs/api.md):
// committed and accepted (200, the receipt), committed and refused by the
// state machine (200, the receipt with its code), in this node's mempool
// (202), or unknown to this node (404): never committed here and not in
// its mempool, for example lost with the mempool of a node that restarted.
const (
	ReceiptCommitted = "committed"
	ReceiptRefused   = "refused"
	ReceiptPending   = "pending"
	ReceiptUnknown   = "unknown"
)

// Receipt is GET /api/v1/receipts/{code}: proof that a transaction is in
// a committed block. The CometBFT parts (the Merkle proof of the
// transaction, the block header, its commit and the validator set) are
// CometBFT's own JSON, kept raw here; chain.Receipt decodes them and
// chain.VerifyReceipt checks the whole offline. Once the next block is
// committed the receipt has its result part too (NextHeader, NextCommit,
// Result, ResultProof), which proves the result code; and once the
// chain's validators have changed, the validator hops from the genesis to
// the block (docs/spec/wallet-receipt.md).
type Receipt struct {
	// State is ReceiptCommitted (code 0) or ReceiptRefused.
	State        string          `json:"state,omitempty"`
	ChainID      string          `json:"chain_id"`
	TrackingCode TxHash          `json:"tracking_code"`
	Height       int64           `json:"height"`
	Index        int             `json:"index"` // the transaction's position in the block
	Code         CodeNum         `json:"code"`
	Log          string          `json:"log"`
	TxHash       HexBytes        `json:"tx_hash"`
	Proof        json.RawMessage `json:"proof"`
	Header       json.RawMessage `json:"header"`
	Commit       json.RawMessage `json:"commit"`
	ValidatorSet json.RawMessage `json:"validator_set"`
	NextHeader   json.RawMessage `json:"next_header,omitempty"`
	NextCommit   json.RawMessage `json:"next_commit,omitempty"`
	Result       HexBytes        `json:"result,omitempty"` // the transaction's deterministic ExecTxResult, hex
	ResultProof  json.RawMessage `json:"result_proof,omitempty"`
	// ValidatorHops are the validator changes in force at Height+1 at the
	// latest, in increasing height; absent while the validators never
	// changed.
	ValidatorHops []ValidatorHop `json:"validator_hops,omitempty"`
}

// ValidatorHop is one change of the validator set on the way from the
// genesis to a receipt's block: the header that announces it (its
// next_validators_hash names the new set), that header's commit, signed by
// the set in force, and the new set, each in CometBFT's JSON.
type ValidatorHop struct {
	Header       json.RawMessage `json:"header"`
	Commit       json.RawMessage `json:"commit"`
	ValidatorSet json.RawMessage `json:"validator_set"`
}

// CodeNum is a result code as the API writes it: by number (code_name
// carries its name).
type CodeNum uint32

// Code returns the result code.
func (c CodeNum) Code() election.Code { return election.Code(c) }

// TxHash is a transaction's hash, which is its tracking code; its text
// form is 64 lower-case hex digits.
type TxHash [32]byte

// String returns the hex form.
func (h TxHash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText implements encoding.TextMarshaler.
func (h TxHash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *TxHash) UnmarshalText(b []byte) error {
	t, err := ParseTxHash(string(b))
	if err != nil {
		return err
	}
	*h = t
	return nil
}

// ParseTxHash parses a tracking code.
func ParseTxHash(s string) (TxHash, error) {
	var h TxHash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("%w: tracking code: want %d hex digits", election.ErrMalformed, 2*len(h))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("%w: tracking code: %v", election.ErrMalformed, err)
	}
	return h, nil
}

// HexBytes is bytes whose text form is lower-case hex.
type HexBytes []byte

// MarshalText implements encoding.TextMarshaler.
func (b HexBytes) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, b), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *HexBytes) UnmarshalText(t []byte) error {
	raw, err := hex.DecodeString(string(t))
	if err != nil {
		return fmt.Errorf("%w: hex: %v", election.ErrMalformed, err)
	}
	*b = raw
	return nil
}
