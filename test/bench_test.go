package test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/evote/evote/internal/loadgen"
)

// TestBenchChainReports runs `evote bench chain` small and checks the figures it reports in JSON: every ballot
// committed, the latencies, the nodes' CPU and memory, the memory by
// quarter of the run, and a chain that grew.
func TestBenchChainReports(t *testing.T) {
	t.Parallel()
	for _, validators := range []string{"1"} {
		out := runEvote(t, 3*time.Minute, "bench", "chain", "--validators", validators, "--ballots", "40", "--clients", "8", "--json")
		var r loadgen.Result
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		switch {
		case r.Ballots != 40 || r.Committed != 40 || r.Rejected != 0:
			t.Errorf("%s validator(s): %d of %d committed, %d rejected", validators, r.Committed, r.Ballots, r.Rejected)
		case r.CommittedPerS <= 0 || r.P50ms <= 0 || r.P99ms < r.P50ms:
			t.Errorf("%s validator(s): %.1f/s, p50 %.1f ms, p99 %.1f ms", validators, r.CommittedPerS, r.P50ms, r.P99ms)
		case r.NodePeakRSSMB <= 0 || r.NodeCPUSeconds <= 0 || r.LoadCPUSeconds <= 0:
			t.Errorf("%s validator(s): peak RSS %.1f MB, node CPU %.2f s, load CPU %.2f s", validators, r.NodePeakRSSMB, r.NodeCPUSeconds, r.LoadCPUSeconds)
		case r.Height < 2 || len(r.AppHash) != 64:
			t.Errorf("%s validator(s): height %d, app hash %q", validators, r.Height, r.AppHash)
		}
		for q, mb := range r.RSSByQuarter {
			if mb <= 0 || mb > r.NodePeakRSSMB {
				t.Errorf("%s validator(s): RSS after quarter %d: %.1f MB (peak %.1f)", validators, q+1, mb, r.NodePeakRSSMB)
			}
		}
	}
}
