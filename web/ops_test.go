package web

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
)

// metricValue reads one sample of the Prometheus text exposition.
func metricValue(t *testing.T, text, sample string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no sample %s in:\n%s", sample, text)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The operator's endpoints on a real node: /healthz while the process
// serves, /readyz 200 while the node is ready and 503 with the reason once
// it cannot go on, and /metrics counting submissions by outcome.
func TestOperatorEndpoints(t *testing.T) {
	tn := startTestNode(t)
	if r := tn.get(t, "/healthz"); r.status != http.StatusOK || string(r.body) != "ok\n" {
		t.Fatalf("/healthz: %d %q", r.status, r.body)
	}
	if r := tn.get(t, "/readyz"); r.status != http.StatusOK || !readyAnswer(t, r).Ready || readyAnswer(t, r).Height < 1 {
		t.Fatalf("/readyz: %d %q", r.status, r.body)
	}

	// Two refusals at admission, then the figures.
	for range 2 {
		if r := tn.do(t, http.MethodPost, "/api/v1/transactions", "application/octet-stream", []byte("not a transaction")); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("garbage: %d %s", r.status, r.body)
		}
	}
	// A ballot's envelope with a body that is no ballot: refused, and
	// counted among the ballots too.
	fake, err := (&election.Tx{Kind: election.KindBallot, Body: []byte("no ballot")}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	rb := tn.do(t, http.MethodPost, "/api/v1/transactions", "application/octet-stream", fake)
	var refusal api.ErrorBody
	if err := json.Unmarshal(rb.body, &refusal); err != nil || rb.status != http.StatusUnprocessableEntity || refusal.CodeName == "" {
		t.Fatalf("a fake ballot: %d %s", rb.status, rb.body)
	}
	r := tn.get(t, "/metrics")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", r.status, r.header.Get("Content-Type"))
	}
	text := string(r.body)
	if v := metricValue(t, text, `evote_transactions_total{outcome="malformed"}`); v != 2 {
		t.Errorf("malformed transactions counted: %v, want 2", v)
	}
	if v := metricValue(t, text, "evote_admission_seconds_count"); v != 3 {
		t.Errorf("admissions timed: %v, want 3", v)
	}
	if v := metricValue(t, text, `evote_ballots_total{code="`+refusal.CodeName+`"}`); v != 1 {
		t.Errorf("ballots counted under %s: %v, want 1", refusal.CodeName, v)
	}
	if strings.Contains(text, `evote_ballots_total{code="malformed"}`) && refusal.CodeName != "malformed" {
		t.Error("transactions that are no ballots are counted as ballots")
	}
	if metricValue(t, text, "evote_verdict_cache_misses_total") < 1 || metricValue(t, text, "evote_verdict_cache_hits_total") < 0 {
		t.Errorf("verdict cache lookups:\n%s", text)
	}
	if v := metricValue(t, text, "evote_feed_clients"); v != 0 {
		t.Errorf("feed clients %v, want 0", v)
	}
	if metricValue(t, text, "evote_ready") != 1 || metricValue(t, text, "evote_height") < 1 {
		t.Errorf("ready and height:\n%s", text)
	}
	if !strings.Contains(text, "go_goroutines ") || !strings.Contains(text, "process_resident_memory_bytes ") {
		t.Error("no runtime or process metrics")
	}

	// A node whose consensus stopped is not ready; the process still
	// answers /healthz.
	if err := tn.node.Load().Stop(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := tn.get(t, "/readyz")
		if a := readyAnswer(t, r); r.status == http.StatusServiceUnavailable && !a.Ready && a.Reason != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz of a stopped node: %d %q", r.status, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := tn.get(t, "/healthz"); r.status != http.StatusOK {
		t.Fatalf("/healthz of a stopped node: %d", r.status)
	}
	if v := metricValue(t, string(tn.get(t, "/metrics").body), "evote_ready"); v != 0 {
		t.Errorf("evote_ready of a stopped node: %v", v)
	}
}

// readyAnswer decodes an answer of /readyz.
func readyAnswer(t testing.TB, r response) readyBody {
	t.Helper()
	var a readyBody
	if err := json.Unmarshal(r.body, &a); err != nil || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("/readyz: %d %s: %v", r.status, r.body, err)
	}
	return a
}
