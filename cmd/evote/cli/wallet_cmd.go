package cli

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/evote/evote/internal/fileutil"
	"github.com/evote/evote/internal/walletfile"
	"github.com/evote/evote/wallet"
)

func newWalletCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "wallet",
		Short: "the voter's keystore: named voter keys sealed under a passphrase",
		Long: `wallet manages the voter's keystore: one file holding named voter keys, sealed with a
passphrase (Argon2id and XChaCha20-Poly1305, docs/spec/keystore.md). The file is --wallet, or
EVOTE_WALLET, or wallet.keystore in the user's configuration directory. The passphrase is read
from --passphrase-file, or EVOTE_PASSPHRASE, or asked on the terminal without echo.`,
	}
	cmd.AddCommand(newWalletNewCmd(e), newWalletListCmd(e), newWalletImportCmd(e), newWalletExportCmd(e), newWalletRemoveCmd(e))
	return cmd
}

// kdfFlags are the Argon2id parameters of a new keystore.
func addKDFFlags(cmd *cobra.Command) {
	cmd.Flags().Uint32("kdf-time", wallet.DefaultKDF.Time, "Argon2id passes, for a new keystore")
	cmd.Flags().Uint32("kdf-memory", wallet.DefaultKDF.MemoryKiB, "Argon2id memory in KiB, for a new keystore")
}

func newWalletNewCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "make a new voter key named NAME (and the keystore, the first time)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			name := args[0]
			if err := wallet.CheckKeyName(name); err != nil {
				return err
			}
			w, created, err := e.createOrOpenWallet()
			if err != nil {
				return err
			}
			defer w.Close()
			k, err := w.Keystore.Generate(name, rand.Reader)
			if err != nil {
				return err
			}
			if err := w.Save(); err != nil {
				return err
			}
			if created {
				fmt.Fprintf(e.stdout, "new wallet %s\n", w.Path)
			}
			fmt.Fprintf(e.stdout, "new key %q: %s\n", name, k.Public())
			fmt.Fprintln(e.stdout, "Give this public key to the election's officials to be put on the roll.")
			return nil
		},
	}
	addWalletFlags(cmd)
	addKDFFlags(cmd)
	return cmd
}

func newWalletListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list the keys of the keystore: names and public keys",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			w, err := e.openWallet()
			if err != nil {
				return err
			}
			defer w.Close()
			fmt.Fprintf(e.stdout, "%s: %d key(s)\n", w.Path, w.Keystore.Len())
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			for _, k := range w.Keystore.Entries() {
				fmt.Fprintf(tw, "  %s\t%s\n", k.Name, k.Key.Public())
			}
			return tw.Flush()
		},
	}
	addWalletFlags(cmd)
	return cmd
}

func newWalletImportCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import (NAME [FILE] | --from KEYSTORE)",
		Short: "import a voter key from its text form (evote-voter-secret:...), or every key of another keystore",
		Long: `import NAME [FILE] reads a secret voter key in its text form ("evote-voter-secret:" and 64 hex
digits) from FILE, or from standard input if FILE is "-" or missing, and keeps it as NAME.
import --from KEYSTORE adds every key of another keystore under its name; its passphrase comes
from --from-passphrase-file, EVOTE_FROM_PASSPHRASE or the terminal. Nothing is added if a name
or a key is in the wallet already. The wallet is created if it does not exist.`,
		Args: cobra.RangeArgs(0, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			from := e.v.GetString("from")
			if (from == "") == (len(args) == 0) || from != "" && len(args) > 0 {
				return errors.New("give NAME [FILE], or --from KEYSTORE")
			}
			var incoming *wallet.Keystore
			if from != "" {
				var err error
				incoming, err = walletfile.Read(from, func() ([]byte, error) {
					return e.readPassphrase(passphraseSource{file: e.v.GetString("from-passphrase-file"), envVar: "EVOTE_FROM_PASSPHRASE", what: "passphrase of " + from}, false)
				})
				if err != nil {
					return err
				}
			} else {
				name := args[0]
				if err := wallet.CheckKeyName(name); err != nil {
					return err
				}
				var src io.Reader = e.stdin
				if len(args) == 2 && args[1] != "-" {
					f, err := os.Open(args[1])
					if err != nil {
						return err
					}
					defer f.Close()
					src = f
				}
				text, err := io.ReadAll(io.LimitReader(src, 4096))
				if err != nil {
					return err
				}
				k, err := wallet.ParseVoterKey(strings.TrimSpace(string(text)))
				if err != nil {
					return fmt.Errorf("not a secret voter key: %w", err)
				}
				incoming = wallet.NewKeystore()
				if err := incoming.Add(name, k); err != nil {
					return err
				}
			}
			w, created, err := e.createOrOpenWallet()
			if err != nil {
				return err
			}
			defer w.Close()
			added, err := w.Keystore.Merge(incoming)
			if err != nil {
				return err
			}
			if err := w.Save(); err != nil {
				return err
			}
			if created {
				fmt.Fprintf(e.stdout, "new wallet %s\n", w.Path)
			}
			for _, name := range added {
				k, _ := w.Keystore.Key(name)
				fmt.Fprintf(e.stdout, "imported %q: %s\n", name, k.Public())
			}
			if len(added) == 0 {
				fmt.Fprintln(e.stdout, "nothing to import: every key is in the wallet already")
			}
			return nil
		},
	}
	addWalletFlags(cmd)
	addKDFFlags(cmd)
	cmd.Flags().String("from", "", "another keystore file whose keys to import")
	cmd.Flags().String("from-passphrase-file", "", "the other keystore's passphrase file (else EVOTE_FROM_PASSPHRASE, else a prompt)")
	return cmd
}

func newWalletExportCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export NAME",
		Short: "print a voter key's secret text form (evote-voter-secret:...)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			w, err := e.openWallet()
			if err != nil {
				return err
			}
			defer w.Close()
			k, err := w.Keystore.Key(args[0])
			if err != nil {
				return err
			}
			text, err := k.MarshalText()
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stderr, "This is the secret key: whoever has it can vote in your name. Keep it safe.")
			fmt.Fprintf(e.stdout, "%s\n", text)
			return nil
		},
	}
	addWalletFlags(cmd)
	return cmd
}

func newWalletRemoveCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "delete a voter key from the keystore (there is no undo: export it first to keep it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			name := args[0]
			w, err := e.openWallet()
			if err != nil {
				return err
			}
			defer w.Close()
			k, err := w.Keystore.Key(name)
			if err != nil {
				return err
			}
			if !e.v.GetBool("yes") {
				if _, ok := e.terminal(); !ok {
					return fmt.Errorf("removing %q (%s) cannot be undone: add --yes", name, k.Public())
				}
				fmt.Fprintf(e.stderr, "Remove %q (%s)? There is no undo. Type its name to confirm: ", name, k.Public())
				answer, err := fileutil.NewLineReader(e.stdin).Line()
				if err != nil || answer != name {
					return errors.New("not removed")
				}
			}
			if _, err := w.Keystore.Remove(name); err != nil {
				return err
			}
			if err := w.Save(); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "removed %q: %s\n", name, k.Public())
			return nil
		},
	}
	addWalletFlags(cmd)
	cmd.Flags().Bool("yes", false, "do not ask for confirmation")
	return cmd
}
