// Package trusteedir is a trustee's directory (docs/spec/files.md): its
// public keys (trustee.yaml, what the official puts in the manifest), its
// secrets sealed under a passphrase (trustee.sealed,
// docs/spec/trustee-state.md), and the lock (trustee.lock) that keeps two
// processes of one trustee from acting at once. The state and its sealing
// are package trustee's; this package reads and writes the files.
package trusteedir

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/fileutil"
	"github.com/evote/evote/trustee"
	"github.com/evote/evote/wallet"
)

// The files of a trustee's directory.
const (
	SealedFile = "trustee.sealed"
	PublicFile = "trustee.yaml"
	LockFile   = "trustee.lock"
)

var (
	// ErrExists: Init over a directory that holds a trustee.
	ErrExists = errors.New("a trustee is already initialised there")
	// ErrNoTrustee: Open of a directory without a sealed state.
	ErrNoTrustee = errors.New("no trustee")
	// ErrBusy: another process holds the directory's lock.
	ErrBusy = errors.New("another evote process is using the trustee")
	// ErrName: a trustee's name that is empty or too long.
	ErrName = fmt.Errorf("a trustee's name must be 1..%d bytes", election.MaxTrusteeNameLen)
)

// Store is a trustee's sealed state file, opened with its passphrase.
// Every save rewrites the file atomically (a new file synced to disk, then
// renamed over the old one) with the KDF parameters it was created with.
type Store struct {
	Dir        string
	State      *trustee.State
	KDF        wallet.KDFParams
	passphrase []byte
	lock       *os.File // held from Open to Close
}

// Init creates a new trustee in dir: fresh identity and encryption keys,
// sealed under passphrase with kdf, and the public keys in trustee.yaml.
// It holds no lock.
func Init(dir, name string, passphrase []byte, kdf wallet.KDFParams) (*Store, error) {
	if name == "" || len(name) > election.MaxTrusteeNameLen {
		return nil, ErrName
	}
	if _, err := os.Stat(filepath.Join(dir, SealedFile)); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, filepath.Join(dir, SealedFile))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	st, err := trustee.NewState(name, rand.Reader)
	if err != nil {
		return nil, err
	}
	s := &Store{Dir: dir, passphrase: passphrase, KDF: kdf, State: st}
	if err := s.Save(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, PublicFile), []byte(st.PublicYAML()), 0o644); err != nil {
		return nil, err
	}
	return s, nil
}

// Lock takes an exclusive lock on DIR/trustee.lock, at once or ErrBusy, so
// that two runs of one trustee never act on its sealed state at once (two
// deals made by two processes would leave one of them without the
// polynomial of the deal on the chain).
func Lock(dir string) (*os.File, error) {
	f, err := fileutil.Lock(filepath.Join(dir, LockFile), false)
	if errors.Is(err, fileutil.ErrLocked) {
		return nil, fmt.Errorf("%w in %s", ErrBusy, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return f, nil
}

// Open opens dir's sealed state with the passphrase and holds the
// directory's lock until Close.
func Open(dir string, passphrase []byte) (*Store, error) {
	path := filepath.Join(dir, SealedFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoTrustee, dir)
	}
	lock, err := Lock(dir)
	if err != nil {
		return nil, err
	}
	sealed, err := fileutil.ReadFileMax(path, trustee.MaxSealed)
	if err != nil {
		lock.Close()
		return nil, err
	}
	st, kdf, err := trustee.Open(sealed, passphrase)
	if err != nil {
		lock.Close()
		if errors.Is(err, trustee.ErrPassphrase) {
			return nil, &PassphraseError{Path: path}
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Store{Dir: dir, passphrase: passphrase, KDF: kdf, State: st, lock: lock}, nil
}

// Close releases the store's lock.
func (s *Store) Close() error {
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close()
	s.lock = nil
	return err
}

// Save seals the state and replaces the file atomically.
func (s *Store) Save() error {
	return s.Persist(s.State)
}

// Persist seals st, replaces the file atomically, and makes st the
// store's state.
func (s *Store) Persist(st *trustee.State) error {
	sealed, err := trustee.Seal(st, s.passphrase, s.KDF, rand.Reader)
	if err != nil {
		return err
	}
	if err := fileutil.WriteFileAtomic(filepath.Join(s.Dir, SealedFile), 0o600, sealed); err != nil {
		return err
	}
	s.State = st
	return nil
}

// Election returns the trustee's entry for id, making it if needed.
func (s *Store) Election(id election.ID, index uint32) *trustee.ElectionState {
	es := s.State.Elections[id.String()]
	if es == nil {
		es = &trustee.ElectionState{Index: index}
		s.State.Elections[id.String()] = es
	}
	return es
}

// PassphraseError: the passphrase does not open the sealed state at Path
// (or the file was changed). It is trustee.ErrPassphrase.
type PassphraseError struct{ Path string }

func (e *PassphraseError) Error() string {
	return e.Path + ": wrong passphrase (or the file was changed)"
}

func (e *PassphraseError) Unwrap() error { return trustee.ErrPassphrase }
