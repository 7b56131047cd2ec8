package bench

import (
	"crypto/rand"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/cloudflare/circl/group"

	"github.com/evote/evote/tally"
)

// TallyBench is the result of Tally (`evote bench tally`). Costs are per contest of
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

// Rules are the measured contest: 5 options, 1 to 3 selections.
var Rules = tally.ContestRules{Options: 5, MaxPerOption: 1, MinSelections: 1, MaxSelections: 3}

// Choices cycles through valid choices of a Rules contest.
var Choices = [][]uint64{{1, 0, 0, 0, 0}, {0, 1, 1, 0, 0}, {1, 0, 1, 0, 1}, {0, 0, 0, 1, 0}, {0, 1, 0, 1, 1}}

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

// Tally measures contests ballots of the Rules contest: encryption,
// verification one by one (at most 200), in one batch on one core and on
// every core, and aggregation, then one Element.Mul. progress, if not nil,
// hears what is measured next.
func Tally(contests int, progress func(string)) (*TallyBench, error) {
	if contests < 2 {
		return nil, fmt.Errorf("bench: %d contests, at least 2", contests)
	}
	sk, err := tally.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	pk := sk.Public()
	res := &TallyBench{CPU: CPUModel(), Cores: runtime.NumCPU(), Contests: contests}
	if progress == nil {
		progress = func(string) {}
	}

	progress(fmt.Sprintf("encrypting %d contests ...", contests))
	items := make([]tally.ContestItem, contests)
	start := time.Now()
	for i := range items {
		cc := tally.ContestContext{ElectionID: []byte("bench-election"), Voter: fmt.Appendf(nil, "voter-%07d", i)}
		c, _, err := tally.EncryptContest(pk, cc, Rules, Choices[i%len(Choices)], rand.Reader)
		if err != nil {
			return nil, err
		}
		enc, _ := c.MarshalBinary()
		items[i] = tally.ContestItem{Context: cc, Rules: Rules, Encoded: enc}
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
	agg := make([]*tally.Ciphertext, Rules.Options)
	for i := range agg {
		agg[i] = tally.ZeroCiphertext()
	}
	start = time.Now()
	for _, it := range items {
		cts, err := tally.ContestCiphertexts(Rules, it.Encoded)
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
