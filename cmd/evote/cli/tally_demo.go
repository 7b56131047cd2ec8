package cli

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/evote/evote/internal/tallydemo"
	"github.com/evote/evote/tally"
)

// DemoConfig configures `evote tally demo`.
type DemoConfig struct {
	Voters    int
	Trustees  int
	Threshold int
	Seed      string // empty: fresh randomness; otherwise a reproducible run
}

// Validate checks the configuration.
func (c DemoConfig) Validate() error {
	switch {
	case c.Voters < 1 || c.Voters > 100000:
		return fmt.Errorf("--voters must be 1..100000, got %d", c.Voters)
	case c.Trustees < 2 || c.Trustees > tally.DKGMaxTrustees:
		return fmt.Errorf("--trustees must be 2..%d, got %d", tally.DKGMaxTrustees, c.Trustees)
	case c.Threshold < 1 || c.Threshold > c.Trustees-1:
		return fmt.Errorf("--threshold must be 1..%d (one trustee stays away), got %d", c.Trustees-1, c.Threshold)
	}
	return nil
}

func newTallyDemoCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "run a key ceremony, encrypted ballots, batch verification and a threshold decryption",
		Long: `demo plays every role of an election's cryptography in one process: the trustees' key
ceremony, voters encrypting and proving their ballots (one of them auditing a ballot with a
Benaloh challenge), a polling node batch-verifying the ballots and rejecting a copied one, the
homomorphic tally, and the trustees' threshold decryption with one trustee absent and one lying.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg := DemoConfig{
				Voters: e.v.GetInt("voters"), Trustees: e.v.GetInt("trustees"),
				Threshold: e.v.GetInt("threshold"), Seed: e.v.GetString("seed"),
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			return runTallyDemo(cfg, e.stdout)
		},
	}
	cmd.Flags().Int("voters", 300, "number of voters")
	cmd.Flags().Int("trustees", 5, "number of trustees")
	cmd.Flags().Int("threshold", 3, "trustees needed to decrypt")
	cmd.Flags().String("seed", "", "make the run reproducible from this seed")
	return cmd
}

// runTallyDemo runs the demo (internal/tallydemo) and prints each stage
// as it ends, then the totals.
func runTallyDemo(cfg DemoConfig, out io.Writer) error {
	p := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	p("evote tally demo: %d trustees (any %d decrypt), %d voters", cfg.Trustees, cfg.Threshold, cfg.Voters)
	p("question: which %d projects should the city fund? (choose %d to %d)\n", len(tallydemo.Options), tallydemo.Rules.MinSelections, tallydemo.Rules.MaxSelections)
	r, err := tallydemo.Run(tallydemo.Config{Voters: cfg.Voters, Trustees: cfg.Trustees, Threshold: cfg.Threshold, Seed: cfg.Seed},
		func(s tallydemo.Stage, r *tallydemo.Report) {
			switch s {
			case tallydemo.StageCeremony:
				p("1. key ceremony: %d deals with Feldman commitments, proofs of knowledge and HPKE-sealed shares", cfg.Trustees)
				p("   qualified trustees %v; joint public key %x (%v)", r.Qualified, r.JointKey, r.CeremonyTime.Round(time.Millisecond))
			case tallydemo.StageBallots:
				p("2. voter 0 challenges an encryption: it opens to the choices shown (%v); spoiled, re-encrypted", r.Audited)
				p("   %d ballots encrypted and proven on the voters' devices (%v each, %d bytes)", cfg.Voters, r.PerBallot.Round(time.Microsecond), r.BallotSize)
			case tallydemo.StageVerify:
				p("3. polling node: voter 0's ballot resubmitted under another credential is refused: %v", r.CopyRefused)
				p("   %d ballots verified in one batch in %v", r.Ballots, r.BatchTime.Round(time.Millisecond))
			case tallydemo.StageTally:
				p("4. running tally: %d aggregate ciphertexts; no ballot was decrypted", r.Aggregates)
			case tallydemo.StageDecrypt:
				p("5. decryption: trustee %d is absent", tallydemo.AbsentTrustee)
				for _, rej := range r.Rejected {
					p("   trustee %d's partial decryptions are rejected: %v", rej.Trustee, rej.Err)
				}
				p("   trustees %v decrypt the totals, each share with its proof\n", r.Decryptors)
			}
		})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%-24s %8s %8s\n", "option", "votes", "recorded")
	for i, got := range r.Totals {
		mark := "✓"
		if got != r.Recorded[i] {
			mark = "✗"
		}
		fmt.Fprintf(out, "%-24s %8d %8d %s\n", tallydemo.Options[i], got, r.Recorded[i], mark)
	}
	if !r.Match() {
		return &exitError{code: 2, err: errors.New("the decrypted totals differ from the recorded choices")}
	}
	p("\nthe decrypted totals equal the choices the voters made")
	return nil
}
