package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/evote/evote/internal/harness/synthetic"
	"github.com/evote/evote/observer"
)

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

// VerifyConfig is what Verify measures.
type VerifyConfig struct {
	Ballots int    // ballots in the record
	Cache   string // the directory of the generated records
	Workers int    // verifying goroutines; 0 means all cores
	// Progress, if set, is called as the verification starts, with the
	// record's size; what it returns follows the verification.
	Progress func(recordBytes int64) func(observer.VerifyProgress)
}

// Verify verifies a synthetic record of cfg.Ballots ballots, built once
// under cfg.Cache (its building logged to log), as evote verify does, and
// measures it.
func Verify(ctx context.Context, cfg VerifyConfig, log io.Writer) (*VerifyBench, error) {
	path := filepath.Join(cfg.Cache, fmt.Sprintf("bench-verify-%d.json", cfg.Ballots))
	res := &VerifyBench{CPU: CPUModel(), Cores: runtime.NumCPU(), Ballots: cfg.Ballots}
	if _, err := os.Stat(path); err != nil {
		start := time.Now()
		if err := buildRecord(path, cfg.Ballots, log); err != nil {
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
	opts := observer.VerifyOptions{Workers: cfg.Workers}
	if cfg.Progress != nil {
		opts.Progress = cfg.Progress(st.Size())
	}
	resetPeakRSS()
	start := time.Now()
	sum, err := observer.Verify(ctx, f, opts)
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

// buildRecord writes a synthetic record of n ballots to path (beside it
// first).
func buildRecord(path string, n int, stderr io.Writer) error {
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
