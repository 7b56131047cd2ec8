package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/evote/evote/internal/loadgen"
)

// ChainBenchConfig configures `evote bench chain`.
type ChainBenchConfig struct {
	loadgen.Config
	JSON bool
}

// Validate checks the configuration.
func (c ChainBenchConfig) Validate() error {
	switch {
	case c.Validators < 1 || c.Validators > 16:
		return fmt.Errorf("--validators must be 1..16, got %d", c.Validators)
	case c.Ballots < 1 || c.Ballots > 1000000:
		return fmt.Errorf("--ballots must be 1..1000000, got %d", c.Ballots)
	case c.Clients < 1 || c.Clients > 4096:
		return fmt.Errorf("--clients must be 1..4096, got %d", c.Clients)
	case c.SnapshotInterval < 0:
		return fmt.Errorf("--snapshot-interval must not be negative, got %d", c.SnapshotInterval)
	}
	return nil
}

func newBenchChainCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chain",
		Short: "load a fresh network with valid ballots over HTTP and report committed ballots per second",
		Long: `chain writes a fresh network of --validators nodes on 127.0.0.1 in a temporary
directory, runs each node as its own process, creates an election with one five-option question
and --ballots voters, prepares one valid ballot per voter, then has --clients concurrent clients
submit them over HTTP (spread over the nodes) and wait for their commits. It reports committed
ballots per second, the commit latency p50 and p99, and the nodes' CPU time and peak memory. With
--replica, a replica then joins the network (evote node init, evote node join --replica) and its
catch-up by block sync is timed, up to the validators' height and app hash. With --state-sync, the
validators write a snapshot every --snapshot-interval blocks, and a replica then joins by state sync
(evote node join --replica --state-sync) and its catch-up is timed the same way.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := ChainBenchConfig{Config: loadgen.Config{
				Validators: e.v.GetInt("validators"), Ballots: e.v.GetInt("ballots"),
				Clients: e.v.GetInt("clients"), Receipts: e.v.GetString("receipts"),
				Profile: e.v.GetString("profile"), Replica: e.v.GetBool("replica"), Hosts: e.v.GetBool("addresses"),
				StateSync: e.v.GetBool("state-sync"), SnapshotInterval: e.v.GetInt64("snapshot-interval"),
			}, JSON: e.v.GetBool("json")}
			if err := cfg.Validate(); err != nil {
				return err
			}
			return runBench(e, cfg.JSON, func(progress func(string, ...any)) (*loadgen.Result, error) {
				return loadgen.Run(cmd.Context(), cfg.Config, progress)
			})
		},
	}
	cmd.Flags().Int("validators", 1, "validators of the network (each a process on this machine)")
	cmd.Flags().Int("ballots", 5000, "ballots to submit (one per voter)")
	cmd.Flags().Int("clients", 512, "concurrent HTTP clients (each waits for its ballot's commit before sending the next)")
	cmd.Flags().Bool("json", false, "print one JSON object")
	cmd.Flags().String("receipts", "", "write the tracking code of every committed ballot to this file")
	cmd.Flags().Bool("addresses", false, "each validator on its own loopback address, 127.0.0.2 and up, standing for a machine of its own")
	cmd.Flags().Bool("replica", false, "after the load, time a replica's catch-up by block sync")
	cmd.Flags().Bool("state-sync", false, "after the load, time a replica's catch-up by state sync (a snapshot, then block sync to the tip)")
	cmd.Flags().Int64("snapshot-interval", loadgen.DefaultSnapshotInterval, "with --state-sync: blocks between the validators' snapshots")
	cmd.Flags().String("profile", "", "write each node's CPU profile to DIR/nodeN.pprof (the whole run, set-up included)")
	return cmd
}

// runBench runs a benchmark that reports its progress on stderr (unless
// the result goes out as JSON) and prints its result: as one JSON object,
// or as its Print writes it.
func runBench[R interface{ Print(io.Writer) }](e *env, asJSON bool, run func(progress func(string, ...any)) (R, error)) error {
	progress := func(format string, args ...any) {
		if !asJSON {
			fmt.Fprintf(e.stderr, format+"\n", args...)
		}
	}
	res, err := run(progress)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	res.Print(e.stdout)
	return nil
}
