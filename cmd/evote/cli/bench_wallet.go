package cli

import (
	"github.com/spf13/cobra"

	"github.com/evote/evote/internal/walletbench"
)

// WalletBenchConfig configures `evote bench wallet`.
type WalletBenchConfig struct {
	walletbench.Config
	JSON bool
}

func newBenchWalletCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "wallet",
		Short: "time the web wallet in headless Chromium: loading, key derivation, ballots, receipt checks",
		Long: `wallet starts one node in this process (in a temporary home) serving the API and the pages,
and headless Chromium (EVOTE_BROWSER, else chromium, chromium-browser or google-chrome on PATH)
on the web wallet at /wallet. In the page it creates a keystore with one key; the node creates
two elections with that key on their rolls, one with a question of 5 options (choose 1) and one
with a question of 100 options (choose 1 to 10); the page then reloads, unlocks the keystore
and casts --runs ballots in each election, checking each receipt. It reports the time from the
navigation's start until the page is usable (first visit and reload), the key derivation of
sealing and of opening the keystore, the encryption and proof of each ballot and the receipt
checks (median and max), as the page measures them, and the wallet module's size.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := WalletBenchConfig{Config: walletbench.Config{Runs: e.v.GetInt("runs")}, JSON: e.v.GetBool("json")}
			if err := cfg.Validate(); err != nil {
				return err
			}
			return runBench(e, cfg.JSON, func(progress func(string, ...any)) (*walletbench.Result, error) {
				return walletbench.Run(cmd.Context(), cfg.Config, progress)
			})
		},
	}
	cmd.Flags().Int("runs", 5, "ballots cast in each of the two elections")
	cmd.Flags().Bool("json", false, "print one JSON object")
	return cmd
}
