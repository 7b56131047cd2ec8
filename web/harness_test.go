package web

import (
	"errors"
	"testing"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
)

// TestHarnessOverAPI runs a whole election through the harness's API
// submitter: every role over HTTP, a refusal read as its code.
func TestHarnessOverAPI(t *testing.T) {
	tn := startTestNode(t)
	ctx := t.Context()
	c, err := api.NewClient(tn.url, tn.client)
	if err != nil {
		t.Fatal(err)
	}
	sub := harness.NewAPI(c)
	e, err := harness.Setup(ctx, sub, harness.Spec{Template: manifestTemplate, Reference: "harness", Voters: 2, Authority: tn.authority,
		Vars: map[string]any{"Revoting": false, "Weights": false, "Threshold": 2}})
	if err != nil {
		t.Fatal(err)
	}
	choices := [][]uint64{{1, 0}, {0, 1, 1}}
	for i := range e.Voters {
		if _, _, err := e.Cast(ctx, i, choices); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err = e.Cast(ctx, 0, choices)
	var r *harness.Refused
	if !errors.As(err, &r) || r.Code != election.CodeAlreadyVoted {
		t.Fatalf("a second ballot without revoting: %v, want %v", err, election.CodeAlreadyVoted)
	}
	if err := e.Authority.Close(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.Decrypt(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := c.Result(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Voters != 2 || res.Contests[0].Totals[0] != 2 || res.Contests[1].Totals[2] != 2 {
		t.Fatalf("result %+v", res)
	}
}
