// Package consolebridge is the officials' console in Go: what the
// browser's console module (web/wasm/console) does when the page's worker
// calls it. It keeps the election authority key while the console is
// unlocked, checks the create form and roll files, and signs the
// officials' transactions (package election's), answering each call with
// JSON. Like internal/walletbridge it runs, and is tested, as ordinary Go.
//
// Calls (op, then the argument object's fields):
//
//	import_text   text                   the authority key in its text form
//	                                     (ed25519-secret:…, the key file of `evote up`)
//	seal          passphrase             seal the open key (an authority keystore, SealAuthority)
//	open          sealed, passphrase     open a sealed authority keystore
//	lock                                 forget the key
//	check         form                   check the create form: problems, or the manifest,
//	                                     its YAML (the preview) and its id
//	yaml_form     yaml                   an uploaded manifest YAML as the form
//	create        chain_id, form         the signed create-election transaction
//	roll          text, weights          check a roll file: its voters, or every bad line
//	append        chain_id, election,    one signed append-voters transaction
//	              voters
//	open_election chain_id, election     the signed open transaction
//	close         chain_id, election     the signed close transaction
//
// Byte strings (sealed keys, transactions) are standard base64. The answer
// is {"ok": true, ...} or {"ok": false, "error": CODE, "message": TEXT,
// "problems": [...]}: CODE names the failure (codeOf); problems, for a
// form or a roll file, name each mistake's field or line.
package consolebridge

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/evote/evote/election"
	"github.com/evote/evote/wallet"
)

// Bridge is the state of one console page.
type Bridge struct {
	key *election.PrivateKey // nil while locked
	// KDF seals keys; the zero value means wallet.DefaultKDF.
	KDF wallet.KDFParams
}

type args struct {
	Text       string      `json:"text"`
	Sealed     []byte      `json:"sealed"`
	Passphrase string      `json:"passphrase"`
	Form       *Form       `json:"form"`
	YAML       string      `json:"yaml"`
	ChainID    string      `json:"chain_id"`
	Election   string      `json:"election"`
	Weights    bool        `json:"weights"`
	Voters     []RollVoter `json:"voters"`
}

// Answer is every call's answer; the fields beyond ok depend on the call.
type Answer struct {
	OK       bool      `json:"ok"`
	Error    string    `json:"error,omitempty"`
	Message  string    `json:"message,omitempty"`
	Problems []Problem `json:"problems,omitempty"`

	Authority string `json:"authority,omitempty"` // evote-authority:…
	Sealed    []byte `json:"sealed,omitempty"`

	Form     *Form           `json:"form,omitempty"`
	YAML     string          `json:"yaml,omitempty"`
	ID       string          `json:"id,omitempty"`
	Manifest json.RawMessage `json:"manifest,omitempty"`

	Voters []RollVoter `json:"voters,omitempty"`
	Tx     []byte      `json:"tx,omitempty"`
}

// Errors of the bridge.
var (
	ErrLocked     = errors.New("the console is locked")
	ErrUnknownOp  = errors.New("unknown call")
	ErrNotChainID = errors.New("no chain id")
	// ErrOtherAuthority: an uploaded manifest names another authority key
	// than the console's.
	ErrOtherAuthority = errors.New("the manifest's authority is not this console's key")
)

// Call runs op with its arguments (a JSON object) and returns the answer
// as JSON.
func (b *Bridge) Call(op string, raw []byte) []byte {
	a, err := b.call(op, raw)
	if err != nil {
		if a == nil {
			a = &Answer{}
		}
		a.OK, a.Error, a.Message = false, codeOf(err), err.Error()
	} else {
		a.OK = true
	}
	out, err := json.Marshal(a)
	if err != nil {
		out, _ = json.Marshal(Answer{Error: "failed", Message: err.Error()})
	}
	return out
}

func (b *Bridge) call(op string, raw []byte) (*Answer, error) {
	var a args
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("%w: arguments: %v", ErrUnknownOp, err)
		}
	}
	switch op {
	case "import_text":
		k, err := election.ParsePrivateKey(strings.TrimSpace(a.Text))
		if err != nil {
			return nil, err
		}
		b.key = k
		return b.authority(), nil
	case "open":
		k, err := OpenAuthority([]byte(a.Passphrase), a.Sealed)
		if err != nil {
			return nil, err
		}
		b.key = k
		return b.authority(), nil
	case "lock":
		b.key = nil
		return &Answer{}, nil
	case "roll":
		voters, bad := ParseRoll(a.Text, a.Weights)
		if len(bad) > 0 {
			return &Answer{Problems: bad}, fmt.Errorf("%w: %d lines of the roll file", ErrProblems, len(bad))
		}
		return &Answer{Voters: voters}, nil
	case "yaml_form":
		f, auth, err := FormOf([]byte(a.YAML))
		if err != nil {
			return nil, err
		}
		ans := &Answer{Form: f}
		if b.key != nil && auth != "" {
			k, err := election.ParseAuthorityPublicKey(auth)
			if err != nil || k != b.key.AuthorityPublic() {
				ans.Problems = []Problem{{Field: "authority", Code: codeOf(ErrOtherAuthority),
					Message: fmt.Sprintf("the file names the authority %s; the console signs with %s", auth, b.key.AuthorityPublic())}}
			}
		}
		return ans, nil
	}
	if b.key == nil {
		return nil, ErrLocked
	}
	switch op {
	case "seal":
		sealed, err := SealAuthority(b.key, []byte(a.Passphrase), b.kdf(), rand.Reader)
		if err != nil {
			return nil, err
		}
		ans := b.authority()
		ans.Sealed = sealed
		return ans, nil
	case "check", "create":
		if a.Form == nil {
			return nil, fmt.Errorf("%w: no form", ErrUnknownOp)
		}
		c := Check(a.Form, b.key.AuthorityPublic())
		ans := &Answer{YAML: string(c.YAML), Problems: c.Problems}
		if len(c.Problems) > 0 {
			return ans, fmt.Errorf("%w: %d in the form", ErrProblems, len(c.Problems))
		}
		ans.ID = c.ID.String()
		m, err := json.Marshal(c.Manifest)
		if err != nil {
			return nil, err
		}
		ans.Manifest = m
		if op == "create" {
			if a.ChainID == "" {
				return nil, ErrNotChainID
			}
			if ans.Tx, err = election.NewCreateElectionTx(a.ChainID, c.Manifest, b.key); err != nil {
				return nil, err
			}
		}
		return ans, nil
	case "append", "open_election", "close":
		if a.ChainID == "" {
			return nil, ErrNotChainID
		}
		id, err := election.ParseID(a.Election)
		if err != nil {
			return nil, err
		}
		var tx []byte
		switch op {
		case "append":
			entries, err := rollEntries(a.Voters)
			if err != nil {
				return nil, err
			}
			tx, err = election.NewAppendVotersTx(a.ChainID, id, entries, b.key)
			if err != nil {
				return nil, err
			}
		case "open_election":
			tx, err = election.NewOpenTx(a.ChainID, id, b.key)
		default:
			tx, err = election.NewCloseTx(a.ChainID, id, b.key)
		}
		if err != nil {
			return nil, err
		}
		return &Answer{Tx: tx}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownOp, op)
}

func (b *Bridge) kdf() wallet.KDFParams {
	if b.KDF == (wallet.KDFParams{}) {
		return wallet.DefaultKDF
	}
	return b.KDF
}

func (b *Bridge) authority() *Answer {
	return &Answer{Authority: b.key.AuthorityPublic().String()}
}

// codeOf names an error for the page, which words it for the official.
func codeOf(err error) string {
	for _, c := range []struct {
		target error
		code   string
	}{
		{ErrProblems, "problems"},
		{ErrLocked, "locked"},
		{ErrUnknownOp, "unknown_call"},
		{ErrNotChainID, "no_chain_id"},
		{ErrOtherAuthority, "other_authority"},
		{ErrAuthorityKeystore, "not_authority_keystore"},
		{wallet.ErrPassphrase, "passphrase"},
		{wallet.ErrSealed, "sealed"},
		{election.ErrWrongRole, "wrong_role"},
		{election.ErrInvalidKey, "invalid_key"},
		{election.ErrInvalidManifest, "invalid_manifest"},
		{election.ErrLimit, "limit"},
		{election.ErrRollFile, "roll_file"},
	} {
		if errors.Is(err, c.target) {
			return c.code
		}
	}
	return "failed"
}
