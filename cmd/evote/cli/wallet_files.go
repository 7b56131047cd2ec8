package cli

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

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

// openedWallet is an opened keystore with what is needed to write it back,
// and the keystore's lock, held until close: a command reads, changes and
// writes the keystore while no other evote process does.
type openedWallet struct {
	path       string
	ks         *wallet.Keystore
	passphrase []byte
	kdf        wallet.KDFParams
	lock       *os.File
}

// close lets go of the keystore.
func (w *openedWallet) close() {
	if w != nil && w.lock != nil {
		w.lock.Close()
		w.lock = nil
	}
}

// errNoWallet: the keystore file does not exist.
var errNoWallet = errors.New("no wallet")

// errLocked: another process holds the lock.
var errLocked = errors.New("locked by another process")

// openWallet reads and opens the keystore.
func (e *env) openWallet() (*openedWallet, error) {
	w, _, err := e.loadWallet(false)
	return w, err
}

// createOrOpenWallet opens the keystore, or starts a new empty one (asking
// for a new passphrase twice) if the file does not exist yet.
func (e *env) createOrOpenWallet() (*openedWallet, bool, error) {
	return e.loadWallet(true)
}

// loadWallet locks the keystore (PATH.lock, waiting for another evote
// process that holds it), then opens it, or with create starts a new one if
// there is none.
func (e *env) loadWallet(create bool) (w *openedWallet, created bool, err error) {
	path, err := walletPath(e)
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	lock, err := lockFile(path+".lock", true)
	if err != nil {
		return nil, false, fmt.Errorf("locking %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			lock.Close()
		}
	}()
	sealed, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if !create {
			return nil, false, fmt.Errorf("%w at %s: create one with `evote wallet new NAME`", errNoWallet, path)
		}
		kdf := wallet.KDFParams{Time: e.v.GetUint32("kdf-time"), MemoryKiB: e.v.GetUint32("kdf-memory"), Threads: wallet.DefaultKDF.Threads}
		if kdf.MemoryKiB < 8*uint32(kdf.Threads) {
			kdf.Threads = 1
		}
		if err := kdf.Validate(); err != nil {
			return nil, false, fmt.Errorf("--kdf-time, --kdf-memory: %w", err)
		}
		pass, err := e.readPassphrase(e.walletPassphrase(), true)
		if err != nil {
			return nil, false, err
		}
		return &openedWallet{path: path, ks: wallet.NewKeystore(), passphrase: pass, kdf: kdf, lock: lock}, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	kdf, err := wallet.SealedParams(sealed)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	pass, err := e.readPassphrase(e.walletPassphrase(), false)
	if err != nil {
		return nil, false, err
	}
	ks, err := wallet.OpenKeystore(pass, sealed)
	if errors.Is(err, wallet.ErrPassphrase) {
		return nil, false, fmt.Errorf("%s: wrong passphrase (or the file was changed)", path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return &openedWallet{path: path, ks: ks, passphrase: pass, kdf: kdf, lock: lock}, false, nil
}

// save seals the keystore afresh and replaces the file atomically.
func (w *openedWallet) save() error {
	sealed, err := wallet.SealKeystore(w.ks, w.passphrase, w.kdf, rand.Reader)
	if err != nil {
		return err
	}
	return writeFileAtomic(w.path, 0o600, func(f io.Writer) error {
		_, err := f.Write(sealed)
		return err
	})
}

// key returns the named key, or the only one if name is empty.
func (w *openedWallet) key(name string) (wallet.KeyEntry, error) {
	if name == "" {
		return w.ks.Only()
	}
	k, err := w.ks.Key(name)
	if err != nil {
		return wallet.KeyEntry{}, err
	}
	return wallet.KeyEntry{Name: name, Key: k}, nil
}

// writeFileAtomic writes a file so that a reader sees either the old
// content or the whole new one: write to a temporary file in the same
// directory (mode perm), sync it, rename it over path, sync the directory.
// If write or any step fails, the temporary file is removed and path is
// left as it was.
func writeFileAtomic(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := write(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// lineReader reads the answers to prompts, line by line.
type lineReader struct {
	r   io.Reader
	buf []byte
	eof bool
}

func newLineReader(r io.Reader) *lineReader { return &lineReader{r: r} }

// line returns the next line, trimmed of spaces; io.EOF when the input
// ends with nothing left. It reads one byte at a time and never past the
// end of the line, so that whatever reads the input next finds the rest.
func (l *lineReader) line() (string, error) {
	var b [1]byte
	for {
		n, err := l.r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				s := strings.TrimSpace(string(l.buf))
				l.buf = l.buf[:0]
				return s, nil
			}
			if len(l.buf) > 4096 {
				return "", errors.New("input line too long")
			}
			l.buf = append(l.buf, b[0])
			continue
		}
		if err != nil {
			if len(l.buf) > 0 {
				s := strings.TrimSpace(string(l.buf))
				l.buf = l.buf[:0]
				return s, nil
			}
			if errors.Is(err, io.EOF) {
				return "", io.EOF
			}
			return "", err
		}
	}
}
