package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evote/evote/internal/bench"
	"github.com/evote/evote/internal/harness/synthetic"
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
			res, err := benchVerify(cmd.Context(), cfg, e.stderr)
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

// VerifyBench is the result of `evote bench verify`.
type VerifyBench struct {
	CPU           string  `json:"cpu"`
	Cores         int     `json:"cores"`
	Ballots       int     `json:"ballots"`
	RecordBytes   int64   `json:"record_bytes"`
	Seconds       float64 `json:"seconds"`
	BallotsPerSec float64 `json:"ballots_per_s"`
	PeakRSSMB     float64 `json:"peak_rss_mb"`
	GenerateSecs  float64 `json:"generate_seconds,omitempty"` // when the record was built in this run
}

func benchVerify(ctx context.Context, cfg VerifyBenchConfig, stderr io.Writer) (*VerifyBench, error) {
	path := filepath.Join(cfg.Cache, fmt.Sprintf("bench-verify-%d.json", cfg.Ballots))
	res := &VerifyBench{CPU: bench.CPUModel(), Cores: runtime.NumCPU(), Ballots: cfg.Ballots}
	if _, err := os.Stat(path); err != nil {
		start := time.Now()
		if err := buildBenchRecord(path, cfg.Ballots, stderr); err != nil {
			return nil, err
		}
		res.GenerateSecs = time.Since(start).Seconds()
		runtime.GC()
		debug.FreeOSMemory()
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	res.RecordBytes = st.Size()
	resetPeakRSS()
	bar := newProgress(stderr, "verify", st.Size())
	start := time.Now()
	sum, err := observer.Verify(ctx, f, observer.VerifyOptions{Workers: cfg.Workers, Progress: bar.update})
	bar.done()
	if err != nil {
		return nil, fmt.Errorf("the bench record %s does not verify: %w", path, err)
	}
	res.Seconds = time.Since(start).Seconds()
	if sum.Ballots != cfg.Ballots {
		return nil, fmt.Errorf("the bench record %s holds %d ballots, want %d", path, sum.Ballots, cfg.Ballots)
	}
	res.BallotsPerSec = float64(sum.Ballots) / res.Seconds
	res.PeakRSSMB = peakRSSMB()
	return res, nil
}

// buildBenchRecord writes a synthetic record of n ballots to path (beside
// it first).
func buildBenchRecord(path string, n int, stderr io.Writer) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".bench-verify-*.part")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	fmt.Fprintf(stderr, "building a record of %d ballots in %s (once; about %d s on 2 cores)\n", n, path, n*4/1000/2+1)
	last := time.Now()
	start := last
	opts := synthetic.Options{Seed: "bench", Voters: n, PerBlock: 1000, Workers: runtime.GOMAXPROCS(0),
		Progress: func(built, total int) {
			if time.Since(last) > 5*time.Second || built == total {
				last = time.Now()
				fmt.Fprintf(stderr, "  %d/%d ballots built (%.0f/s)\n", built, total, float64(built)/time.Since(start).Seconds())
			}
		}}
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if _, err := synthetic.Write(bw, opts); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// resetPeakRSS restarts the kernel's count of the peak resident set (Linux:
// "5" to /proc/self/clear_refs), so that the peak measured after is the
// verification's.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB is the process's peak resident set (VmHWM) in MB, or 0 where
// /proc is missing.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}
