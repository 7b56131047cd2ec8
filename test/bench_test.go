package test

import (
	"encoding/json"
	"testing"
	"time"
)

// TestBenchChainReports runs `evote bench chain` small and checks the figures it reports in JSON: every ballot
// committed, the latencies, the nodes' CPU and memory, the memory by
// quarter of the run, and a chain that grew.
func TestBenchChainReports(t *testing.T) {
	for _, validators := range []string{"1"} {
		out := runEvote(t, 3*time.Minute, "bench", "chain", "--validators", validators, "--ballots", "40", "--clients", "8", "--json")
		var r struct {
			Validators    int        `json:"validators"`
			Ballots       int        `json:"ballots"`
			Committed     int        `json:"committed"`
			Rejected      int        `json:"rejected"`
			CommittedPerS float64    `json:"committed_per_s"`
			P50           float64    `json:"p50_ms"`
			P99           float64    `json:"p99_ms"`
			PeakRSS       float64    `json:"node_peak_rss_mb"`
			NodeCPU       float64    `json:"node_cpu_s"`
			LoadCPU       float64    `json:"load_cpu_s"`
			ByQuarter     [4]float64 `json:"node_rss_mb_by_quarter"`
			Height        int64      `json:"height"`
			AppHash       string     `json:"app_hash"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		switch {
		case r.Ballots != 40 || r.Committed != 40 || r.Rejected != 0:
			t.Errorf("%s validator(s): %d of %d committed, %d rejected", validators, r.Committed, r.Ballots, r.Rejected)
		case r.CommittedPerS <= 0 || r.P50 <= 0 || r.P99 < r.P50:
			t.Errorf("%s validator(s): %.1f/s, p50 %.1f ms, p99 %.1f ms", validators, r.CommittedPerS, r.P50, r.P99)
		case r.PeakRSS <= 0 || r.NodeCPU <= 0 || r.LoadCPU <= 0:
			t.Errorf("%s validator(s): peak RSS %.1f MB, node CPU %.2f s, load CPU %.2f s", validators, r.PeakRSS, r.NodeCPU, r.LoadCPU)
		case r.Height < 2 || len(r.AppHash) != 64:
			t.Errorf("%s validator(s): height %d, app hash %q", validators, r.Height, r.AppHash)
		}
		for q, mb := range r.ByQuarter {
			if mb <= 0 || mb > r.PeakRSS {
				t.Errorf("%s validator(s): RSS after quarter %d: %.1f MB (peak %.1f)", validators, q+1, mb, r.PeakRSS)
			}
		}
	}
}
