package receiptlite_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/internal/receiptfile"
	"github.com/evote/evote/internal/receiptlite"
	"github.com/evote/evote/wallet"
)

// vector is chain's receipt vector: a real receipt of a one-validator
// chain and its trusted validator set.
type vector struct {
	ChainID string          `json:"chain_id"`
	Trusted json.RawMessage `json:"trusted"`
	Receipt json.RawMessage `json:"receipt"`
}

func readVector(t *testing.T) (vector, []api.Validator) {
	raw, err := os.ReadFile("../../chain/testdata/receipt.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var set cmttypes.ValidatorSet
	if err := cmtjson.Unmarshal(v.Trusted, &set); err != nil {
		t.Fatal(err)
	}
	var vals []api.Validator
	for _, val := range set.Validators {
		vals = append(vals, api.Validator{Address: val.Address.String(), PubKey: val.PubKey.Bytes(), Power: val.VotingPower})
	}
	return v, vals
}

// verdicts runs both checks on a receipt in the API's JSON; a receipt
// that does not even decode as api.Receipt is skipped (ok false).
func verdicts(t *testing.T, raw []byte, vals []api.Validator, chainID string) (lite, cmt error, ok bool) {
	t.Helper()
	var r api.Receipt
	if json.Unmarshal(raw, &r) != nil {
		return nil, nil, false
	}
	// The lite receipt is read from the same JSON: its types are the
	// API's on the wire.
	var lr receiptlite.Receipt
	if err := json.Unmarshal(raw, &lr); err != nil {
		t.Fatalf("the API reads a receipt receiptlite does not: %v", err)
	}
	liteSet, err := receiptlite.ValidatorSet(liteValidators(vals))
	if err != nil {
		t.Fatal(err)
	}
	cmtSet, err := receiptfile.ValidatorSet(vals)
	if err != nil {
		t.Fatal(err)
	}
	_, lite = receiptlite.Verify(&lr, liteSet, chainID)
	rec, err := receiptfile.ChainReceipt(&r)
	if err != nil {
		cmt = err
	} else {
		cmt = chain.VerifyReceipt(rec, cmtSet, chainID)
	}
	return lite, cmt, true
}

func liteValidators(vals []api.Validator) []receiptlite.Validator {
	var out []receiptlite.Validator
	for _, v := range vals {
		out = append(out, receiptlite.Validator{Address: v.Address, PubKey: v.PubKey, Power: v.Power})
	}
	return out
}

func TestSameVerdictAsChain(t *testing.T) {
	v, vals := readVector(t)
	lite, cmt, ok := verdicts(t, v.Receipt, vals, v.ChainID)
	if !ok || lite != nil || cmt != nil {
		t.Fatalf("the vector: lite %v, chain %v", lite, cmt)
	}
	if _, cmt, _ := verdicts(t, v.Receipt, vals, "other-chain"); cmt == nil {
		t.Fatal("chain accepts another chain id")
	}
	if lite, _, _ := verdicts(t, v.Receipt, vals, "other-chain"); !errors.Is(lite, receiptlite.ErrBad) {
		t.Fatalf("another chain id: %v", lite)
	}
	compareAlterations(t, v.Receipt, vals, v.ChainID, 50)
}

// compareAlterations changes every string and number of a receipt in the
// API's JSON, one at a time, and requires both checks to give the same
// verdict on each (at least min of them decoding as a receipt).
func compareAlterations(t *testing.T, receipt []byte, vals []api.Validator, chainID string, min int) {
	t.Helper()
	var tree any
	if err := json.Unmarshal(receipt, &tree); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	var paths [][]any
	walk(tree, nil, func(p []any) { paths = append(paths, append([]any(nil), p...)) })
	compared := 0
	for _, p := range paths {
		for _, alt := range alternatives(get(tree, p), rnd) {
			var copyTree any
			json.Unmarshal(receipt, &copyTree)
			set(copyTree, p, alt)
			raw, _ := json.Marshal(copyTree)
			lite, cmt, ok := verdicts(t, raw, vals, chainID)
			if !ok {
				continue
			}
			compared++
			if (lite == nil) != (cmt == nil) {
				t.Errorf("%v = %v: lite %v, chain %v", p, alt, lite, cmt)
			}
			if lite != nil && !errors.Is(lite, receiptlite.ErrBad) {
				t.Errorf("%v: %v is not ErrBad", p, lite)
			}
		}
	}
	if compared < min {
		t.Fatalf("only %d altered receipts compared", compared)
	}
	t.Logf("%d altered receipts: the same verdict from both checks", compared)
}

// walk calls f with the path of every leaf of a JSON tree.
func walk(v any, p []any, f func([]any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			walk(c, append(p, k), f)
		}
	case []any:
		for i, c := range x {
			walk(c, append(p, i), f)
		}
	default:
		f(p)
	}
}

func get(v any, p []any) any {
	for _, k := range p {
		switch x := v.(type) {
		case map[string]any:
			v = x[k.(string)]
		case []any:
			v = x[k.(int)]
		}
	}
	return v
}

func set(v any, p []any, val any) {
	parent := get(v, p[:len(p)-1])
	switch x := parent.(type) {
	case map[string]any:
		x[p[len(p)-1].(string)] = val
	case []any:
		x[p[len(p)-1].(int)] = val
	}
}

// alternatives are changed values of a leaf: a character changed, emptied,
// and for numbers other numbers.
func alternatives(v any, rnd *rand.Rand) []any {
	switch x := v.(type) {
	case string:
		out := []any{""}
		if len(x) > 0 {
			b := []byte(x)
			i := rnd.IntN(len(b))
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			out = append(out, string(b), x[:len(x)-1])
		}
		return append(out, "1", "0", "-1")
	case float64:
		return []any{x + 1, x - 1, 0.0}
	case nil:
		return []any{"x"}
	}
	return nil
}

func TestFileSameAsReceiptFile(t *testing.T) {
	v, vals := readVector(t)
	var r receiptlite.Receipt
	if err := json.Unmarshal(v.Receipt, &r); err != nil {
		t.Fatal(err)
	}
	f := receiptlite.File{Version: receiptlite.Tag, Node: "http://127.0.0.1:8080", ChainID: v.ChainID,
		Voter: mustVoter(t), KeyName: "k", Seq: 1, TrackingCode: r.TrackingCode, Validators: liteValidators(vals), Receipt: &r}
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	// The lite file is one receiptfile reads (it refuses unknown fields)
	// and writes back byte for byte.
	rf, err := receiptfile.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	back, err := json.MarshalIndent(rf, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, raw) {
		t.Errorf("receiptfile writes the file otherwise:\n%s\nwant\n%s", back, raw)
	}
	// The vector's transaction is not a ballot: both refuse it, past the
	// chain's receipt check.
	_, errCmt := rf.CheckOffline(nil)
	lf, err := receiptlite.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, errLite := lf.CheckOffline(nil)
	if !errors.Is(errCmt, receiptfile.ErrBad) || !errors.Is(errLite, receiptlite.ErrBad) {
		t.Fatalf("receiptfile %v, lite %v", errCmt, errLite)
	}
}

func mustVoter(t *testing.T) wallet.VoterPublicKey {
	k, err := wallet.GenerateVoterKey(strings.NewReader(strings.Repeat("receipt seed", 8)))
	if err != nil {
		t.Fatal(err)
	}
	return k.Public()
}

// FuzzResultBytes: the browser's decoder of a receipt's result bytes
// accepts exactly the bytes chain.DecodeResult accepts (the deterministic
// encodings), and reads the same result from them.
func FuzzResultBytes(f *testing.F) {
	for _, seed := range [][]byte{nil, {0x28, 0x01}, {0x08, 0x04, 0x28, 0x01}, {0x08, 0x0b, 0x12, 0x01, 0xff, 0x28, 0x01, 0x30, 0x02},
		{0x08, 0x00}, {0x28, 0x81, 0x00}, {0x30, 0x01, 0x28, 0x01}, {0x1a, 0x00}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lite, errLite := receiptlite.DecodeResult(b)
		cmt, errCmt := chain.DecodeResult(b)
		if (errLite == nil) != (errCmt == nil) {
			t.Fatalf("%x: lite %v, chain %v", b, errLite, errCmt)
		}
		if errLite != nil {
			return
		}
		if lite.Code != cmt.Code || !bytes.Equal(lite.Data, cmt.Data) || lite.GasWanted != cmt.GasWanted || lite.GasUsed != cmt.GasUsed {
			t.Fatalf("%x: lite %+v, chain %+v", b, lite, cmt)
		}
	})
}
