package test

import (
	"context"
	"crypto/sha3"
	"slices"
	"testing"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/trustee"
)

const specTimeManifest = `reference: {{.Reference}}
authority: {{.Authority}}
languages: [en]
title:
  en: Block times
revoting: false
weights: false
schedule:
  dkg_deals_by: {{.DealsBy}}
  dkg_complaint_window: 1h
  dkg_response_window: 1h
  close: {{.Close}}
trustees:
  threshold: 2
  members:
{{- range .Trustees}}
    - name: {{.Name}}
      identity: {{.Identity}}
      encryption_key: {{.EncryptionKey}}
{{- end}}
contests:
  - type: plurality
    min_selections: 1
    title:
      en: Q
    options:
      - {en: Yes}
      - {en: No}
`

// TestSpecBlockTimeWholeSeconds: docs/spec/state.md, "Transitions": the
// block time is cut to whole seconds before it is compared with a timer,
// and a round that ends at block time T gives the next round the end
// ⌊T⌋ + window. Also docs/spec/record.md: `qualified` is empty until the
// ceremony is finalized.
func TestSpecBlockTimeWholeSeconds(t *testing.T) {
	ctx := context.Background()
	authority := election.DeriveKey("spec block times authority")
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	mem, err := harness.NewMemory("spec-times", start, authority.AuthorityPublic())
	if err != nil {
		t.Fatal(err)
	}
	rnd := sha3.NewSHAKE256()
	rnd.Write([]byte("spec block times"))
	e, err := harness.Create(ctx, mem, harness.Spec{Template: specTimeManifest, Reference: "spec-times", Authority: authority, Rand: rnd})
	if err != nil {
		t.Fatal(err)
	}
	dealsBy := start.Add(time.Hour)
	if !e.Manifest.Schedule.DKGDealsBy.Equal(dealsBy) {
		t.Fatalf("deals by %v, want %v", e.Manifest.Schedule.DKGDealsBy, dealsBy)
	}
	e.Trustees[2].Offline = true
	err = harness.RunTrustees(ctx, mem, e.ID, e.Trustees, func(v *trustee.View) bool {
		return v.Trustees[0].Dealt && v.Trustees[1].Dealt
	})
	if err != nil {
		t.Fatal(err)
	}
	phase := func() *election.ElectionDetail {
		t.Helper()
		d, err := election.QueryElection(mem.Store, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	qualified := func() []uint32 {
		t.Helper()
		c, err := observer.Claims(mem.Store, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c.Qualified
	}
	block := func(at time.Time) {
		t.Helper()
		if _, err := mem.Block(at, nil); err != nil {
			t.Fatal(err)
		}
	}

	block(dealsBy.Add(-time.Nanosecond)) // 00:59:59.999999999: ⌊T⌋ < dkg_deals_by
	if d := phase(); d.Phase != election.PhaseDKGDeals {
		t.Fatalf("at %v: phase %s, want dkg-deals", mem.Now, d.Phase)
	}
	block(dealsBy.Add(700 * time.Millisecond)) // 01:00:00.7: the deal round ends
	d := phase()
	if d.Phase != election.PhaseDKGComplaints || d.Deadline == nil || !d.Deadline.Equal(dealsBy.Add(time.Hour)) {
		t.Fatalf("at %v: phase %s, round end %v; want dkg-complaints ending at %v (⌊T⌋ + 1h)", mem.Now, d.Phase, d.Deadline, dealsBy.Add(time.Hour))
	}
	if q := qualified(); q == nil || len(q) != 0 {
		t.Fatalf("qualified during the ceremony: %v, want []", q)
	}
	// 02:00:00.2: ⌊T⌋ is the round's end, though T is before 01:00:00.7 + 1h.
	block(dealsBy.Add(time.Hour + 200*time.Millisecond))
	if d := phase(); d.Phase != election.PhaseReady {
		t.Fatalf("at %v: phase %s, want ready (no complaints: finalized when the round ended)", mem.Now, d.Phase)
	}
	if q := qualified(); !slices.Equal(q, []uint32{1, 2}) {
		t.Fatalf("qualified after the ceremony: %v, want [1 2]", q)
	}
}
