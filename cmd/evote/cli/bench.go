package cli

import (
	"encoding/json"
	"fmt"

	"github.com/evote/evote/internal/bench"
	"github.com/spf13/cobra"
)

// BenchConfig configures `evote bench tally`.
type BenchConfig struct {
	Contests int  // contests in the batch
	JSON     bool // one JSON object instead of a table
}

// Validate checks the configuration.
func (c BenchConfig) Validate() error {
	if c.Contests < 2 || c.Contests > 100000 {
		return fmt.Errorf("--contests must be 2..100000, got %d", c.Contests)
	}
	return nil
}

func newBenchCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "measure evote's speed on this machine"}
	tallyCmd := &cobra.Command{
		Use:   "tally",
		Short: "time ballot encryption, verification and aggregation in multiples of one scalar multiplication",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := BenchConfig{Contests: e.v.GetInt("contests"), JSON: e.v.GetBool("json")}
			if err := cfg.Validate(); err != nil {
				return err
			}
			res, err := bench.Tally(cfg.Contests, func(s string) {
				if !cfg.JSON {
					fmt.Fprintln(e.stderr, s)
				}
			})
			if err != nil {
				return err
			}
			if cfg.JSON {
				return json.NewEncoder(e.stdout).Encode(res)
			}
			printTallyBench(e, res)
			return nil
		},
	}
	tallyCmd.Flags().Int("contests", 1000, "contests in the verified batch")
	tallyCmd.Flags().Bool("json", false, "print one JSON object")
	cmd.AddCommand(tallyCmd, newBenchChainCmd(e), newBenchVerifyCmd(e), newBenchFeedCmd(e), newBenchWalletCmd(e))
	return cmd
}

func printTallyBench(e *env, r *bench.TallyBench) {
	fmt.Fprintf(e.stdout, "machine: %s, %d cores; one Element.Mul = %.1f µs\n", r.CPU, r.Cores, r.MulNs/1e3)
	fmt.Fprintf(e.stdout, "contest: 5 options, 1..3 selections\n\n")
	fmt.Fprintf(e.stdout, "%-38s %12s %8s %8s\n", "", "µs/contest", "× Mul", "target")
	row := func(name string, ns, muls float64, target string) {
		fmt.Fprintf(e.stdout, "%-38s %12.1f %8.1f %8s\n", name, ns/1e3, muls, target)
	}
	row("encrypt and prove", r.EncryptNs, r.EncryptMuls, "≤ 50")
	row("verify one contest", r.VerifyNs, r.VerifyMuls, "≤ 25")
	row(fmt.Sprintf("verify in a batch of %d (1 core)", r.Contests), r.BatchNs, r.BatchMuls, "≤ 10")
	row(fmt.Sprintf("verify in a batch of %d (%d cores)", r.Contests, r.Cores), r.BatchParallelNs, r.BatchParallelNs/r.MulNs, "")
	row("aggregate", r.AggregateNs, r.AggregateMuls, "")
	fmt.Fprintf(e.stdout, "\nbatch throughput on all cores: %.0f contests/s\n", r.BatchParallelPerSec)
}
