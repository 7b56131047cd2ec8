package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/evote/evote/internal/bench"
	"github.com/evote/evote/observer"
)

// VerifyBenchConfig configures `evote bench verify`.
type VerifyBenchConfig struct {
	Ballots int    // ballots in the record
	Cache   string // where generated records are kept
	Workers int
	JSON    bool
}

// Validate checks the configuration.
func (c VerifyBenchConfig) Validate() error {
	switch {
	case c.Ballots < 1 || c.Ballots > 10000000:
		return fmt.Errorf("--ballots must be 1..10000000, got %d", c.Ballots)
	case c.Cache == "":
		return fmt.Errorf("--cache is empty")
	case c.Workers < 0:
		return fmt.Errorf("--workers must be 0 (all cores) or more, got %d", c.Workers)
	}
	return nil
}

func defaultBenchCache() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "evote")
	}
	return filepath.Join(os.TempDir(), "evote-cache")
}

func newBenchVerifyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "time evote verify on a record of N ballots (5 options), built once and cached",
		Long: `verify builds a synthetic election record of --ballots ballots of one approval question
of five options (real ballots, proofs, key ceremony and decryption shares; the chain's
headers and commits signed by one generated validator), keeps it under --cache, and
verifies it as evote verify does, reporting ballots per second, seconds and the peak
resident memory of the verification.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := VerifyBenchConfig{Ballots: e.v.GetInt("ballots"), Cache: e.v.GetString("cache"),
				Workers: e.v.GetInt("workers"), JSON: e.v.GetBool("json")}
			if err := cfg.Validate(); err != nil {
				return err
			}
			var bar *progress
			start := func(size int64) func(observer.VerifyProgress) {
				bar = newProgress(e.stderr, "verify", size)
				return bar.update
			}
			res, err := bench.Verify(cmd.Context(), bench.VerifyConfig{Ballots: cfg.Ballots, Cache: cfg.Cache, Workers: cfg.Workers, Progress: start}, e.stderr)
			if bar != nil {
				bar.done()
			}
			if err != nil {
				return err
			}
			if cfg.JSON {
				return json.NewEncoder(e.stdout).Encode(res)
			}
			fmt.Fprintf(e.stdout, "verified %d ballots (%s record) in %.1f s: %.0f ballots/s, peak RSS %.0f MB (%s, %d cores)\n",
				res.Ballots, sizeString(res.RecordBytes), res.Seconds, res.BallotsPerSec, res.PeakRSSMB, res.CPU, res.Cores)
			return nil
		},
	}
	cmd.Flags().Int("ballots", 100000, "ballots in the record")
	cmd.Flags().String("cache", defaultBenchCache(), "directory of the generated records")
	cmd.Flags().Int("workers", 0, "goroutines verifying signatures and proofs (0: all cores)")
	cmd.Flags().Bool("json", false, "print one JSON object")
	return cmd
}
