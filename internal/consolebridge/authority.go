package consolebridge

import (
	"errors"
	"fmt"
	"io"

	"github.com/evote/evote/election"
	"github.com/evote/evote/wallet"
)

// An authority keystore is the console's sealed form of the election
// authority key (docs/spec/keystore.md, "Authority keystore"): one sealed
// secret (wallet.Seal, evote/v1/sealed) whose plaintext is
//
//	u8 22 ‖ "evote/v1/authority-key"
//	seed[32]   the key's Ed25519 seed, as in "ed25519-secret:<hex seed>"
//
// The key file that `evote up` and `evote testnet` write holds the same
// key in its text form, unsealed; the console imports that text and keeps
// only the sealed form.

// AuthorityTag is the plaintext's tag.
const AuthorityTag = "evote/v1/authority-key"

// ErrAuthorityKeystore is a plaintext that is not an authority keystore.
var ErrAuthorityKeystore = errors.New("not an authority keystore")

// EncodeAuthority returns the plaintext of k's authority keystore.
func EncodeAuthority(k *election.PrivateKey) []byte {
	b := make([]byte, 0, 1+len(AuthorityTag)+32)
	b = append(b, byte(len(AuthorityTag)))
	b = append(b, AuthorityTag...)
	return append(b, k.Seed()...)
}

// DecodeAuthority reads the plaintext of an authority keystore.
func DecodeAuthority(b []byte) (*election.PrivateKey, error) {
	n := 1 + len(AuthorityTag)
	if len(b) != n+32 || b[0] != byte(len(AuthorityTag)) || string(b[1:n]) != AuthorityTag {
		return nil, fmt.Errorf("%w: %d bytes", ErrAuthorityKeystore, len(b))
	}
	return election.NewKeyFromSeed(b[n:])
}

// SealAuthority seals k under passphrase.
func SealAuthority(k *election.PrivateKey, passphrase []byte, p wallet.KDFParams, rnd io.Reader) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("%w: an empty passphrase", wallet.ErrPassphrase)
	}
	return wallet.Seal(passphrase, EncodeAuthority(k), p, rnd)
}

// OpenAuthority opens a sealed authority keystore.
func OpenAuthority(passphrase, sealed []byte) (*election.PrivateKey, error) {
	plain, err := wallet.Open(passphrase, sealed)
	if err != nil {
		return nil, err
	}
	return DecodeAuthority(plain)
}
