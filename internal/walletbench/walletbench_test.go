package walletbench

import (
	"testing"
)

// TestRun runs the bench once end to end in Chromium (which must be
// installed: the test fails without it): both ballots are cast with their
// receipts checked, and every figure is positive.
func TestRun(t *testing.T) {
	cfg := Config{Runs: 1}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), cfg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cast != 2 || res.Ballot5.N != 1 || res.Ballot100.N != 1 || res.Receipt.N != 2 {
		t.Fatalf("cast %d; samples %d, %d, %d", res.Cast, res.Ballot5.N, res.Ballot100.N, res.Receipt.N)
	}
	for name, v := range map[string]float64{
		"wasm gzip bytes": float64(res.WasmGzipBytes), "wasm bytes": float64(res.WasmBytes),
		"usable first": res.UsableFirstMs, "usable reload": res.UsableReloadMs, "seal": res.SealMs, "open": res.OpenMs,
		"ballot 5": res.Ballot5.MedianMs, "ballot 100": res.Ballot100.MedianMs, "receipt": res.Receipt.MedianMs,
	} {
		if !(v > 0) {
			t.Errorf("%s: %v", name, v)
		}
	}
	if res.WasmGzipBytes >= res.WasmBytes {
		t.Errorf("the module is %d bytes gzip-compressed, %d bytes not", res.WasmGzipBytes, res.WasmBytes)
	}
	t.Logf("%+v", res)
	if err := (Config{Runs: 0}).Validate(); err == nil {
		t.Error("0 runs passes Validate")
	}
}
