package wallet

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/evote/evote/election"
)

// Text prefix of a secret voter key.
const voterSecretPrefix = "evote-voter-secret:"

// VoterKey is a voter's credential key: the Ed25519 key that signs the
// voter's ballots and whose public half is on the roll. Its text form is
// "evote-voter-secret:" and the 32-byte seed in hex. It is not comparable
// with ==: use Equal. It never leaves the voter's device.
type VoterKey struct {
	k *election.PrivateKey
	_ [0]func()
}

// GenerateVoterKey draws a new key from rnd (crypto/rand.Reader in
// production).
func GenerateVoterKey(rnd io.Reader) (*VoterKey, error) {
	k, err := election.GenerateKey(rnd)
	if err != nil {
		return nil, err
	}
	return &VoterKey{k: k}, nil
}

// NewVoterKey wraps a signing key as a voter key.
func NewVoterKey(k *election.PrivateKey) *VoterKey { return &VoterKey{k: k} }

// ParseVoterKey parses the text form.
func ParseVoterKey(s string) (*VoterKey, error) {
	rest, ok := strings.CutPrefix(s, voterSecretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: voter key does not start with %q", election.ErrInvalidKey, voterSecretPrefix)
	}
	k, err := election.ParsePrivateKey("ed25519-secret:" + rest)
	if err != nil {
		return nil, err
	}
	return &VoterKey{k: k}, nil
}

// MarshalText returns the text form. It is the secret: store it encrypted.
func (k *VoterKey) MarshalText() ([]byte, error) {
	return []byte(voterSecretPrefix + hex.EncodeToString(k.k.Seed())), nil
}

// UnmarshalText parses the text form.
func (k *VoterKey) UnmarshalText(b []byte) error {
	p, err := ParseVoterKey(string(b))
	if err != nil {
		return err
	}
	k.k = p.k
	return nil
}

// String names the key by its public half; it never shows the secret.
func (k *VoterKey) String() string { return "voter key of " + k.Public().String() }

// Public returns the public half, as listed on the roll.
func (k *VoterKey) Public() VoterPublicKey { return k.k.VoterPublic() }

// Equal reports whether two voter keys are the same.
func (k *VoterKey) Equal(o *VoterKey) bool { return k.k.Equal(o.k) }

// SigningKey returns the Ed25519 key that signs the voter's transactions.
func (k *VoterKey) SigningKey() *election.PrivateKey { return k.k }

// VoterPublicKey is the public half of a voter key, as the roll lists it:
// election.VoterPublicKey, whose text form is "evote-voter:" and 64
// lowercase hex digits.
type VoterPublicKey = election.VoterPublicKey

// ParseVoterPublicKey parses the text form of a voter's public key. It
// refuses another role's key (election.ErrWrongRole) and accepts the older
// "ed25519:" form.
func ParseVoterPublicKey(s string) (VoterPublicKey, error) { return election.ParseVoterPublicKey(s) }

// voterKeyFromSeed makes the voter key of a 32-byte Ed25519 seed.
func voterKeyFromSeed(seed []byte) (*VoterKey, error) {
	k, err := election.NewKeyFromSeed(seed)
	if err != nil {
		return nil, err
	}
	return &VoterKey{k: k}, nil
}
