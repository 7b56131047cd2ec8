// Package walletbridge is the web wallet's side in Go: what the browser's
// wallet module (web/wasm/wallet, package wallet compiled to WebAssembly)
// does when the page's worker calls it. It keeps the open keystore and the
// election being voted in, and answers each call with JSON. Everything
// here is package wallet's and receiptlite's; the bridge only decodes the
// arguments and names the errors, so that it runs (and is tested) as
// ordinary Go as well.
//
// Calls (op, then the argument object's fields):
//
//	create                               an empty keystore (unsealed)
//	open          sealed, passphrase     open a keystore (wallet.OpenKeystore)
//	seal          passphrase             seal the keystore (wallet.SealKeystore, DefaultKDF)
//	lock                                 forget the keystore
//	seal_data     passphrase, data       seal other bytes (the receipts) the same way (wallet.Seal)
//	open_data     passphrase, sealed     open them (wallet.Open)
//	generate      name                   a new key
//	import_text   name, text             a key in its text form (evote-voter-secret:…)
//	import_file   sealed, passphrase     merge a keystore file of `evote wallet`
//	remove        name                   drop a key
//	election      chain_id, id, detail   the election to vote in: the node's
//	                                     GET /api/v1/elections/{id}, checked against id
//	ballot        key, seq, choices      a ballot to cast (wallet.BuildBallot)
//	spoil         key, seq, choices      a ballot opened in an audit file (wallet.SpoilBallot)
//	receipt_file  file, trusted?         check a receipt file (receiptlite), against
//	                                     trusted validators if given, else the file's own
//	genesis       head, pin?             the trust anchor: the genesis validators and fingerprint
//	                                     of the record's head (the feed's hello), pinned if given
//	receipt       receipt, chain_id,     check a node's receipt (GET /api/v1/receipts/{code})
//	              trusted                against trusted validators; name the ballot in it
//
// Byte strings (sealed keystores, transactions) are standard base64.
// The answer is {"ok": true, ...} or {"ok": false, "error": CODE,
// "message": TEXT}, where CODE names the failure (errorCode).
package walletbridge

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/receiptlite"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/wallet"
)

// Bridge is the state of one page's wallet.
type Bridge struct {
	ks       *wallet.Keystore // nil while locked
	el       *wallet.Election
	manifest json.RawMessage
	// KDF seals keystores; the zero value means wallet.DefaultKDF.
	KDF wallet.KDFParams
}

// args are every call's possible arguments.
type args struct {
	Sealed     []byte                  `json:"sealed"`
	Data       []byte                  `json:"data"`
	Passphrase string                  `json:"passphrase"`
	Name       string                  `json:"name"`
	Text       string                  `json:"text"`
	ChainID    string                  `json:"chain_id"`
	ID         string                  `json:"id"`
	Detail     json.RawMessage         `json:"detail"`
	Key        string                  `json:"key"`
	Seq        uint64                  `json:"seq"`
	Choices    [][]uint64              `json:"choices"`
	File       json.RawMessage         `json:"file"`
	Head       json.RawMessage         `json:"head"`
	Pin        string                  `json:"pin"`
	Trusted    []receiptlite.Validator `json:"trusted"`
	Receipt    *receiptlite.Receipt    `json:"receipt"`
}

// KeyInfo is a key as the page shows it.
type KeyInfo struct {
	Name   string `json:"name"`
	Public string `json:"public"` // evote-voter:…
	// QR is Public as a QR code, row by row, '1' for a dark module.
	QR []string `json:"qr"`
}

// ContestInfo is a contest's rules as the booth enforces them.
type ContestInfo struct {
	Type          string `json:"type"`
	Options       int    `json:"options"`
	MinSelections uint32 `json:"min_selections"`
	MaxSelections uint32 `json:"max_selections"`
	MaxPerOption  uint32 `json:"max_per_option"`
}

// Answer is every call's answer; the fields beyond ok depend on the call.
type Answer struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`

	Keys   []KeyInfo `json:"keys,omitempty"`
	Added  []string  `json:"added,omitempty"`
	Key    *KeyInfo  `json:"key,omitempty"`
	Sealed []byte    `json:"sealed,omitempty"`
	Data   []byte    `json:"data,omitempty"`

	Election *ElectionInfo `json:"election,omitempty"`

	Tx           []byte     `json:"tx,omitempty"`
	TrackingCode string     `json:"tracking_code,omitempty"`
	AuditFile    string     `json:"audit_file,omitempty"`
	Opened       [][]uint64 `json:"opened,omitempty"`

	Receipt *ReceiptInfo `json:"receipt,omitempty"`

	Anchor *receiptlite.Anchor `json:"anchor,omitempty"`
}

// ElectionInfo is the checked election.
type ElectionInfo struct {
	ID       string          `json:"id"`
	ChainID  string          `json:"chain_id"`
	Manifest json.RawMessage `json:"manifest"`
	Contests []ContestInfo   `json:"contests"`
	Revoting bool            `json:"revoting"`
}

// ReceiptInfo is a checked receipt file.
type ReceiptInfo struct {
	File       string `json:"file"` // the file, indented JSON as `evote` writes it
	Height     int64  `json:"height"`
	Index      int    `json:"index"`
	Seq        uint64 `json:"seq"`
	Election   string `json:"election"`
	Tracking   string `json:"tracking_code"`
	Validators int    `json:"validators"`
	Voter      string `json:"voter,omitempty"`
	// Accepted: the receipt's result part proved code 0 (the state machine
	// accepted the ballot); otherwise it proves inclusion in the block only
	// (a file of version receiptlite.TagV1, or a node's receipt given
	// before the next block).
	Accepted bool `json:"accepted"`
	// Changes is how many changes of the validators the receipt's hops
	// lead through from the trusted validators, and InForce the number of
	// validators that signed the block; both absent without changes.
	Changes int `json:"changes,omitempty"`
	InForce int `json:"in_force,omitempty"`
}

// Call runs op with its arguments (a JSON object) and returns the answer
// as JSON.
func (b *Bridge) Call(op string, raw []byte) []byte {
	a, err := b.call(op, raw)
	if err != nil {
		a = &Answer{Error: errorCode(err), Message: err.Error()}
	} else {
		a.OK = true
	}
	out, err := json.Marshal(a)
	if err != nil {
		out, _ = json.Marshal(Answer{Error: "internal", Message: err.Error()})
	}
	return out
}

// ErrLocked is the answer to a call that needs the keystore while it is
// locked; ErrNoElection to a ballot before the election.
var (
	ErrLocked     = errors.New("the wallet is locked")
	ErrNoElection = errors.New("no election chosen")
	ErrUnknownOp  = errors.New("unknown call")
)

func (b *Bridge) call(op string, raw []byte) (*Answer, error) {
	var a args
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("%w: arguments: %v", ErrUnknownOp, err)
		}
	}
	switch op {
	case "create":
		b.ks = wallet.NewKeystore()
		return b.keys(), nil
	case "open":
		ks, err := wallet.OpenKeystore([]byte(a.Passphrase), a.Sealed)
		if err != nil {
			return nil, err
		}
		b.ks = ks
		return b.keys(), nil
	case "lock":
		b.ks = nil
		return &Answer{}, nil
	case "seal_data":
		if a.Passphrase == "" {
			return nil, fmt.Errorf("%w: an empty passphrase", wallet.ErrPassphrase)
		}
		sealed, err := wallet.Seal([]byte(a.Passphrase), a.Data, b.kdf(), rand.Reader)
		if err != nil {
			return nil, err
		}
		return &Answer{Sealed: sealed}, nil
	case "open_data":
		data, err := wallet.Open([]byte(a.Passphrase), a.Sealed)
		if err != nil {
			return nil, err
		}
		return &Answer{Data: data}, nil
	case "election":
		return b.election(a)
	case "receipt_file":
		return receiptFile(a)
	case "receipt":
		return receipt(a)
	case "genesis":
		anchor, err := receiptlite.GenesisAnchor(a.Head, strings.ToLower(strings.TrimSpace(a.Pin)))
		if err != nil {
			return nil, err
		}
		return &Answer{Anchor: anchor}, nil
	}
	if b.ks == nil {
		return nil, ErrLocked
	}
	switch op {
	case "seal":
		if a.Passphrase == "" {
			return nil, fmt.Errorf("%w: an empty passphrase", wallet.ErrPassphrase)
		}
		sealed, err := wallet.SealKeystore(b.ks, []byte(a.Passphrase), b.kdf(), rand.Reader)
		if err != nil {
			return nil, err
		}
		ans := b.keys()
		ans.Sealed = sealed
		return ans, nil
	case "generate":
		k, err := b.ks.Generate(a.Name, rand.Reader)
		if err != nil {
			return nil, err
		}
		ans := b.keys()
		ans.Key = &KeyInfo{Name: a.Name, Public: k.Public().String()}
		return ans, nil
	case "import_text":
		k, err := wallet.ParseVoterKey(a.Text)
		if err != nil {
			return nil, err
		}
		if err := b.ks.Add(a.Name, k); err != nil {
			return nil, err
		}
		ans := b.keys()
		ans.Key = &KeyInfo{Name: a.Name, Public: k.Public().String()}
		return ans, nil
	case "import_file":
		other, err := wallet.OpenKeystore([]byte(a.Passphrase), a.Sealed)
		if err != nil {
			return nil, err
		}
		added, err := b.ks.Merge(other)
		if err != nil {
			return nil, err
		}
		ans := b.keys()
		ans.Added = added
		return ans, nil
	case "remove":
		if _, err := b.ks.Remove(a.Name); err != nil {
			return nil, err
		}
		return b.keys(), nil
	case "ballot", "spoil":
		return b.ballot(op, a)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownOp, op)
}

func (b *Bridge) kdf() wallet.KDFParams {
	if b.KDF == (wallet.KDFParams{}) {
		return wallet.DefaultKDF
	}
	return b.KDF
}

func (b *Bridge) keys() *Answer {
	ans := &Answer{Keys: []KeyInfo{}}
	for _, e := range b.ks.Entries() {
		pub := e.Key.Public().String()
		qr, err := qrRows(pub)
		if err != nil {
			qr = nil // a voter key's text always fits; the page then shows none
		}
		ans.Keys = append(ans.Keys, KeyInfo{Name: e.Name, Public: pub, QR: qr})
	}
	return ans
}

// electionDetail is what the bridge reads of the node's GET
// /api/v1/elections/{id} (api.ElectionDetail; package api is not in the
// module, for its HTTP client's sake).
type electionDetail struct {
	Manifest *election.Manifest `json:"manifest"`
	JointKey *tally.PublicKey   `json:"joint_key"`
}

// election checks the node's election detail against the id the page
// asked for: the manifest must hash to it (as voternode.ElectionOf).
func (b *Bridge) election(a args) (*Answer, error) {
	id, err := election.ParseID(a.ID)
	if err != nil {
		return nil, err
	}
	var d electionDetail
	if err := json.Unmarshal(a.Detail, &d); err != nil {
		return nil, fmt.Errorf("%w: the node's election: %v", election.ErrInvalidManifest, err)
	}
	if d.Manifest == nil {
		return nil, fmt.Errorf("%w: no manifest", election.ErrInvalidManifest)
	}
	if d.JointKey == nil {
		return nil, fmt.Errorf("%w: the election has no joint key yet (its key ceremony is not over)", election.ErrInvalidKey)
	}
	el, err := wallet.NewElection(a.ChainID, d.Manifest, d.JointKey)
	if err != nil {
		return nil, err
	}
	if el.ID != id {
		return nil, fmt.Errorf("%w: the manifest hashes to election %v, not %v", election.ErrInvalidManifest, el.ID, id)
	}
	manifest, err := json.Marshal(d.Manifest)
	if err != nil {
		return nil, err
	}
	b.el, b.manifest = el, manifest
	info := &ElectionInfo{ID: el.ID.String(), ChainID: el.ChainID, Manifest: manifest, Revoting: el.Manifest.Revoting}
	for i := range el.Manifest.Contests {
		c := &el.Manifest.Contests[i]
		t, _ := c.Type.MarshalText()
		info.Contests = append(info.Contests, ContestInfo{Type: string(t), Options: len(c.Options),
			MinSelections: c.MinSelections, MaxSelections: c.MaxSelections, MaxPerOption: c.MaxPerOption})
	}
	return &Answer{Election: info}, nil
}

func (b *Bridge) ballot(op string, a args) (*Answer, error) {
	if b.el == nil {
		return nil, ErrNoElection
	}
	key, err := b.ks.Key(a.Key)
	if err != nil {
		return nil, err
	}
	if a.Seq == 0 {
		return nil, fmt.Errorf("%w: sequence number 0", wallet.ErrInvalidChoice)
	}
	if op == "ballot" {
		bal, err := wallet.BuildBallot(b.el, key, a.Seq, a.Choices, rand.Reader)
		if err != nil {
			return nil, err
		}
		return &Answer{Tx: bal.Tx, TrackingCode: fmt.Sprintf("%x", bal.Hash)}, nil
	}
	af, raw, opened, err := wallet.SpoilBallot(b.el, b.manifest, key, a.Seq, a.Choices, rand.Reader)
	if err != nil {
		return nil, err
	}
	return &Answer{AuditFile: string(raw), TrackingCode: af.TrackingCode, Opened: opened}, nil
}

// receiptFile checks a receipt file offline (receiptlite, the rules of
// `evote receipt check`) and returns it as `evote` writes it.
func receiptFile(a args) (*Answer, error) {
	f, err := receiptlite.Parse(a.File)
	if err != nil {
		return nil, err
	}
	if f.CastAt.IsZero() {
		f.CastAt = time.Now().UTC().Truncate(time.Second)
	}
	var trusted = len(f.Validators)
	set, err := receiptlite.ValidatorSet(f.Validators)
	if len(a.Trusted) > 0 {
		set, err = receiptlite.ValidatorSet(a.Trusted)
		trusted = len(a.Trusted)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: trusted validators: %v", receiptlite.ErrBad, err)
	}
	bb, err := f.CheckOffline(set)
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	info := &ReceiptInfo{File: string(out) + "\n", Height: f.Receipt.Height, Index: f.Receipt.Index,
		Seq: bb.Seq, Election: f.Election.String(), Tracking: f.TrackingCode, Validators: trusted, Accepted: f.ProvesAcceptance()}
	if info.Changes, info.InForce = receiptlite.Followed(f.Receipt, set); info.Changes == 0 {
		info.InForce = 0
	}
	return &Answer{Receipt: info}, nil
}

// receipt checks a node's receipt of a ballot against trusted validators
// and names the ballot it proves.
func receipt(a args) (*Answer, error) {
	set, err := receiptlite.ValidatorSet(a.Trusted)
	if err != nil {
		return nil, fmt.Errorf("%w: trusted validators: %v", receiptlite.ErrBad, err)
	}
	tx, err := receiptlite.Verify(a.Receipt, set, a.ChainID)
	if err != nil {
		return nil, err
	}
	env, err := election.DecodeTx(tx)
	if err != nil || env.Kind != election.KindBallot || !env.Verify(a.ChainID) {
		return nil, fmt.Errorf("%w: the transaction is not a signed ballot", receiptlite.ErrBad)
	}
	body, err := election.DecodeBody(env.Kind, env.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: the ballot: %v", receiptlite.ErrBad, err)
	}
	if code := election.Code(a.Receipt.Code); code != election.CodeOK {
		return nil, &receiptlite.RejectedError{Code: code, Log: a.Receipt.Log, Proven: a.Receipt.Proven()}
	}
	bb := body.(*election.BallotBody)
	voter := election.VoterPublicKey(env.Signer)
	info := &ReceiptInfo{Height: a.Receipt.Height, Index: a.Receipt.Index, Seq: bb.Seq, Election: bb.Election.String(),
		Tracking: strings.ToLower(a.Receipt.TrackingCode), Validators: len(a.Trusted), Voter: voter.String(), Accepted: a.Receipt.Proven()}
	if info.Changes, info.InForce = receiptlite.Followed(a.Receipt, set); info.Changes == 0 {
		info.InForce = 0
	}
	return &Answer{Receipt: info}, nil
}

// errorCode names an error for the page, which words it for the voter.
func errorCode(err error) string {
	if _, ok := errors.AsType[*receiptlite.RejectedError](err); ok {
		return "rejected_receipt"
	}
	for _, c := range []struct {
		target error
		code   string
	}{
		{ErrLocked, "locked"},
		{ErrNoElection, "no_election"},
		{ErrUnknownOp, "unknown_call"},
		{wallet.ErrPassphrase, "passphrase"},
		{wallet.ErrSealed, "sealed"},
		{wallet.ErrKeystore, "keystore"},
		{wallet.ErrKeyName, "key_name"},
		{wallet.ErrKeyExists, "key_exists"},
		{wallet.ErrNoKey, "no_key"},
		{wallet.ErrInvalidChoice, "invalid_choice"},
		{election.ErrInvalidKey, "invalid_key"},
		{election.ErrInvalidManifest, "invalid_manifest"},
		{receiptlite.ErrIncomplete, "incomplete_receipt"},
		{receiptlite.ErrBad, "bad_receipt"},
		{receiptlite.ErrGenesis, "genesis"},
	} {
		if errors.Is(err, c.target) {
			return c.code
		}
	}
	return "failed"
}
