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
	ChainID string                     `json:"chain_id"`
	Trusted json.RawMessage            `json:"trusted"`
	Receipt json.RawMessage            `json:"receipt"`
	Invalid map[string]json.RawMessage `json:"invalid"`
}

func readVector(t testing.TB) (vector, []api.Validator) {
	return readVectorFile(t, "../../chain/testdata/receipt.json")
}

func readVectorFile(t testing.TB, path string) (vector, []api.Validator) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v, apiValidators(t, v.Trusted)
}

// apiValidators are the entries of a set in CometBFT's JSON.
func apiValidators(t testing.TB, raw json.RawMessage) []api.Validator {
	var set cmttypes.ValidatorSet
	if err := cmtjson.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	var vals []api.Validator
	for _, val := range set.Validators {
		vals = append(vals, api.Validator{Address: val.Address.String(), PubKey: val.PubKey.Bytes(), Power: val.VotingPower})
	}
	return vals
}

// verdicts runs both checks on a receipt in the API's JSON; a receipt
// that does not even decode as api.Receipt is skipped (ok false).
func verdicts(t testing.TB, raw []byte, vals []api.Validator, chainID string) (lite, cmt error, ok bool) {
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

// TestSameVerdictAcrossValidatorChanges: on chain's receipt across two
// validator changes, both checks accept it from the genesis set and from
// the set after the first change, and refuse it alike with a hop left
// out, hops out of order or repeated, a hop whose set is not the one its
// header announces, a hop of another chain, and the vector's forgeries by
// the retired set; and give the same verdict on every one-field change.
func TestSameVerdictAcrossValidatorChanges(t *testing.T) {
	v, vals := readVectorFile(t, "../../chain/testdata/receipt-hops.json")
	var r map[string]any
	if err := json.Unmarshal(v.Receipt, &r); err != nil {
		t.Fatal(err)
	}
	hops := r["validator_hops"].([]any)
	if len(hops) != 2 {
		t.Fatalf("%d hops in the vector", len(hops))
	}
	later, err := json.Marshal(hops[0].(map[string]any)["validator_set"])
	if err != nil {
		t.Fatal(err)
	}
	for name, anchor := range map[string][]api.Validator{"genesis": vals, "after one change": apiValidators(t, later)} {
		if lite, cmt, ok := verdicts(t, v.Receipt, anchor, v.ChainID); !ok || lite != nil || cmt != nil {
			t.Fatalf("anchored on %s: lite %v, chain %v", name, lite, cmt)
		}
		// Both count the changes followed alike.
		var lr receiptlite.Receipt
		var ar api.Receipt
		json.Unmarshal(v.Receipt, &lr)
		json.Unmarshal(v.Receipt, &ar)
		liteSet, _ := receiptlite.ValidatorSet(liteValidators(anchor))
		cmtSet, _ := receiptfile.ValidatorSet(anchor)
		rec, err := receiptfile.ChainReceipt(&ar)
		if err != nil {
			t.Fatal(err)
		}
		changes, inForce := receiptlite.Followed(&lr, liteSet)
		if want := len(rec.ValidatorSets(cmtSet)) - 1; changes != want || inForce != rec.ValidatorSet.Size() {
			t.Errorf("anchored on %s: lite follows %d changes to a set of %d, chain %d to %d", name, changes, inForce, want, rec.ValidatorSet.Size())
		}
	}
	alter := func(f func(r map[string]any)) []byte {
		var c map[string]any
		json.Unmarshal(v.Receipt, &c)
		f(c)
		b, _ := json.Marshal(c)
		return b
	}
	hopsOf := func(c map[string]any) []any { return c["validator_hops"].([]any) }
	cases := map[string][]byte{
		"no hops":            alter(func(c map[string]any) { delete(c, "validator_hops") }),
		"first hop missing":  alter(func(c map[string]any) { c["validator_hops"] = hopsOf(c)[1:] }),
		"second hop missing": alter(func(c map[string]any) { c["validator_hops"] = hopsOf(c)[:1] }),
		"hops out of order": alter(func(c map[string]any) {
			h := hopsOf(c)
			h[0], h[1] = h[1], h[0]
		}),
		"hop twice": alter(func(c map[string]any) { c["validator_hops"] = append(hopsOf(c), hopsOf(c)[1]) }),
		"hop set not announced": alter(func(c map[string]any) {
			h := hopsOf(c)
			h[1].(map[string]any)["validator_set"] = h[0].(map[string]any)["validator_set"]
		}),
		"hop of another chain": alter(func(c map[string]any) {
			hopsOf(c)[0].(map[string]any)["header"].(map[string]any)["chain_id"] = "other"
		}),
		"hop without its commit": alter(func(c map[string]any) { hopsOf(c)[0].(map[string]any)["commit"] = nil }),
	}
	for name, raw := range v.Invalid {
		cases[name] = raw
	}
	for name, raw := range cases {
		lite, cmt, ok := verdicts(t, raw, vals, v.ChainID)
		if !ok || !errors.Is(lite, receiptlite.ErrBad) || !errors.Is(cmt, chain.ErrBadReceipt) {
			t.Errorf("%s: lite %v, chain %v", name, lite, cmt)
		}
	}
	compareAlterations(t, v.Receipt, vals, v.ChainID, 500)
}

// FuzzReceiptHops: both checks read a receipt's validator hops, and give
// the same verdict on any receipt the API reads.
func FuzzReceiptHops(f *testing.F) {
	v, vals := readVectorFile(f, "../../chain/testdata/receipt-hops.json")
	f.Add([]byte(v.Receipt))
	for _, raw := range v.Invalid {
		f.Add([]byte(raw))
	}
	f.Add([]byte(`{"validator_hops":[{}]}`))
	f.Add([]byte(`{"validator_hops":[{"header":{},"commit":{},"validator_set":{}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lite, cmt, ok := verdicts(t, data, vals, v.ChainID)
		if !ok {
			return
		}
		if (lite == nil) != (cmt == nil) {
			t.Fatalf("lite %v, chain %v", lite, cmt)
		}
	})
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
