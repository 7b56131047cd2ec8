package cli

import (
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/keyfile"
)

//go:embed sample-election.yaml
var sampleManifest string

// rollBatch is how many voters one append-voters transaction carries.
const rollBatch = 10000

// sampleSpec is the sample election (`evote up`, `evote sample`): the
// sample manifest, three fresh trustees (any two decrypt) and a roll of
// voters fresh voters.
func sampleSpec(authority *election.PrivateKey, reference string, voters int) harness.Spec {
	return harness.Spec{Template: sampleManifest, Reference: reference, TrusteeName: "Sample trustee %d",
		Voters: voters, RollBatch: rollBatch, Authority: authority}
}

// randomHex is n random bytes in hex, for references and passphrases.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// SampleConfig configures `evote sample`.
type SampleConfig struct {
	Node      string // the node's HTTP address
	Authority string // the authority key file
	Voters    int
	Keys      string // where the trustees' and voters' keys go
}

// Validate checks the configuration.
func (c SampleConfig) Validate() error {
	switch {
	case c.Node == "":
		return errors.New("--node is empty")
	case c.Authority == "":
		return errors.New("--authority is required (for a testnet: DIR/authority.key)")
	case c.Keys == "":
		return errors.New("--keys is required")
	case c.Voters < 1 || c.Voters > 1000000:
		return fmt.Errorf("--voters must be 1..1000000, got %d", c.Voters)
	}
	return nil
}

func newSampleCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sample",
		Short: "create the sample election on a running network and open it, with fresh trustees and voters",
		Long: `sample creates the sample election through a node's HTTP API, signed with an election
authority key of the network's genesis; appends --voters fresh voters; plays its three trustees
through the key ceremony on the chain; and opens it. The manifest and every key are written
under --keys. It prints the election id.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := SampleConfig{
				Node: e.v.GetString("node"), Authority: e.v.GetString("authority"),
				Voters: e.v.GetInt("voters"), Keys: e.v.GetString("keys"),
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			authority, err := keyfile.ReadAuthority(cfg.Authority)
			if err != nil {
				return fmt.Errorf("authority key: %w", err)
			}
			c, err := newNodeClient(cfg.Node)
			if err != nil {
				return err
			}
			set, err := harness.Setup(cmd.Context(), harness.NewAPI(c), sampleSpec(authority, "sample-"+randomHex(8), cfg.Voters))
			if err != nil {
				return err
			}
			if err := set.WriteKeys(cfg.Keys); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, set.ID)
			return nil
		},
	}
	cmd.Flags().String("node", "http://127.0.0.1:8080", "the node's HTTP address")
	cmd.Flags().String("authority", "", "the election authority key file")
	cmd.Flags().Int("voters", 5, "voters on the roll")
	cmd.Flags().String("keys", "", "directory for the manifest and the trustees' and voters' keys")
	return cmd
}
