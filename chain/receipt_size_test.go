package chain

import (
	"bytes"
	"encoding/json"
	"testing"
)

// receiptSizes are the bytes of r's JSON as the wallet's receipt file
// holds it (indented by two spaces), without its result part (the earlier
// form) and with it; docs/spec/wallet-receipt.md quotes them.
func receiptSizes(t testing.TB, r *Receipt) (without, with int) {
	t.Helper()
	size := func(r *Receipt) int {
		var b bytes.Buffer
		if err := json.Indent(&b, wireReceipt(t, r), "  ", "  "); err != nil {
			t.Fatal(err)
		}
		return b.Len()
	}
	bare := *r
	bare.NextHeader, bare.NextCommit, bare.Result, bare.ResultProof = nil, nil, nil, nil
	return size(&bare), size(r)
}

func TestReceiptSizeOneValidator(t *testing.T) {
	r, _, _, _ := readReceiptVector(t)
	without, with := receiptSizes(t, r)
	if with <= without {
		t.Fatalf("with the result part %d bytes, without %d", with, without)
	}
	t.Logf("1 validator, a %d-byte transaction: the receipt is %d bytes without the result part, %d with it (+%d)", len(r.Tx()), without, with, with-without)
}
