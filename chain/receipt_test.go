package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/evote/evote/api"
)

var updateReceipt = flag.Bool("update-receipt", false, "regenerate testdata/receipt.json from a running node")

// receiptVectorFile is a receipt from a real single-validator chain with
// the validator set that signed it: a fixed input for receipt checkers
// (this package's tests and fuzzing, and checkers outside Go's CometBFT).
const receiptVectorFile = "testdata/receipt.json"

type receiptVector struct {
	ChainID string          `json:"chain_id"`
	Trusted json.RawMessage `json:"trusted"` // CometBFT JSON of a types.ValidatorSet
	Receipt json.RawMessage `json:"receipt"` // the receipt's wire form, api.Receipt
}

func readReceiptVector(t testing.TB) (*Receipt, *cmttypes.ValidatorSet, string, []byte) {
	t.Helper()
	data, err := os.ReadFile(receiptVectorFile)
	if err != nil {
		t.Fatal(err)
	}
	var v receiptVector
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var trusted cmttypes.ValidatorSet
	if err := cmtjson.Unmarshal(v.Trusted, &trusted); err != nil {
		t.Fatal(err)
	}
	r, err := receiptOfWire(v.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	return r, &trusted, v.ChainID, v.Receipt
}

func TestReceiptVector(t *testing.T) {
	if *updateReceipt {
		writeReceiptVector(t)
	}
	r, trusted, chainID, _ := readReceiptVector(t)
	if err := VerifyReceipt(r, trusted, chainID); err != nil {
		t.Fatal(err)
	}
	if r.Code != 0 || len(r.Tx()) == 0 {
		t.Fatalf("vector receipt: code %d, %d tx bytes", r.Code, len(r.Tx()))
	}
}

func writeReceiptVector(t *testing.T) {
	n := startNode(t, initHome(t))
	r := submitAndWait(t, n, setTx(testKey(7), "receipt-vector", "v"))
	trusted, err := cmtjson.Marshal(genesisValidators(t, n))
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(receiptVector{ChainID: testChainID, Trusted: trusted, Receipt: wireReceipt(t, r)}, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(receiptVectorFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(receiptVectorFile, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// FuzzReceiptJSON feeds mutated receipts to the decoder and the verifier:
// neither may panic, and whatever verifies proves a transaction of the
// block the validators signed.
func FuzzReceiptJSON(f *testing.F) {
	good, trusted, chainID, raw := readReceiptVector(f)
	f.Add(raw)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"header":{},"commit":{},"validator_set":{}}`))
	signed := good.Header.Hash()
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := receiptOfWire(data)
		if err != nil {
			if !errors.Is(err, ErrBadReceipt) && json.Valid(data) && json.Unmarshal(data, new(api.Receipt)) == nil {
				t.Fatalf("a wire receipt's parts refused without ErrBadReceipt: %v", err)
			}
			return
		}
		err = VerifyReceipt(r, trusted, chainID)
		if err == nil {
			if !bytes.Equal(r.Header.Hash(), signed) {
				t.Fatal("a receipt for an unsigned header verified")
			}
			sum := sha256.Sum256(r.Tx())
			if r.TrackingCode != hex.EncodeToString(sum[:]) {
				t.Fatal("a receipt verified with a tracking code that is not its transaction's hash")
			}
		} else if !errors.Is(err, ErrBadReceipt) {
			t.Fatalf("VerifyReceipt error does not wrap ErrBadReceipt: %v", err)
		}
	})
}
