package tallydemo_test

import (
	"slices"
	"testing"

	"github.com/evote/evote/internal/tallydemo"
)

// TestRun: every stage is reported in order; the copied ballot is
// refused, the lying trustee rejected, the absent one skipped, and the
// totals equal the choices; a seed makes the run reproducible.
func TestRun(t *testing.T) {
	cfg := tallydemo.Config{Voters: 9, Trustees: 4, Threshold: 2, Seed: "test"}
	var stages []tallydemo.Stage
	r, err := tallydemo.Run(cfg, func(s tallydemo.Stage, _ *tallydemo.Report) { stages = append(stages, s) })
	if err != nil {
		t.Fatal(err)
	}
	want := []tallydemo.Stage{tallydemo.StageCeremony, tallydemo.StageBallots, tallydemo.StageVerify, tallydemo.StageTally, tallydemo.StageDecrypt}
	if !slices.Equal(stages, want) {
		t.Fatalf("stages %v, want %v", stages, want)
	}
	if !slices.Equal(r.Qualified, []uint32{1, 2, 3, 4}) || r.CopyRefused == nil || r.Ballots != 9 || r.Aggregates != len(tallydemo.Options) {
		t.Fatalf("report %+v", r)
	}
	if len(r.Rejected) != 1 || r.Rejected[0].Trustee != tallydemo.LyingTrustee || !slices.Equal(r.Decryptors, []uint32{3, 4}) {
		t.Fatalf("decryption: rejected %+v, decryptors %v", r.Rejected, r.Decryptors)
	}
	if !r.Match() || len(r.Totals) != len(tallydemo.Options) {
		t.Fatalf("totals %v, recorded %v", r.Totals, r.Recorded)
	}
	again, err := tallydemo.Run(cfg, nil)
	if err != nil || !slices.Equal(again.JointKey, r.JointKey) || !slices.Equal(again.Totals, r.Totals) || !slices.Equal(again.Audited, r.Audited) {
		t.Fatalf("a seeded run is not reproducible: %v", err)
	}
	if _, err := tallydemo.Run(tallydemo.Config{Voters: 1, Trustees: 3, Threshold: 3}, nil); err == nil {
		t.Fatal("a threshold of every trustee ran")
	}
}
