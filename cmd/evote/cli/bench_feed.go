package cli

import (
	"github.com/spf13/cobra"

	"github.com/evote/evote/internal/feedbench"
)

// FeedBenchConfig configures `evote bench feed`.
type FeedBenchConfig struct {
	feedbench.Config
	JSON bool
}

func newBenchFeedCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "feed",
		Short: "load a node's live feed with many websocket clients while ballots commit",
		Long: `feed starts one polling node in this process (in a temporary home) serving the API and the
feed, creates an election with 2×--ballots voters and prepares their ballots. It submits the
first --ballots ballots with --submitters concurrent HTTP clients and one feed client, then the
second half with --clients feed clients of the election connected, each reading every block. It
reports the delay from the node's commit of a block to its arrival at the clients (p50, p99,
max), the clients the node dropped, and the committed ballots per second of both halves.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := FeedBenchConfig{Config: feedbench.Config{
				Clients: e.v.GetInt("clients"), Ballots: e.v.GetInt("ballots"), Submitters: e.v.GetInt("submitters"),
				Light: e.v.GetBool("light"), Buffer: e.v.GetInt("buffer"),
			}, JSON: e.v.GetBool("json")}
			if err := cfg.Validate(); err != nil {
				return err
			}
			return runBench(e, cfg.JSON, func(progress func(string, ...any)) (*feedbench.Result, error) {
				return feedbench.Run(cmd.Context(), cfg.Config, progress)
			})
		},
	}
	cmd.Flags().Int("clients", 1000, "feed clients connected during the second half")
	cmd.Flags().Int("ballots", 1000, "ballots submitted in each half")
	cmd.Flags().Int("submitters", 256, "concurrent HTTP clients submitting ballots (each waits for its commit)")
	cmd.Flags().Bool("light", false, "the feed's light form (transactions without their bytes)")
	cmd.Flags().Int("buffer", 0, "blocks queued per feed client before the node drops it (0: the node's default)")
	cmd.Flags().Bool("json", false, "print one JSON object")
	return cmd
}
