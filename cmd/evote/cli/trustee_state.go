package cli

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/fileutil"
	"github.com/evote/evote/trustee"
	"github.com/evote/evote/wallet"
)

// A trustee's directory holds its public keys (trustee.yaml, what the
// official puts in the manifest) and its secrets sealed under a passphrase
// (trustee.sealed, docs/spec/trustee-state.md): the identity key, the
// encryption key, and per election the deal, the dealer's polynomial until
// the share is derived, and the secret share. The state and its sealing
// are package trustee's; this file reads and writes the files.

const (
	trusteeSealed = "trustee.sealed"
	trusteePublic = "trustee.yaml"
)

// trusteeKDF is the Argon2id setting new trustees' secrets are sealed
// with. The package's tests set it to testKDF (TestMain); no flag or
// configuration of the binary changes it.
var trusteeKDF = wallet.DefaultKDF

// testKDF is a cheap Argon2id setting for tests that seal many times,
// worthless against guessing.
var testKDF = wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// trusteeStore is a trustee's sealed state file, opened with its
// passphrase. Every save rewrites the file atomically (a new file synced
// to disk, then renamed over the old one) with the KDF parameters it was
// created with.
type trusteeStore struct {
	dir        string
	passphrase []byte
	kdf        wallet.KDFParams
	state      *trustee.State
	lock       *os.File // held from open to close
}

// close releases the store's lock.
func (s *trusteeStore) close() error {
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close()
	s.lock = nil
	return err
}

var errTrusteeExists = errors.New("a trustee is already initialised there")

// initTrusteeStore creates a new trustee in dir: fresh identity and
// encryption keys, sealed, and the public keys in trustee.yaml.
func initTrusteeStore(dir, name string, passphrase []byte, kdf wallet.KDFParams) (*trusteeStore, error) {
	if name == "" || len(name) > election.MaxTrusteeNameLen {
		return nil, fmt.Errorf("--name must be 1..%d bytes", election.MaxTrusteeNameLen)
	}
	if _, err := os.Stat(filepath.Join(dir, trusteeSealed)); err == nil {
		return nil, fmt.Errorf("%w: %s", errTrusteeExists, filepath.Join(dir, trusteeSealed))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	st, err := trustee.NewState(name, rand.Reader)
	if err != nil {
		return nil, err
	}
	s := &trusteeStore{dir: dir, passphrase: passphrase, kdf: kdf, state: st}
	if err := s.save(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, trusteePublic), []byte(st.PublicYAML()), 0o644); err != nil {
		return nil, err
	}
	return s, nil
}

// lockTrusteeDir takes an exclusive lock on DIR/trustee.lock, so that two
// runs of one trustee never act on its sealed state at once (two deals
// made by two processes would leave one of them without the polynomial of
// the deal on the chain).
func lockTrusteeDir(dir string) (*os.File, error) {
	f, err := fileutil.Lock(filepath.Join(dir, "trustee.lock"), false)
	if errors.Is(err, fileutil.ErrLocked) {
		return nil, fmt.Errorf("another evote process is using the trustee in %s", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return f, nil
}

// openTrusteeStore opens dir's sealed state with the passphrase and holds
// the directory's lock until close.
func openTrusteeStore(dir string, passphrase []byte) (*trusteeStore, error) {
	path := filepath.Join(dir, trusteeSealed)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no trustee in %s (run `evote trustee init --dir %s` first)", dir, dir)
	}
	lock, err := lockTrusteeDir(dir)
	if err != nil {
		return nil, err
	}
	s, err := openSealedState(dir, path, passphrase)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

func openSealedState(dir, path string, passphrase []byte) (*trusteeStore, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	sealed, err := io.ReadAll(io.LimitReader(f, trustee.MaxSealed+1))
	f.Close()
	if err != nil {
		return nil, err
	}
	st, kdf, err := trustee.Open(sealed, passphrase)
	if errors.Is(err, trustee.ErrPassphrase) {
		return nil, fmt.Errorf("%s: wrong passphrase (or the file was changed)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &trusteeStore{dir: dir, passphrase: passphrase, kdf: kdf, state: st}, nil
}

// save seals the state and replaces the file atomically.
func (s *trusteeStore) save() error {
	return s.persist(s.state)
}

// persist seals st, replaces the file atomically, and makes st the
// store's state.
func (s *trusteeStore) persist(st *trustee.State) error {
	sealed, err := trustee.Seal(st, s.passphrase, s.kdf, rand.Reader)
	if err != nil {
		return err
	}
	err = fileutil.WriteAtomic(filepath.Join(s.dir, trusteeSealed), 0o600, func(w io.Writer) error {
		_, err := w.Write(sealed)
		return err
	})
	if err != nil {
		return err
	}
	s.state = st
	return nil
}

// election returns the trustee's entry for id, making it if needed.
func (s *trusteeStore) election(id election.ID, index uint32) *trustee.ElectionState {
	es := s.state.Elections[id.String()]
	if es == nil {
		es = &trustee.ElectionState{Index: index}
		s.state.Elections[id.String()] = es
	}
	return es
}

// trusteePassphrase reads the passphrase: --passphrase-file, else
// EVOTE_PASSPHRASE, else a prompt on the terminal (twice if confirm).
func trusteePassphrase(e *env, confirm bool) ([]byte, error) {
	return e.readPassphrase(passphraseSource{file: e.v.GetString("passphrase-file"), envVar: "EVOTE_PASSPHRASE",
		what: "passphrase of the trustee's sealed secrets"}, confirm)
}
