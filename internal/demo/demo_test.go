package demo_test

import (
	"testing"

	"github.com/evote/evote/internal/demo"
	"github.com/evote/evote/trustee"
)

// A demo's faults name its trustees, are faults a demo plays, and leave
// enough honest trustees to decrypt.
func TestConfigRejectsBadFaults(t *testing.T) {
	ok := demo.Config{Voters: 1, Trustees: 3, Threshold: 2, Validators: 1,
		Faults: map[int]trustee.Fault{1: trustee.FaultBadShare, 3: trustee.FaultBadDecryption}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, faults := range []map[int]trustee.Fault{
		{2: trustee.FaultBadDecryption, 3: trustee.FaultBadDecryption},
		{9: trustee.FaultBadShare},
		{1: trustee.Fault(7)},
	} {
		cfg := demo.Config{Voters: 1, Trustees: 3, Threshold: 2, Validators: 1, Faults: faults}
		if err := cfg.Validate(); err == nil {
			t.Errorf("faults %v: accepted", faults)
		}
	}
}
