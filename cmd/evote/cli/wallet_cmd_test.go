package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evote/evote/wallet"
)

// Wallets in tests use small Argon2id parameters; the format is the same.
var smallKDFFlags = []string{"--kdf-time", "1", "--kdf-memory", "64"}

// runIn runs evote with stdin.
func runIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := RunWithInput(context.Background(), append([]string{"--home", t.TempDir()}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// useWallet points EVOTE_WALLET and EVOTE_PASSPHRASE at a fresh keystore
// path in a temporary directory.
func useWallet(t *testing.T, passphrase string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "wallet.keystore")
	t.Setenv("EVOTE_WALLET", p)
	t.Setenv("EVOTE_PASSPHRASE", passphrase)
	return p
}

func wantRun(t *testing.T, code int, out, errs string, wantCode int, want ...string) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantCode, out, errs)
	}
	for _, w := range want {
		if !strings.Contains(out+errs, w) {
			t.Fatalf("output lacks %q\nstdout:\n%s\nstderr:\n%s", w, out, errs)
		}
	}
}

func TestWalletCommands(t *testing.T) {
	path := useWallet(t, "correct horse")
	code, out, errs := runIn(t, "", append([]string{"wallet", "new", "alice"}, smallKDFFlags...)...)
	wantRun(t, code, out, errs, 0, "new wallet "+path, `new key "alice": evote-voter:`)
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("keystore file: %v, mode %v", err, info.Mode())
	}
	sealed, _ := os.ReadFile(path)
	if p, err := wallet.SealedParams(sealed); err != nil || p.Time != 1 || p.MemoryKiB != 64 {
		t.Fatalf("sealed with %+v, %v", p, err)
	}
	if bytes.Contains(sealed, []byte("alice")) {
		t.Fatal("the keystore file shows a key name")
	}
	// A second key; a name taken, or a bad one, is refused.
	code, out, errs = runIn(t, "", "wallet", "new", "bob")
	wantRun(t, code, out, errs, 0, `new key "bob"`)
	code, out, errs = runIn(t, "", "wallet", "new", "bob")
	wantRun(t, code, out, errs, 1, "already in the keystore")
	code, out, errs = runIn(t, "", "wallet", "new", "no spaces")
	wantRun(t, code, out, errs, 1, "invalid key name")

	// Import from the text form, from a file and from standard input.
	k1, _ := wallet.GenerateVoterKey(strings.NewReader(strings.Repeat("k1", 32)))
	k2, _ := wallet.GenerateVoterKey(strings.NewReader(strings.Repeat("k2", 32)))
	t1, _ := k1.MarshalText()
	t2, _ := k2.MarshalText()
	keyFile := filepath.Join(t.TempDir(), "k1.key")
	os.WriteFile(keyFile, append(t1, '\n'), 0o600)
	code, out, errs = runIn(t, "", "wallet", "import", "carol", keyFile)
	wantRun(t, code, out, errs, 0, `imported "carol": `+k1.Public().String())
	code, out, errs = runIn(t, string(t2)+"\n", "wallet", "import", "dave")
	wantRun(t, code, out, errs, 0, `imported "dave": `+k2.Public().String())
	code, out, errs = runIn(t, string(t1), "wallet", "import", "carol2", "-")
	wantRun(t, code, out, errs, 1, "is kept as \"carol\"")
	code, out, errs = runIn(t, "evote-voter:00", "wallet", "import", "eve")
	wantRun(t, code, out, errs, 1, "not a secret voter key")

	code, out, errs = runIn(t, "", "wallet", "list")
	wantRun(t, code, out, errs, 0, "4 key(s)", "alice", "bob", "carol  "+k1.Public().String(), "dave   "+k2.Public().String())
	if strings.Contains(out, "secret") {
		t.Fatalf("list shows a secret:\n%s", out)
	}

	// Export gives the text form back.
	code, out, errs = runIn(t, "", "wallet", "export", "dave")
	wantRun(t, code, out, errs, 0, "whoever has it can vote in your name")
	if strings.TrimSpace(out) != string(t2) {
		t.Fatalf("export printed %q, want the secret", out)
	}
	code, out, errs = runIn(t, "", "wallet", "export", "nobody")
	wantRun(t, code, out, errs, 1, "no such key", "4 keys: alice, bob, carol, dave")

	// Remove needs --yes where there is no terminal to ask on.
	code, out, errs = runIn(t, "dave\n", "wallet", "remove", "dave")
	wantRun(t, code, out, errs, 1, "cannot be undone: add --yes")
	code, out, errs = runIn(t, "", "wallet", "remove", "dave", "--yes")
	wantRun(t, code, out, errs, 0, `removed "dave"`)
	code, out, errs = runIn(t, "", "wallet", "list")
	wantRun(t, code, out, errs, 0, "3 key(s)")
	if strings.Contains(out, "dave") {
		t.Fatal("dave is still listed")
	}

	// The passphrase: wrong, missing, from a file.
	before, _ := os.ReadFile(path)
	t.Setenv("EVOTE_PASSPHRASE", "wrong horse")
	code, out, errs = runIn(t, "", "wallet", "list")
	wantRun(t, code, out, errs, 1, "wrong passphrase")
	code, out, errs = runIn(t, "", "wallet", "new", "frank")
	wantRun(t, code, out, errs, 1, "wrong passphrase")
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Fatal("a failed command changed the keystore")
	}
	os.Unsetenv("EVOTE_PASSPHRASE")
	code, out, errs = runIn(t, "correct horse\n", "wallet", "list")
	wantRun(t, code, out, errs, 1, "no passphrase: set EVOTE_PASSPHRASE or use --passphrase-file")
	passFile := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(passFile, []byte("correct horse\nignored\n"), 0o600)
	code, out, errs = runIn(t, "", "wallet", "list", "--passphrase-file", passFile)
	wantRun(t, code, out, errs, 0, "3 key(s)")
	emptyFile := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(emptyFile, []byte("\nsecond line"), 0o600)
	code, out, errs = runIn(t, "", "wallet", "list", "--passphrase-file", emptyFile)
	wantRun(t, code, out, errs, 1, "the first line is empty")
	t.Setenv("EVOTE_PASSPHRASE", "")
	code, out, errs = runIn(t, "", "wallet", "list")
	wantRun(t, code, out, errs, 1, "EVOTE_PASSPHRASE is set but empty")
	os.Unsetenv("EVOTE_PASSPHRASE")

	// A changed byte in the file.
	bad := bytes.Clone(before)
	bad[len(bad)-5] ^= 1
	os.WriteFile(path, bad, 0o600)
	code, out, errs = runIn(t, "", "wallet", "list", "--passphrase-file", passFile)
	wantRun(t, code, out, errs, 1, "wrong passphrase (or the file was changed)")
	os.WriteFile(path, []byte("not a keystore"), 0o600)
	code, out, errs = runIn(t, "", "wallet", "list", "--passphrase-file", passFile)
	wantRun(t, code, out, errs, 1, "not an evote sealed secret")
	os.WriteFile(path, before, 0o600)

	// Import every key of another keystore, with its own passphrase.
	t.Setenv("EVOTE_PASSPHRASE", "correct horse")
	other := filepath.Join(t.TempDir(), "other.keystore")
	t.Setenv("EVOTE_WALLET", other)
	t.Setenv("EVOTE_PASSPHRASE", "other pass")
	for _, n := range []string{"laptop", "phone"} {
		code, out, errs = runIn(t, "", append([]string{"wallet", "new", n}, smallKDFFlags...)...)
		wantRun(t, code, out, errs, 0)
	}
	t.Setenv("EVOTE_WALLET", path)
	t.Setenv("EVOTE_PASSPHRASE", "correct horse")
	t.Setenv("EVOTE_FROM_PASSPHRASE", "not it")
	code, out, errs = runIn(t, "", "wallet", "import", "--from", other)
	wantRun(t, code, out, errs, 1, other+": wrong passphrase")
	t.Setenv("EVOTE_FROM_PASSPHRASE", "other pass")
	code, out, errs = runIn(t, "", "wallet", "import", "--from", other)
	wantRun(t, code, out, errs, 0, `imported "laptop"`, `imported "phone"`)
	code, out, errs = runIn(t, "", "wallet", "import", "--from", other)
	wantRun(t, code, out, errs, 0, "nothing to import")
	code, out, errs = runIn(t, "", "wallet", "list")
	wantRun(t, code, out, errs, 0, "5 key(s)", "laptop", "phone")
	code, out, errs = runIn(t, "", "wallet", "import", "x", "--from", other)
	wantRun(t, code, out, errs, 1, "give NAME [FILE], or --from KEYSTORE")

	// No wallet yet.
	t.Setenv("EVOTE_WALLET", filepath.Join(t.TempDir(), "none.keystore"))
	code, out, errs = runIn(t, "", "wallet", "list")
	wantRun(t, code, out, errs, 1, "no wallet at", "evote wallet new NAME")
	code, out, errs = runIn(t, "", "wallet", "new", "x", "--kdf-time", "0")
	wantRun(t, code, out, errs, 1, "--kdf-time, --kdf-memory")
}
