package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/evote/evote/internal/voternode"
	"github.com/evote/evote/wallet"
)

func newBallotCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ballot",
		Short: "check ballots: the Benaloh audit files of spoiled ballots",
	}
	cmd.AddCommand(newCheckAuditCmd(e))
	return cmd
}

func newCheckAuditCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check-audit FILE",
		Short: "check that an audited (spoiled) ballot encrypts the choices its audit file shows",
		Long: `check-audit reads an audit file (docs/spec/audit-file.md) written by evote vote --audit and
checks, with nothing but the file, that its ballot is a ballot of the election the manifest
describes, signed by the voter, with valid proofs, and that every ciphertext is the encryption
of the shown choice with the shown randomness. It prints each contest's choices.

With --node, it also checks against that node that the election has this manifest and joint
key, and that the audited ballot is not on the chain. Exits 2 when a check fails.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := checkAudit(cmd.Context(), e, args[0], e.v.GetString("node"), e.v.GetString("lang"))
			if errors.Is(err, wallet.ErrAudit) || errors.Is(err, wallet.ErrAuditFile) || errors.Is(err, voternode.ErrAuditNode) {
				return &exitError{code: exitCheckFailed, err: err}
			}
			return err
		},
	}
	cmd.Flags().String("node", "", "also check against this node's HTTP API")
	cmd.Flags().String("lang", "en", "the language to show the election in")
	return cmd
}

// errAuditNode: the node disagrees with the audit file.
func checkAudit(ctx context.Context, e *env, path, node, lang string) error {
	out := e.stdout
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(io.LimitReader(f, wallet.MaxAuditFileSize+1))
	f.Close()
	if err != nil {
		return err
	}
	a, err := wallet.ParseAuditFile(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	view := ballotView{m: a.Election.Manifest, lang: lang}
	fmt.Fprintf(out, "audit file %s\n", path)
	fmt.Fprintf(out, "  ballot %s (sequence number %d) of %s\n", a.TrackingCode, a.Seq, a.Voter)
	fmt.Fprintf(out, "  election %s %q, chain %s\n", a.Election.ID, view.text(a.Election.Manifest.Title), a.ChainID)
	choices, contestErrs, err := a.CheckEach()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var failed error
	for i := range a.Election.Manifest.Contests {
		c := &a.Election.Manifest.Contests[i]
		if contestErrs[i] != nil {
			fmt.Fprintf(out, "  ✗ contest %d, %s: does not open to the choices shown (%v)\n", i+1, view.text(c.Title), a.Secrets[i].Choices)
			failed = cmp.Or(failed, contestErrs[i])
			continue
		}
		fmt.Fprintf(out, "  ✓ contest %d, %s: %s\n", i+1, view.text(c.Title), view.chosen(c, choices[i]))
	}
	if failed != nil {
		return fmt.Errorf("%s: %w", path, failed)
	}
	fmt.Fprintln(out, "  ok: signed by the voter, proofs valid, and every ciphertext encrypts the choice shown with the randomness shown")
	if node == "" {
		fmt.Fprintln(out, "  (the joint key was taken from the file: add --node to check it against the chain)")
		return nil
	}
	client, err := newVoterClient(node)
	if err != nil {
		return err
	}
	if err := voternode.CheckAuditElection(ctx, client, node, a); err != nil {
		return err
	}
	fmt.Fprintf(out, "  ok on node %s: the election has this manifest and joint key\n", node)
	if err := voternode.CheckAuditNotCast(ctx, client, node, a); err != nil {
		return err
	}
	fmt.Fprintf(out, "  ok on node %s: the audited ballot is not on the chain\n", node)
	return nil
}
