package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/evote/evote/internal/walletfile"
	"github.com/evote/evote/wallet"
)

// The voter's files: the keystore (sealed, docs/spec/keystore.md) and,
// beside it, receipts/ and audits/.

// walletPath is the keystore file: --wallet, EVOTE_WALLET, or
// wallet.keystore in the user's configuration directory.
func walletPath(e *env) (string, error) {
	if p := e.v.GetString("wallet"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no --wallet given and no configuration directory: %w", err)
	}
	return filepath.Join(dir, "evote", "wallet.keystore"), nil
}

// walletSubdir is a folder beside the keystore (receipts, audits).
func walletSubdir(e *env, name string) (string, error) {
	p, err := walletPath(e)
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(p), name), nil
}

func addWalletFlags(cmd *cobra.Command) {
	cmd.Flags().String("wallet", "", "the keystore file (default: EVOTE_WALLET, else wallet.keystore in the user's configuration directory)")
	cmd.Flags().String("passphrase-file", "", "read the keystore's passphrase from the first line of this file (else EVOTE_PASSPHRASE, else a prompt)")
}

// passphraseSource says where a passphrase comes from: a file, an
// environment variable, or a prompt on the terminal without echo.
type passphraseSource struct {
	file   string // a file whose first line is the passphrase
	envVar string // an environment variable that holds it
	what   string // "the keystore's passphrase", for the prompt
}

func (e *env) walletPassphrase() passphraseSource {
	return passphraseSource{file: e.v.GetString("passphrase-file"), envVar: "EVOTE_PASSPHRASE", what: "passphrase of the wallet"}
}

// terminal returns stdin's file descriptor if stdin is a terminal.
func (e *env) terminal() (int, bool) {
	f, ok := e.stdin.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// errNoPassphrase: no file, no variable, and no terminal to ask on.
var errNoPassphrase = errors.New("no passphrase")

// read returns the passphrase. For a new keystore (confirm), a prompt asks
// twice.
func (e *env) readPassphrase(src passphraseSource, confirm bool) ([]byte, error) {
	if src.file != "" {
		b, err := os.ReadFile(src.file)
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		line, _, _ := bytes.Cut(b, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			return nil, fmt.Errorf("passphrase file %s: the first line is empty", src.file)
		}
		return line, nil
	}
	if v, ok := os.LookupEnv(src.envVar); ok {
		if v == "" {
			return nil, fmt.Errorf("%s is set but empty", src.envVar)
		}
		return []byte(v), nil
	}
	fd, ok := e.terminal()
	if !ok {
		return nil, fmt.Errorf("%w: set %s or use --passphrase-file (standard input is not a terminal to ask on)", errNoPassphrase, src.envVar)
	}
	ask := func(prompt string) ([]byte, error) {
		fmt.Fprint(e.stderr, prompt)
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(e.stderr)
		return p, err
	}
	p, err := ask("Enter the " + src.what + ": ")
	if err != nil {
		return nil, err
	}
	if len(p) == 0 {
		return nil, errors.New("empty passphrase")
	}
	if confirm {
		again, err := ask("Enter it again: ")
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(p, again) {
			return nil, errors.New("the two passphrases differ")
		}
	}
	return p, nil
}

// errNoWallet: the keystore file does not exist.
var errNoWallet = walletfile.ErrNoWallet

// openWallet reads and opens the keystore, holding its lock until Close.
func (e *env) openWallet() (*walletfile.File, error) {
	w, _, err := e.loadWallet(false)
	return w, err
}

// createOrOpenWallet opens the keystore, or starts a new empty one (asking
// for a new passphrase twice) if the file does not exist yet.
func (e *env) createOrOpenWallet() (*walletfile.File, bool, error) {
	return e.loadWallet(true)
}

// loadWallet opens the keystore under its lock (walletfile.Open), or with
// create starts a new one if there is none, sealed with --kdf-time and
// --kdf-memory.
func (e *env) loadWallet(create bool) (*walletfile.File, bool, error) {
	path, err := walletPath(e)
	if err != nil {
		return nil, false, err
	}
	var fresh walletfile.New
	if create {
		fresh = func() (wallet.KDFParams, []byte, error) {
			kdf := wallet.KDFParams{Time: e.v.GetUint32("kdf-time"), MemoryKiB: e.v.GetUint32("kdf-memory"), Threads: wallet.DefaultKDF.Threads}
			if kdf.MemoryKiB < 8*uint32(kdf.Threads) {
				kdf.Threads = 1
			}
			if err := kdf.Validate(); err != nil {
				return kdf, nil, fmt.Errorf("--kdf-time, --kdf-memory: %w", err)
			}
			pass, err := e.readPassphrase(e.walletPassphrase(), true)
			return kdf, pass, err
		}
	}
	w, created, err := walletfile.Open(path, func() ([]byte, error) { return e.readPassphrase(e.walletPassphrase(), false) }, fresh)
	if errors.Is(err, walletfile.ErrNoWallet) {
		return nil, false, fmt.Errorf("%w: create one with `evote wallet new NAME`", err)
	}
	return w, created, err
}
