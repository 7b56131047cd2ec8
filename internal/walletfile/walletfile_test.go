package walletfile_test

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/evote/evote/internal/walletfile"
	"github.com/evote/evote/wallet"
)

var testKDF = wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func pass(p string) func() ([]byte, error) { return func() ([]byte, error) { return []byte(p), nil } }

func create(p string) walletfile.New {
	return func() (wallet.KDFParams, []byte, error) { return testKDF, []byte(p), nil }
}

// TestOpenSaveReopen: a new keystore is saved, reopened with its
// passphrase (and its KDF setting), refused with another one; a missing
// file without create is ErrNoWallet; the lock is held until Close.
func TestOpenSaveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "w.keystore")
	if _, _, err := walletfile.Open(path, pass("pw"), nil); !errors.Is(err, walletfile.ErrNoWallet) {
		t.Fatalf("no file: %v", err)
	}
	f, created, err := walletfile.Open(path, pass("pw"), create("pw"))
	if err != nil || !created {
		t.Fatalf("%v %v", created, err)
	}
	if _, err := f.Keystore.Generate("alice", rand.Reader); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	g, created, err := walletfile.Open(path, pass("pw"), create("other"))
	if err != nil || created {
		t.Fatalf("reopen: %v %v", created, err)
	}
	if k, err := g.Key(""); err != nil || k.Name != "alice" {
		t.Fatalf("only key: %+v %v", k, err)
	}
	if _, err := g.Key("bob"); err == nil {
		t.Fatal("a missing key was found")
	}
	g.Close()
	if _, _, err := walletfile.Open(path, pass("PW"), nil); !errors.Is(err, wallet.ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if err := os.WriteFile(path, []byte("not sealed"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := walletfile.Open(path, pass("pw"), nil); err == nil {
		t.Fatal("a damaged file opened")
	}
}

// TestRead: another keystore's keys are read with its passphrase, without
// its lock.
func TestRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.keystore")
	f, _, err := walletfile.Open(path, pass("pw"), create("pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Keystore.Generate("bob", rand.Reader); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	ks, err := walletfile.Read(path, pass("pw"))
	if err != nil || ks.Len() != 1 {
		t.Fatalf("%v %v", ks, err)
	}
	if _, err := walletfile.Read(path, pass("no")); !errors.Is(err, wallet.ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
}
