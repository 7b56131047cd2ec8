package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchVerifyJSON(t *testing.T) {
	cache := t.TempDir()
	code, out, errs := run(t, "bench", "verify", "--ballots", "12", "--cache", cache, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if res["ballots"] != float64(12) {
		t.Errorf("ballots = %v", res["ballots"])
	}
	for _, k := range []string{"seconds", "peak_rss_mb", "ballots_per_s"} {
		if v, ok := res[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v", k, res[k])
		}
	}
	// The second run reuses the cached record.
	code, out, errs = run(t, "bench", "verify", "--ballots", "12", "--cache", cache)
	if code != 0 || !strings.Contains(out, "verified 12 ballots") || strings.Contains(errs, "building") {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	if code, _, errs := run(t, "bench", "verify", "--ballots", "0"); code != 1 || !strings.Contains(errs, "--ballots must be") {
		t.Fatalf("--ballots 0: exit %d, %s", code, errs)
	}
}
