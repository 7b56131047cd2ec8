package chain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
)

var updateReceipt = flag.Bool("update-receipt", false, "regenerate testdata/receipt.json from a running node")

// receiptVectorFile is a receipt from a real single-validator chain with
// the validator set that signed it: a fixed input for receipt checkers
// (this package's tests and fuzzing, and checkers outside Go's CometBFT).
// It has its result part. receiptV1File is a receipt of the earlier form,
// without it: it still verifies, and proves inclusion only.
const (
	receiptVectorFile = "testdata/receipt.json"
	receiptV1File     = "testdata/receipt-v1.json"
)

type receiptVector struct {
	ChainID string          `json:"chain_id"`
	Trusted json.RawMessage `json:"trusted"` // CometBFT JSON of a types.ValidatorSet
	Receipt json.RawMessage `json:"receipt"` // the receipt's wire form, api.Receipt
	// Invalid are receipts every checker must refuse, by name.
	Invalid map[string]json.RawMessage `json:"invalid,omitempty"`
}

func readReceiptVector(t testing.TB) (*Receipt, *cmttypes.ValidatorSet, string, []byte) {
	t.Helper()
	return readReceiptFile(t, receiptVectorFile)
}

func readReceiptFile(t testing.TB, path string) (*Receipt, *cmttypes.ValidatorSet, string, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
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
	if r.Code != 0 || len(r.Tx()) == 0 || !r.Proven() {
		t.Fatalf("vector receipt: code %d, %d tx bytes, result part %v", r.Code, len(r.Tx()), r.Proven())
	}
	old, trusted, chainID, _ := readReceiptFile(t, receiptV1File)
	if err := VerifyReceipt(old, trusted, chainID); err != nil {
		t.Fatal(err)
	}
	if old.Proven() {
		t.Fatal("the earlier receipt has a result part")
	}
}

func writeReceiptVector(t *testing.T) {
	n := startNode(t, initHome(t))
	r := submitAndWait(t, n, setTx(testKey(7), "receipt-vector", "v"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if r = n.WaitForResult(ctx, r); !r.Proven() {
		t.Fatal("no next block")
	}
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

// TestReceiptResultAltered: every alteration of the result part fails,
// as does a result part with a piece missing.
func TestReceiptResultAltered(t *testing.T) {
	for name, alter := range map[string]func(r *Receipt){
		"result code":  func(r *Receipt) { r.Result = append([]byte{0x08, 0x05}, r.Result...) },
		"result byte":  func(r *Receipt) { r.Result = append(bytes.Clone(r.Result), 0x30, 0x01) },
		"claimed code": func(r *Receipt) { r.Code = 5 },
		"proof leaf":   func(r *Receipt) { r.ResultProof.LeafHash = bytes.Repeat([]byte{1}, 32) },
		"proof index":  func(r *Receipt) { r.ResultProof.Index++ },
		"proof total":  func(r *Receipt) { r.ResultProof.Total++ },
		"next header results": func(r *Receipt) {
			r.NextHeader.LastResultsHash = bytes.Repeat([]byte{2}, 32)
		},
		"next header last block": func(r *Receipt) { r.NextHeader.LastBlockID.Hash = bytes.Repeat([]byte{3}, 32) },
		"next header height":     func(r *Receipt) { r.NextHeader.Height++ },
		"next header chain":      func(r *Receipt) { r.NextHeader.ChainID = "other" },
		"next commit signature": func(r *Receipt) {
			r.NextCommit.Signatures[0].Signature = bytes.Repeat([]byte{4}, 64)
		},
		"next commit block": func(r *Receipt) { r.NextCommit.BlockID = r.Commit.BlockID },
		"no next commit":    func(r *Receipt) { r.NextCommit = nil },
		"no result":         func(r *Receipt) { r.Result = nil },
		"no next header":    func(r *Receipt) { r.NextHeader = nil },
		"no result proof":   func(r *Receipt) { r.ResultProof = nil },
	} {
		r, trusted, chainID, _ := readReceiptVector(t)
		alter(r)
		if err := VerifyReceipt(r, trusted, chainID); !errors.Is(err, ErrBadReceipt) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestReceiptOfRejected: a transaction that its block rejected gets a
// receipt proving the rejection's code once the next block is committed,
// which comes at once: the rejected transaction's receipt row changed the
// app hash, and the next block carries it.
func TestReceiptOfRejected(t *testing.T) {
	n := startNode(t, initHome(t))
	trusted := genesisValidators(t, n)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hash, res, err := n.Submit(ctx, failTx(testKey(3), "rejected"))
	if err != nil || !res.OK() {
		t.Fatalf("Submit: %v, %v", res, err)
	}
	r, err := n.WaitForReceipt(ctx, hash[:])
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != codeFails {
		t.Fatalf("code %v, want %v", r.Code, codeFails)
	}
	if r = n.WaitForResult(ctx, r); !r.Proven() {
		t.Fatal("no result part after the next block")
	}
	if err := VerifyReceipt(r, trusted, testChainID); err != nil {
		t.Fatal(err)
	}
	res2, err := DecodeResult(r.Result)
	if err != nil || election.Code(res2.Code) != codeFails {
		t.Fatalf("proven result %v, %v", res2, err)
	}
	// Through the wire form, and served again from the cache.
	back, err := receiptOfWire(wireReceipt(t, r))
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyReceipt(back, trusted, testChainID); err != nil || back.Code != codeFails {
		t.Fatalf("wire form: %v, code %v", err, back.Code)
	}
	again, err := n.Receipt(ctx, hash[:])
	if err != nil || !again.Proven() {
		t.Fatalf("again: %v", err)
	}
}

// FuzzReceiptJSON feeds mutated receipts to the decoder and the verifier:
// neither may panic, and whatever verifies proves a transaction of the
// block the validators signed.
func FuzzReceiptJSON(f *testing.F) {
	good, trusted, chainID, raw := readReceiptVector(f)
	f.Add(raw)
	_, _, _, v1 := readReceiptFile(f, receiptV1File)
	f.Add(v1)
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
