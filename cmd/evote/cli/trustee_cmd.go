package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
)

// `evote trustee init|run`: a trustee's keys and its part in elections.

func newTrusteeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trustee",
		Short: "trustees: make the keys, take part in the key ceremony on the chain, decrypt the totals",
	}
	initCmd := &cobra.Command{
		Use:   "init --name NAME --dir DIR",
		Short: "make a trustee's identity and encryption keys, sealed under a passphrase in DIR",
		Long: `init makes a trustee's Ed25519 identity key (it signs the trustee's transactions) and
X25519 encryption key (the other trustees seal its key shares to it), seals both under a
passphrase (Argon2id and XChaCha20-Poly1305) in DIR/trustee.sealed, and writes the public keys to
DIR/trustee.yaml. It prints the lines an official adds under trustees.members in the manifest.
The passphrase comes from --passphrase-file, else EVOTE_PASSPHRASE, else the terminal.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, name := e.v.GetString("dir"), e.v.GetString("name")
			if dir == "" {
				return errors.New("--dir is required (the trustee's own directory)")
			}
			if name == "" {
				return errors.New("--name is required (as the manifest will show it)")
			}
			pass, err := trusteePassphrase(e, true)
			if err != nil {
				return err
			}
			s, err := initTrusteeStore(dir, name, pass, trusteeKDF)
			if err != nil {
				return err
			}
			k, err := s.State.Keys()
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "trustee %q initialised in %s\n", name, dir)
			fmt.Fprintf(e.stdout, "  identity        %s\n", k.Identity.TrusteePublic())
			fmt.Fprintf(e.stdout, "  encryption key  %s\n", election.EncryptionKeyOf(k.Encryption.Public()))
			fmt.Fprintf(e.stdout, "  secrets         %s (sealed under the passphrase; keep it and a backup)\n", filepath.Join(dir, trusteeSealed))
			fmt.Fprintf(e.stdout, "give the official these lines for trustees.members of the manifest (also in %s):\n\n", filepath.Join(dir, trusteePublic))
			fmt.Fprintf(e.stdout, "    - name: %q\n      identity: %s\n      encryption_key: %s\n", name, k.Identity.TrusteePublic(), election.EncryptionKeyOf(k.Encryption.Public()))
			return nil
		},
	}
	initCmd.Flags().String("name", "", "the trustee's name, as the manifest shows it")

	runCmd := &cobra.Command{
		Use:   "run [--election ID] --dir DIR",
		Short: "take part in an election: deal, check deals, answer complaints, then decrypt after the close",
		Long: `run watches the election through a node's API and does this trustee's part as the chain
advances: it posts its deal, checks the share every other deal seals to it and posts its
complaints (possibly none), answers complaints against it by revealing the complainer's share,
derives its secret share once the joint key is fixed (and checks it against the chain's joint and
verification keys), and after the close posts its partial decryption of every aggregate with a
proof. It exits when the result is on the chain (with --once: as soon as its shares are in).

It decrypts only what it verified itself: after the close it follows the election's feed from
block 1 (its node's, and those of --verify-node) with the verifier of evote observe, checks every
commit against the genesis validators, every ballot and the state at every block, recomputes the
aggregates from the verified ballots, and posts partial decryptions of those only. It stops with
the reason, posting nothing, if a block does not verify, two nodes disagree, or the node serves
other aggregates. The genesis is the one of --genesis (the network's genesis.json), else the one
the node serves on the trustee's first look, pinned in its sealed state and printed (compare the
fingerprint with the one the network publishes); another genesis after that is refused.
Every secret is sealed in DIR before it is used: stopped and restarted, a trustee resumes where
it was and posts the deal it kept, never a second one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newVoterClient(e.v.GetString("node"))
			if err != nil {
				return err
			}
			id, err := nodeElection(cmd.Context(), e, c)
			if err != nil {
				return err
			}
			cfg := TrusteeRunConfig{
				Node: e.v.GetString("node"), Election: id, Dir: e.v.GetString("dir"), Once: e.v.GetBool("once"),
				Poll: e.v.GetDuration("poll"), VerifyNodes: e.v.GetStringSlice("verify-node"), Genesis: e.v.GetString("genesis"),
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			pass, err := trusteePassphrase(e, false)
			if err != nil {
				return err
			}
			store, err := openTrusteeStore(cfg.Dir, pass)
			if err != nil {
				return err
			}
			defer store.Close()
			return runTrustee(cmd.Context(), cfg, store, e.stdout)
		},
	}
	addNodeURLFlag(runCmd)
	addElectionOrOnlyFlag(runCmd)
	runCmd.Flags().Bool("once", false, "exit once its decryption shares are on the chain, without waiting for the result")
	runCmd.Flags().Duration("poll", api.PollEvery, "how often to look at the chain")
	runCmd.Flags().StringSlice("verify-node", nil, "another node whose feed it follows to verify the election before decrypting (repeat for more)")
	runCmd.Flags().String("genesis", "", "the network's genesis.json: the chain it verifies must have this genesis (default: the node's, pinned on first use)")
	for _, c := range []*cobra.Command{initCmd, runCmd} {
		c.Flags().String("dir", "", "the trustee's directory (its sealed secrets)")
		c.Flags().String("passphrase-file", "", "read the passphrase from this file (else EVOTE_PASSPHRASE, else the terminal)")
		cmd.AddCommand(c)
	}
	return cmd
}
