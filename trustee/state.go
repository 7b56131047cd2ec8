package trustee

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/wallet"
)

// StateTag is the version of a trustee's sealed state
// (docs/spec/trustee-state.md).
const StateTag = "evote/v1/trustee-state"

// MaxSealed bounds the size of a sealed state a trustee opens.
const MaxSealed = 16 << 20

// ErrPassphrase reports a sealed state that does not open with the
// passphrase given (or whose bytes were changed).
var ErrPassphrase = wallet.ErrPassphrase

// State is the plaintext of a trustee's sealed state: its long-term keys and
// its part in each election.
type State struct {
	Version       string                    `json:"version"`
	Name          string                    `json:"name"`
	Identity      string                    `json:"identity"`       // election.PrivateKey text form
	EncryptionKey string                    `json:"encryption_key"` // hex of tally.TrusteeEncryptionKey
	Elections     map[string]*ElectionState `json:"elections"`      // by election id
}

// ElectionState is a trustee's part in one election.
type ElectionState struct {
	Index uint32 `json:"index"`
	// Deal is the deal this trustee posts (hex of its tally encoding). It
	// is kept before it is submitted, so that a restarted trustee posts the
	// same deal and never a second one.
	Deal string `json:"deal,omitempty"`
	// DealerSecret is the polynomial behind Deal (hex), needed to answer
	// complaints and derive the share; it is erased once the share is.
	DealerSecret string `json:"dealer_secret,omitempty"`
	// Share is the trustee's secret share x_j (hex of tally.PrivateKey),
	// once the key ceremony has fixed the joint key.
	Share string `json:"share,omitempty"`
	// JointKey is the joint key (hex) the share belongs to.
	JointKey string `json:"joint_key,omitempty"`
	// Genesis is the fingerprint of the chain's genesis the trustee
	// trusts for the election (hex; observer.RecordHead.GenesisFingerprint),
	// pinned on first sight: it decrypts only what it verified on that
	// chain.
	Genesis string `json:"genesis,omitempty"`
}

// Keys are the decoded long-term keys of a trustee.
type Keys struct {
	Identity   *election.PrivateKey
	Encryption *tally.TrusteeEncryptionKey
}

// Keys decodes the state's long-term keys.
func (s *State) Keys() (*Keys, error) {
	id, err := election.ParsePrivateKey(s.Identity)
	if err != nil {
		return nil, fmt.Errorf("trustee state: identity: %w", err)
	}
	b, err := hex.DecodeString(s.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("trustee state: encryption key: %w", err)
	}
	enc := new(tally.TrusteeEncryptionKey)
	if err := enc.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("trustee state: encryption key: %w", err)
	}
	return &Keys{Identity: id, Encryption: enc}, nil
}

// NewState makes a new trustee named name: a fresh Ed25519 identity key and
// X25519 encryption key drawn from rnd, and no election yet.
func NewState(name string, rnd io.Reader) (*State, error) {
	if name == "" || len(name) > election.MaxTrusteeNameLen {
		return nil, fmt.Errorf("--name must be 1..%d bytes", election.MaxTrusteeNameLen)
	}
	id, err := election.GenerateKey(rnd)
	if err != nil {
		return nil, err
	}
	enc, err := tally.GenerateTrusteeEncryptionKey(rnd)
	if err != nil {
		return nil, err
	}
	idText, _ := id.MarshalText()
	encBytes, err := enc.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &State{Version: StateTag, Name: name, Identity: string(idText), EncryptionKey: hex.EncodeToString(encBytes),
		Elections: map[string]*ElectionState{}}, nil
}

// Clone returns a deep copy of the state.
func (s *State) Clone() *State {
	c := *s
	c.Elections = make(map[string]*ElectionState, len(s.Elections))
	for id, es := range s.Elections {
		e := *es
		c.Elections[id] = &e
	}
	return &c
}

// DecodeState parses and checks the plaintext of a sealed state.
func DecodeState(b []byte) (*State, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var st State
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("trustee state: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trustee state: data after the JSON object")
	}
	if st.Version != StateTag {
		return nil, fmt.Errorf("trustee state: version %q, want %q", st.Version, StateTag)
	}
	if _, err := st.Keys(); err != nil {
		return nil, err
	}
	if st.Elections == nil {
		st.Elections = map[string]*ElectionState{}
	}
	for id, es := range st.Elections {
		if _, err := election.ParseID(id); err != nil || es == nil || es.Index == 0 {
			return nil, fmt.Errorf("trustee state: bad entry for election %q", id)
		}
	}
	return &st, nil
}

// Seal encodes the state and seals it under the passphrase with the KDF
// parameters kdf (wallet.Seal: Argon2id and XChaCha20-Poly1305), drawing the
// salt and nonce from rnd. These are the bytes of trustee.sealed.
func Seal(s *State, passphrase []byte, kdf wallet.KDFParams, rnd io.Reader) ([]byte, error) {
	plain, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	sealed, err := wallet.Seal(passphrase, plain, kdf, rnd)
	clear(plain)
	return sealed, err
}

// Open opens sealed state bytes with the passphrase. It returns the state
// and the KDF parameters the bytes were sealed with (a trustee reseals with
// the same ones). A wrong passphrase or changed bytes give ErrPassphrase.
func Open(sealed, passphrase []byte) (*State, wallet.KDFParams, error) {
	if len(sealed) > MaxSealed {
		return nil, wallet.KDFParams{}, fmt.Errorf("over %d bytes", MaxSealed)
	}
	kdf, err := wallet.SealedParams(sealed)
	if err != nil {
		return nil, wallet.KDFParams{}, err
	}
	plain, err := wallet.Open(passphrase, sealed)
	if err != nil {
		return nil, wallet.KDFParams{}, err
	}
	st, err := DecodeState(plain)
	clear(plain)
	if err != nil {
		return nil, wallet.KDFParams{}, err
	}
	return st, kdf, nil
}

// PublicYAML is the trustee's entry for the manifest's trustees.members.
func (s *State) PublicYAML() string {
	k, err := s.Keys()
	if err != nil {
		return ""
	}
	return fmt.Sprintf("# The public keys of trustee %q: an official lists them under\n# trustees.members in the election manifest.\n- name: %q\n  identity: %s\n  encryption_key: %s\n",
		s.Name, s.Name, k.Identity.TrusteePublic(), election.EncryptionKeyOf(k.Encryption.Public()))
}
