package trusteedir_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/trusteedir"
	"github.com/evote/evote/trustee"
	"github.com/evote/evote/wallet"
)

var testKDF = wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func TestStore(t *testing.T) {
	dir := t.TempDir()
	s, err := trusteedir.Init(dir, "Alice", []byte("pw"), testKDF)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := trusteedir.Init(dir, "Bob", []byte("pw"), testKDF); !errors.Is(err, trusteedir.ErrExists) {
		t.Fatalf("a second init over a trustee: %v", err)
	}
	if y, err := os.ReadFile(filepath.Join(dir, trusteedir.PublicFile)); err != nil || string(y) != s.State.PublicYAML() {
		t.Fatalf("%s: %q %v", trusteedir.PublicFile, y, err)
	}
	id := election.ID{1}
	s.Election(id, 2).Deal = "abcd"
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	o, err := trusteedir.Open(dir, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if o.State.Name != "Alice" || o.State.Elections[id.String()].Deal != "abcd" || o.State.Elections[id.String()].Index != 2 || o.KDF != testKDF {
		t.Fatalf("reopened: %+v", o.State)
	}
	// One process at a time: a second opening fails while the first holds the lock.
	if _, err := trusteedir.Open(dir, []byte("pw")); !errors.Is(err, trusteedir.ErrBusy) {
		t.Fatalf("a second opening while the first holds the lock: %v", err)
	}
	o.Close()
	if _, err := trusteedir.Open(dir, []byte("PW")); !errors.Is(err, trustee.ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	path := filepath.Join(dir, trusteedir.SealedFile)
	b, _ := os.ReadFile(path)
	b[len(b)-1] ^= 1
	os.WriteFile(path, b, 0o600)
	var pe *trusteedir.PassphraseError
	if _, err := trusteedir.Open(dir, []byte("pw")); !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("changed file: %v", err)
	}
	os.WriteFile(path, []byte("not sealed"), 0o600)
	if _, err := trusteedir.Open(dir, []byte("pw")); err == nil || errors.Is(err, trustee.ErrPassphrase) {
		t.Fatalf("not sealed: %v", err)
	}
	// The lock was let go after every failed opening.
	l, err := trusteedir.Lock(dir)
	if err != nil {
		t.Fatalf("lock after failed openings: %v", err)
	}
	l.Close()
	if _, err := trusteedir.Open(t.TempDir(), []byte("pw")); !errors.Is(err, trusteedir.ErrNoTrustee) {
		t.Fatalf("an empty directory: %v", err)
	}
	if _, err := trusteedir.Init(t.TempDir(), "", []byte("pw"), testKDF); !errors.Is(err, trusteedir.ErrName) {
		t.Fatalf("a trustee without a name: %v", err)
	}
}

// TestPersist: Persist seals the given state and makes it the store's.
func TestPersist(t *testing.T) {
	dir := t.TempDir()
	s, err := trusteedir.Init(dir, "Alice", []byte("pw"), testKDF)
	if err != nil {
		t.Fatal(err)
	}
	next := s.State.Clone()
	next.Elections[election.ID{9}.String()] = &trustee.ElectionState{Index: 3, Share: "00"}
	if err := s.Persist(next); err != nil {
		t.Fatal(err)
	}
	if s.State != next {
		t.Fatal("the store's state is not the persisted one")
	}
	o, err := trusteedir.Open(dir, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if es := o.State.Elections[election.ID{9}.String()]; es == nil || es.Index != 3 || es.Share != "00" {
		t.Fatalf("reopened: %+v", o.State.Elections)
	}
}
