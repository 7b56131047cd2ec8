package bench_test

import (
	"testing"

	"github.com/evote/evote/internal/bench"
)

// TestTally: a small measurement fills every figure and reports progress.
func TestTally(t *testing.T) {
	var steps int
	r, err := bench.Tally(4, func(string) { steps++ })
	if err != nil {
		t.Fatal(err)
	}
	if steps == 0 || r.Contests != 4 || r.Cores < 1 || r.CPU == "" {
		t.Fatalf("%d steps, %+v", steps, r)
	}
	for name, v := range map[string]float64{"mul": r.MulNs, "encrypt": r.EncryptMuls, "verify": r.VerifyMuls, "batch": r.BatchMuls,
		"parallel": r.BatchParallelPerSec, "aggregate": r.AggregateMuls} {
		if v <= 0 {
			t.Errorf("%s = %v", name, v)
		}
	}
	if _, err := bench.Tally(1, nil); err == nil {
		t.Error("a batch of one contest was measured")
	}
}
