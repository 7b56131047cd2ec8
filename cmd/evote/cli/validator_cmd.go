package cli

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
)

// ValidatorConfig configures `evote network validator`.
type ValidatorConfig struct {
	Card   string // a node card: the validator to add or re-weight (or retire)
	PubKey string // or its Ed25519 key, hex or base64
	Power  int64  // the new power; 0 retires
}

// Validate checks that exactly one of --card and --pubkey names the
// validator and that the power is in range.
func (c ValidatorConfig) Validate() error {
	switch {
	case (c.Card == "") == (c.PubKey == ""):
		return errors.New("give the validator by --card CARD.json or by --pubkey KEY (one of them)")
	case c.Power < 0 || c.Power > election.MaxValidatorPower:
		return fmt.Errorf("--power %d: want 0 (retire) to %d", c.Power, int64(election.MaxValidatorPower))
	}
	return nil
}

// key returns the validator's key and a name for it.
func (c ValidatorConfig) key() (election.PublicKey, string, error) {
	if c.Card != "" {
		card, err := chain.ReadCard(c.Card)
		if err != nil {
			return election.PublicKey{}, "", err
		}
		k, err := election.PublicKeyFromBytes(card.PubKey)
		if err != nil {
			return k, "", fmt.Errorf("%s: %w", c.Card, err)
		}
		return k, card.Moniker, nil
	}
	s := strings.TrimSpace(c.PubKey)
	b, err := hex.DecodeString(s)
	if err != nil {
		b, err = base64.StdEncoding.DecodeString(s)
	}
	if err != nil || len(b) != election.PublicKeySize {
		return election.PublicKey{}, "", fmt.Errorf("--pubkey %q: want the validator's 32-byte Ed25519 key in hex or base64", s)
	}
	k, err := election.PublicKeyFromBytes(b)
	if err != nil {
		return k, "", fmt.Errorf("--pubkey: %w", err)
	}
	return k, fmt.Sprintf("%X", b), nil
}

func newNetworkValidatorCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validator",
		Short: "add, re-weight or retire a validator (an authority's transaction, between elections)",
		Long: `validator submits an election authority's validator-update transaction (docs/spec/transactions.md):
the validator named by its node card (--card, whose signature is checked) or by its Ed25519 key
(--pubkey) gets voting power --power; 0 retires it. The chain refuses it while an election is
open or closed without its result, before the previous change is in force, and when the
validators it leaves unchanged would hold 2/3 or less of the new total power. CometBFT applies an
accepted change two blocks after the block that holds it; a new validator's node joins first as a
replica (evote node join --replica) and signs from then on. docs/deployment.md, "Changing
validators", gives the steps.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := ValidatorConfig{Card: e.v.GetString("card"), PubKey: e.v.GetString("pubkey"), Power: e.v.GetInt64("power")}
			if err := cfg.Validate(); err != nil {
				return err
			}
			key, name, err := cfg.key()
			if err != nil {
				return err
			}
			o, err := newOfficial(cmd.Context(), e)
			if err != nil {
				return err
			}
			tx, err := election.NewValidatorUpdateTx(o.chainID, key, uint64(cfg.Power), o.authority)
			if err != nil {
				return err
			}
			c, err := commitTx(cmd.Context(), o.api, "validator update", tx)
			if err != nil {
				return err
			}
			what := fmt.Sprintf("power %d", cfg.Power)
			if cfg.Power == 0 {
				what = "retired"
			}
			fmt.Fprintf(o.out, "validator %s: %s, accepted in block %d%s; the new set signs from block %d\n",
				name, what, c.Height, again(c), c.Height+election.ValidatorDelay)
			return nil
		},
	}
	addNodeURLFlag(cmd)
	addAuthorityFlag(cmd)
	cmd.Flags().String("card", "", "the validator's node card `FILE` (evote node init wrote it)")
	cmd.Flags().String("pubkey", "", "or the validator's Ed25519 public `KEY` (hex or base64), to retire one whose card is gone")
	cmd.Flags().Int64("power", 10, "the validator's new voting power; 0 retires it")
	return cmd
}
