package web

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/cometconf"
)

// TestHaltedNode: a node whose store fails to write a block halts. A
// transaction admitted before the halt and waited for is answered 503
// with Retry-After and its tracking code when the wait ends, never 504
// "admitted"; every later write is refused 503 before admission; a
// receipt waited for is 503 when the wait ends; reads still answer,
// marked X-Evote-Stale with the cause; /readyz answers 503
// with the cause; /metrics shows evote_halted{cause="store-error"} 1.
func TestHaltedNode(t *testing.T) {
	tn := startTestNode(t)
	// Start the node again with a store whose writes the test can fail.
	if err := tn.node.Load().Stop(); err != nil {
		t.Fatal(err)
	}
	var fail atomic.Bool
	conf, err := cometconf.Load(tn.home)
	if err != nil {
		t.Fatal(err)
	}
	n, err := chain.NewNode(conf, chain.Options{NewMachine: chain.ElectionMachines(election.Options{Rand: rand.Reader}), LogOutput: testLog(), LogLevel: "error",
		StoreWriteFault: func(int64) error {
			if fail.Load() {
				return errors.New("injected write error")
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	tn.node.Store(n)
	tn.server.Store(NewWithConfig(n, slog.New(slog.NewTextHandler(&tn.logs, nil)), tn.cfg))
	if r := tn.get(t, "/readyz"); r.status != http.StatusOK {
		t.Fatalf("/readyz before the fault: %d %s", r.status, r.body)
	}
	if h := tn.get(t, "/api/v1/status").header.Get(staleHeader); h != "" {
		t.Fatalf("a healthy node's reads marked stale: %q", h)
	}

	fail.Store(true)
	post := func(tx []byte, wait string) (response, api.ErrorBody) {
		t.Helper()
		body, _ := json.Marshal(api.SubmitRequest{Tx: tx})
		r := tn.do(t, http.MethodPost, "/api/v1/transactions?wait="+wait, "application/json", body)
		var e api.ErrorBody
		if err := json.Unmarshal(r.body, &e); err != nil {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return r, e
	}
	e := newTestElection(t, tn, "halt-1", false, false, 1, 1, 0)
	tx := e.createTx(t)
	r, body := post(tx, "3s")
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || body.TrackingCode.String() != trackingCode(tx) {
		t.Fatalf("a transaction admitted, then its node halted: %d (Retry-After %q) %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	other := newTestElection(t, tn, "halt-2", false, false, 1, 1, 0).createTx(t)
	r, body = post(other, "commit")
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "30" || body.TrackingCode.String() != trackingCode(other) {
		t.Fatalf("a transaction to a halted node: %d (Retry-After %q) %s", r.status, r.header.Get("Retry-After"), r.body)
	}

	if r := tn.get(t, "/api/v1/receipts/"+trackingCode(tx)+"?wait=1s"); r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("a receipt awaited from a halted node: %d %s", r.status, r.body)
	}
	st := tn.get(t, "/api/v1/status")
	if st.status != http.StatusOK || !strings.HasPrefix(st.header.Get(staleHeader), string(chain.HaltStoreError)+": ") {
		t.Fatalf("status of a halted node: %d, %s %q", st.status, staleHeader, st.header.Get(staleHeader))
	}
	ready := tn.get(t, "/readyz")
	if a := readyAnswer(t, ready); ready.status != http.StatusServiceUnavailable || a.Ready || a.Halted != string(chain.HaltStoreError) || a.Since == nil || a.Reason == "" {
		t.Fatalf("/readyz of a halted node: %d %s", ready.status, ready.body)
	}
	text := string(tn.get(t, "/metrics").body)
	if metricValue(t, text, `evote_halted{cause="store-error"}`) != 1 || metricValue(t, text, `evote_halted{cause="consensus-failure"}`) != 0 ||
		metricValue(t, text, `evote_transactions_total{outcome="halted"}`) != 2 || metricValue(t, text, "evote_ready") != 0 {
		t.Fatalf("metrics of a halted node:\n%s", text)
	}
}
