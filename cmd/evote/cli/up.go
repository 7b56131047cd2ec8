package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/internal/localnet"
)

// upChainID is the chain id of the embedded single-validator network.
const upChainID = "evote-local"

func newUpCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "up",
		Short: "run a single-validator polling node on loopback with a sample election open for sample voters",
		Long: `up is evote on embedded defaults. The first time, it writes a node home (--home,
default ~/.evote): a one-validator network on 127.0.0.1, an election authority key for the
operator, and a sample election whose three trustees and five voters have their keys under
HOME/sample. It then runs the trustees' key ceremony on the chain, opens the election, and
serves the API and pages on http://127.0.0.1:8080 until interrupted. Later runs resume the
same chain.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := nodeConfig(e)
			if err := cfg.Validate(); err != nil {
				return err
			}
			return runUp(cmd.Context(), cfg, e.stdout)
		},
	}
	addNodeFlags(cmd)
	return cmd
}

func runUp(ctx context.Context, cfg NodeConfig, out io.Writer) error {
	keyPath := filepath.Join(cfg.Home, "keys", "authority.key")
	if _, err := os.Stat(filepath.Join(cfg.Home, "config", "genesis.json")); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Join(cfg.Home, "keys"), 0o700); err != nil {
			return err
		}
		authority, _, err := localnet.NewAuthorityKey(filepath.Dir(keyPath))
		if err != nil {
			return err
		}
		appState, err := localnet.GenesisAppState(upChainID, authority)
		if err != nil {
			return err
		}
		if err := chain.Init(cfg.Home, "evote-up", chain.InitOptions{ChainID: upChainID, AppState: appState}); err != nil {
			return err
		}
		fmt.Fprintf(out, "new node home %s (chain %s, one validator on 127.0.0.1)\n", cfg.Home, upChainID)
	}
	authority, err := keyfile.ReadAuthority(keyPath)
	if err != nil {
		return fmt.Errorf("authority key: %w", err)
	}
	rn, err := startNode(cfg)
	if err != nil {
		return err
	}
	st, err := rn.node.Status(ctx)
	if err != nil {
		rn.stop()
		return err
	}
	fmt.Fprintf(out, "polling node running: chain %s, height %d, app hash %s\n", st.ChainID, st.Height, st.AppHash)
	fmt.Fprintf(out, "  home          %s (log: %s)\n", cfg.Home, filepath.Join(cfg.Home, "node.log"))
	fmt.Fprintf(out, "  authority key %s (%s)\n", keyPath, authority.AuthorityPublic())
	fmt.Fprintln(out, "                `evote election` and `evote roll` sign with it (found under --home; elsewhere give --authority-key or EVOTE_AUTHORITY_KEY)")
	list, err := election.QueryElections(rn.node.App().Store().Reader())
	if err != nil {
		rn.stop()
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(out, "creating the sample election and running its key ceremony on the chain ...")
		set, err := harness.Setup(ctx, harness.Node{N: rn.node}, sampleSpec(authority, "evote-sample-election", sampleVoters))
		if err == nil {
			err = set.WriteKeys(filepath.Join(cfg.Home, "sample"))
		}
		if err != nil {
			rn.stop()
			return fmt.Errorf("sample election: %w", err)
		}
		fmt.Fprintf(out, "  election      %s %q\n", set.ID, set.Manifest.Title.In("en", set.Manifest.Languages))
		fmt.Fprintf(out, "                open; %d trustees (any %d decrypt); joint key fixed on the chain\n", len(set.Manifest.Trustees.Members), set.Manifest.Trustees.Threshold)
		fmt.Fprintf(out, "  sample keys   %s (voter-1.key ... voter-%d.key, trustee-1.key ...)\n", filepath.Join(cfg.Home, "sample"), sampleVoters)
	} else {
		for _, s := range list {
			fmt.Fprintf(out, "  election      %s %q: %s, %d on the roll, %d voted\n", s.ID, s.Title.In("en", nil), s.Phase, s.RollSize, s.Voters)
		}
	}
	fmt.Fprintf(out, "API and pages on %s (Ctrl-C stops the node)\n", rn.url)
	return rn.wait(ctx)
}

// sampleVoters is the size of the sample election's roll.
const sampleVoters = 5
