package cli

import (
	"errors"
	"fmt"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/trusteedir"
	"github.com/evote/evote/wallet"
)

// A trustee's directory (trustee.yaml, trustee.sealed, trustee.lock) is
// read and written by internal/trusteedir; the commands choose the KDF and
// ask for the passphrase.

const (
	trusteeSealed = trusteedir.SealedFile
	trusteePublic = trusteedir.PublicFile
)

// trusteeKDF is the Argon2id setting new trustees' secrets are sealed
// with. The package's tests set it to testKDF (TestMain); no flag or
// configuration of the binary changes it.
var trusteeKDF = wallet.DefaultKDF

// testKDF is a cheap Argon2id setting for tests that seal many times,
// worthless against guessing.
var testKDF = wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// trusteeStore is a trustee's opened sealed state.
type trusteeStore = trusteedir.Store

// initTrusteeStore creates a new trustee in dir (trusteedir.Init).
func initTrusteeStore(dir, name string, passphrase []byte, kdf wallet.KDFParams) (*trusteeStore, error) {
	s, err := trusteedir.Init(dir, name, passphrase, kdf)
	if errors.Is(err, trusteedir.ErrName) {
		return nil, fmt.Errorf("--name must be 1..%d bytes", election.MaxTrusteeNameLen)
	}
	return s, err
}

// openTrusteeStore opens dir's sealed state with the passphrase and holds
// the directory's lock until close (trusteedir.Open).
func openTrusteeStore(dir string, passphrase []byte) (*trusteeStore, error) {
	s, err := trusteedir.Open(dir, passphrase)
	if errors.Is(err, trusteedir.ErrNoTrustee) {
		return nil, fmt.Errorf("%w (run `evote trustee init --dir %s` first)", err, dir)
	}
	return s, err
}

// trusteePassphrase reads the passphrase: --passphrase-file, else
// EVOTE_PASSPHRASE, else a prompt on the terminal (twice if confirm).
func trusteePassphrase(e *env, confirm bool) ([]byte, error) {
	return e.readPassphrase(passphraseSource{file: e.v.GetString("passphrase-file"), envVar: "EVOTE_PASSPHRASE",
		what: "passphrase of the trustee's sealed secrets"}, confirm)
}
