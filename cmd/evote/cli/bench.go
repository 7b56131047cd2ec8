package cli

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/cloudflare/circl/group"
	"github.com/spf13/cobra"

	"github.com/evote/evote/tally"
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
	bench := &cobra.Command{Use: "bench", Short: "measure evote's speed on this machine"}
	tallyCmd := &cobra.Command{
		Use:   "tally",
		Short: "time ballot encryption, verification and aggregation in multiples of one scalar multiplication",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := BenchConfig{Contests: e.v.GetInt("contests"), JSON: e.v.GetBool("json")}
			if err := cfg.Validate(); err != nil {
				return err
			}
			res, err := benchTally(cfg, e)
			if err != nil {
				return err
			}
			if cfg.JSON {
				return json.NewEncoder(e.stdout).Encode(res)
			}
			res.print(e)
			return nil
		},
	}
	tallyCmd.Flags().Int("contests", 1000, "contests in the verified batch")
	tallyCmd.Flags().Bool("json", false, "print one JSON object")
	bench.AddCommand(tallyCmd, newBenchChainCmd(e), newBenchVerifyCmd(e))
	return bench
}

// TallyBench is the result of `evote bench tally`. Costs are per contest of
// 5 options with 1 to 3 selections, in nanoseconds and in multiples of one
// circl ristretto255 Element.Mul measured in the same run.
type TallyBench struct {
	CPU                 string  `json:"cpu"`
	Cores               int     `json:"cores"`
	Contests            int     `json:"contests"`
	MulNs               float64 `json:"mul_ns"`
	EncryptNs           float64 `json:"encrypt_contest_ns"`
	EncryptMuls         float64 `json:"encrypt_contest_muls"`
	VerifyNs            float64 `json:"verify_contest_ns"`
	VerifyMuls          float64 `json:"verify_contest_muls"`
	BatchNs             float64 `json:"verify_batch_ns_per_contest"`
	BatchMuls           float64 `json:"verify_batch_muls_per_contest"`
	BatchParallelNs     float64 `json:"verify_batch_all_cores_ns_per_contest"`
	BatchParallelPerSec float64 `json:"verify_batch_all_cores_contests_per_s"`
	AggregateNs         float64 `json:"aggregate_ns_per_contest"`
	AggregateMuls       float64 `json:"aggregate_muls_per_contest"`
}

var benchRules = tally.ContestRules{Options: 5, MaxPerOption: 1, MinSelections: 1, MaxSelections: 3}

var benchChoices = [][]uint64{{1, 0, 0, 0, 0}, {0, 1, 1, 0, 0}, {1, 0, 1, 0, 1}, {0, 0, 0, 1, 0}, {0, 1, 0, 1, 1}}

// mulNs times circl's Element.Mul, keeping the fastest of several rounds.
func mulNs() float64 {
	g := group.Ristretto255
	s := g.RandomScalar(rand.Reader)
	p := g.RandomElement(rand.Reader)
	q := g.NewElement()
	best := time.Duration(1 << 62)
	for round := 0; round < 7; round++ {
		start := time.Now()
		for i := 0; i < 50; i++ {
			q.Mul(p, s)
		}
		best = min(best, time.Since(start))
	}
	return float64(best.Nanoseconds()) / 50
}

func benchTally(cfg BenchConfig, e *env) (*TallyBench, error) {
	sk, err := tally.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	pk := sk.Public()
	res := &TallyBench{CPU: cpuModel(), Cores: runtime.NumCPU(), Contests: cfg.Contests}
	progress := func(s string) {
		if !cfg.JSON {
			fmt.Fprintln(e.stderr, s)
		}
	}

	progress(fmt.Sprintf("encrypting %d contests ...", cfg.Contests))
	items := make([]tally.ContestItem, cfg.Contests)
	start := time.Now()
	for i := range items {
		cc := tally.ContestContext{ElectionID: []byte("bench-election"), Voter: fmt.Appendf(nil, "voter-%07d", i)}
		c, _, err := tally.EncryptContest(pk, cc, benchRules, benchChoices[i%len(benchChoices)], rand.Reader)
		if err != nil {
			return nil, err
		}
		enc, _ := c.MarshalBinary()
		items[i] = tally.ContestItem{Context: cc, Rules: benchRules, Encoded: enc}
	}
	res.EncryptNs = perItem(time.Since(start), len(items))

	progress("verifying contests one by one ...")
	single := min(len(items), 200)
	start = time.Now()
	for _, it := range items[:single] {
		if err := tally.VerifyContest(pk, it.Context, it.Rules, it.Encoded); err != nil {
			return nil, err
		}
	}
	res.VerifyNs = perItem(time.Since(start), single)

	progress("verifying the batch on one core ...")
	start = time.Now()
	if err := tally.VerifyContestBatch(pk, items, nil); err != nil {
		return nil, err
	}
	res.BatchNs = perItem(time.Since(start), len(items))

	progress(fmt.Sprintf("verifying the batch on %d cores ...", runtime.NumCPU()))
	start = time.Now()
	if err := parallelBatch(pk, items, runtime.NumCPU()); err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	res.BatchParallelNs = perItem(elapsed, len(items))
	res.BatchParallelPerSec = float64(len(items)) / elapsed.Seconds()

	progress("aggregating ...")
	agg := make([]*tally.Ciphertext, benchRules.Options)
	for i := range agg {
		agg[i] = tally.ZeroCiphertext()
	}
	start = time.Now()
	for _, it := range items {
		cts, err := tally.ContestCiphertexts(benchRules, it.Encoded)
		if err != nil {
			return nil, err
		}
		for j, ct := range cts {
			agg[j].Add(agg[j], ct)
		}
	}
	res.AggregateNs = perItem(time.Since(start), len(items))

	res.MulNs = mulNs()
	res.EncryptMuls = res.EncryptNs / res.MulNs
	res.VerifyMuls = res.VerifyNs / res.MulNs
	res.BatchMuls = res.BatchNs / res.MulNs
	res.AggregateMuls = res.AggregateNs / res.MulNs
	return res, nil
}

// parallelBatch splits the batch over workers goroutines.
func parallelBatch(pk *tally.PublicKey, items []tally.ContestItem, workers int) error {
	var wg sync.WaitGroup
	errs := make([]error, workers)
	per := (len(items) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, len(items))
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = tally.VerifyContestBatch(pk, items[lo:hi], nil)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func perItem(d time.Duration, n int) float64 { return float64(d.Nanoseconds()) / float64(n) }

func (r *TallyBench) print(e *env) {
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
