package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), append([]string{"--home", t.TempDir()}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestTallyDemo(t *testing.T) {
	code, out, errs := run(t, "tally", "demo", "--voters", "12", "--trustees", "4", "--threshold", "2", "--seed", "test")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	for _, want := range []string{
		"qualified trustees [1 2 3 4]",
		"opens to the choices shown",
		"resubmitted under another credential is refused: option 0",
		"trustee 1's partial decryptions are rejected",
		"trustees [3 4] decrypt the totals",
		"the decrypted totals equal the choices the voters made",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "✓"); n != 5 {
		t.Errorf("%d options confirmed, want 5:\n%s", n, out)
	}
	// The same seed gives the same run.
	_, again, _ := run(t, "tally", "demo", "--voters", "12", "--trustees", "4", "--threshold", "2", "--seed", "test")
	strip := func(s string) string { // timings differ
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.Contains(l, "ms") && !strings.Contains(l, "µs") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if strip(again) != strip(out) {
		t.Error("a seeded demo is not reproducible")
	}
}

func TestTallyDemoRejectsBadConfig(t *testing.T) {
	for _, args := range [][]string{
		{"--threshold", "4", "--trustees", "4"},
		{"--threshold", "0"},
		{"--voters", "0"},
		{"--trustees", "1"},
	} {
		code, _, errs := run(t, append([]string{"tally", "demo"}, args...)...)
		if code != 1 || !strings.Contains(errs, "must be") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

func TestTallyDemoFromEnvironment(t *testing.T) {
	t.Setenv("EVOTE_VOTERS", "0")
	code, _, errs := run(t, "tally", "demo")
	if code != 1 || !strings.Contains(errs, "--voters must be") {
		t.Fatalf("EVOTE_VOTERS=0: exit %d, stderr %q", code, errs)
	}
}

func TestBenchTallyJSON(t *testing.T) {
	code, out, errs := run(t, "bench", "tally", "--contests", "8", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"mul_ns", "encrypt_contest_muls", "verify_contest_muls", "verify_batch_muls_per_contest"} {
		if v, ok := res[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v", k, res[k])
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	code, _, errs := run(t, "frobnicate")
	if code == 0 || !strings.Contains(errs, "unknown command") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}
