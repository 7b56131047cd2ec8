package localnet_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/internal/localnet"
)

// WriteTestnet writes every validator's home with its HTTP address, a
// genesis naming the authority whose key it keeps (mode 0600), and refuses
// a description it cannot write.
func TestWriteTestnet(t *testing.T) {
	dir := t.TempDir()
	base, err := localnet.FreePortBlock(6)
	if err != nil {
		t.Fatal(err)
	}
	w, err := localnet.WriteTestnet(localnet.Testnet{Validators: 2, Dir: dir, ChainID: "evote-localnet-test", BasePort: base, HTTPPort: base + 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Homes) != 2 || w.AuthorityKey != filepath.Join(dir, "authority.key") {
		t.Fatalf("wrote %v, authority key %s", w.Homes, w.AuthorityKey)
	}
	st, err := os.Stat(w.AuthorityKey)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("authority key: %v, mode %v", err, st.Mode())
	}
	k, err := keyfile.ReadAuthority(w.AuthorityKey)
	if err != nil || k.AuthorityPublic() != w.Authority.AuthorityPublic() {
		t.Fatalf("the key file holds another key: %v", err)
	}
	for i, home := range w.Homes {
		conf, err := os.ReadFile(filepath.Join(home, "evote.yaml"))
		if err != nil || !strings.Contains(string(conf), "http: 127.0.0.1:") || !strings.Contains(string(conf), "peer-nodes:\n    - http://127.0.0.1:") {
			t.Fatalf("node %d evote.yaml: %q, %v", i, conf, err)
		}
		gen, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
		if err != nil || !strings.Contains(string(gen), w.Authority.AuthorityPublic().String()) || !strings.Contains(string(gen), "evote-localnet-test") {
			t.Fatalf("node %d genesis names neither the authority nor the chain: %v", i, err)
		}
	}
	app, err := localnet.GenesisAppState("evote-localnet-test", w.Authority)
	if err != nil {
		t.Fatal(err)
	}
	if g, err := election.ParseGenesis(app); err != nil || len(g.Authorities) != 1 || g.Authorities[0] != w.Authority.AuthorityPublic() {
		t.Fatalf("genesis app state %s: %v", app, err)
	}

	for _, bad := range []localnet.Testnet{
		{Validators: 0, Dir: dir, ChainID: "c", BasePort: 20000, HTTPPort: 21000},
		{Validators: 65, Dir: dir, ChainID: "c", BasePort: 20000, HTTPPort: 21000},
		{Validators: 1, Dir: "", ChainID: "c", BasePort: 20000, HTTPPort: 21000},
		{Validators: 1, Dir: dir, ChainID: "", BasePort: 20000, HTTPPort: 21000},
		{Validators: 1, Dir: dir, ChainID: "c", BasePort: 80, HTTPPort: 21000},
		{Validators: 1, Dir: dir, ChainID: "c", BasePort: 20000, HTTPPort: 65535},
	} {
		if _, err := localnet.WriteTestnet(bad); err == nil {
			t.Errorf("%+v: written", bad)
		}
	}
}
