package keyfile_test

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/keyfile"
)

func TestWriteReadAuthority(t *testing.T) {
	k, err := election.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys", "authority.key")
	if err := keyfile.Write(path, k); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("%v %v", info, err)
	}
	back, err := keyfile.ReadAuthority(path)
	if err != nil || back.AuthorityPublic() != k.AuthorityPublic() {
		t.Fatalf("read back: %v", err)
	}
	os.WriteFile(path, []byte("ed25519-secret:zz\n"), 0o600)
	if _, err := keyfile.ReadAuthority(path); err == nil {
		t.Fatal("a bad key was read")
	}
}
