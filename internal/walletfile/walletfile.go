// Package walletfile reads and writes the voter's keystore file
// (docs/spec/keystore.md) under its lock: a command opens it, changes it
// and saves it while no other evote process does. The keystore's format
// and sealing are package wallet's; this package only does the file. It
// asks for no passphrase itself: the caller passes the functions that do.
package walletfile

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/evote/evote/internal/fileutil"
	"github.com/evote/evote/wallet"
)

// MaxFile bounds a keystore file.
const MaxFile = 64 << 20

// ErrNoWallet: the keystore file does not exist.
var ErrNoWallet = errors.New("no wallet")

// File is an opened keystore with what is needed to write it back, and the
// keystore's lock (PATH.lock), held until Close.
type File struct {
	Path       string
	Keystore   *wallet.Keystore
	passphrase []byte
	kdf        wallet.KDFParams
	lock       *os.File
}

// New says how to start a keystore where there is none: the KDF setting
// to seal it with and its passphrase (asked for twice, typically). It is
// called only when the file does not exist.
type New func() (wallet.KDFParams, []byte, error)

// Open locks the keystore at path (PATH.lock, waiting for another process
// that holds it), then reads and opens it with the passphrase that
// passphrase returns. If the file does not exist, Open starts a new empty
// keystore with create (created is then true), or with create nil fails
// with ErrNoWallet.
func Open(path string, passphrase func() ([]byte, error), create New) (f *File, created bool, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	lock, err := fileutil.Lock(path+".lock", true)
	if err != nil {
		return nil, false, fmt.Errorf("locking %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			lock.Close()
		}
	}()
	sealed, err := fileutil.ReadFileMax(path, MaxFile)
	if errors.Is(err, os.ErrNotExist) {
		if create == nil {
			return nil, false, fmt.Errorf("%w at %s", ErrNoWallet, path)
		}
		kdf, pass, err := create()
		if err != nil {
			return nil, false, err
		}
		return &File{Path: path, Keystore: wallet.NewKeystore(), passphrase: pass, kdf: kdf, lock: lock}, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	kdf, err := wallet.SealedParams(sealed)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	pass, err := passphrase()
	if err != nil {
		return nil, false, err
	}
	ks, err := wallet.OpenKeystore(pass, sealed)
	if errors.Is(err, wallet.ErrPassphrase) {
		return nil, false, &PassphraseError{Path: path}
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return &File{Path: path, Keystore: ks, passphrase: pass, kdf: kdf, lock: lock}, false, nil
}

// Close lets go of the keystore.
func (f *File) Close() {
	if f != nil && f.lock != nil {
		f.lock.Close()
		f.lock = nil
	}
}

// Save seals the keystore afresh and replaces the file atomically.
func (f *File) Save() error {
	sealed, err := wallet.SealKeystore(f.Keystore, f.passphrase, f.kdf, rand.Reader)
	if err != nil {
		return err
	}
	return fileutil.WriteFileAtomic(f.Path, 0o600, sealed)
}

// Key returns the named key, or the only one if name is empty.
func (f *File) Key(name string) (wallet.KeyEntry, error) {
	if name == "" {
		return f.Keystore.Only()
	}
	k, err := f.Keystore.Key(name)
	if err != nil {
		return wallet.KeyEntry{}, err
	}
	return wallet.KeyEntry{Name: name, Key: k}, nil
}

// PassphraseError: the passphrase does not open the keystore at Path (or
// the file was changed). It is wallet.ErrPassphrase.
type PassphraseError struct{ Path string }

func (e *PassphraseError) Error() string {
	return e.Path + ": wrong passphrase (or the file was changed)"
}

func (e *PassphraseError) Unwrap() error { return wallet.ErrPassphrase }

// Read opens the keystore at path with the passphrase that passphrase
// returns, without its lock and without keeping it open: a keystore whose
// keys are copied elsewhere.
func Read(path string, passphrase func() ([]byte, error)) (*wallet.Keystore, error) {
	sealed, err := fileutil.ReadFileMax(path, MaxFile)
	if err != nil {
		return nil, err
	}
	pass, err := passphrase()
	if err != nil {
		return nil, err
	}
	ks, err := wallet.OpenKeystore(pass, sealed)
	if errors.Is(err, wallet.ErrPassphrase) {
		return nil, &PassphraseError{Path: path}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ks, nil
}
