package cli

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/wallet"
)

// receiptFileSeed makes a receipt file around the chain package's receipt
// vector (a real receipt of a single-validator chain; its transaction is
// not a ballot, so the check gets as far as the ballot checks).
func receiptFileSeed(t testing.TB) []byte {
	raw, err := os.ReadFile("../../../chain/testdata/receipt.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		ChainID string          `json:"chain_id"`
		Trusted json.RawMessage `json:"trusted"`
		Receipt *chain.Receipt  `json:"receipt"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var trusted cmttypes.ValidatorSet
	if err := cmtjson.Unmarshal(v.Trusted, &trusted); err != nil {
		t.Fatal(err)
	}
	voter, _ := wallet.GenerateVoterKey(strings.NewReader(strings.Repeat("receipt seed", 8)))
	r := walletReceipt{Version: walletReceiptTag, Node: "http://127.0.0.1:8080", ChainID: v.ChainID, Voter: voter.Public(),
		KeyName: "k", Seq: 1, TrackingCode: v.Receipt.TrackingCode, Receipt: v.Receipt}
	for _, val := range trusted.Validators {
		r.Validators = append(r.Validators, api.Validator{Address: val.Address.String(), PubKey: val.PubKey.Bytes(), Power: val.VotingPower})
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReceiptFileOfANonBallot(t *testing.T) {
	r, err := parseWalletReceipt(receiptFileSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	// The chain's receipt verifies; it is not a ballot of this voter.
	if err := chain.VerifyReceipt(r.Receipt, mustSet(t, r.Validators), r.ChainID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.checkOffline(nil); !errors.Is(err, errBadWalletReceipt) {
		t.Fatalf("a receipt of a transaction that is not the voter's ballot: %v", err)
	}
	// Validator sets that CometBFT would panic on are errors.
	dup := append(append([]api.Validator{}, r.Validators...), r.Validators...)
	if _, err := validatorSet(dup); err == nil {
		t.Error("a validator twice")
	}
	zero := append([]api.Validator{}, r.Validators...)
	zero[0].Power = 0
	if _, err := validatorSet(zero); err == nil {
		t.Error("a validator with no power")
	}
}

func mustSet(t *testing.T, v []api.Validator) *cmttypes.ValidatorSet {
	t.Helper()
	s, err := validatorSet(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzWalletReceipt: a receipt file is untrusted input (it may come from
// anywhere); parsing and checking it never panics, and every failure is a
// failed check.
func FuzzWalletReceipt(f *testing.F) {
	seed := receiptFileSeed(f)
	f.Add(seed)
	f.Add([]byte(`{"version":"evote/v1/wallet-receipt"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseWalletReceipt(b)
		if err != nil {
			return
		}
		if _, err := r.checkOffline(nil); err == nil {
			t.Fatal("a receipt that is not a ballot's passed the check")
		} else if !errors.Is(err, errBadWalletReceipt) {
			t.Fatalf("error not wrapping errBadWalletReceipt: %v", err)
		}
	})
}

// TestWalletReceiptSpec: the fields of a receipt file are those that
// docs/spec/wallet-receipt.md lists.
func TestWalletReceiptSpec(t *testing.T) {
	spec, err := os.ReadFile("../../../docs/spec/wallet-receipt.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, line := range strings.Split(string(spec), "\n") {
		if f, ok := strings.CutPrefix(line, "| `"); ok {
			if name, _, ok := strings.Cut(f, "`"); ok {
				documented = append(documented, name)
			}
		}
	}
	var m map[string]any
	if err := json.Unmarshal(receiptFileSeed(t), &m); err != nil {
		t.Fatal(err)
	}
	var actual []string
	for k := range m {
		actual = append(actual, k)
	}
	slices.Sort(documented)
	slices.Sort(actual)
	if !slices.Equal(documented, actual) {
		t.Fatalf("the spec lists %v, the file has %v", documented, actual)
	}
	if !strings.Contains(string(spec), "# Wallet receipt file ("+walletReceiptTag+")") {
		t.Fatal("the spec's title does not name the version tag")
	}
}
