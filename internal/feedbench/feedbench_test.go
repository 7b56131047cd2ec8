package feedbench

import (
	"testing"
)

// TestRun runs a small bench end to end: every ballot commits in both
// halves, every client gets every block, and none is dropped.
func TestRun(t *testing.T) {
	cfg := Config{Clients: 3, Ballots: 4, Submitters: 2}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), cfg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []Half{res.Without, res.With} {
		if h.Committed != cfg.Ballots || h.Blocks < 1 || h.Dropped != 0 || h.CommittedPerS <= 0 {
			t.Fatalf("%+v", h)
		}
		if h.Deliveries < int(h.Blocks)*h.FeedClients {
			t.Fatalf("%d deliveries of %d blocks to %d clients", h.Deliveries, h.Blocks, h.FeedClients)
		}
	}
	if res.With.FeedClients != 3 || res.Without.FeedClients != 1 {
		t.Fatalf("clients %d and %d", res.Without.FeedClients, res.With.FeedClients)
	}
	if err := (Config{Clients: 0, Ballots: 1, Submitters: 1}).Validate(); err == nil {
		t.Error("0 clients passes Validate")
	}
}
